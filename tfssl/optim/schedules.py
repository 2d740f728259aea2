"""Learning-rate schedule and batch-size scaling rule used by SimCLR-style pre-training."""

import math

import keras
from keras import ops

LR_SCALINGS = ("linear", "sqrt", "none")


@keras.saving.register_keras_serializable(package="tfssl")
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to `base_learning_rate`, then cosine decay to `alpha * base`.

    The rate reaches base at `warmup_steps`, alpha * base at `total_steps`, and stays there.
    """

    def __init__(self, base_learning_rate, total_steps, warmup_steps=0, alpha=0.0):
        if not 0 <= warmup_steps <= total_steps:
            raise ValueError(
                f"Need 0 <= warmup_steps <= total_steps, got {warmup_steps}, {total_steps}."
            )
        self.base_learning_rate = base_learning_rate
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        self.alpha = alpha

    def __call__(self, step):
        """The learning rate at optimizer iteration `step`."""
        step = ops.cast(step, "float32")
        warmup = float(self.warmup_steps)
        warmup_rate = self.base_learning_rate * step / max(warmup, 1.0)
        decay_steps = max(float(self.total_steps - self.warmup_steps), 1.0)
        progress = ops.clip((step - warmup) / decay_steps, 0.0, 1.0)
        decayed_rate = self.base_learning_rate * self.decay(progress)
        return ops.where(step < warmup, warmup_rate, decayed_rate)

    def decay(self, progress):
        """The rate's factor at `progress` ∈ [0, 1] of the decay: cosine from 1 to alpha."""
        cosine = 0.5 * (1.0 + ops.cos(math.pi * progress))
        return self.alpha + (1.0 - self.alpha) * cosine

    def get_config(self):
        """Constructor arguments, for serialization."""
        return {
            "base_learning_rate": self.base_learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "alpha": self.alpha,
        }


class WarmupStepDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to `base_learning_rate`, then the rate times `decay_rate` once per
    boundary passed (MoCo v1: ×0.1 at epochs 120 and 160; RotNet: ×0.2 at epochs 10, 20, 25).

    Args:
      boundaries: increasing optimizer steps; from step `boundaries[i]` on, the rate is
        base·decay_rate^(i+1).
    """

    def __init__(self, base_learning_rate, boundaries, decay_rate=0.1, warmup_steps=0):
        if list(boundaries) != sorted(boundaries) or any(b < warmup_steps for b in boundaries):
            raise ValueError(
                f"Need increasing boundaries at or after warmup_steps={warmup_steps}, got "
                f"{list(boundaries)}."
            )
        self.base_learning_rate = base_learning_rate
        self.boundaries = [int(b) for b in boundaries]
        self.decay_rate = decay_rate
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        """The learning rate at optimizer iteration `step`."""
        step = ops.cast(step, "float32")
        warmup = float(self.warmup_steps)
        passed = sum(ops.cast(step >= b, "float32") for b in self.boundaries)
        decayed_rate = self.base_learning_rate * ops.power(self.decay_rate, passed)
        return ops.where(
            step < warmup, self.base_learning_rate * step / max(warmup, 1.0), decayed_rate
        )

    def get_config(self):
        """Constructor arguments, for serialization."""
        return {
            "base_learning_rate": self.base_learning_rate,
            "boundaries": self.boundaries,
            "decay_rate": self.decay_rate,
            "warmup_steps": self.warmup_steps,
        }


@keras.saving.register_keras_serializable(package="tfssl")
class WarmupCosineAngle(WarmupCosine):
    """Linear warm-up, then base·cos(end_angle·progress): FixMatch's lr·cos(7πk/(16K)) with
    `end_angle` = 7π/16, which ends at cos(7π/16) = 0.195 of the peak rather than at zero."""

    def __init__(self, base_learning_rate, total_steps, warmup_steps=0, end_angle=7 * math.pi / 16):
        super().__init__(base_learning_rate, total_steps, warmup_steps)
        self.end_angle = end_angle

    def decay(self, progress):
        return ops.cos(self.end_angle * progress)

    def get_config(self):
        """Constructor arguments, for serialization."""
        config = super().get_config()
        del config["alpha"]
        return {**config, "end_angle": self.end_angle}


def scale_learning_rate(base_learning_rate, global_batch_size, scaling="linear"):
    """SimCLR's batch-size rule: "linear" base * B / 256, "sqrt" base * sqrt(B), "none" base."""
    if scaling == "linear":
        return base_learning_rate * global_batch_size / 256
    if scaling == "sqrt":
        return base_learning_rate * math.sqrt(global_batch_size)
    if scaling == "none":
        return base_learning_rate
    raise ValueError(f"Unknown learning-rate scaling {scaling!r}; valid: {LR_SCALINGS}.")
