"""What the tile methods (jigsaw, relative location, PIRL) share: their training stream, whose
per-image transform cuts tiles from the augmented views inside the tf.data map, the tile
geometry they store as an option, the shared-encoder forward of every tile, and their heads."""

import dataclasses

import keras
import tensorflow as tf

from tfssl.data import inputs
from tfssl.data.tiles import TileGrid
from tfssl.methods.base import SelfSupervisedModel
from tfssl.models import layers


def tile_grid_option(tiles_config):
    """A task's `tiles` config as the plain dict the models store (and `.keras` files save)."""
    return dataclasses.asdict(tiles_config)


def tile_grid(option):
    """The validated `TileGrid` of a stored `tiles` option."""
    return TileGrid(**option).validate()


def tile_input_fn(data_config, seed, transform):
    """The multi-view stream of `data_config` with each example's source `"index"`, turned into
    a tile input by `transform(element, seed)` per image (see `tfssl.data.multiview`): its
    randomness is keyed on the example's stream position, never on the replica."""
    source, _ = inputs.build_source(data_config, with_index=True)
    return inputs.train_input_fn(source, data_config, seed, transform=transform)


def encode_tiles(encoder, tiles, training, bn_inference_mode=False):
    """Shared-encoder features of every tile: tiles [b, n, t, t, C] → features [b, n, D], all
    b·n tiles in one forward (so BN sees them together).

    With `bn_inference_mode` the encoder runs in inference mode even in training (mmcv's
    `norm_eval`): its batch norm normalises with the statistics it holds, which then stay as they
    are (the initial mean 0 and variance 1 for a model trained this way), while weights, γ and β
    learn. Unlike `tfssl.models.layers.frozen_batch_statistics`, the batch's own statistics are
    not used either. Tiles are a fraction of the images evaluation feeds the same encoder, and
    statistics gathered on tiles misdescribe those images: on the embedded digits (8 px tiles,
    32 px images) tile statistics alone, with no weight changed, took the linear probe of the
    random-init encoder from 41.2% to 31.2%."""
    shape = tf.shape(tiles)
    flat = tf.reshape(tiles, tf.concat([[-1], shape[2:]], axis=0))  # [b·n, t, t, C]
    features = encoder(flat, training=training and not bn_inference_mode)  # [b·n, D]
    return tf.reshape(features, [shape[0], shape[1], features.shape[-1]])  # [b, n, D]


class TileClassifier(SelfSupervisedModel):
    """Base of the models that classify tile arrangements (jigsaw, relative location): their
    tile geometry and batch-norm mode, stored as options, and the encoder's forward of tiles.

    Args:
      encoder: images [N, H, W, 3] → features [N, D], shared by the tiles.
      tiles: the tile geometry, a `TileGrid`'s fields as a dict.
      encoder_bn_inference_mode: the encoder's batch norm stays in inference mode while training,
        normalising with the statistics it holds (`encode_tiles`).
    """

    options = ("tiles", "encoder_bn_inference_mode")

    def __init__(self, encoder, tiles=None, encoder_bn_inference_mode=False, **kwargs):
        super().__init__(encoder, **kwargs)
        self.tiles = dict(tiles or {})
        self.encoder_bn_inference_mode = encoder_bn_inference_mode
        self.grid = tile_grid(self.tiles)

    def encode(self, tiles, training):
        """`encode_tiles` with this model's encoder and batch-norm mode: [b, n, t, t, C] →
        [b, n, D]."""
        return encode_tiles(self.encoder, tiles, training, self.encoder_bn_inference_mode)


def build_tile_head(
    num_inputs, input_dim, tile_dim, hidden_dim, num_classes, backbone_config, name
):
    """The classifier on `num_inputs` tiles' features, as the papers' towers and heads: each
    tile's features through a shared Dense(tile_dim)-BN-ReLU (fc6, inside the siamese tower),
    the results concatenated in tile order, then Dense(hidden_dim)-BN-ReLU (fc7) and a Dense to
    `num_classes` logits (fc8): [N, num_inputs, input_dim] → [N, num_classes]. Keeping fc6 per
    tile lets the tile-specific part of the pretext live in the head rather than in the
    encoder's pooled features, which are what evaluation reads."""
    bn = dict(sync_bn=backbone_config.sync_bn, momentum=backbone_config.bn_momentum)
    return keras.Sequential(
        [
            keras.Input([num_inputs, input_dim]),
            keras.layers.Dense(tile_dim, use_bias=False, name="fc6"),  # [N, n, tile_dim]
            layers.batch_norm("bn6", **bn),
            keras.layers.ReLU(name="relu6"),
            keras.layers.Reshape([num_inputs * tile_dim]),  # [N, n·tile_dim], in tile order
            keras.layers.Dense(hidden_dim, use_bias=False, name="fc7"),
            layers.batch_norm("bn7", **bn),
            keras.layers.ReLU(name="relu7"),
            keras.layers.Dense(num_classes, name="fc8"),
        ],
        name=name,
    )


def build_tile_embedding_head(num_tiles, input_dim, output_dim, name="tile_head"):
    """PIRL's g: each tile's features projected linearly to `output_dim`, the projections
    concatenated in tile order and projected again:
    [N, num_tiles, input_dim] → [N, output_dim]."""
    return keras.Sequential(
        [
            keras.Input([num_tiles, input_dim]),
            keras.layers.Dense(output_dim, name="per_tile"),  # [N, num_tiles, output_dim]
            keras.layers.Reshape([num_tiles * output_dim]),  # [N, num_tiles·output_dim]
            keras.layers.Dense(output_dim, name="joint"),
        ],
        name=name,
    )
