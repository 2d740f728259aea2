"""Supervised contrastive loss (Khosla et al. 2020), whose anchors span the global batch."""

import tensorflow as tf

from tfssl.losses.contrastive import _SELF_LOGIT, at_least_float32
from tfssl.ops import distributed


def supcon(features, labels=None, temperature=0.07, base_temperature=0.07):
    """SupCon in the paper's L_out form: every view is an anchor whose positives are all other
    views with its label, and the log-likelihood is averaged over the positives outside the log.

    For anchor i with positives P(i) among the other V·B − 1 views of the global batch,
      loss_i = −(T / T_base) · mean_{p ∈ P(i)} log( exp(z_i·z_p/T) / Σ_{a ≠ i} exp(z_i·z_a/T) ),
    and the loss is the mean of loss_i over all V·B anchors. An anchor with no positive (V = 1
    and a label nobody else has) contributes 0 and still counts in the mean, as in the authors'
    code. Each anchor's own column is found by its global row (`global_offset` + local row),
    never by replica id × local batch, so uneven per-replica batches give the one-device value.

    Args:
      features: [b, V, D] projections, V views per sample (L2-normalised here).
      labels: [b] class labels of any dtype comparable with `==`, or None: each sample is its own
        class (SimCLR; with V = 2 and `base_temperature` = `temperature` this is `nt_xent`).
      temperature: softmax temperature T.
      base_temperature: T_base of the loss scale T / T_base.

    Returns:
      Scalar mean over the V·B anchors of the global batch, the same on every replica.
    """
    features = tf.math.l2_normalize(at_least_float32(features), axis=-1)  # [b, V, D]
    temperature = tf.cast(temperature, features.dtype)
    base_temperature = tf.cast(base_temperature, features.dtype)
    local_batch = tf.shape(features)[0]
    num_views = tf.shape(features)[1]
    dim = tf.shape(features)[2]
    positions = distributed.global_offset(local_batch) + tf.range(local_batch)  # [b]
    if labels is None:
        labels = positions  # every sample its own class
    labels = tf.stop_gradient(tf.reshape(tf.convert_to_tensor(labels), [-1]))  # [b]

    all_features = distributed.all_gather(features)  # [B, V, D]
    all_labels = distributed.all_gather(labels)  # [B]
    global_batch = tf.shape(all_features)[0]

    # View-major rows: row v·B + j is view v of global sample j; anchors likewise, local rows.
    contrast = tf.reshape(tf.transpose(all_features, [1, 0, 2]), [-1, dim])  # [V·B, D]
    contrast_labels = tf.tile(all_labels, [num_views])  # [V·B]
    anchors = tf.reshape(tf.transpose(features, [1, 0, 2]), [-1, dim])  # [V·b, D]
    anchor_labels = tf.tile(labels, [num_views])  # [V·b]
    anchor_columns = tf.reshape(
        tf.range(num_views)[:, None] * global_batch + positions[None, :], [-1]
    )  # [V·b]: each anchor's own column in `contrast`

    is_self = tf.cast(tf.one_hot(anchor_columns, num_views * global_batch), tf.bool)  # [V·b, V·B]
    logits = tf.matmul(anchors, contrast, transpose_b=True) / temperature  # [V·b, V·B]
    logits = tf.where(is_self, tf.constant(_SELF_LOGIT, logits.dtype), logits)
    log_prob = logits - tf.reduce_logsumexp(logits, axis=1, keepdims=True)

    positive = tf.logical_and(
        tf.equal(anchor_labels[:, None], contrast_labels[None, :]), tf.logical_not(is_self)
    )  # [V·b, V·B]
    num_positives = tf.reduce_sum(tf.cast(positive, log_prob.dtype), axis=1)  # [V·b]
    positive_sum = tf.reduce_sum(tf.where(positive, log_prob, tf.zeros_like(log_prob)), axis=1)
    mean_log_prob = positive_sum / tf.maximum(num_positives, 1.0)
    anchor_losses = -(temperature / base_temperature) * mean_log_prob  # [V·b]
    return distributed.global_mean(anchor_losses)
