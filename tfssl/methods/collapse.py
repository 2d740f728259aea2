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
    count = tf.cast(distributed.global_batch_size(tf.shape(z)[0]), tf.float32)
    total, total_sq = distributed.all_reduce_sum((tf.reduce_sum(z, 0), tf.reduce_sum(z * z, 0)))
    mean = total / count  # [D]
    variance = tf.maximum(total_sq / count - mean * mean, 0.0)
    return tf.reduce_mean(tf.sqrt(variance))
