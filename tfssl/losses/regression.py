"""Regression losses of the non-contrastive methods (SimSiam, BYOL): a prediction p is pulled
towards a stop-gradient target z by cosine similarity, averaged over the global batch."""

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.ops import distributed


def _global_mean_cosine(p, z):
    """mean_i cos(p_i, stop_gradient(z_i)) over the global batch: per-replica sums and counts
    are all-reduced, so every replica returns the same global mean."""
    p = tf.math.l2_normalize(at_least_float32(p), axis=-1)
    z = tf.math.l2_normalize(tf.stop_gradient(at_least_float32(z)), axis=-1)
    cosines = tf.reduce_sum(p * tf.cast(z, p.dtype), axis=-1)  # [b]
    return distributed.global_mean(cosines)


def negative_cosine(p, z):
    """SimSiam's D(p, z) = −mean_i cos(p_i, stop_gradient(z_i)); p, z: [B, D]."""
    return -_global_mean_cosine(p, z)


def byol_regression(p, z):
    """BYOL's loss mean_i ‖p̄_i − z̄_i‖² = mean_i (2 − 2·cos(p_i, stop_gradient(z_i)));
    p, z: [B, D]."""
    return 2.0 - 2.0 * _global_mean_cosine(p, z)
