import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.methods.cluster_helpers import (
    N,
    eval_dataset,
    indexed_source,
    random_images,
    training_set_of_n_images,  # noqa: F401  (an autouse fixture: importing it applies it here)
)
from tests.methods.tiny_configs import tiny_experiment, tiny_task
from tfssl import ops
from tfssl.methods.deepercluster import owned_super_classes
from tfssl.data import inputs
from tfssl.training.trainer import build_training_model
from tests.replicas import run_on_replicas

M, K, BATCH = 4, 3, 8  # super-clusters, sub-clusters per super-cluster, batch


def tiny_deepercluster_config(**overrides):
    """deepercluster_embedded on the tiny backbone with synchronised BN: M super-clusters of K
    sub-clusters, 8 PCA dimensions, batch 8, 4 steps; `overrides` merged last."""
    task = {
        **tiny_task(BATCH, sync_bn=True),
        "num_super_clusters": M,
        "num_sub_clusters": K,
        "pca_dim": 8,
    }
    return tiny_experiment("deepercluster_embedded", task, {"train_steps": 4}, overrides)


@pytest.fixture
def float64_policy():
    keras.mixed_precision.set_global_policy("float64")
    yield
    keras.mixed_precision.set_global_policy("float32")


def _labelled_model(config=None, seed=0):
    model = build_training_model(config or tiny_deepercluster_config(), total_steps=1)
    rng = np.random.default_rng(seed)
    model.super_clusters.assign(rng.integers(0, M, N).astype(np.int32))
    model.sub_clusters.assign(rng.integers(0, K, N).astype(np.int32))
    model.sample_weights.assign(rng.uniform(0.5, 1.5, N).astype(np.float32))
    for head in (model.super_classifier.bias, model.sub_classifiers.bias):
        head.assign(rng.normal(size=head.shape))  # distinct heads, so a wrong one shows
    return model


def _log_softmax(x):
    x = np.asarray(x, np.float64)
    return (
        x
        - x.max(1, keepdims=True)
        - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True))
    )


def test_replicas_own_disjoint_super_classes_covering_all():
    owned = [owned_super_classes(r, 2, M).numpy() for r in range(2)]
    np.testing.assert_array_equal(owned[0], [0, 2, 4, 6, 8, 10, 12, 14])  # super-clusters 0, 2
    assert sorted(np.concatenate(owned)) == list(range(4 * M))
    assert all(((h % M) % 2 == r).all() for r, h in enumerate(owned))  # whole super-clusters


def test_loss_is_super_class_plus_sub_class_cross_entropy():
    """NumPy: super-class target r·m + s; the sub-class target is scored by that super-class's
    own head (a sub-class target always lies in the image's super-class)."""
    model = _labelled_model()
    images = np.random.default_rng(1).uniform(size=(BATCH, 32, 32, 3)).astype(np.float32)
    index = np.array([5, 0, 47, 12, 3, 3, 30, 9])
    loss, logs = model.compute_batch_loss({"views": (images,), "index": index}, training=False)

    rotated = np.concatenate([np.rot90(images, r, axes=(1, 2)) for r in range(4)])  # [4b, ...]
    features = model.encoder(rotated, training=False).numpy().astype(np.float64)
    rows = np.tile(index, 4)
    super_targets = np.repeat(np.arange(4), BATCH) * M + model.super_clusters.numpy()[rows]
    sub_targets = model.sub_clusters.numpy()[rows]
    weights = model.sample_weights.numpy()[rows]
    super_logits = (
        features @ model.super_classifier.kernel.numpy() + model.super_classifier.bias.numpy()
    )
    kernel, bias = model.sub_classifiers.kernel.numpy(), model.sub_classifiers.bias.numpy()
    sub_logits = np.einsum("nd,ndk->nk", features, kernel[super_targets]) + bias[super_targets]
    n = np.arange(4 * BATCH)
    expected = -(weights * _log_softmax(super_logits)[n, super_targets]).sum() / (4 * BATCH)
    expected -= (weights * _log_softmax(sub_logits)[n, sub_targets]).sum() / (4 * BATCH)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    assert float(logs["owned_fraction"]) == 1.0  # one device owns every head
    np.testing.assert_allclose(float(logs["sub_acc"]), np.mean(sub_logits.argmax(1) == sub_targets))


