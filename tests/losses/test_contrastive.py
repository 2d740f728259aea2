import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl import losses


def nt_xent_reference(z_a, z_b, temperature):
    """NT-Xent written out anchor by anchor, in float64."""
    z = np.concatenate([z_a, z_b]).astype(np.float64)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    n = len(z_a)
    logits = z @ z.T / temperature
    total = 0.0
    for i in range(2 * n):
        positive = (i + n) % (2 * n)
        others = np.delete(logits[i], i)
        total += -logits[i, positive] + np.log(np.sum(np.exp(others)))
    return total / (2 * n)


def test_nt_xent_matches_numpy():
    rng = np.random.default_rng(0)
    z_a, z_b = rng.normal(size=(2, 8, 5)).astype(np.float32)
    for temperature in (0.1, 0.5):
        expected = nt_xent_reference(z_a, z_b, temperature)
        assert float(losses.nt_xent(z_a, z_b, temperature)) == pytest.approx(expected, rel=1e-5)


def test_nt_xent_hand_computed_two_samples():
    # Orthogonal unit vectors: every off-positive similarity is 0, positives are 1.
    z_a = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], np.float32)
    z_b = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], np.float32)
    t = 0.5
    # Each anchor: positive logit 1/t among 3 candidates (positive, and two at 0).
    expected = -np.log(np.exp(1 / t) / (np.exp(1 / t) + 2.0))
    assert float(losses.nt_xent(z_a, z_b, t)) == pytest.approx(expected, rel=1e-6)


def test_nt_xent_inside_tf_function_and_accuracy():
    z = np.eye(4, dtype=np.float32)
    loss, accuracy = tf.function(losses.nt_xent_with_accuracy)(z, z, 0.1)
    assert float(accuracy) == 1.0
    assert float(loss) == pytest.approx(nt_xent_reference(z, z, 0.1), abs=1e-6)


def test_nt_xent_replica_rule(two_replicas):
    rng = np.random.default_rng(1)
    z_a, z_b = rng.normal(size=(2, 12, 6)).astype(np.float32)
    one_device = float(losses.nt_xent(z_a, z_b, 0.2))
    per_replica = run_on_replicas(two_replicas, lambda a, b: losses.nt_xent(a, b, 0.2), z_a, z_b)
    assert len(per_replica) == 2
    for value in per_replica:
        assert float(value) == pytest.approx(one_device, rel=1e-6)
    assert one_device == pytest.approx(nt_xent_reference(z_a, z_b, 0.2), rel=1e-5)


def test_nt_xent_gradient_replica_rule(two_replicas):
    """Summed per-replica gradients of loss / R equal the one-device gradient (loss-scaling rule)."""
    rng = np.random.default_rng(2)
    z_a, z_b = rng.normal(size=(2, 8, 4)).astype(np.float32)

    def grad_fn(a, b):
        with tf.GradientTape() as tape:
            tape.watch(a)
            loss = (
                losses.nt_xent(a, b, 0.5) / tf.distribute.get_replica_context().num_replicas_in_sync
            )
        return tape.gradient(loss, a)

    expected = grad_fn(tf.constant(z_a), tf.constant(z_b))
    per_replica = run_on_replicas(two_replicas, grad_fn, z_a, z_b)
    np.testing.assert_allclose(np.concatenate(per_replica), expected, rtol=1e-5, atol=1e-7)
