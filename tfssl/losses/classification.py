"""Cross-entropy on pseudo-labels averaged over the global batch: pretext labels (rotation angles,
cluster ids of RotNet and DeepCluster) and the confident predictions of Pseudo-Label and
FixMatch."""

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


def masked_cross_entropy(labels, logits, mask):
    """FixMatch / Pseudo-Label unlabeled loss: Σ_i mask_i·CE(labels_i, logits_i) divided by the
    number of rows of the global batch, kept or not (masked rows count as zero, as in every
    reference implementation), and the fraction of rows kept.

    Args:
      labels: int [b] (pseudo-)labels.
      logits: [b, C] scores.
      mask: [b] weights, usually 0/1.

    Returns:
      (loss, mask_rate) scalars, the same on every replica.
    """
    logits = at_least_float32(logits)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=logits
    )  # [b]
    mask = tf.cast(mask, losses.dtype)
    return distributed.global_mean((mask * losses, mask))


def confident_pseudo_labels(logits, threshold, strict=False):
    """Hard pseudo-labels and their confidence mask, without gradient.

    Args:
      logits: [b, C] scores (usually of the weakly augmented view).
      threshold: confidence τ.
      strict: mask max-prob > τ (Pseudo-Label's realistic-eval form) instead of ≥ τ (FixMatch).

    Returns:
      (labels int32 [b] = argmax, mask float [b] = 1 where the max softmax probability passes τ).
    """
    probs = tf.nn.softmax(tf.stop_gradient(at_least_float32(logits)), axis=-1)
    confidence = tf.reduce_max(probs, axis=-1)
    threshold = tf.cast(threshold, confidence.dtype)
    passes = confidence > threshold if strict else confidence >= threshold
    return tf.argmax(probs, axis=-1, output_type=tf.int32), tf.cast(passes, probs.dtype)


def fixmatch(logits_weak, logits_strong, threshold=0.95):
    """FixMatch's unlabeled loss (Sohn et al. 2020): the argmax of softmax(`logits_weak`)
    (no gradient) is the label of the strongly augmented view where its probability is ≥
    `threshold`; Σ over kept rows of CE(strong, label) ÷ every unlabeled row of the global batch,
    kept or not, as the paper's ℓ_u = (1/μB) Σ 1[max q ≥ τ]·H(q̂, p(y|A(u))).

    Distribution alignment or any other change of the weak predictions goes in as log
    probabilities: softmax(log p) = p.

    Args:
      logits_weak: [b, C] scores of the weak views.
      logits_strong: [b, C] scores of the strong views of the same images.
      threshold: confidence τ.

    Returns:
      (loss, mask_rate) scalars, the same on every replica; mask_rate = kept ÷ rows over the
      global batch.
    """
    labels, mask = confident_pseudo_labels(logits_weak, threshold)
    return masked_cross_entropy(labels, logits_strong, mask)
