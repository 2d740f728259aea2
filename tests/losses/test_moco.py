import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl import losses


def info_nce_reference(q, k, queue, temperature):
    """InfoNCE written out query by query, in float64."""
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    k = k / np.linalg.norm(k, axis=1, keepdims=True)
    total = 0.0
    for i in range(len(q)):
        logits = np.concatenate([[q[i] @ k[i]], queue @ q[i]]) / temperature
        total += -logits[0] + np.log(np.sum(np.exp(logits)))
    return total / len(q)


def _inputs(seed, batch=8, dim=5, size=6):
    rng = np.random.default_rng(seed)
    q, k = rng.normal(size=(2, batch, dim))
    queue = rng.normal(size=(size, dim))
    queue /= np.linalg.norm(queue, axis=1, keepdims=True)
    return q.astype(np.float32), k.astype(np.float32), queue.astype(np.float32)


def test_info_nce_hand_computed_orthogonal_keys():
    # q = k = e0, the queue holds e1 and e2: positive logit 1/T, two negatives at 0.
    q = np.array([[2.0, 0.0, 0.0]], np.float32)
    queue = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    t = 0.5
    expected = -np.log(np.exp(1 / t) / (np.exp(1 / t) + 2.0))
    assert float(losses.info_nce(q, q, queue, t)) == pytest.approx(expected, rel=1e-6)


def test_info_nce_matches_numpy_eagerly_and_in_tf_function():
    q, k, queue = _inputs(0)
    for temperature in (0.07, 0.2):
        expected = info_nce_reference(q, k, queue, temperature)
        assert float(losses.info_nce(q, k, queue, temperature)) == pytest.approx(expected, rel=1e-5)
        traced = tf.function(losses.info_nce)(q, k, queue, temperature)
        assert float(traced) == pytest.approx(expected, rel=1e-5)


def test_info_nce_accuracy_counts_keys_beating_the_queue():
    q = np.eye(3, dtype=np.float32)
    k = np.array([[1, 0, 0], [0, 1, 0], [0, 0, -1]], np.float32)  # the third key is opposite
    queue = np.array([[0, 0, 1]], np.float32)
    _, accuracy = losses.info_nce_with_accuracy(q, k, queue, 0.1)
    assert float(accuracy) == pytest.approx(2 / 3)


def test_info_nce_has_no_gradient_into_keys_or_queue():
    q, k, queue = (tf.constant(x) for x in _inputs(1))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([q, k, queue])
        loss = losses.info_nce(q, k, queue, 0.2)
    assert tape.gradient(loss, k) is None and tape.gradient(loss, queue) is None
    assert np.abs(tape.gradient(loss, q).numpy()).max() > 0


def test_info_nce_replica_rule(two_replicas):
    q, k, queue = _inputs(2)
    one_device = float(losses.info_nce(q, k, queue, 0.2))
    per_replica = run_on_replicas(
        two_replicas, lambda a, b: losses.info_nce(a, b, tf.constant(queue), 0.2), q, k
    )
    assert len(per_replica) == 2
    for value in per_replica:
        assert float(value) == pytest.approx(one_device, rel=1e-6)
