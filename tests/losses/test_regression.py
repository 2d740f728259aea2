import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl import losses


def _cosines(p, z):
    p = p.astype(np.float64) / np.linalg.norm(p, axis=1, keepdims=True)
    z = z.astype(np.float64) / np.linalg.norm(z, axis=1, keepdims=True)
    return np.sum(p * z, axis=1)


def test_negative_cosine_hand_computed():
    # cos = 1 (same direction), 0 (orthogonal), −1/√2 (135°): mean (1 + 0 − 0.7071)/3.
    p = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]], np.float32)
    z = np.array([[1.0, 0.0], [3.0, 0.0], [-1.0, 1.0]], np.float32)
    expected = -(1.0 + 0.0 - 1.0 / np.sqrt(2.0)) / 3.0
    assert float(losses.negative_cosine(p, z)) == pytest.approx(expected, rel=1e-6)
    assert float(losses.byol_regression(p, z)) == pytest.approx(2.0 + 2.0 * expected, rel=1e-6)


def test_regression_losses_match_numpy_in_tf_function():
    rng = np.random.default_rng(0)
    p, z = rng.normal(size=(2, 10, 6)).astype(np.float32)
    cosines = _cosines(p, z)
    negative = float(tf.function(losses.negative_cosine)(p, z))
    assert negative == pytest.approx(-cosines.mean(), rel=1e-5)
    assert float(tf.function(losses.byol_regression)(p, z)) == pytest.approx(
        np.mean(2.0 - 2.0 * cosines), rel=1e-5
    )


def test_no_gradient_flows_into_the_target():
    p, z = tf.constant([[1.0, 2.0]]), tf.constant([[2.0, -1.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([p, z])
        loss = losses.negative_cosine(p, z) + losses.byol_regression(p, z)
    assert tape.gradient(loss, z) is None
    assert np.abs(tape.gradient(loss, p).numpy()).sum() > 0


@pytest.mark.parametrize("name", ["negative_cosine", "byol_regression"])
def test_regression_replica_rule(two_replicas, name):
    """Per-sample means all-reduce their sums and counts: each replica returns the global mean,
    and its gradient of loss / R is its rows of the one-device gradient."""
    loss_fn = getattr(losses, name)
    rng = np.random.default_rng(1)
    p, z = rng.normal(size=(2, 8, 5)).astype(np.float32)

    def value_and_grad(a, b):
        with tf.GradientTape() as tape:
            tape.watch(a)
            loss = loss_fn(a, b)
            scaled = loss / tf.distribute.get_replica_context().num_replicas_in_sync
        return loss, tape.gradient(scaled, a)

    one_loss, one_grad = value_and_grad(tf.constant(p), tf.constant(z))
    per_replica = run_on_replicas(two_replicas, value_and_grad, p, z)
    assert len(per_replica) == 2
    for loss, _ in per_replica:
        assert float(loss) == pytest.approx(float(one_loss), rel=1e-6)
    np.testing.assert_allclose(
        np.concatenate([grad for _, grad in per_replica]), one_grad, rtol=1e-5, atol=1e-7
    )
