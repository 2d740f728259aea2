import numpy as np
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl import ops
from tfssl.ops import distributed


def numpy_sinkhorn(scores, epsilon=0.05, iterations=3):
    """SwAV's reference Sinkhorn-Knopp (the paper's pseudo-code) on one device, in float64."""
    q = np.exp(scores.astype(np.float64) / epsilon).T  # [K, B]
    num_prototypes, batch = q.shape
    q /= q.sum()
    for _ in range(iterations):
        q /= q.sum(axis=1, keepdims=True)
        q /= num_prototypes
        q /= q.sum(axis=0, keepdims=True)
        q /= batch
    return (q * batch).T


def _scores(batch=12, prototypes=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, size=(batch, prototypes)).astype(np.float32)


def test_matches_numpy_reference():
    scores = _scores()
    codes = ops.sinkhorn(scores, epsilon=0.05, iterations=3).numpy()
    assert codes.dtype == np.float32 and codes.shape == (12, 5)
    np.testing.assert_allclose(codes, numpy_sinkhorn(scores), rtol=1e-4, atol=1e-6)


def test_float64_in_float64_out_and_tf_function():
    scores = _scores().astype(np.float64)
    codes = tf.function(lambda s: ops.sinkhorn(s, epsilon=0.1, iterations=4))(tf.constant(scores))
    assert codes.dtype == tf.float64
    np.testing.assert_allclose(codes.numpy(), numpy_sinkhorn(scores, 0.1, 4), rtol=1e-10)


def test_rows_sum_to_one_and_prototypes_equipartitioned():
    scores = _scores(batch=20, prototypes=4, seed=1)
    codes = ops.sinkhorn(scores, epsilon=0.05, iterations=3).numpy()
    np.testing.assert_allclose(codes.sum(axis=1), 1.0, rtol=1e-5)
    converged = ops.sinkhorn(scores, epsilon=0.05, iterations=200).numpy()
    np.testing.assert_allclose(converged.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(converged.sum(axis=0), 20 / 4, rtol=1e-3)  # B/K per prototype


def test_large_scores_do_not_overflow():
    """exp(100/0.05) overflows float32; the per-prototype shift cancels exactly."""
    scores = _scores(seed=2)
    codes = ops.sinkhorn(scores + 100.0).numpy()
    np.testing.assert_allclose(codes, numpy_sinkhorn(scores), rtol=1e-4, atol=1e-6)


def test_no_gradient():
    scores = tf.Variable(_scores())
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(ops.sinkhorn(scores) * scores)
    gradient = tape.gradient(loss, scores)
    np.testing.assert_allclose(gradient.numpy(), ops.sinkhorn(scores).numpy(), rtol=1e-6)


def test_two_replicas_equal_one_device_on_global_batch(two_replicas):
    scores = _scores(batch=12, prototypes=5, seed=3)
    expected = ops.sinkhorn(scores).numpy()
    outputs = run_on_replicas(two_replicas, lambda s: ops.sinkhorn(s), scores)
    np.testing.assert_allclose(np.concatenate(outputs), expected, rtol=1e-5, atol=1e-7)


class _RecordingContext:
    """A replica context that records the shape of everything sent across replicas."""

    def __init__(self, context, shapes):
        self._context, self._shapes = context, shapes

    def __getattr__(self, name):
        return getattr(self._context, name)

    def all_reduce(self, reduce_op, value):
        self._shapes.extend(tuple(v.shape) for v in tf.nest.flatten(value))
        return self._context.all_reduce(reduce_op, value)

    def all_gather(self, value, axis):
        self._shapes.extend(tuple(v.shape) for v in tf.nest.flatten(value))
        return self._context.all_gather(value, axis=axis)


def test_only_sums_cross_replicas(two_replicas, monkeypatch):
    """The SwAV paper's point: only K-vectors and scalars travel, never the [b, K] scores."""
    shapes = []
    real_context = distributed._replica_context

    def recording_context():
        context = real_context()
        return None if context is None else _RecordingContext(context, shapes)

    monkeypatch.setattr(distributed, "_replica_context", recording_context)
    batch, prototypes = 12, 5
    outputs = run_on_replicas(two_replicas, lambda s: ops.sinkhorn(s), _scores(batch, prototypes))
    assert len(outputs) == 2
    assert shapes, "nothing was recorded: the sinkhorn did not run in a replica context"
    for shape in shapes:
        assert int(np.prod(shape)) <= prototypes, shape
    assert (batch // 2, prototypes) not in shapes
