import numpy as np

from tests.replicas import run_on_replicas
from tfssl.methods.collapse import embedding_std


def _reference(z):
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    return z.std(axis=0).mean()


def test_embedding_std_matches_numpy_and_is_zero_at_collapse():
    z = np.random.default_rng(0).normal(size=(64, 16)).astype(np.float32)
    np.testing.assert_allclose(float(embedding_std(z)), _reference(z), rtol=1e-4)
    collapsed = np.tile(z[:1], (64, 1))
    assert float(embedding_std(collapsed)) < 1e-3


def test_embedding_std_on_two_replicas_is_the_global_value(two_replicas):
    z = np.random.default_rng(1).normal(size=(16, 8)).astype(np.float32)
    for value in run_on_replicas(two_replicas, embedding_std, z):
        np.testing.assert_allclose(value, _reference(z), rtol=1e-4)
