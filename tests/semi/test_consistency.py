"""The consistency methods' pure functions against hand values (reference §7) and the replica
rule."""

import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl import semi


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_sharpen_hand_values():
    p = np.array([[0.6, 0.3, 0.1]], np.float32)
    np.testing.assert_allclose(semi.sharpen(p, 0.5), [[0.782609, 0.195652, 0.021739]], atol=1e-6)
    np.testing.assert_allclose(semi.sharpen(p, 1.0), p, atol=1e-7)
    # A tiny temperature gives one-hot rather than 0/0 (the row is scaled by its max first).
    np.testing.assert_allclose(semi.sharpen(p, 0.001), [[1.0, 0.0, 0.0]], atol=1e-7)


def test_sharpen_of_mean_of_views_inside_tf_function():
    """MixMatch's guess: two views [.7,.2,.1] and [.5,.4,.1] average to [.6,.3,.1]."""
    views = tf.constant([[[0.7, 0.2, 0.1]], [[0.5, 0.4, 0.1]]])  # [K=2, b=1, C=3]
    guess = tf.function(lambda v: semi.sharpen(tf.reduce_mean(v, axis=0), 0.5))(views)
    np.testing.assert_allclose(guess, [[0.782609, 0.195652, 0.021739]], atol=1e-6)


def test_mixup_uses_the_larger_coefficient_per_row():
    rng = np.random.default_rng(0)
    x_a, x_b = rng.normal(size=(2, 2, 3, 3, 2)).astype(np.float32)  # [B=2, H, W, C] each
    y_a = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    y_b = np.array([[0.0, 1.0], [0.0, 1.0]], np.float32)
    x, y = semi.mixup(x_a, y_a, x_b, y_b, np.array([0.3, 0.8], np.float32))
    weight = np.array([0.7, 0.8], np.float32)  # λ′ = max(λ, 1 − λ)
    np.testing.assert_allclose(
        x, weight[:, None, None, None] * x_a + (1 - weight[:, None, None, None]) * x_b, atol=1e-6
    )
    np.testing.assert_allclose(y, [[0.7, 0.3], [0.0, 1.0]], atol=1e-6)

    x, y = semi.mixup(x_a, y_a, x_b, y_b, 0.3)  # one scalar λ for the batch
    np.testing.assert_allclose(x, 0.7 * x_a + 0.3 * x_b, atol=1e-6)
    np.testing.assert_allclose(y, [[0.7, 0.3], [0.0, 1.0]], atol=1e-6)


def test_entropy_of_uniform_logits_is_log_classes_with_zero_gradient():
    logits = tf.zeros([3, 10])
    with tf.GradientTape() as tape:
        tape.watch(logits)
        value = semi.mean_entropy(logits)
    assert float(value) == pytest.approx(np.log(10.0), abs=1e-6)  # 2.302585
    np.testing.assert_allclose(tape.gradient(value, logits), np.zeros([3, 10]), atol=1e-7)


def test_entropy_per_row_against_numpy():
    logits = np.array([[2.0, 0.0, -1.0], [30.0, 0.0, 0.0]], np.float32)
    p = _softmax(logits.astype(np.float64))
    expected = -np.sum(p * np.log(p), axis=-1)  # the confident row is ~0
    np.testing.assert_allclose(semi.entropy(logits), expected, atol=1e-6)
    assert semi.entropy(tf.constant(logits, tf.float16)).dtype == tf.float32


def test_softmax_mse_hand_value_and_constant_target():
    logits = tf.math.log(tf.constant([[0.5, 0.25, 0.25], [0.2, 0.2, 0.6]]))
    target = tf.constant([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8]])
    with tf.GradientTape() as tape:
        tape.watch(target)
        value = semi.softmax_mse(logits, target)
    # Rows: (0 + .0625 + .0625)/3 and (.04 + 0 + .04)/3; mean of the two.
    assert float(value) == pytest.approx((0.125 / 3 + 0.08 / 3) / 2, rel=1e-5)  # 0.0341667
    assert tape.gradient(value, target) is None


