"""Jigsaw puzzles (Noroozi & Favaro, 2016): the image's 3×3 tiles are shuffled by one of a fixed
set of permutations, each tile goes through one shared encoder, and a classifier on the
concatenated features says which permutation was used; solving it requires knowing what the
parts of an object look like and where they sit."""

from tfssl import losses
from tfssl.data.jigsaw import jigsaw_permutations
from tfssl.data.tiles import jigsaw_puzzle
from tfssl.methods.builders import build_encoder
from tfssl.methods.registry import register_method
from tfssl.methods.tiles import (
    TileClassifier,
    build_tile_head,
    tile_grid_option,
    tile_input_fn,
)


@register_method("jigsaw")
class Jigsaw(TileClassifier):
    """Jigsaw: cross-entropy of a permutation classifier on the concatenated encoder features of
    the shuffled tiles (the context-free network); `permutation_acc` is the pretext accuracy.

    The training stream cuts each image's tiles and draws its permutation inside the tf.data
    map (`tfssl.data.tiles.jigsaw_puzzle`), keyed on the image's stream position, so labels do
    not depend on the replica count. The permutation set is `jigsaw_permutations(
    num_permutations, rule=permutation_rule, seed=0)`, rebuilt from those options on load.

    Args:
      permutation_head: [N, grid², D] tile features in puzzle order → [N, num_permutations]
        logits (`build_tile_head`: fc6 per tile, concatenation, fc7, fc8).
      num_permutations: P, the classes of the puzzle.
      permutation_rule: "average" (the paper's maximal mean Hamming distance) or "minimum".
      encoder, tiles, encoder_bn_inference_mode: as `TileClassifier`.
    """

    metric_names = ("permutation_acc",)
    components = ("encoder", "permutation_head")
    options = TileClassifier.options + ("num_permutations", "permutation_rule")

    def __init__(
        self,
        encoder,
        permutation_head,
        tiles=None,
        num_permutations=100,
        permutation_rule="average",
        encoder_bn_inference_mode=False,
        **kwargs,
    ):
        super().__init__(encoder, tiles, encoder_bn_inference_mode, **kwargs)
        self.permutation_head = permutation_head
        self.num_permutations = num_permutations
        self.permutation_rule = permutation_rule
        self.permutations = jigsaw_permutations(
            num_permutations, grid=self.grid.grid, rule=permutation_rule
        )  # [P, grid²]

    @classmethod
    def components_from_config(cls, task_config):
        encoder = build_encoder(task_config.model.backbone)
        tiles = task_config.tiles
        head = build_tile_head(
            tiles.grid**2,
            encoder.output_shape[-1],
            task_config.tile_dim,
            task_config.head_hidden_dim,
            task_config.num_permutations,
            task_config.model.backbone,
            "permutation_head",
        )
        return {
            "encoder": encoder,
            "permutation_head": head,
            "tiles": tile_grid_option(tiles),
        }

    def build_inputs(self, data_config, seed):
        """Batches of `{"tiles": [b, grid², t, t, 3] in puzzle order, "permutation": int32 [b],
        "index"}`, the tiles cut from the first view."""

        def transform(element, element_seed):
            tiles, label = jigsaw_puzzle(
                element["views"][0], self.grid, self.permutations, element_seed
            )
            return {"tiles": tiles, "permutation": label, "index": element["index"]}

        return tile_input_fn(data_config, seed, transform)

    def compute_batch_loss(self, data, training):
        features = self.encode(data["tiles"], training)  # [b, grid², D]
        logits = self.permutation_head(features, training=training)  # [b, P]
        loss, accuracy = losses.pseudo_label_cross_entropy(data["permutation"], logits)
        return loss, {"permutation_acc": accuracy}
