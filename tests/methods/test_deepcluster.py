import pytest
import numpy as np
import tensorflow as tf

from tfssl.data import inputs
from tfssl import configs, data, registry_imports  # noqa: F401
from tfssl.methods.pseudo_labels import cluster_weights, pca_whiten
from tfssl.training.trainer import build_training_model

N, K, BATCH = 48, 6, 8


@pytest.fixture(autouse=True)
def training_set_of_n_images(monkeypatch):
    """The models size their per-image state by the training source: here N images."""
    monkeypatch.setattr(inputs, "source_size", lambda data_config: N)


def tiny_deepcluster_config(**overrides):
    config = configs.get_experiment("deepcluster_embedded")
    configs.merge(
        config,
        {
            "task": {
                "num_clusters": K,
                "pca_dim": 8,
                "model": {"backbone": {"type": "tiny"}},
                "train_data": {"global_batch_size": BATCH, "shuffle_buffer": 64},
                "learning_rate": {"warmup_steps": 0},
            },
            "trainer": {"train_steps": 4},
        },
    )
    return configs.merge(config, overrides).validate()


def _images(seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(N, 32, 32, 3)).astype(np.uint8)
    labels = np.arange(N) % 3
    return images, labels


def _eval_dataset(images, labels):
    return data.eval_dataset(data.from_numpy(images, labels), 32, 16)


def test_cluster_weights_give_every_cluster_the_same_total_per_epoch():
    """Imbalanced clusters (30, 12, 6 images): each cluster's images carry N/k in one pass over a
    shuffled, batched epoch of the training pipeline, looked up by the images' indices."""
    assignments = np.array([0] * 30 + [1] * 12 + [2] * 6)
    weights = cluster_weights(assignments, 3)
    np.testing.assert_allclose(weights.mean(), 1.0, rtol=1e-6)
    images, _ = _images()
    source = data.from_numpy(images).enumerate().map(lambda i, e: {**e, "index": i})
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
    images, labels = _images()
    stats = model.recluster(_eval_dataset(images, labels), seed=0)
    assignments = model.pseudo_labels.numpy()
    assert np.bincount(assignments, minlength=K).min() >= 1 and assignments.max() < K
    assert stats["min_size"] >= 1 and 0.0 <= stats["nmi_labels"] <= 1.0
    np.testing.assert_allclose(model.sample_weights.numpy(), cluster_weights(assignments, K))
    np.testing.assert_array_equal(model.classifier.bias.numpy(), 0.0)
    again = model.recluster(_eval_dataset(images, labels), seed=0)
    assert again["nmi_previous"] == pytest.approx(1.0)  # same features and seed: same partition


def test_callback_reclusters_every_n_steps_during_fit_on_two_replicas(two_replicas):
    config = tiny_deepcluster_config(task={"recluster_every_steps": 2})
    with two_replicas.scope():
        model = build_training_model(config, total_steps=4)
    images, labels = _images()
    source = data.from_numpy(images, labels).enumerate().map(lambda i, e: {**e, "index": i})
    spec = data.ViewSpec(num_global=1, global_size=32)
    train = two_replicas.distribute_datasets_from_function(
        lambda ctx: data.make_dataset(
            source, spec, data.AugmentParams(), BATCH // 2, input_context=ctx
        )
    )
    (callback,) = model.training_callbacks(lambda: _eval_dataset(images, labels), 4)
    history = model.fit(train, steps_per_epoch=4, epochs=1, callbacks=[callback], verbose=0).history
    assert [h["step"] for h in callback.history] == [0, 2]
    assert int(model.optimizer.iterations.numpy()) == 4
    assert np.isfinite(history["loss"][0]) and 0.0 <= history["cluster_acc"][0] <= 1.0
    assert np.bincount(model.pseudo_labels.numpy(), minlength=K).min() >= 1
