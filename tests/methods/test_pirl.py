"""PIRL: the λ-weighted pair of bank softmaxes against NumPy, the bank written from the image
branch only, the tile order read by g, the training stream, and a step on 2 replicas equal to
one device (bank included)."""

import numpy as np
import tensorflow as tf

from tests.methods.tile_helpers import (
    GLOBAL_BATCH,
    TILE,
    cross_entropy,
    first_training_batch,
    random_tiles,
    tile_batch,
    tiny_tile_config,
)
from tests.replicas import assert_step_matches_one_device
from tfssl.training.trainer import build_training_model


def tiny_config(**overrides):
    return tiny_tile_config(
        "pirl_embedded",
        embedding_dim=8,
        train_data={"views": {"global_size": 32, "local_size": 48}},
        **overrides,
    )


def batch(seed=0):
    rng = np.random.default_rng(seed)
    return tile_batch(9, seed, views=(rng.uniform(size=(GLOBAL_BATCH, 32, 32, 3)),))


def normalise(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_loss_and_bank_update_against_numpy(float64_policy):
    model = build_training_model(tiny_config(loss_weight=0.3), total_steps=4)
    data = batch()
    bank = model.memory.values.numpy().copy()
    image = normalise(model.embedding_head(model.encoder(data["views"][0], training=True)).numpy())
    # All 36 tiles in one training-mode forward, as the model (its BN sees them together).
    flat = data["tiles"].reshape(GLOBAL_BATCH * 9, TILE, TILE, 3)
    per_tile = model.encoder(flat, training=True).numpy().reshape(GLOBAL_BATCH, 9, -1)
    tiles = normalise(model.tile_head(per_tile).numpy())
    image_loss, image_acc = cross_entropy(image @ bank.T / model.temperature, data["index"])
    tile_loss, tile_acc = cross_entropy(tiles @ bank.T / model.temperature, data["index"])
    loss, logs = model.compute_batch_loss(tf.nest.map_structure(tf.constant, data), True)
    np.testing.assert_allclose(float(loss), 0.3 * tile_loss + 0.7 * image_loss, rtol=1e-8)
    np.testing.assert_allclose(float(logs["instance_acc"]), image_acc)
    np.testing.assert_allclose(float(logs["tile_instance_acc"]), tile_acc)
    # Only the image branch writes: m ← normalise(0.5·m + 0.5·f(v_I)).
    moved = normalise(0.5 * bank[data["index"]] + 0.5 * image)
    after = model.memory.values.numpy()
    np.testing.assert_allclose(after[data["index"]], moved, atol=1e-7)  # a float32 bank
    untouched = np.setdiff1d(np.arange(len(bank)), data["index"])
    np.testing.assert_array_equal(after[untouched], bank[untouched])


def test_the_tile_head_reads_the_tile_order():
    model = build_training_model(tiny_config(), total_steps=4)
    tiles = tf.constant(random_tiles(9), tf.float32)
    swapped = tf.gather(tiles, [1, 0, 2, 3, 4, 5, 6, 7, 8], axis=1)
    a = model.tile_embeddings(tiles, training=False).numpy()
    b = model.tile_embeddings(swapped, training=False).numpy()
    assert np.abs(a - b).max() > 1e-4


def test_training_stream_yields_the_image_view_and_its_tiles():
    _, data = first_training_batch(tiny_config())
    assert [v.shape for v in data["views"]] == [(GLOBAL_BATCH, 32, 32, 3)]
    assert data["tiles"].shape == (GLOBAL_BATCH, 9, TILE, TILE, 3)


def test_a_step_on_two_replicas_equals_one_device(two_replicas, float64_policy):
    assert_step_matches_one_device(tiny_config(), two_replicas, batch())
