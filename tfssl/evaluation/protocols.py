"""The frozen-feature protocols (linear probe, weighted kNN, k-means clustering) as functions of
train/test features, each returning the dict that `eval.py` writes as JSON; the one linear and
the one kNN probe of the library (`train.py`'s final probe and the `KNNProbe` callback call them)."""

import numpy as np
import tensorflow as tf
from sklearn.cluster import KMeans

from tfssl.evaluation.clustering_metrics import ari, clustering_accuracy, nmi
from tfssl.evaluation.features import extract_features, split_features
from tfssl.evaluation.knn import knn_predict
from tfssl.evaluation.linear_probe import linear_probe


def linear_protocol(features, settings, seed=0):
    """Linear probe (`linear_probe`) of `features`, `{"train": (x, y), "test": (x, y)}`, with the
    C grid, held-out fraction and iteration cap of `settings` (a `configs.EvaluationConfig`)."""
    (train_x, train_y), (test_x, test_y) = features["train"], features["test"]
    results = linear_probe(
        train_x,
        train_y,
        test_x,
        test_y,
        c_grid=settings.c_grid,
        held_out_fraction=settings.held_out_fraction,
        max_iter=settings.max_iter,
        seed=seed,
    )
    return {"protocol": "linear", **results}


def evaluate_linear(config, encoder, strategy=None):
    """The linear probe `train.py` reports after training: `linear_protocol` of `encoder`'s
    features of the task's train and eval splits, with the task's probe settings and seed."""
    features = split_features(config.task, encoder, strategy)
    return linear_protocol(features, config.task.evaluation, config.runtime.seed)


def classifier_protocol(class_logits, features, batch_size=4096):
    """Test top-1 of a model's own class head: `class_logits` maps features [n, D] to logits
    [n, C] (`model.class_logits`, the EMA head where the method evaluates with one), applied to
    the test features of `{"train": (x, y), "test": (x, y)}`."""
    test_x, test_y = features["test"]
    predictions = np.concatenate(
        [
            np.argmax(class_logits(tf.constant(test_x[i : i + batch_size])), axis=-1)
            for i in range(0, len(test_x), batch_size)
        ]
    )
    return {"protocol": "classifier", "top1": float(np.mean(predictions == test_y))}


def other_classifier_results(model, test_input):
    """`{"<name>_top1": ...}` for each of `model.other_classifiers()` (e.g. SimCLRv2's teacher
    beside its student) on the test split; `test_input` builds that split's dataset."""
    results = {}
    for name, (encoder, class_logits) in model.other_classifiers().items():
        test = extract_features(encoder, test_input())
        results[f"{name}_top1"] = classifier_protocol(class_logits, {"test": test})["top1"]
    return results


def knn_protocol(features, k=200, temperature=0.07):
    """Weighted kNN (`knn_predict`) of the test features against the train bank; `features` is
    `{"train": (x, y), "test": (x, y)}`."""
    (train_x, train_y), (test_x, test_y) = features["train"], features["test"]
    num_classes = int(max(train_y.max(), test_y.max())) + 1
    predictions = np.asarray(
        knn_predict(train_x, train_y, test_x, num_classes, k=k, temperature=temperature)
    )
    return {
        "protocol": "knn",
        "top1": float(np.mean(predictions == test_y)),
        "k": k,
        "temperature": temperature,
    }


def _clustering_scores(labels, clusters):
    accuracy = float(clustering_accuracy(labels, clusters))
    return {
        "nmi": float(nmi(labels, clusters)),
        "ari": float(ari(labels, clusters)),
        "accuracy": accuracy,
        "num_clusters": int(len(np.unique(clusters))),
    }


def clustering_protocol(features, seed=0, n_init=10, head_clusters=None):
    """Clusters of the test images scored against their labels.

    k-means (k = number of classes) runs on the L2-normalised test features. When the method
    has its own cluster head, `head_clusters` [N_test] holds its assignments (the head's
    argmax): they are the reported clustering, as DeepCluster and SwAV evaluate theirs, and the
    k-means scores are kept under `"kmeans"`. Hungarian accuracy matches one cluster per class,
    so a head with more clusters than classes scores at most the share of its largest ones.
    """
    test_x, test_y = features["test"]
    num_classes = len(np.unique(features["train"][1]))
    normalised = test_x / np.maximum(np.linalg.norm(test_x, axis=1, keepdims=True), 1e-12)
    kmeans_clusters = KMeans(n_clusters=num_classes, n_init=n_init, random_state=seed).fit_predict(
        normalised
    )
    kmeans_scores = _clustering_scores(test_y, kmeans_clusters)
    if head_clusters is None:
        results = {"assignments": "kmeans", **kmeans_scores}
    else:
        results = {
            "assignments": "cluster_head",
            **_clustering_scores(test_y, np.asarray(head_clusters)),
            "kmeans": kmeans_scores,
        }
    return {"protocol": "clustering", **results, "top1": results["accuracy"]}
