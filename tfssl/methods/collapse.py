"""Collapse monitors logged by non-contrastive methods: a collapsed encoder maps every image to
the same point, which shows as a zero spread of its L2-normalised embeddings."""

import tensorflow as tf

from tfssl.ops import distributed


def embedding_std(z):
    """Mean over dimensions of the per-dimension std of L2-normalised `z` over the global batch.

    About 1/sqrt(D) for embeddings spread over the sphere, 0 at collapse (SimSiam's monitor).

    Args:
      z: [b, D] per-replica embeddings.
    """
    z = tf.math.l2_normalize(tf.cast(tf.stop_gradient(z), tf.float32), axis=-1)
    mean, mean_sq = distributed.global_mean((z, z * z))  # [D] each
    variance = tf.maximum(mean_sq - mean * mean, 0.0)
    return tf.reduce_mean(tf.sqrt(variance))


def softmax_entropy(logits):
    """Mean entropy (nats) of softmax(`logits`) over the global batch: DINO's teacher monitor,
    log K at uniform collapse and 0 when one dimension dominates.

    Args:
      logits: [b, K] per-replica logits (already centred and divided by the temperature).
    """
    logits = tf.cast(tf.stop_gradient(logits), tf.float32)
    entropy = -tf.reduce_sum(tf.nn.softmax(logits) * tf.nn.log_softmax(logits), axis=-1)  # [b]
    return distributed.global_mean(entropy)