def test_kl_divergence_directions():
    p = np.log([[0.7, 0.2, 0.1]])
    q = np.log([[0.4, 0.4, 0.2]])
    np.testing.assert_allclose(semi.kl_divergence(p, q), [0.183787], atol=1e-6)
    np.testing.assert_allclose(semi.kl_divergence(q, p), [0.192042], atol=1e-6)


# Reference §7.8: weak probabilities, τ = 0.95, strong logits.
WEAK = np.array([[0.96, 0.04], [0.94, 0.06], [0.10, 0.90], [0.02, 0.98]], np.float32)
STRONG = np.log(np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8], [0.25, 0.75]], np.float32))


def test_fixmatch_mask_and_loss_hand_values():
    labels, mask = semi.confident_pseudo_labels(np.log(WEAK), 0.95)
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])
    np.testing.assert_array_equal(mask, [1.0, 0.0, 0.0, 1.0])
    assert labels.dtype == tf.int32
    loss, rate = semi.masked_cross_entropy(labels, STRONG, mask)
    # Mean over all 4 rows, not over the 2 kept ones (which would give 0.490415).
    assert float(loss) == pytest.approx((np.log(2.0) + np.log(4.0 / 3.0)) / 4, rel=1e-5)
    assert float(rate) == pytest.approx(0.5)


def test_pseudo_label_threshold_edges():
    logits = np.array([[0.0, 0.0], [3.0, 0.0]], np.float32)  # max probs 0.5 (exact), 0.9526
    _, at_least = semi.confident_pseudo_labels(logits, 0.5)
    _, strictly = semi.confident_pseudo_labels(logits, 0.5, strict=True)
    np.testing.assert_array_equal(at_least, [1.0, 1.0])
    np.testing.assert_array_equal(strictly, [0.0, 1.0])
    np.testing.assert_array_equal(semi.confident_pseudo_labels(logits, 0.0)[1], [1.0, 1.0])
    np.testing.assert_array_equal(semi.confident_pseudo_labels(logits, 1.01)[1], [0.0, 0.0])


def test_pseudo_labels_have_no_gradient():
    logits = tf.constant(np.log(WEAK))
    with tf.GradientTape() as tape:
        tape.watch(logits)
        _, mask = semi.confident_pseudo_labels(logits, 0.95)
        total = tf.reduce_sum(mask)
    assert tape.gradient(total, logits) is None


def test_soft_cross_entropy_against_numpy():
    targets = np.array([[0.7, 0.3, 0.0], [0.1, 0.1, 0.8]], np.float32)
    logits = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 2.0]], np.float32)
    expected = np.mean(-np.sum(targets * np.log(_softmax(logits.astype(np.float64))), axis=-1))
    value = tf.function(semi.soft_cross_entropy)(targets, tf.constant(logits, tf.float16))
    assert float(value) == pytest.approx(expected, rel=1e-3)  # float16 logits, float32 maths
    assert float(semi.soft_cross_entropy(targets, logits)) == pytest.approx(expected, rel=1e-6)


def test_means_follow_the_replica_rule(two_replicas):
    """Replica 0 keeps 3 of its 4 rows, replica 1 keeps 1: every mean is the global one."""
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(8, 5)).astype(np.float32)
    targets = _softmax(rng.normal(size=(8, 5))).astype(np.float32)
    labels = rng.integers(0, 5, size=8).astype(np.int32)
    mask = np.array([1, 1, 1, 0, 0, 0, 1, 0], np.float32)

    def terms(logits, targets, labels, mask):
        return (
            semi.mean_entropy(logits),
            semi.softmax_mse(logits, targets),
            semi.soft_cross_entropy(targets, logits),
            *semi.masked_cross_entropy(labels, logits, mask),
        )

    one_device = [float(v) for v in terms(logits, targets, labels, mask)]
    for replica in run_on_replicas(two_replicas, terms, logits, targets, labels, mask):
        np.testing.assert_allclose(replica, one_device, rtol=1e-6)
    ce = -np.log(_softmax(logits.astype(np.float64)))[np.arange(8), labels]
    assert one_device[3] == pytest.approx(np.sum(mask * ce) / 8, rel=1e-5)
    assert one_device[4] == pytest.approx(0.5)
