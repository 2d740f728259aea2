"""MoCo's InfoNCE: each query against its own key and a queue of past keys as negatives."""

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.ops import distributed


def info_nce_with_accuracy(q, k, queue, temperature=0.07):
    """InfoNCE loss and the fraction of queries whose key beats every queue entry (see `info_nce`).

    Each replica scores its own queries; the per-query losses are summed and all-reduced, so every
    replica returns the mean over the global batch.
    """
    q = tf.math.l2_normalize(at_least_float32(q), axis=-1)
    k = tf.stop_gradient(tf.math.l2_normalize(tf.cast(k, q.dtype), axis=-1))
    queue = tf.stop_gradient(tf.cast(queue, q.dtype))
    positive = tf.reduce_sum(q * k, axis=-1, keepdims=True)  # [b, 1]
    negatives = tf.matmul(q, queue, transpose_b=True)  # [b, K]
    logits = tf.concat([positive, negatives], axis=1) / temperature  # [b, 1 + K]
    labels = tf.zeros([tf.shape(q)[0]], tf.int32)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    hits = tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), 0), q.dtype)
    return distributed.global_mean((losses, hits))


def info_nce(q, k, queue, temperature=0.07):
    """MoCo's InfoNCE: logits [q·k, q·queueᵀ]/T with the positive at index 0.

    Args:
      q: [B, D] queries (L2-normalised here).
      k: [B, D] keys, row i the positive of query i (L2-normalised here; no gradient).
      queue: [K, D] normalised negative keys (no gradient).
      temperature: softmax temperature T.

    Returns:
      Mean cross-entropy over the queries of the global batch.
    """
    return info_nce_with_accuracy(q, k, queue, temperature)[0]
