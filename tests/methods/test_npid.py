"""NPID: the loss against a NumPy non-parametric softmax over a small bank, the bank update
formula, and a step on 2 replicas equal to one device (bank included)."""

import numpy as np
import tensorflow as tf

from tests.methods.tiny_configs import replica_task, tiny_experiment
from tests.replicas import assert_step_matches_one_device
from tfssl.methods.npid import NPID
from tfssl.training.trainer import build_training_model

GLOBAL_BATCH = 4


def tiny_config():
    """npid_embedded for the replica tests: an 8-d embedding, batch 4."""
    task = {**replica_task(GLOBAL_BATCH), "embedding_dim": 8}
    return tiny_experiment("npid_embedded", task, {"train_steps": 4})


def batch(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "views": (rng.uniform(size=(GLOBAL_BATCH, 32, 32, 3)),),
        "index": np.array([5, 17, 2, 40], np.int64),
    }


def test_loss_and_bank_update_against_numpy(float64_policy):
    model = build_training_model(tiny_config(), total_steps=4)
    data = batch()
    bank = model.memory.values.numpy().copy()
    features = model.embedding_head(model.encoder(tf.constant(data["views"][0]), training=True))
    f = features.numpy() / np.linalg.norm(features.numpy(), axis=1, keepdims=True)
    logits = f @ bank.T / model.temperature  # [4, N]
    log_probs = (
        logits
        - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True))
        - logits.max(1, keepdims=True)
    )
    expected = -log_probs[np.arange(GLOBAL_BATCH), data["index"]].mean()
    loss, logs = model.compute_batch_loss(tf.nest.map_structure(tf.constant, data), training=True)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-8)
    moved = 0.5 * bank[data["index"]] + 0.5 * f
    moved /= np.linalg.norm(moved, axis=1, keepdims=True)
    after = model.memory.values.numpy()
    np.testing.assert_allclose(after[data["index"]], moved, atol=1e-7)  # a float32 bank
    untouched = np.setdiff1d(np.arange(len(bank)), data["index"])
    np.testing.assert_array_equal(after[untouched], bank[untouched])


def test_a_step_on_two_replicas_equals_one_device(two_replicas, float64_policy):
    assert_step_matches_one_device(tiny_config(), two_replicas, batch())


def test_features_bank_init_holds_each_image_s_normalised_embedding():
    config = tiny_config()
    built = build_training_model(config, total_steps=4)
    model = NPID(built.encoder, built.embedding_head, num_examples=6, bank_init="features")
    images = np.random.default_rng(3).uniform(size=(6, 32, 32, 3)).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices({"image": images, "label": np.zeros(6)}).batch(4)
    assert model.fill_memory(dataset, step=0) == {"rows": 6.0}
    embeddings = built.embedding_head(built.encoder(images, training=False)).numpy()
    expected = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    np.testing.assert_allclose(model.memory.values.numpy(), expected, rtol=1e-5, atol=1e-6)
