import pytest
import numpy as np
import tensorflow as tf

from tests.methods.cluster_helpers import (
    N,
    eval_dataset,
    indexed_source,
    random_images,
    replica_train_dataset,
    training_set_of_n_images,  # noqa: F401  (an autouse fixture: importing it applies it here)
)
from tests.methods.tiny_configs import tiny_experiment, tiny_task
from tfssl import data
from tfssl.methods.pseudo_labels import cluster_weights, pca_whiten
from tfssl.training.trainer import build_training_model

K, BATCH = 6, 8


def tiny_deepcluster_config(**overrides):
    """deepcluster_embedded on the tiny backbone: K clusters, 8 PCA dimensions, batch 8, 4
    steps; `overrides` (nested dicts of the whole config) merged last."""
    task = {**tiny_task(BATCH), "num_clusters": K, "pca_dim": 8}
    return tiny_experiment("deepcluster_embedded", task, {"train_steps": 4}, overrides)


def test_cluster_weights_give_every_cluster_the_same_total_per_epoch():
    """Imbalanced clusters (30, 12, 6 images): each cluster's images carry N/k in one pass over a
    shuffled, batched epoch of the training pipeline, looked up by the images' indices."""
    assignments = np.array([0] * 30 + [1] * 12 + [2] * 6)
    weights = cluster_weights(assignments, 3)
    np.testing.assert_allclose(weights.mean(), 1.0, rtol=1e-6)
    images, _ = random_images()
    source = indexed_source(images)
    spec = data.ViewSpec(num_global=1, global_size=16)
    epoch = data.make_dataset(source, spec, data.AugmentParams(), BATCH, repeat=False)
    totals = np.zeros(3)
    seen = []
    for batch in epoch:
        index = batch["index"].numpy()
        seen.extend(index)
        np.add.at(totals, assignments[index], weights[index])
    assert sorted(seen) == list(range(N)) and seen != list(range(N))  # one shuffled epoch
    np.testing.assert_allclose(totals, [N / 3] * 3, rtol=1e-6)


def test_pca_whitening_gives_unit_covariance():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 10)) @ rng.normal(size=(10, 10)) + 3.0
    white = pca_whiten(x, 4)
    assert white.shape == (500, 4)
    np.testing.assert_allclose(np.cov(white, rowvar=False, bias=True), np.eye(4), atol=1e-4)


def test_loss_is_the_weighted_cross_entropy_of_the_pseudo_labels():
    model = build_training_model(tiny_deepcluster_config(), total_steps=1)
    rng = np.random.default_rng(1)
    labels = rng.integers(0, K, size=N).astype(np.int32)
    model.pseudo_labels.assign(labels)
    model.sample_weights.assign(cluster_weights(labels, K))
    images = rng.uniform(size=(BATCH, 32, 32, 3)).astype(np.float32)
    index = np.array([5, 0, 47, 12, 3, 3, 30, 9])
    loss, logs = model.compute_batch_loss({"views": (images,), "index": index}, training=False)
    logits = model.classifier(model.encoder(images, training=False)).numpy().astype(np.float64)
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    weights = cluster_weights(labels, K)[index]
    expected = -(weights * log_probs[np.arange(BATCH), labels[index]]).sum() / BATCH
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    np.testing.assert_allclose(
        float(logs["cluster_acc"]), np.mean(logits.argmax(1) == labels[index])
    )


def test_recluster_gives_k_non_empty_clusters_and_a_fresh_classifier():
    model = build_training_model(tiny_deepcluster_config(), total_steps=1)
    model.classifier.bias.assign(tf.ones_like(model.classifier.bias))
    images, labels = random_images()
    stats = model.recluster(eval_dataset(images, labels), seed=0)
    assignments = model.pseudo_labels.numpy()
    assert np.bincount(assignments, minlength=K).min() >= 1 and assignments.max() < K
    assert stats["min_size"] >= 1 and 0.0 <= stats["nmi_labels"] <= 1.0
    np.testing.assert_allclose(model.sample_weights.numpy(), cluster_weights(assignments, K))
    np.testing.assert_array_equal(model.classifier.bias.numpy(), 0.0)
    again = model.recluster(eval_dataset(images, labels), seed=0)
    assert again["nmi_previous"] == pytest.approx(1.0)  # same features and seed: same partition


def test_callback_reclusters_every_n_steps_during_fit_on_two_replicas(two_replicas):
    config = tiny_deepcluster_config(task={"recluster_every_steps": 2})
    with two_replicas.scope():
        model = build_training_model(config, total_steps=4)
    images, labels = random_images()
    train = replica_train_dataset(two_replicas, images, labels, BATCH)
    (callback,) = model.training_callbacks(lambda: eval_dataset(images, labels), 4)
    history = model.fit(train, steps_per_epoch=4, epochs=1, callbacks=[callback], verbose=0).history
    assert [h["step"] for h in callback.history] == [0, 2]
    assert int(model.optimizer.iterations.numpy()) == 4
    assert np.isfinite(history["loss"][0]) and 0.0 <= history["cluster_acc"][0] <= 1.0
    assert np.bincount(model.pseudo_labels.numpy(), minlength=K).min() >= 1
