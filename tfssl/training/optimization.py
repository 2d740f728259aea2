"""Optimizer and learning-rate schedule from a task's config."""

import dataclasses

from absl import logging

from tfssl import optim


def build_learning_rate(lr_config, global_batch_size, total_steps):
    """The peak rate scaled by batch size (SimCLR's rule), with warm-up then cosine, constant,
    step or FixMatch's cos(7πk/16K) decay.

    A warm-up longer than the run (a short run of an experiment, e.g. `trainer.train_steps=3`)
    is shortened to `total_steps`, with one logged line saying so.
    """
    peak = optim.scale_learning_rate(
        lr_config.base_learning_rate, global_batch_size, lr_config.scaling
    )
    warmup_steps = lr_config.warmup_steps
    if warmup_steps > total_steps:
        logging.info(
            "task.learning_rate.warmup_steps=%d is longer than the run (%d steps): warming up "
            "over %d steps instead",
            warmup_steps,
            total_steps,
            total_steps,
        )
        warmup_steps = total_steps
    if lr_config.type == "step":
        return optim.WarmupStepDecay(
            peak, lr_config.decay_boundaries, lr_config.decay_rate, warmup_steps
        )
    if lr_config.type == "fixmatch_cosine":
        return optim.WarmupCosineAngle(peak, total_steps, warmup_steps)
    alpha = 1.0 if lr_config.type == "constant" else lr_config.alpha
    return optim.WarmupCosine(peak, total_steps, warmup_steps, alpha=alpha)


def build_optimizer(optimizer_config, learning_rate):
    """The configured optimizer with the options of its chosen sub-config, its weight decay
    excluding the variables whose `.path` matches `exclude_from_weight_decay` (BN parameters and
    biases by default)."""
    return optim.build_optimizer(
        optimizer_config.type,
        learning_rate,
        weight_decay=optimizer_config.weight_decay,
        exclude_from_weight_decay=tuple(optimizer_config.exclude_from_weight_decay),
        **dataclasses.asdict(getattr(optimizer_config, optimizer_config.type)),
    )
