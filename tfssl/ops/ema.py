"""Exponential moving averages of weights: the momentum/target networks of MoCo, BYOL, DINO and
Mean Teacher."""

import math

import tensorflow as tf


def ema_update(target_variables, online_variables, momentum):
    """target ← momentum·target + (1 − momentum)·online, in place, for paired variable lists.

    Works eagerly, in `tf.function` and in a replica context (each replica holds the same
    mirrored values and applies the same update).
    """
    target_variables, online_variables = list(target_variables), list(online_variables)
    if len(target_variables) != len(online_variables):
        raise ValueError(
            f"ema_update got {len(target_variables)} target and {len(online_variables)} online "
            "variables; they must pair up one to one"
        )
    for target, online in zip(target_variables, online_variables):
        m = tf.cast(momentum, target.dtype)
        online_value = tf.cast(tf.convert_to_tensor(online), target.dtype)
        target.assign(m * tf.convert_to_tensor(target) + (1.0 - m) * online_value)


def cosine_momentum(step, total_steps, base_momentum=0.996, final_momentum=1.0):
    """BYOL/DINO schedule: τ = final − (final − base)·(cos(π·step/total) + 1)/2.

    Gives `base_momentum` at step 0 and `final_momentum` at `total_steps` (clipped beyond).
    """
    progress = tf.clip_by_value(tf.cast(step, tf.float32) / float(max(total_steps, 1)), 0.0, 1.0)
    cosine = (tf.cos(math.pi * progress) + 1.0) / 2.0
    return final_momentum - (final_momentum - base_momentum) * cosine


MOMENTUM_SCHEDULES = ("constant", "cosine", "warmup")


class EMATeacher:
    """Target networks that follow online networks of the same architecture by EMA.

    The targets' variables are frozen (not trainable; their BN layers still normalise with batch
    statistics when called in training mode, as in MoCo, BYOL and DINO), `copy_online` starts
    them as copies of the online networks once every variable exists, and `update` moves them
    after each optimizer step. BN moving statistics are left to each network unless
    `copy_statistics`.

    Args:
      online: Keras models trained by the optimizer.
      targets: the same architectures, in the same order.
      base_momentum: τ of the EMA (τ_base for the cosine schedule).
      schedule: "constant" (MoCo), "cosine": `cosine_momentum` from τ_base at the first step
        to 1 at the last (BYOL, DINO), or "warmup": min(1 − 1/(t + 1), τ) after the t-th step
        (t = 1 first), Mean Teacher's start-up, under which the targets are the exact running
        mean of the online weights until 1/(t + 1) falls below 1 − τ.
      copy_statistics: after each update, also copy the online networks' non-trainable weights
        (BN moving statistics) into the targets, as the FixMatch and MixMatch code evaluates
        its EMA weights with the live model's statistics.
    """

    def __init__(self, online, targets, base_momentum, schedule="constant", copy_statistics=False):
        if schedule not in MOMENTUM_SCHEDULES:
            raise ValueError(f"momentum schedule {schedule!r} is not one of {MOMENTUM_SCHEDULES}")
        self.base_momentum = base_momentum
        self.schedule = schedule
        self.pairs = []  # (target, online) variables, one per online trainable variable
        self.statistics = []  # (target, online) non-trainable variables copied when asked
        for target, source in zip(targets, online):
            if len(target.weights) != len(source.weights):
                raise ValueError(f"{target.name} and {source.name} differ in architecture")
            for t, o in zip(target.weights, source.weights):
                if o.trainable:
                    self.pairs.append((t, o))
                elif copy_statistics:
                    self.statistics.append((t, o))
        for target in targets:
            for variable in target.weights:
                variable.trainable = False

    def momentum(self, step, total_steps):
        """τ of the update that follows optimizer step `step` (0-based) of a `total_steps` run:
        under "cosine", τ_base at the first step and 1 at the last."""
        if self.schedule == "constant":
            return tf.constant(self.base_momentum, tf.float32)
        if self.schedule == "warmup":
            steps_done = tf.cast(step, tf.float32) + 1.0
            return tf.minimum(1.0 - 1.0 / (steps_done + 1.0), self.base_momentum)
        return cosine_momentum(step, max(total_steps - 1, 1), self.base_momentum)

    def copy_online(self):
        """Sets every target variable to its online variable."""
        for target, online in self.pairs + self.statistics:
            target.assign(online)

    def update(self, step, total_steps):
        """target ← τ·target + (1 − τ)·online with τ = `momentum(step, total_steps)`."""
        targets, online = zip(*self.pairs)
        ema_update(targets, online, self.momentum(step, total_steps))
        for target, source in self.statistics:
            target.assign(source)
