import itertools

import numpy as np
import pytest
import tensorflow as tf
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from tests.replicas import run_on_replicas
from tfssl.evaluation import ari, clustering_accuracy, nmi


def _labelings(seed):
    """Class labels 0..5 and noisy cluster ids 10..18 (half of them a relabelling of the classes)."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 6, 240)
    y_pred = rng.integers(10, 19, 240)
    y_pred[:120] = (y_true[:120] * 7) % 6 + 10
    return y_true, y_pred


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nmi_and_ari_match_scikit_learn(seed):
    y_true, y_pred = _labelings(seed)
    assert float(nmi(y_true, y_pred)) == pytest.approx(
        normalized_mutual_info_score(y_true, y_pred, average_method="geometric"), abs=1e-10
    )
    assert float(ari(y_true, y_pred)) == pytest.approx(
        adjusted_rand_score(y_true, y_pred), abs=1e-10
    )


def test_degenerate_labelings_match_scikit_learn():
    one, two = np.zeros(10, int), np.arange(10) % 2
    assert float(nmi(one, one)) == normalized_mutual_info_score(one, one) == 1.0
    assert (
        float(nmi(one, two))
        == normalized_mutual_info_score(one, two, average_method="geometric")
        == 0.0
    )
    assert float(ari(one, one)) == adjusted_rand_score(one, one) == 1.0
    assert float(ari(two, 1 - two)) == pytest.approx(1.0)


def test_clustering_accuracy_is_best_permutation():
    """Brute force over every mapping of the 5 clusters onto the 5 classes."""
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 5, 150)
    y_pred = np.where(rng.uniform(size=150) < 0.6, (y_true + 2) % 5, rng.integers(0, 5, 150))
    best = max(
        np.mean(np.array(perm)[y_pred] == y_true) for perm in itertools.permutations(range(5))
    )
    assert float(clustering_accuracy(y_true, y_pred)) == pytest.approx(best, abs=1e-12)
    assert float(clustering_accuracy(y_true, (y_true + 3) % 5)) == 1.0


def test_more_clusters_than_classes_counts_unmatched_as_errors():
    y_true = np.array([0, 0, 1, 1])
    assert float(clustering_accuracy(y_true, np.array([5, 6, 7, 7]))) == pytest.approx(0.75)


def test_tf_function_and_replica_rule(two_replicas):
    y_true, y_pred = _labelings(5)
    expected = [
        float(nmi(y_true, y_pred)),
        float(ari(y_true, y_pred)),
        float(clustering_accuracy(y_true, y_pred)),
    ]
    fn = tf.function(lambda a, b: tf.stack([nmi(a, b), ari(a, b), clustering_accuracy(a, b)]))
    np.testing.assert_allclose(
        fn(tf.constant(y_true), tf.constant(y_pred)).numpy(), expected, rtol=1e-12
    )
    for replica_output in run_on_replicas(
        two_replicas,
        lambda a, b: tf.stack([nmi(a, b), ari(a, b), clustering_accuracy(a, b)]),
        y_true,
        y_pred,
    ):
        np.testing.assert_allclose(replica_output, expected, rtol=1e-12)
