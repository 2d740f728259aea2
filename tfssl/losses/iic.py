"""Invariant Information Clustering (Ji, Henriques & Vedaldi 2019): mutual information of the
cluster assignments of paired views, from the joint over the global batch."""

import sys

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.ops import distributed

# IIC's clamp (`IID_losses.py`): entries below machine epsilon of a Python float (2.2e-16) are
# raised to it so that log never sees 0; such entries add at most ~1e-14 to the loss.
IIC_EPSILON = sys.float_info.epsilon


def iic(p_a, p_b, epsilon=IIC_EPSILON):
    """IIC loss −I(z, z′) of two views' cluster probabilities.

    The joint P = Σ_b p_a[b]ᵀ p_b[b] over the global batch (one all-reduce of the local [K, K]
    sums) is symmetrised, (P + Pᵀ)/2, and divided by its total, which is B for rows that sum to
    1 (the contract's Σ/B) and, as in the authors' code, keeps P a distribution otherwise. The
    marginals P_i, P_j are its row and column sums; P, P_i and P_j are then clipped below at
    `epsilon` (clipped entries get no gradient).

    Args:
      p_a, p_b: [b, K] cluster probabilities (softmax outputs) of paired views.
      epsilon: floor of P's entries and marginals.

    Returns:
      Scalar −I(P) = −Σ_ij P_ij (log P_ij − log P_i − log P_j), the same on every replica.
    """
    p_a = at_least_float32(p_a)
    p_b = tf.cast(p_b, p_a.dtype)
    joint = distributed.all_reduce_sum(tf.matmul(p_a, p_b, transpose_a=True))  # [K, K]
    joint = (joint + tf.transpose(joint)) / 2.0
    joint = joint / tf.reduce_sum(joint)
    epsilon = tf.cast(epsilon, joint.dtype)
    p_i = tf.maximum(tf.reduce_sum(joint, axis=1, keepdims=True), epsilon)  # [K, 1]
    p_j = tf.maximum(tf.reduce_sum(joint, axis=0, keepdims=True), epsilon)  # [1, K]
    joint = tf.maximum(joint, epsilon)
    return -tf.reduce_sum(joint * (tf.math.log(joint) - tf.math.log(p_i) - tf.math.log(p_j)))
