import keras
import numpy as np
import tensorflow as tf

from tests.methods.cluster_helpers import (
    N,
    eval_dataset,
    random_images,
    replica_train_dataset,
    training_set_of_n_images,  # noqa: F401  (an autouse fixture: importing it applies it here)
)
from tests.methods.tiny_configs import tiny_experiment, tiny_task
from tfssl import ops
from tfssl.methods.sela import equipartition_codes, label_update_steps, random_equipartition
from tfssl.training.trainer import build_training_model

K, HEADS, BATCH = 6, 3, 8


def tiny_sela_config(**overrides):
    """sela_embedded on the tiny backbone: K labels per head, HEADS heads, batch 8, 2 steps;
    `overrides` (nested dicts of the whole config) merged last."""
    keras.utils.set_random_seed(0)  # the models built from it start from the same weights
    task = {**tiny_task(BATCH), "num_clusters": K, "num_heads": HEADS}
    return tiny_experiment("sela_embedded", task, {"train_steps": 2}, overrides)


def _mass_error(codes):
    """Largest relative deviation of a label's code mass from N/K."""
    codes = np.asarray(codes)
    return np.abs(codes.sum(0) * codes.shape[1] / codes.shape[0] - 1).max()


def _feature_dim(model):
    return model.heads.kernel.shape[0]


def test_schedule_is_at_most_once_per_epoch_from_step_0_and_denser_early():
    steps_per_epoch = 10
    steps = label_update_steps(400 * steps_per_epoch, steps_per_epoch, 100)
    epochs = np.array(steps) // steps_per_epoch
    assert steps[0] == 0 and all(s % steps_per_epoch == 0 for s in steps)
    assert (np.diff(epochs) >= 1).all() and epochs[
        -1
    ] < 400  # one per epoch at most, none at the end
    assert list(epochs[:8]) == list(range(8))  # every epoch at first: ⌊400·(i/99)²⌋
    assert len(steps) == 92  # 100 asked for; 7 duplicates of epoch 0 and epoch 400 dropped
    # First quarter of the run: t < 1/2, 50 values less 7 duplicates; last quarter: t ≥ √3/2.
    assert (epochs < 100).sum() == 43 and (epochs >= 300).sum() == 13
    # The embedded run: 10 updates over 4 epochs of 89 steps land on every epoch's first step.
    assert label_update_steps(356, 89, 10) == [0, 89, 178, 267]


def test_initial_labels_are_a_random_equipartition_per_head():
    labels = random_equipartition(3, 50, 7, seed=0)
    assert labels.shape == (3, 50) and labels.dtype == np.int32
    for head in labels:
        assert set(np.bincount(head, minlength=7)) == {7, 8}  # 50 = 7·7 + 1
    assert (labels[0] != labels[1]).any() and (labels[1] != labels[2]).any()
    np.testing.assert_array_equal(labels, random_equipartition(3, 50, 7, seed=0))
    model = build_training_model(tiny_sela_config(), total_steps=1)
    assert (np.bincount(model.pseudo_labels.numpy()[:, 0], minlength=K) == N // K).all()


def test_loss_is_the_cross_entropy_averaged_over_heads():
    model = build_training_model(tiny_sela_config(), total_steps=1)
    rng = np.random.default_rng(1)
    labels = rng.integers(0, K, size=(HEADS, N)).astype(np.int32)
    model.pseudo_labels.assign(labels.T)  # rows: images
    model.heads.bias.assign(rng.normal(size=(HEADS, K)).astype(np.float32))
    images = rng.uniform(size=(BATCH, 32, 32, 3)).astype(np.float32)
    index = np.array([5, 0, 47, 12, 3, 3, 30, 9])
    loss, logs = model.compute_batch_loss({"views": (images,), "index": index}, training=False)
    features = model.encoder(images, training=False).numpy().astype(np.float64)
    kernel, bias = model.heads.kernel.numpy(), model.heads.bias.numpy()
    per_head, hits = [], []
    for h in range(HEADS):
        logits = features @ kernel[:, h] + bias[h]  # [b, K]
        log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        per_head.append(-log_probs[np.arange(BATCH), labels[h, index]].mean())
        hits.append(logits.argmax(1) == labels[h, index])
    np.testing.assert_allclose(float(loss), np.mean(per_head), rtol=1e-5)
    np.testing.assert_allclose(float(logs["label_acc"]), np.mean(hits), rtol=1e-6)
    np.testing.assert_allclose(
        model.cluster_logits(features.astype(np.float32)).numpy(),
        features @ kernel[:, 0] + bias[0],
        rtol=1e-4,
        atol=1e-5,
    )


def test_labels_satisfy_the_equipartition_constraint():
    """Heads with random, unbalanced predictions on 600 points: the codes' label masses reach N/K
    to the tolerance, and the hard labels put N/K ± 10% images in each of the K labels."""
    model = build_training_model(tiny_sela_config(), total_steps=1)
    rng = np.random.default_rng(2)
    features = rng.normal(size=(600, _feature_dim(model))).astype(np.float32)
    kernel = rng.normal(size=model.heads.kernel.shape) * 2.0 / np.sqrt(_feature_dim(model))
    model.heads.kernel.assign(kernel.astype(np.float32))  # logits of standard deviation ≈ 2
    model.heads.bias.assign(np.tile(np.linspace(0.0, 2.0, K, dtype=np.float32), (HEADS, 1)))
    logits = model.head_logits(features, 0)
    argmax_sizes = np.bincount(logits.numpy().argmax(1), minlength=K)
    assert argmax_sizes.max() > 2 * argmax_sizes.min()  # the heads alone are far from balanced

    log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float64))
    codes, mass_error = equipartition_codes(log_probs, 25.0, 2000, 1e-10)
    assert mass_error <= 1e-10
    np.testing.assert_allclose(codes.numpy().sum(0), 600 / K, rtol=1e-10)  # labels: N/K each
    np.testing.assert_allclose(codes.numpy().sum(1), 1.0, rtol=1e-12)  # images: one each
    # Restarting ops.sinkhorn from its codes every 50 iterations is the same iteration.
    _, error_at_300 = equipartition_codes(log_probs, 25.0, 300, 0.0)
    np.testing.assert_allclose(
        error_at_300, _mass_error(ops.sinkhorn(log_probs, 1 / 25.0, 300)), rtol=1e-6
    )
    assert 1e-3 < error_at_300 < 0.1  # 300 iterations are not enough here; the tolerance is

    labels, mass_errors = model.assign_labels(features)
    assert (mass_errors <= model.sinkhorn_tolerance).all()
    for head in labels:
        sizes = np.bincount(head, minlength=K)
        assert np.abs(sizes - 600 / K).max() <= 10, sizes


