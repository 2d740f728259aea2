import numpy as np
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl.ops import distributed


def _stats(x, w):
    mean_x, mean_w = distributed.global_mean((x, w))
    return mean_x, mean_w, distributed.global_sum(x)


def test_global_mean_and_sum_on_two_replicas_equal_one_device(two_replicas):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3)).astype(np.float32)
    w = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0], np.float32)
    one = [np.asarray(v) for v in tf.function(_stats)(x, w)]
    np.testing.assert_allclose(one[0], x.mean(axis=0), rtol=1e-6)
    assert float(one[1]) == np.float32(4 / 6)
    np.testing.assert_allclose(one[2], x.sum(axis=0), rtol=1e-6)
    for replica in run_on_replicas(two_replicas, _stats, x, w):
        for got, expected in zip(replica, one):
            np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_global_mean_is_not_a_mean_of_replica_means(two_replicas):
    """A masked mean over rows kept on each replica must divide by the global count: replica 0
    keeps 1 of its rows, replica 1 keeps 3, and the result is the mean of the 4 kept values."""
    values = np.array([1.0, 100.0, 5.0, 7.0, 9.0, 100.0], np.float32)
    kept = np.array([1, 0, 0, 1, 1, 1], np.float32)

    def masked_mean(v, k):
        total, count = distributed.global_sum((v * k, k))
        return total / count

    for result in run_on_replicas(two_replicas, masked_mean, values, kept):
        assert float(result) == (1 + 7 + 9 + 100) / 4
