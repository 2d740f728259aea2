"""Contrastive losses whose negatives span the global batch."""

import tensorflow as tf

from tfssl.ops import distributed

# Logit given to an anchor's similarity with itself so that it never wins the softmax.
_SELF_LOGIT = -1e9


def at_least_float32(x):
    """`x` as float32, or float64 when it already is: losses never run in half precision."""
    x = tf.convert_to_tensor(x)
    return x if x.dtype == tf.float64 else tf.cast(x, tf.float32)


def nt_xent_with_accuracy(z_a, z_b, temperature=0.5):
    """NT-Xent loss and contrastive top-1 accuracy over the global batch (see `nt_xent`).

    Each replica scores its own anchors against the 2B views gathered from every replica; the
    per-anchor losses are summed and all-reduced, so every replica returns the global mean.

    Returns:
      (loss, accuracy): scalars; accuracy is the fraction of anchors whose positive has the
      highest logit among the 2B - 1 candidates.
    """
    z_a = tf.math.l2_normalize(at_least_float32(z_a), axis=-1)
    z_b = tf.math.l2_normalize(at_least_float32(z_b), axis=-1)
    local_batch = tf.shape(z_a)[0]
    all_a = distributed.all_gather(z_a)  # [B, D]
    all_b = distributed.all_gather(z_b)  # [B, D]
    global_batch = tf.shape(all_a)[0]

    # Global index of each local anchor: its positive in the other view, itself in its own.
    positions = distributed.global_offset(local_batch) + tf.range(local_batch)  # [b]
    self_mask = tf.one_hot(positions, global_batch, dtype=z_a.dtype) * _SELF_LOGIT  # [b, B]

    def anchor_losses(anchors, same_view, other_view):
        # [b, 2B]: first B columns hold the positive at `positions`, the rest are negatives.
        logits = tf.concat(
            [
                tf.matmul(anchors, other_view, transpose_b=True) / temperature,
                tf.matmul(anchors, same_view, transpose_b=True) / temperature + self_mask,
            ],
            axis=1,
        )
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=positions, logits=logits)
        hits = tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), positions)
        correct = tf.cast(hits, logits.dtype)
        return tf.reduce_sum(losses), tf.reduce_sum(correct)

    loss_a, correct_a = anchor_losses(z_a, all_a, all_b)
    loss_b, correct_b = anchor_losses(z_b, all_b, all_a)
    total_loss, total_correct = distributed.all_reduce_sum((loss_a + loss_b, correct_a + correct_b))
    num_anchors = tf.cast(2 * global_batch, total_loss.dtype)
    return total_loss / num_anchors, total_correct / num_anchors


def nt_xent(z_a, z_b, temperature=0.5):
    """SimCLR's NT-Xent: each of the 2B views is an anchor whose positive is its partner view.

    Args:
      z_a, z_b: [B, D] projections, row i of each a view of sample i (L2-normalised here).
      temperature: softmax temperature τ.

    Returns:
      Mean over all 2B anchors of the cross-entropy against the other 2B - 1 views.
    """
    return nt_xent_with_accuracy(z_a, z_b, temperature)[0]
