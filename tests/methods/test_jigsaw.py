"""Jigsaw: the loss against a NumPy cross-entropy over tile features concatenated in puzzle
order, the order mattering, the training stream's tiles and labels, the encoder's batch norm in
inference mode, and a step on 2 replicas equal to one device (with the encoder's batch norm in
inference mode and in training mode)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.methods.tile_helpers import (
    GLOBAL_BATCH,
    TILE,
    cross_entropy,
    encoder_statistics,
    first_training_batch,
    tile_batch,
    tiny_tile_config,
)
from tests.replicas import assert_step_matches_one_device
from tfssl.training.trainer import build_training_model

NUM_PERMUTATIONS = 10


def tiny_config(**overrides):
    return tiny_tile_config(
        "jigsaw_embedded", num_permutations=NUM_PERMUTATIONS, head_hidden_dim=8, **overrides
    )


def batch(seed=0):
    return tile_batch(9, seed, permutation=np.array([3, 0, 9, 3], np.int32))


def test_loss_is_the_cross_entropy_of_features_concatenated_in_puzzle_order(float64_policy):
    model = build_training_model(tiny_config(), total_steps=4)
    data = batch()
    loss, logs = model.compute_batch_loss(tf.nest.map_structure(tf.constant, data), False)
    # Each tile on its own (inference BN: batch composition does not matter), then tile 0's
    # features first, tile 8's last.
    per_tile = [model.encoder(data["tiles"][:, k], training=False).numpy() for k in range(9)]
    logits = model.permutation_head(np.stack(per_tile, axis=1), training=False).numpy()
    expected, accuracy = cross_entropy(logits, data["permutation"])
    np.testing.assert_allclose(float(loss), expected, rtol=1e-10)
    np.testing.assert_allclose(float(logs["permutation_acc"]), accuracy)
    swapped = dict(data, tiles=data["tiles"][:, [1, 0, 2, 3, 4, 5, 6, 7, 8]])
    other, _ = model.compute_batch_loss(tf.nest.map_structure(tf.constant, swapped), False)
    assert abs(float(other) - float(loss)) > 1e-6  # the order of the tiles is read


def test_training_stream_yields_standardised_puzzles_with_labels_in_the_set():
    model, data = first_training_batch(tiny_config())
    assert model.permutations.shape == (NUM_PERMUTATIONS, 9)
    assert data["tiles"].shape == (GLOBAL_BATCH, 9, TILE, TILE, 3)
    labels = data["permutation"].numpy()
    assert labels.min() >= 0 and labels.max() < NUM_PERMUTATIONS
    np.testing.assert_allclose(data["tiles"].numpy().mean(axis=(2, 3, 4)), 0.0, atol=1e-4)


def test_inference_mode_bn_gives_each_tile_its_inference_features_and_keeps_statistics(
    float64_policy,
):
    model = build_training_model(tiny_config(encoder_bn_inference_mode=True), total_steps=4)
    data = batch()
    loss, _ = model.compute_batch_loss(tf.nest.map_structure(tf.constant, data), True)
    # In training the head normalises with its batch, the encoder with its stored statistics:
    # every tile's features are those it has alone at inference.
    per_tile = [model.encoder(data["tiles"][:, k], training=False).numpy() for k in range(9)]
    logits = model.permutation_head(np.stack(per_tile, axis=1), training=True).numpy()
    np.testing.assert_allclose(float(loss), cross_entropy(logits, data["permutation"])[0])

    statistics = encoder_statistics(model)
    kernels = [w.numpy() for w in model.encoder.trainable_weights]
    tf.function(model.train_step)(tf.nest.map_structure(tf.constant, data))
    for before, after in zip(statistics, encoder_statistics(model)):
        np.testing.assert_array_equal(after, before)
    assert any(
        not np.allclose(w.numpy(), k) for w, k in zip(model.encoder.trainable_weights, kernels)
    )


def test_statistics_move_with_training_mode_bn():
    model = build_training_model(tiny_config(encoder_bn_inference_mode=False), total_steps=4)
    statistics = encoder_statistics(model)
    tf.function(model.train_step)(tf.nest.map_structure(tf.constant, batch()))
    assert any(not np.allclose(a, b) for a, b in zip(encoder_statistics(model), statistics))


@pytest.mark.parametrize("encoder_bn_inference_mode", [True, False])
def test_a_step_on_two_replicas_equals_one_device(
    two_replicas, float64_policy, encoder_bn_inference_mode
):
    config = tiny_config(encoder_bn_inference_mode=encoder_bn_inference_mode)
    assert_step_matches_one_device(config, two_replicas, batch())
