"""Barlow Twins' redundancy-reduction loss, with batch statistics over the global batch."""

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.ops import distributed

_EPSILON = 1e-5


def _standardise(z):
    """Each feature of z [b, D] standardised with the global batch's mean and biased variance."""
    centred = z - distributed.global_mean(z)  # mean [D]
    variance = distributed.global_mean(tf.square(centred))  # [D]
    return centred / tf.sqrt(variance + _EPSILON)


def barlow_twins(z_a, z_b, lambd=5e-3):
    """Σ_i (1 − C_ii)² + lambd·Σ_{i≠j} C_ij², C = ẑ_aᵀ ẑ_b / B the cross-correlation of the two
    views' standardised embeddings over the global batch.

    Each replica computes its rows' partial sum of ẑ_aᵀ ẑ_b [D, D]; the sums are all-reduced, so
    every replica holds the global C.

    Args:
      z_a, z_b: [b, D] per-replica embeddings of two views of the same images.
      lambd: weight of the off-diagonal (redundancy) term.
    """
    z_a, z_b = at_least_float32(z_a), at_least_float32(z_b)
    z_b = tf.cast(z_b, z_a.dtype)
    count = tf.cast(distributed.global_batch_size(tf.shape(z_a)[0]), z_a.dtype)
    z_a, z_b = _standardise(z_a), _standardise(z_b)
    c = distributed.all_reduce_sum(tf.matmul(z_a, z_b, transpose_a=True)) / count  # [D, D]
    diagonal = tf.linalg.diag_part(c)
    on_diagonal = tf.reduce_sum(tf.square(1.0 - diagonal))
    off_diagonal = tf.reduce_sum(tf.square(c)) - tf.reduce_sum(tf.square(diagonal))
    return on_diagonal + lambd * off_diagonal
