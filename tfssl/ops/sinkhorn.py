"""SwAV's Sinkhorn-Knopp: soft cluster codes with equal use of every prototype over the global
batch, computed with only K-vector row sums and scalars crossing replicas."""

import tensorflow as tf

from tfssl.ops import distributed


def sinkhorn(scores, epsilon=0.05, iterations=3):
    """Codes [b, K] from prototype scores [b, K]: Sinkhorn-Knopp on Q = exp(scores/ε)ᵀ.

    Q is scaled to sum to 1, then `iterations` times its rows (prototypes) are normalised to
    1/K and its columns (samples) to 1/B over the global batch of B samples; B·Q, whose rows
    sum to 1, is returned transposed. Row sums are all-reduced across replicas; columns are
    local, so the score matrix itself never leaves its replica. No gradient.

    Args:
      scores: [b, K] per-replica scores (float64 stays float64, anything else runs in float32).
      epsilon: entropy regularisation; smaller gives sharper codes.
      iterations: number of (row, column) normalisation rounds.
    """
    scores = tf.stop_gradient(tf.convert_to_tensor(scores))
    dtype = tf.float64 if scores.dtype == tf.float64 else tf.float32
    scores = tf.cast(scores, dtype)
    # A per-prototype shift is a row factor of Q, which the first row normalisation cancels
    # exactly; taking the max over the global batch keeps exp() from overflowing.
    shift = distributed.all_reduce_max(tf.reduce_max(scores, axis=0))  # [K]
    q = tf.transpose(tf.exp((scores - shift) / epsilon))  # [K, b]
    num_prototypes = tf.cast(tf.shape(q)[0], dtype)
    batch = tf.cast(distributed.global_batch_size(tf.shape(q)[1]), dtype)
    q /= distributed.all_reduce_sum(tf.reduce_sum(q))
    for _ in range(iterations):
        q /= distributed.all_reduce_sum(tf.reduce_sum(q, axis=1, keepdims=True))  # rows: [K, 1]
        q /= num_prototypes
        q /= tf.reduce_sum(q, axis=0, keepdims=True)  # columns: [1, b], local to the replica
        q /= batch
    return tf.transpose(q * batch)  # [b, K]
