"""Relative location: the loss against a NumPy 8-way cross-entropy over (centre, neighbour)
feature pairs, the training stream's pairs and labels, and a step on 2 replicas equal to one
device (with the encoder's batch norm in inference mode and in training mode)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.methods.tile_helpers import (
    GLOBAL_BATCH,
    TILE,
    cross_entropy,
    first_training_batch,
    tile_batch,
    tiny_tile_config,
)
from tests.replicas import assert_step_matches_one_device
from tfssl.training.trainer import build_training_model

NUM_PAIRS = 3


def tiny_config(**overrides):
    return tiny_tile_config(
        "relative_location_embedded", num_pairs=NUM_PAIRS, head_hidden_dim=8, **overrides
    )


def batch(seed=0):
    position = np.array([[0, 4, 7], [1, 2, 3], [6, 5, 0], [7, 1, 4]], np.int32)
    return tile_batch(1 + NUM_PAIRS, seed, name="patches", position=position)


def test_loss_is_the_cross_entropy_of_centre_neighbour_pairs(float64_policy):
    model = build_training_model(tiny_config(), total_steps=4)
    data = batch()
    loss, logs = model.compute_batch_loss(tf.nest.map_structure(tf.constant, data), False)
    features = [model.encoder(data["patches"][:, k], training=False).numpy() for k in range(4)]
    pairs = np.stack(
        [
            np.stack([features[0][b], features[1 + j][b]])
            for b in range(GLOBAL_BATCH)
            for j in range(NUM_PAIRS)
        ]
    )  # [b·P, 2, D]: rows (image b, pair j), the centre's features first
    logits = model.location_head(pairs, training=False).numpy()
    expected, accuracy = cross_entropy(logits, data["position"].reshape(-1))
    np.testing.assert_allclose(float(loss), expected, rtol=1e-10)
    np.testing.assert_allclose(float(logs["location_acc"]), accuracy)


def test_training_stream_yields_a_centre_and_distinct_neighbour_labels():
    _, data = first_training_batch(tiny_config())
    assert data["patches"].shape == (GLOBAL_BATCH, 1 + NUM_PAIRS, TILE, TILE, 3)
    for labels in data["position"].numpy():
        assert len(set(labels)) == NUM_PAIRS and 0 <= labels.min() and labels.max() <= 7


@pytest.mark.parametrize("encoder_bn_inference_mode", [True, False])
def test_a_step_on_two_replicas_equals_one_device(
    two_replicas, float64_policy, encoder_bn_inference_mode
):
    config = tiny_config(encoder_bn_inference_mode=encoder_bn_inference_mode)
    assert_step_matches_one_device(config, two_replicas, batch())
