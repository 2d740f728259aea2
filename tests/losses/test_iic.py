import numpy as np
import pytest
import tensorflow as tf
from scipy.stats import entropy

from tests.replicas import split_rows
from tfssl import losses
from tfssl.losses.iic import IIC_EPSILON

UNEVEN_ROWS = (5, 3)  # replica 0 holds global rows 0..4, replica 1 rows 5..7


def _probabilities(batch, k, seed):
    logits = np.random.default_rng(seed).normal(size=(batch, k)) * 2.0
    return tf.nn.softmax(logits).numpy().astype(np.float32)


def mutual_information_scipy(p_a, p_b):
    """I = H(P_i) + H(P_j) − H(P) of the symmetrised joint, entropies by scipy (nats)."""
    joint = np.asarray(p_a, np.float64).T @ np.asarray(p_b, np.float64) / len(p_a)
    joint = (joint + joint.T) / 2.0
    return entropy(joint.sum(axis=1)) + entropy(joint.sum(axis=0)) - entropy(joint.ravel())


def test_iic_matches_scipy_entropies():
    p_a, p_b = _probabilities(16, 5, seed=0), _probabilities(16, 5, seed=1)
    expected = -mutual_information_scipy(p_a, p_b)
    assert expected < -1e-3  # a non-trivial joint
    assert float(losses.iic(p_a, p_b)) == pytest.approx(expected, rel=1e-5)
    # The joint is symmetrised, so the views are interchangeable.
    assert float(losses.iic(p_b, p_a)) == pytest.approx(expected, rel=1e-5)


def test_iic_perfect_paired_one_hot_balanced_clusters_gives_minus_log_k():
    k = 4
    one_hot = np.eye(k, dtype=np.float32)[np.arange(12) % k]
    loss = tf.function(losses.iic)(one_hot, one_hot)
    # Off-diagonal zeros are clipped at IIC_EPSILON and add about 12·ε·36 ≈ 1e-13.
    assert IIC_EPSILON == pytest.approx(2.220446049250313e-16)
    assert float(loss) == pytest.approx(-np.log(k), abs=1e-6)  # −1.3863


def test_iic_identical_uniform_predictions_give_zero():
    uniform = np.full([10, 6], 1.0 / 6.0, np.float32)
    assert float(losses.iic(uniform, uniform)) == pytest.approx(0.0, abs=1e-6)


def test_iic_one_hot_gradient_is_finite():
    logits = tf.constant(np.random.default_rng(2).normal(size=(8, 3)) * 50.0, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        p = tf.nn.softmax(logits)  # nearly one-hot: many joint entries below ε
        loss = losses.iic(p, p)
    gradient = tape.gradient(loss, logits).numpy()
    assert np.isfinite(float(loss)) and np.all(np.isfinite(gradient))


def test_iic_two_replicas_equal_one_device(two_replicas):
    """The joint is the global batch's (5 + 3 rows), not a per-replica one."""
    p_a, p_b = _probabilities(8, 4, seed=3), _probabilities(8, 4, seed=4)
    expected = float(losses.iic(p_a, p_b))
    outputs = two_replicas.run(
        tf.function(losses.iic), args=tuple(split_rows(two_replicas, UNEVEN_ROWS, p_a, p_b))
    )
    values = [float(v) for v in two_replicas.experimental_local_results(outputs)]
    assert len(values) == 2
    for value in values:
        assert value == pytest.approx(expected, rel=1e-6)
    # A per-replica joint would give a different value.
    assert float(losses.iic(p_a[:5], p_b[:5])) != pytest.approx(expected, rel=1e-3)


def test_iic_gradient_two_replicas_equals_one_device(two_replicas):
    """Summed per-replica gradients of loss / R equal the one-device gradient."""
    logits_a = np.random.default_rng(5).normal(size=(8, 4)).astype(np.float32)
    logits_b = np.random.default_rng(6).normal(size=(8, 4)).astype(np.float32)

    def grad_fn(a, b):
        with tf.GradientTape() as tape:
            tape.watch(a)
            replicas = tf.distribute.get_replica_context().num_replicas_in_sync
            loss = losses.iic(tf.nn.softmax(a), tf.nn.softmax(b)) / replicas
        return tape.gradient(loss, a)

    expected = grad_fn(tf.constant(logits_a), tf.constant(logits_b)).numpy()
    outputs = two_replicas.run(
        tf.function(grad_fn), args=tuple(split_rows(two_replicas, UNEVEN_ROWS, logits_a, logits_b))
    )
    gradients = [g.numpy() for g in two_replicas.experimental_local_results(outputs)]
    np.testing.assert_allclose(np.concatenate(gradients), expected, rtol=1e-5, atol=1e-7)
