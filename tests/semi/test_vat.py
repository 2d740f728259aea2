"""VAT's adversarial direction against the closed-form Hessian of a linear-softmax model, its
loss direction against the KL oracle (reference §7.6), and the replica rule."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl import semi
from tfssl.models import layers

W = np.random.default_rng(0).normal(size=(6, 4))  # [D, C]
X = np.random.default_rng(1).normal(size=(5, 6))  # [B, D]


def _linear_logits(dtype=tf.float32):
    """logits = x W for x [b, ...] flattened to [b, D]; W a constant."""
    kernel = tf.constant(W, dtype)
    return lambda x: tf.matmul(tf.reshape(x, [tf.shape(x)[0], -1]), kernel)


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _hessians():
    """Per sample, the Hessian of KL(p(x) ‖ p(x + r)) at r = 0: W (diag p − p pᵀ) Wᵀ, [B, D, D]."""
    p = _softmax(X @ W)  # [B, C]
    covariance = np.stack([np.diag(row) - np.outer(row, row) for row in p])  # [B, C, C]
    return np.einsum("dc,bce,fe->bdf", W, covariance, W)


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_power_iterations_reach_the_top_eigenvector():
    """ξ = 1e-3 rather than 1e-6: in float32 the KL gradient at ξ = 1e-6 carries ~3% rounding
    noise (p(x + ξd) − p(x) is ~1e-6 against probabilities of ~0.25 with eps 6e-8), while the
    O(ξ) bias at 1e-3 is far below the tolerance."""
    eigenvalues, eigenvectors = np.linalg.eigh(_hessians())  # ascending
    assert np.all(eigenvalues[:, -2] < 0.8 * eigenvalues[:, -1])  # a gap that 30 steps close
    d = semi.vat_direction(_linear_logits(), X.astype(np.float32), xi=1e-3, iterations=30)
    cosines = np.abs(np.sum(d.numpy() * eigenvectors[:, :, -1], axis=-1))
    assert np.all(cosines > 1 - 1e-4)


@pytest.mark.parametrize("dtype, xi, atol", [(tf.float32, 1e-3, 1e-3), (tf.float64, 1e-6, 1e-6)])
def test_one_iteration_is_the_normalised_hessian_times_the_start(dtype, xi, atol):
    x = tf.constant(X, dtype)
    d0 = semi.random_unit_directions(x.shape, 7, dtype).numpy()
    np.testing.assert_allclose(np.linalg.norm(d0, axis=-1), np.ones(5), atol=1e-6)
    expected = _unit(np.einsum("bdf,bf->bd", _hessians(), d0))
    d = semi.vat_direction(_linear_logits(dtype), x, xi=xi, iterations=1, seed=7)
    np.testing.assert_allclose(d, expected, atol=atol)


def test_unit_norm_over_image_axes_and_no_gradient():
    x = tf.constant(
        np.random.default_rng(2).normal(size=(5, 1, 3, 2)), tf.float32
    )  # [B, H, W, C], D = 6
    with tf.GradientTape() as tape:
        tape.watch(x)
        d = semi.vat_direction(_linear_logits(), x, seed=1)
    assert d.shape == x.shape
    np.testing.assert_allclose(np.sqrt(np.sum(d.numpy() ** 2, axis=(1, 2, 3))), 1.0, atol=1e-6)
    assert tape.gradient(d, x) is None


def test_seeds_draw_fresh_directions():
    shape = [4, 3, 2]
    same = semi.random_unit_directions(shape, tf.constant(5, tf.int64))
    np.testing.assert_array_equal(same, semi.random_unit_directions(shape, 5))
    assert np.max(np.abs(same - semi.random_unit_directions(shape, 6))) > 0.1
    assert np.max(np.abs(same[0] - same[1])) > 0.1  # rows draw different directions


def test_vat_loss_is_kl_clean_to_adversarial():
    """With adversarial logits fixed at log[.4,.4,.2] and clean log[.7,.2,.1], the loss is
    KL(p_clean ‖ p_adv) = 0.183787 (the reverse would be 0.192042)."""
    adversarial = tf.math.log([[0.4, 0.4, 0.2]])

    def logits_fn(v):
        return tf.tile(adversarial, [tf.shape(v)[0], 1]) + 0.0 * tf.reduce_sum(v)

    clean = np.log([[0.7, 0.2, 0.1]] * 2).astype(np.float32)
    loss = semi.vat_loss(logits_fn, tf.zeros([2, 3]), clean, epsilon=1.0)
    assert float(loss) == pytest.approx(0.183787, abs=1e-6)


def test_vat_loss_on_a_linear_model_against_numpy():
    x = X.astype(np.float32)
    epsilon = 0.5
    clean = x @ W.astype(np.float32)
    loss = tf.function(lambda v, c: semi.vat_loss(_linear_logits(), v, c, epsilon, seed=2))(
        x, clean
    )
    d = semi.vat_direction(_linear_logits(), x, seed=2).numpy()
    p_clean = _softmax(clean.astype(np.float64))
    p_adv = _softmax((x + epsilon * d).astype(np.float64) @ W)
    expected = np.mean(np.sum(p_clean * np.log(p_clean / p_adv), axis=-1))
    assert float(loss) == pytest.approx(expected, rel=1e-4)


def test_vat_leaves_batch_norm_statistics_alone():
    model = keras.Sequential([keras.Input([6]), layers.BatchNormalization(), keras.layers.Dense(4)])
    semi.vat_loss(
        lambda v: model(v, training=True),
        X.astype(np.float32),
        np.zeros([5, 4], np.float32),
        epsilon=1.0,
    )
    np.testing.assert_array_equal(model.layers[0].moving_mean.numpy(), np.zeros(6))


def test_replica_rule(two_replicas):
    """In float64: in float32, the one-device and per-replica matmuls round differently, and d
    amplifies the difference by 1/ξ (see `test_power_iterations_reach_the_top_eigenvector`)."""
    x = np.random.default_rng(1).normal(size=(8, 2, 3))  # [B, H, W], D = 6
    clean = x.reshape(8, 6) @ W

    def direction_and_loss(v, c):
        return (
            semi.vat_direction(_linear_logits(tf.float64), v, seed=4),
            semi.vat_loss(_linear_logits(tf.float64), v, c, 2.0, seed=4),
        )

    direction, loss = direction_and_loss(tf.constant(x), tf.constant(clean))
    per_replica = run_on_replicas(two_replicas, direction_and_loss, x, clean)
    np.testing.assert_allclose(np.concatenate([d for d, _ in per_replica]), direction, atol=1e-9)
    for _, replica_loss in per_replica:
        assert float(replica_loss) == pytest.approx(float(loss), rel=1e-9)


def test_replica_rule_through_synchronized_batch_norm(two_replicas):
    """Rows couple through the batch statistics: the all-reduce's gradient makes each replica's
    local KL sum act as the global one, so d still equals the one-device direction."""
    x = np.random.default_rng(3).normal(size=(8, 6))
    with two_replicas.scope():
        model = keras.Sequential(
            [
                keras.Input([6], dtype="float64"),
                layers.BatchNormalization(synchronized=True, dtype="float64"),
                keras.layers.Dense(4, dtype="float64"),
            ]
        )

    def direction(v):
        return semi.vat_direction(lambda u: model(u, training=True), v, seed=5)

    per_replica = np.concatenate(run_on_replicas(two_replicas, direction, x))
    np.testing.assert_allclose(per_replica, direction(tf.constant(x)), atol=1e-7)
    np.testing.assert_array_equal(model.layers[0].moving_mean.numpy(), np.zeros(6))