def test_label_update_follows_confident_heads():
    """Heads that confidently predict a balanced partition (different per head): the update
    replaces the random initial labels by exactly the heads' argmax."""
    model = build_training_model(tiny_sela_config(), total_steps=1)
    dim = _feature_dim(model)
    rng = np.random.default_rng(3)
    clusters = np.arange(N) % K  # 8 points per cluster
    angles = 2 * np.pi * np.arange(K) / K
    centres = np.zeros((K, dim))
    centres[:, 0], centres[:, 1] = np.cos(angles), np.sin(angles)  # [K, D], unit, 60° apart
    features = (centres[clusters] + 0.05 * rng.normal(size=(N, dim))).astype(np.float32)
    kernel = np.stack([10.0 * np.roll(centres, h, axis=0).T for h in range(HEADS)], axis=1)
    model.heads.kernel.assign(kernel.astype(np.float32))  # [D, H, K]: head h scores class c+h
    model.heads.bias.assign(np.zeros((HEADS, K), np.float32))
    argmax = np.stack([model.head_logits(features, h).numpy().argmax(1) for h in range(HEADS)])
    assert (np.bincount(argmax[0], minlength=K) == N // K).all()
    initial = model.pseudo_labels.numpy().T  # [HEADS, N]
    assert (initial != argmax).mean() > 0.5
    labels, _ = model.assign_labels(features)
    np.testing.assert_array_equal(labels, argmax)


def test_relabel_stores_balanced_labels_and_reports_statistics():
    """An untrained tiny network's features barely vary over the images (std ≈ 0.002), so the heads
    are scaled up to give logits that vary across images as a trained network's do."""
    model = build_training_model(tiny_sela_config(), total_steps=1)
    model.heads.kernel.assign(200.0 * model.heads.kernel)
    images, labels = random_images()
    initial = model.pseudo_labels.numpy().T  # [HEADS, N]
    stats = model.relabel(eval_dataset(images, labels))
    new = model.pseudo_labels.numpy().T
    assert new.shape == (HEADS, N) and (new != initial).any()
    assert stats["min_size"] >= N // K - 2 and stats["max_size"] <= N // K + 2
    # Near-hard codes (λ × logit spread ≈ 200) converge slowly: 1000 iterations leave < 1%.
    assert stats["mass_error"] < 0.01
    assert 0.0 <= stats["nmi_previous"] < 1.0 and 0.0 <= stats["nmi_labels"] <= 1.0
    again = model.relabel(eval_dataset(images, labels))
    assert again["nmi_previous"] == 1.0  # same network, same features: the same labels


def test_relabel_in_fit_on_two_replicas_matches_one_device(two_replicas):
    """The step-0 update run by the training callback under a 2-replica MirroredStrategy stores
    the labels that `relabel` computes on one device from the same weights."""
    config = tiny_sela_config()
    single = build_training_model(config, total_steps=2)
    with two_replicas.scope():
        model = build_training_model(config, total_steps=2)
    model.set_weights(single.get_weights())
    images, labels = random_images()
    train = replica_train_dataset(two_replicas, images, labels, BATCH)
    # 2 steps of a 2-step epoch: the schedule updates before step 0 only.
    (callback,) = model.training_callbacks(lambda: eval_dataset(images, labels), 2)
    history = model.fit(train, steps_per_epoch=2, epochs=1, callbacks=[callback], verbose=0)
    assert [h["step"] for h in callback.history] == [0]
    assert np.isfinite(history.history["loss"][0])
    assert 0.0 <= history.history["label_acc"][0] <= 1.0
    single.relabel(eval_dataset(images, labels))
    np.testing.assert_array_equal(model.pseudo_labels.numpy(), single.pseudo_labels.numpy())
