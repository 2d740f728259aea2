"""Batch-hard triplet loss with a soft margin (Hermans et al. 2017), S4L-Exemplar's
self-supervised term: copies of one image are positives, every other image a negative."""

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.ops import distributed


def batch_hard_triplet(embeddings, ids):
    """mean over anchors of softplus(max_p d(a, p) − min_n d(a, n)) over the global batch.

    d is the Euclidean distance of L2-normalised embeddings; p ranges over the other rows with
    the anchor's id (its hardest positive), n over the rows with another id (its hardest
    negative). Each replica scores its own anchors against the rows gathered from every replica,
    so the loss is the one-device loss of the global batch.

    Args:
      embeddings: [b, D] this replica's embeddings.
      ids: int [b] group of each row (the source image of a copy).

    Returns:
      Scalar loss, the same on every replica. An anchor without another copy in the batch takes
      its hardest positive distance as 0; one without any other image takes the largest
      distance in its row as its hardest negative.
    """
    anchors = tf.math.l2_normalize(at_least_float32(embeddings), axis=-1)  # [b, D]
    candidates = distributed.all_gather(anchors)  # [B, D]
    ids = tf.cast(ids, tf.int64)
    all_ids = distributed.all_gather(ids)  # [B]
    rows = distributed.global_offset(tf.shape(anchors)[0]) + tf.range(tf.shape(anchors)[0])
    squared = 2.0 - 2.0 * tf.matmul(anchors, candidates, transpose_b=True)  # [b, B]
    distances = tf.sqrt(tf.maximum(squared, 1e-12))
    same = tf.equal(ids[:, None], all_ids[None, :])  # [b, B]
    itself = tf.one_hot(rows, tf.shape(candidates)[0], on_value=True, off_value=False)
    positive = tf.logical_and(same, tf.logical_not(itself))
    zeros = tf.zeros_like(distances)
    hardest_positive = tf.reduce_max(tf.where(positive, distances, zeros), axis=1)  # [b]
    farthest = tf.reduce_max(distances, axis=1, keepdims=True)
    hardest_negative = tf.reduce_min(tf.where(same, farthest, distances), axis=1)  # [b]
    return distributed.global_mean(tf.nn.softplus(hardest_positive - hardest_negative))
