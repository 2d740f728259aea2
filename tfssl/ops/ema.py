"""Exponential moving averages of weights: the momentum/target encoders of MoCo, BYOL and DINO."""

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
    progress = tf.clip_by_value(
        tf.cast(step, tf.float32) / float(max(total_steps, 1)), 0.0, 1.0
    )
    cosine = (tf.cos(math.pi * progress) + 1.0) / 2.0
    return final_momentum - (final_momentum - base_momentum) * cosine
