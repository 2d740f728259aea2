"""The pure loss terms and target transforms of the consistency-based semi-supervised methods
(EntMin, Π-model, Mean Teacher, VAT, MixMatch); the hard pseudo-label terms of Pseudo-Label and
FixMatch live with the other cross-entropies in `tfssl.losses.classification`.

Every function computes in float32 at least (mixed-precision logits are upcast) and every mean
runs over the rows of the global batch (`distributed.global_mean`), so inside `strategy.run`
each replica returns what one device returns for the whole batch.
"""

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.ops import distributed


def sharpen(p, temperature):
    """MixMatch's Sharpen: row-wise p_i^(1/T) / Σ_j p_j^(1/T).

    Each row is divided by its largest entry first, which leaves the result unchanged but keeps
    the powers of small temperatures from underflowing to an all-zero row.

    Args:
      p: [b, C] probabilities.
      temperature: T > 0; T = 1 is the identity, T → 0 tends to one-hot.
    """
    p = at_least_float32(p)
    scaled = p / tf.reduce_max(p, axis=-1, keepdims=True)
    powered = tf.pow(scaled, tf.cast(1.0 / temperature, p.dtype))
    return powered / tf.reduce_sum(powered, axis=-1, keepdims=True)


def _per_row(values, rank):
    """A [B] (or scalar) tensor reshaped to [B, 1, ..., 1] of `rank` axes, to scale rows."""
    if values.shape.rank == 0:
        return values
    return tf.reshape(values, [-1] + [1] * (rank - 1))


def mixup(x_a, y_a, x_b, y_b, lam):
    """MixMatch's MixUp with λ′ = max(λ, 1 − λ), so each mixed row stays closer to its `a` side.

    Args:
      x_a, x_b: [B, ...] inputs of any rank.
      y_a, y_b: [B, C] targets.
      lam: [B] per-row or scalar mixing coefficients λ.

    Returns:
      (λ′·x_a + (1 − λ′)·x_b, λ′·y_a + (1 − λ′)·y_b).
    """
    x_a, y_a, x_b, y_b = (at_least_float32(t) for t in (x_a, y_a, x_b, y_b))
    lam = tf.cast(lam, x_a.dtype)
    lam = tf.maximum(lam, 1.0 - lam)

    def mix(a, b):
        weight = tf.cast(_per_row(lam, a.shape.rank), a.dtype)  # [B, 1, ..., 1] or scalar
        return weight * a + (1.0 - weight) * b

    return mix(x_a, x_b), mix(y_a, y_b)


def entropy(logits):
    """Per-row entropy −Σ_k p_k log p_k of softmax(logits), [b]."""
    logits = at_least_float32(logits)
    log_p = tf.nn.log_softmax(logits, axis=-1)
    return -tf.reduce_sum(tf.exp(log_p) * log_p, axis=-1)


def mean_entropy(logits):
    """Entropy minimisation's term: the global-batch mean of `entropy(logits)`."""
    return distributed.global_mean(entropy(logits))


def softmax_mse(logits, target_probs):
    """Π-model / Mean-Teacher consistency: (softmax(logits) − target)² averaged over classes and
    over the rows of the global batch. The target is a constant (stop_gradient)."""
    probs = tf.nn.softmax(at_least_float32(logits), axis=-1)
    target = tf.stop_gradient(tf.cast(target_probs, probs.dtype))
    return distributed.global_mean(tf.reduce_mean(tf.square(probs - target), axis=-1))


def kl_divergence(p_logits, q_logits):
    """Per-row KL(softmax(p_logits) ‖ softmax(q_logits)), [b]; gradients reach both sides."""
    log_p = tf.nn.log_softmax(at_least_float32(p_logits), axis=-1)
    log_q = tf.nn.log_softmax(at_least_float32(q_logits), axis=-1)
    return tf.reduce_sum(tf.exp(log_p) * (log_p - log_q), axis=-1)


def soft_cross_entropy(targets, logits):
    """Global-batch mean of −Σ_k targets_k·log softmax(logits)_k (MixMatch's L_X); the targets
    are constants (stop_gradient)."""
    log_probs = tf.nn.log_softmax(at_least_float32(logits), axis=-1)
    targets = tf.stop_gradient(tf.cast(targets, log_probs.dtype))
    return distributed.global_mean(-tf.reduce_sum(targets * log_probs, axis=-1))
