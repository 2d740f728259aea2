import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl import losses


def barlow_twins_reference(z_a, z_b, lambd):
    """The Barlow Twins loss written out element by element, in float64."""

    def standardise(z):
        z = z.astype(np.float64)
        return (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-5)

    a, b = standardise(z_a), standardise(z_b)
    n, d = a.shape
    total = 0.0
    for i in range(d):
        for j in range(d):
            c_ij = sum(a[k, i] * b[k, j] for k in range(n)) / n
            total += (1.0 - c_ij) ** 2 if i == j else lambd * c_ij**2
    return total


def test_barlow_twins_hand_computed_identical_views():
    # Two samples, two features: z = [[1, 3], [-1, 5]] standardises to [[1, -1], [-1, 1]]
    # (up to eps), so C = [[1, -1], [-1, 1]]: the diagonal is ~0 loss, each off-diagonal 1.
    z = np.array([[1.0, 3.0], [-1.0, 5.0]], np.float32)
    c_diag = 1.0 / (1.0 + 1e-5)  # variance 1 for both features, standardised by sqrt(1 + eps)
    expected = 2 * (1 - c_diag) ** 2 + 0.5 * 2 * c_diag**2
    assert float(losses.barlow_twins(z, z, lambd=0.5)) == pytest.approx(expected, rel=1e-5)


def test_barlow_twins_matches_numpy():
    rng = np.random.default_rng(0)
    z_a, z_b = rng.normal(size=(2, 12, 6)).astype(np.float32)
    for lambd in (5e-3, 0.1):
        expected = barlow_twins_reference(z_a, z_b, lambd)
        actual = float(tf.function(losses.barlow_twins)(z_a, z_b, lambd))
        assert actual == pytest.approx(expected, rel=1e-5)


def test_barlow_twins_replica_rule(two_replicas):
    """Two replicas give the one-device loss on the global batch, and each replica's gradient of
    loss / R is its rows of the one-device gradient (statistics and C are all-reduced)."""
    rng = np.random.default_rng(1)
    z_a, z_b = rng.normal(size=(2, 8, 5)).astype(np.float32) * [1.0, 2.0, 0.5, 3.0, 1.0] + 0.3

    def value_and_grad(a, b):
        with tf.GradientTape() as tape:
            tape.watch(a)
            loss = losses.barlow_twins(a, b)
            scaled = loss / tf.distribute.get_replica_context().num_replicas_in_sync
        return loss, tape.gradient(scaled, a)

    one_loss, one_grad = value_and_grad(tf.constant(z_a), tf.constant(z_b))
    assert float(one_loss) == pytest.approx(barlow_twins_reference(z_a, z_b, 5e-3), rel=1e-5)
    per_replica = run_on_replicas(two_replicas, value_and_grad, z_a, z_b)
    assert len(per_replica) == 2
    for loss, _ in per_replica:
        assert float(loss) == pytest.approx(float(one_loss), rel=1e-5)
    np.testing.assert_allclose(
        np.concatenate([grad for _, grad in per_replica]), one_grad, rtol=1e-4, atol=1e-6
    )