def test_hierarchical_kmeans_recovers_two_level_blobs():
    """4 well-separated groups of 3 tight blobs: super-clusters are the groups, and sub-clusters
    split each group into its blobs, so (super, sub) identifies the blob."""
    rng = np.random.default_rng(0)
    groups = rng.normal(size=(4, 1, 6)) * 50
    blobs = groups + rng.normal(size=(4, 3, 6)) * 5  # [4, 3, 6]
    blob = np.repeat(np.arange(12), 20)
    x = blobs.reshape(12, 6)[blob] + rng.normal(size=(240, 6)) * 0.1
    super_ids, sub_ids = ops.hierarchical_kmeans(x, 4, 3, iterations=20, seed=0, use_faiss=False)
    assert sub_ids.max() < 3
    np.testing.assert_array_equal(  # one super-cluster per group, one (super, sub) per blob
        np.unique(np.stack([blob // 3, super_ids], 1), axis=0).shape[0], 4
    )
    assert np.unique(np.stack([blob, super_ids * 3 + sub_ids], 1), axis=0).shape[0] == 12


def test_recluster_targets_are_consistent_and_heads_fresh():
    model = _labelled_model()
    images, labels = random_images(2)
    stats = model.recluster(eval_dataset(images, labels), seed=0)
    super_ids, sub_ids = model.super_clusters.numpy(), model.sub_clusters.numpy()
    assert np.bincount(super_ids, minlength=M).min() >= 1 and sub_ids.max() < K
    for s in range(M):  # each super-cluster's sub-clusters are all used, by its images only
        assert len(np.unique(sub_ids[super_ids == s])) == min(K, np.sum(super_ids == s))
    clusters = super_ids * K + sub_ids
    totals = np.bincount(clusters, weights=model.sample_weights.numpy())
    np.testing.assert_allclose(totals[totals > 0], N / len(np.unique(clusters)), rtol=1e-5)
    np.testing.assert_array_equal(model.sub_classifiers.bias.numpy(), 0.0)
    assert stats["min_super_size"] >= 1 and 0.0 <= stats["nmi_labels"] <= 1.0


def test_pipeline_gives_each_replica_only_its_own_super_clusters(two_replicas):
    """Replica r's batches hold only images with super-cluster s, s mod 2 = r, also after the
    labels change (once the batches prefetched under the old labels are consumed)."""
    config = tiny_deepercluster_config()
    with two_replicas.scope():
        model = build_training_model(config, total_steps=1)
    images = np.zeros((N, 32, 32, 3), np.uint8)
    source = indexed_source(images, np.zeros(N))
    filters = model.replica_data_filters(2)
    batches = iter(
        two_replicas.distribute_datasets_from_function(
            inputs.train_input_fn(source, config.task.train_data, 0, filters)
        )
    )
    for labels in (np.arange(N) % M, np.random.default_rng(3).integers(0, M, N)):
        model.super_clusters.assign(labels.astype(np.int32))
        for step in range(24):
            per_replica = two_replicas.experimental_local_results(next(batches)["index"])
            if step >= 16:  # past the batches augmented and prefetched under the old labels
                for r, index in enumerate(per_replica):
                    assert len(index) == BATCH // 2 and (labels[index.numpy()] % 2 == r).all()


def test_two_replicas_equal_one_device_on_the_same_global_batch(two_replicas, float64_policy):
    """The arranged global batch (replica 0's images, then replica 1's): the loss on 2 replicas,
    each evaluating only its own sub-class heads, equals one device evaluating all of them."""
    config = tiny_deepercluster_config()
    model = _labelled_model(config)
    with two_replicas.scope():
        replicated = build_training_model(config, total_steps=1)
    replicated.set_weights(model.get_weights())
    super_ids = model.super_clusters.numpy()
    index = np.concatenate(
        [np.flatnonzero(super_ids % 2 == r)[: BATCH // 2] for r in range(2)]
    )  # [BATCH]: rows 0-3 owned by replica 0, rows 4-7 by replica 1
    images = np.random.default_rng(4).uniform(size=(BATCH, 32, 32, 3))
    one = model.compute_batch_loss({"views": (images,), "index": index}, training=True)

    def step(images, index):
        return replicated.compute_batch_loss({"views": (images,), "index": index}, training=True)

    two = run_on_replicas(two_replicas, step, images, index)
    for loss, logs in two:
        np.testing.assert_allclose(loss, float(one[0]), rtol=1e-10)
        assert float(logs["owned_fraction"]) == 1.0
        np.testing.assert_allclose(logs["sub_acc"], float(one[1]["sub_acc"]))


def test_too_few_super_clusters_for_the_replicas_is_an_error():
    model = _labelled_model()
    with pytest.raises(ValueError, match="num_super_clusters=4 < 8 replicas"):
        model.replica_data_filters(8)
    assert model.replica_data_filters(1) is None


def test_cluster_logits_are_the_joint_log_probability_of_the_upright_image():
    """Cluster s·k + j scores log p(s | upright) + log p(j | s): summed over j it gives back the
    super-cluster log-probability among the rotation-0 super-classes."""
    model = _labelled_model()
    features = np.random.default_rng(5).normal(size=(6, model.encoder.output_shape[-1]))
    joint = model.cluster_logits(tf.constant(features, tf.float32)).numpy().reshape(6, M, K)
    upright = features @ model.super_classifier.kernel.numpy() + model.super_classifier.bias.numpy()
    np.testing.assert_allclose(
        np.log(np.exp(joint).sum(2)), _log_softmax(upright[:, :M]), rtol=1e-4, atol=1e-5
    )
