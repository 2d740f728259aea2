import numpy as np
import pytest
import tensorflow as tf
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from tests.replicas import run_on_replicas
from tfssl import ops
from tfssl.ops import clustering as kmeans_lib


def _blobs(n=600, centers=8, dim=16, seed=0):
    x, _ = make_blobs(
        n_samples=n, centers=centers, n_features=dim, cluster_std=1.5, random_state=seed
    )
    return x.astype(np.float32)


def _inertia(x, centroids, assignments):
    return float(np.sum((x - np.asarray(centroids)[np.asarray(assignments)]) ** 2))


@pytest.mark.parametrize("use_faiss", [False, True])
def test_inertia_within_ten_percent_of_sklearn(use_faiss):
    if use_faiss:
        pytest.importorskip("faiss")
    x = _blobs()
    centroids, assignments = ops.kmeans(x, 8, iterations=20, seed=0, use_faiss=use_faiss)
    assert centroids.shape == (8, 16) and assignments.shape == (600,)
    reference = KMeans(8, n_init=10, random_state=0).fit(x).inertia_
    assert _inertia(x, centroids, assignments) <= 1.1 * reference
    # Centroids are the means of their points.
    np.testing.assert_allclose(centroids[3], x[np.asarray(assignments) == 3].mean(0), atol=1e-4)


@pytest.mark.parametrize("use_faiss", [False, True])
def test_no_empty_cluster_with_k_close_to_n(use_faiss):
    if use_faiss:
        pytest.importorskip("faiss")
    # 40 points in 4 tight blobs: 35 clusters leave many empty before re-seeding.
    x = _blobs(n=40, centers=4, dim=4, seed=1)
    _, assignments = ops.kmeans(x, 35, iterations=10, seed=3, use_faiss=use_faiss)
    assert np.bincount(np.asarray(assignments), minlength=35).min() >= 1


def test_fill_empty_splits_a_cluster_into_two_non_empty_halves():
    x = tf.constant(np.arange(10, dtype=np.float32)[:, None])
    labels = tf.constant([0] * 10, tf.int32)  # clusters 1 and 2 empty
    filled = np.asarray(kmeans_lib._fill_empty(x, labels, 3, tf.constant([0, 0], tf.int64)))
    counts = np.bincount(filled, minlength=3)
    assert counts.min() >= 1 and counts.sum() == 10
    assert sorted(counts) == [2, 3, 5]  # 10 → 5 + 5, then one half → 3 + 2 (or 2 + 3)


def test_deterministic_per_seed_and_seed_matters():
    x = _blobs(n=200, centers=20, dim=8, seed=2)
    a = ops.kmeans(x, 20, seed=1, use_faiss=False)
    b = ops.kmeans(x, 20, seed=1, use_faiss=False)
    c = ops.kmeans(x, 20, seed=2, use_faiss=False)
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_works_in_tf_function():
    x = _blobs(n=100, centers=4, dim=4)
    eager = ops.kmeans(x, 4, seed=0, use_faiss=False)
    graph = tf.function(lambda v: ops.kmeans(v, 4, seed=0, use_faiss=False))(tf.constant(x))
    np.testing.assert_array_equal(eager[1], graph[1])


def test_two_replicas_equal_one_device_on_global_batch(two_replicas):
    x = _blobs(n=64, centers=4, dim=4)
    centroids, assignments = ops.kmeans(x, 4, seed=0, use_faiss=False)
    outputs = run_on_replicas(two_replicas, lambda v: ops.kmeans(v, 4, seed=0), x)
    for replica, (replica_centroids, replica_assignments) in enumerate(outputs):
        np.testing.assert_allclose(replica_centroids, centroids, atol=1e-5)
        np.testing.assert_array_equal(
            replica_assignments, np.asarray(assignments)[replica * 32 : (replica + 1) * 32]
        )


def test_assign_is_chunked(monkeypatch):
    monkeypatch.setattr(kmeans_lib, "MAX_DISTANCE_ELEMENTS", 7)
    x = tf.constant(np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32))
    centroids = x[:4]
    labels, _ = kmeans_lib._assign(x, centroids)
    expected = np.argmin(((x.numpy()[:, None] - centroids.numpy()[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(labels, expected)
