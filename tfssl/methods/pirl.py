"""PIRL (Misra & van der Maaten, 2020): NPID's memory bank, with the image's jigsaw-shuffled tiles
as a second view whose representation must match the image's own bank entry, so that the
representation becomes invariant to the pretext transform instead of predicting it."""

import tensorflow as tf

from tfssl.data.tiles import shuffled_tiles
from tfssl.losses.contrastive import at_least_float32
from tfssl.methods.npid import NPID
from tfssl.methods.registry import register_method
from tfssl.methods.tiles import (
    build_tile_embedding_head,
    encode_tiles,
    tile_grid,
    tile_grid_option,
    tile_input_fn,
)


@register_method("pirl")
class PIRL(NPID):
    """PIRL: L = λ·CE(g(v_It); m_I) + (1 − λ)·CE(f(v_I); m_I), both non-parametric softmaxes
    over NPID's bank at temperature τ with the image's own row m_I as the positive and every
    other row as a negative (the full softmax stands in for the paper's NCE with sampled
    negatives), λ = `loss_weight`. Only the image branch writes the bank: m_I ← normalise(m·m_I
    + (1 − m)·f(v_I)), for the global batch on every replica (NPID's `ExampleMemory`).

    f(v_I) is NPID's embedding of the first view; g(v_It) is `tile_head` on the shared encoder's
    features of the last view's tiles in a random order (drawn per image in the tf.data map).
    `instance_acc` and `tile_instance_acc` say how often each branch's nearest bank row is its
    own image's.

    Args:
      encoder, embedding_head: as NPID (f = normalise(embedding_head(encoder(·)))).
      tile_head: [N, grid², D] tile features → [N, embedding dim] (`build_tile_embedding_head`).
      tiles: the tile geometry, a `TileGrid`'s fields as a dict.
      loss_weight: λ, the weight of the tile branch.
      **kwargs: NPID's options (temperature, memory_momentum, num_examples, bank_init).
    """

    metric_names = ("instance_acc", "tile_instance_acc")
    components = ("encoder", "embedding_head", "tile_head")
    options = NPID.options + ("tiles", "loss_weight")

    def __init__(self, encoder, embedding_head, tile_head, tiles=None, loss_weight=0.5, **kwargs):
        super().__init__(encoder, embedding_head, **kwargs)
        self.tile_head = tile_head
        self.tiles = dict(tiles or {})
        self.loss_weight = loss_weight
        self.grid = tile_grid(self.tiles)

    @classmethod
    def components_from_config(cls, task_config):
        components = super().components_from_config(task_config)
        components["tile_head"] = build_tile_embedding_head(
            task_config.tiles.grid**2,
            components["encoder"].output_shape[-1],
            task_config.embedding_dim,
        )
        components["tiles"] = tile_grid_option(task_config.tiles)
        return components

    def build_inputs(self, data_config, seed):
        """Batches of `{"views": (the first view [b, S, S, 3],), "tiles": [b, grid², t, t, 3]
        shuffled tiles of the last view, "index"}`; with one view both come from one crop."""

        def transform(element, element_seed):
            tiles = shuffled_tiles(element["views"][-1], self.grid, element_seed)
            return {"views": element["views"][:1], "tiles": tiles, "index": element["index"]}

        return tile_input_fn(data_config, seed, transform)

    def tile_embeddings(self, tiles, training):
        """L2-normalised g(v_It) [b, D] of shuffled tiles [b, grid², t, t, 3]."""
        features = encode_tiles(self.encoder, tiles, training)  # [b, grid², D]
        embeddings = self.tile_head(features, training=training)  # [b, D]
        return tf.math.l2_normalize(at_least_float32(embeddings), axis=-1)

    def compute_batch_loss(self, data, training):
        index = data["index"]
        image = self.embed(data["views"][0], training)  # f(v_I): [b, D]
        tiles = self.tile_embeddings(data["tiles"], training)  # g(v_It): [b, D]
        tile_loss, tile_accuracy = self.bank_cross_entropy(tiles, index)
        image_loss, image_accuracy = self.bank_cross_entropy(image, index)
        loss = self.loss_weight * tile_loss + (1.0 - self.loss_weight) * image_loss
        if training:
            self.memory.update(index, tf.stop_gradient(image))
        return loss, {"instance_acc": image_accuracy, "tile_instance_acc": tile_accuracy}
