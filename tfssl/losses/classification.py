"""Cross-entropy on pseudo-labels (rotation angles, cluster ids) averaged over the global batch,
shared by the methods that classify a pretext label (RotNet, DeepCluster)."""

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.ops import distributed


def pseudo_label_cross_entropy(labels, logits, weights=None):
    """Σ_i w_i·CE(labels_i, logits_i) / B over the global batch of B samples, and the accuracy.

    Args:
      labels: int [b] targets.
      logits: [b, C] scores.
      weights: optional float [b] per-sample weights (1 when None); the sum is divided by the
        number of samples, not by the sum of weights, so weights that average 1 over an epoch
        give each sample its weight's share of the epoch's loss.

    Returns:
      (loss, accuracy) scalars, the same on every replica.
    """
    logits = at_least_float32(logits)
    labels = tf.cast(labels, tf.int32)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)  # [b]
    if weights is not None:
        losses = losses * tf.cast(weights, losses.dtype)
    hits = tf.cast(tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32), labels), losses.dtype)
    return distributed.global_mean((losses, hits))
