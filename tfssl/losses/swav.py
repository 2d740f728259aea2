"""SwAV's swapped prediction (Caron et al., 2020): the codes of each high-resolution crop are
predicted from every other crop's prototype scores."""

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.ops import distributed
from tfssl.ops.sinkhorn import sinkhorn


def swav_codes(scores, queue_scores=None, epsilon=0.05, iterations=3):
    """Sinkhorn codes [b, K] of one crop's scores, computed on batch + queue when a queue is given.

    `queue_scores` ([q, K] per replica; the replicas' slices together form the global queue)
    only enlarges the set Sinkhorn equipartitions over: its codes are dropped.
    """
    if queue_scores is None:
        return sinkhorn(scores, epsilon, iterations)
    batch = tf.shape(scores)[0]
    queue_scores = tf.cast(queue_scores, scores.dtype)
    return sinkhorn(tf.concat([scores, queue_scores], axis=0), epsilon, iterations)[:batch]


def swapped_prediction(codes, high_res_scores, low_res_scores, temperature=0.1):
    """Mean over high-res crops i of Σ_{v≠i} mean_b CE(codes_i, softmax(scores_v/T)) / (V − 1),
    the means taken over the global batch."""
    scores = [at_least_float32(s) for s in list(high_res_scores) + list(low_res_scores)]
    log_probs = [tf.nn.log_softmax(s / temperature, axis=-1) for s in scores]
    local_sum = 0.0
    for i, q in enumerate(codes):
        q = tf.cast(q, scores[0].dtype)
        for v, log_p in enumerate(log_probs):
            if v != i:
                local_sum += -tf.reduce_sum(q * log_p)  # summed over the b local samples
    count = tf.cast(distributed.global_batch_size(tf.shape(scores[0])[0]), scores[0].dtype)
    pairs = float(len(codes) * (len(scores) - 1))
    return distributed.all_reduce_sum(local_sum) / (count * pairs)


def swav(
    high_res_scores,
    low_res_scores,
    temperature=0.1,
    epsilon=0.05,
    sinkhorn_iterations=3,
    queue_scores=None,
):
    """SwAV loss on lists of [b, K] prototype scores, one per crop (see the public contract).

    Returns the global-batch loss on every replica: codes come from Sinkhorn over the global
    batch (and queue) and the cross-entropies are averaged over the global batch.

    Args:
      high_res_scores: scores of the crops codes are computed for (SwAV: the 2 global crops).
      low_res_scores: scores of the other crops (may be empty).
      queue_scores: None, or one [q, K] tensor per high-res crop: past crops scored by the
        current prototypes, appended before Sinkhorn and dropped after.
    """
    high_res_scores = [at_least_float32(s) for s in high_res_scores]
    queues = queue_scores if queue_scores is not None else [None] * len(high_res_scores)
    codes = [
        swav_codes(s, queue, epsilon, sinkhorn_iterations)
        for s, queue in zip(high_res_scores, queues)
    ]
    return swapped_prediction(codes, high_res_scores, low_res_scores, temperature)
