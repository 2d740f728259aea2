"""Relative patch location (Doersch, Gupta & Efros, 2015): given the centre tile of a 3×3 grid
and one of its eight neighbours, each through one shared encoder, predict where the neighbour
lies; the answer needs object parts, not low-level continuity, because of the gaps and jitter
between tiles."""

import tensorflow as tf

from tfssl import losses
from tfssl.data.tiles import NUM_NEIGHBOURS, neighbour_pairs
from tfssl.methods.builders import build_encoder
from tfssl.methods.registry import register_method
from tfssl.methods.tiles import (
    TileClassifier,
    build_tile_head,
    tile_grid_option,
    tile_input_fn,
)


@register_method("relative_location")
class RelativeLocation(TileClassifier):
    """Relative location: 8-way cross-entropy of a classifier on the (centre, neighbour)
    features, concatenated after a per-patch layer (late fusion); `location_acc` is the pretext
    accuracy.

    Each image gives the centre tile and `num_pairs` distinct neighbours (drawn in the tf.data
    map, `tfssl.data.tiles.neighbour_pairs`), so the centre's forward serves all its pairs:
    8 pairs from 9 tiles, against 1 pair from 2 tiles in the paper's sampling (which the
    embedded default keeps: one neighbour per image probed higher there).

    Args:
      location_head: [N, 2, D] (centre, neighbour) features → [N, 8] logits
        (`build_tile_head`: fc6 per patch, concatenation, fc7, fc8).
      num_pairs: neighbours per image, 1..8.
      encoder, tiles, encoder_bn_inference_mode: as `TileClassifier` (the grid must be 3×3).
    """

    metric_names = ("location_acc",)
    components = ("encoder", "location_head")
    options = TileClassifier.options + ("num_pairs",)

    def __init__(
        self,
        encoder,
        location_head,
        tiles=None,
        num_pairs=8,
        encoder_bn_inference_mode=False,
        **kwargs,
    ):
        super().__init__(encoder, tiles, encoder_bn_inference_mode, **kwargs)
        self.location_head = location_head
        self.num_pairs = num_pairs

    @classmethod
    def components_from_config(cls, task_config):
        encoder = build_encoder(task_config.model.backbone)
        head = build_tile_head(
            2,
            encoder.output_shape[-1],
            task_config.tile_dim,
            task_config.head_hidden_dim,
            NUM_NEIGHBOURS,
            task_config.model.backbone,
            "location_head",
        )
        return {
            "encoder": encoder,
            "location_head": head,
            "tiles": tile_grid_option(task_config.tiles),
        }

    def build_inputs(self, data_config, seed):
        """Batches of `{"patches": [b, 1 + P, t, t, 3] (centre first), "position": int32
        [b, P] neighbour labels, "index"}`, cut from the first view."""

        def transform(element, element_seed):
            patches, labels = neighbour_pairs(
                element["views"][0], self.grid, self.num_pairs, element_seed
            )
            return {"patches": patches, "position": labels, "index": element["index"]}

        return tile_input_fn(data_config, seed, transform)

    def compute_batch_loss(self, data, training):
        features = self.encode(data["patches"], training)  # [b, 1 + P, D]
        neighbours = features[:, 1:]  # [b, P, D]
        centres = tf.broadcast_to(features[:, :1], tf.shape(neighbours))  # [b, P, D]
        pairs = tf.stack([centres, neighbours], axis=2)  # [b, P, 2, D]
        pairs = tf.reshape(pairs, [-1, 2, features.shape[-1]])  # [b·P, 2, D]
        logits = self.location_head(pairs, training=training)  # [b·P, 8]
        labels = tf.reshape(data["position"], [-1])  # [b·P]
        loss, accuracy = losses.pseudo_label_cross_entropy(labels, logits)
        return loss, {"location_acc": accuracy}
