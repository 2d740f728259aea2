"""Jigsaw experiments: a quick run on the embedded digits and the paper's ImageNet setting."""

from dataclasses import dataclass

from tfssl.configs import base, common, pretext
from tfssl.configs.registry import register_experiment, register_task
from tfssl.data.jigsaw import PERMUTATION_RULES


@register_task("jigsaw")
@dataclass
class JigsawTaskConfig(pretext.TileClassifierTaskConfig):
    """Jigsaw: `num_permutations` puzzle classes chosen by `permutation_rule` ("average": the
    paper's maximal mean Hamming distance; "minimum": maximal minimum distance); tiles, head and
    batch norm as `TileClassifierTaskConfig`."""

    method: str = "jigsaw"
    num_permutations: int = 100
    permutation_rule: str = "average"

    def validate(self, path="task"):
        super().validate(path)
        base._check_choice(f"{path}.permutation_rule", self.permutation_rule, PERMUTATION_RULES)
        if self.num_permutations < 2:
            raise base.ConfigError(f"{path}.num_permutations must be >= 2")


@register_experiment("jigsaw_embedded")
def jigsaw_embedded():
    """The embedded backbone (standardised input, batch norm in inference mode) on 8 px tiles of
    the 32 px digits (one crop of scale 0.6–1 per image), 100 permutations, batch 32 images (288
    tiles), AdamW."""
    task = JigsawTaskConfig(**pretext.embedded_tile_setup(global_batch_size=32))
    return common.embedded_experiment(task, train_steps=400)


@register_experiment("jigsaw_imagenet")
def jigsaw_imagenet():
    """Jigsaw on ImageNet as the paper: a 255 px crop in 3×3 cells of 85 px, 64 px tiles (jitter
    21), 1000 permutations of maximal mean Hamming distance, fc7 of 4096 units, batch 256, SGD
    (momentum 0.9) lr 0.01, wd 5e-4, the rate ×0.1 every 100k of 350k iterations (70 epochs).
    ResNet-50 (standardised input, batch statistics) stands in for the AlexNet tower."""
    task = JigsawTaskConfig(
        num_permutations=1000,
        head_hidden_dim=4096,
        **pretext.imagenet_tile_setup(
            global_batch_size=256,
            tiles=pretext.TilesConfig(image_size=255, tile_size=64),
            base_learning_rate=0.01,
            weight_decay=5e-4,
            decay_boundaries=[100_000, 200_000, 300_000],
            decay_rate=0.1,
        ),
    )
    return common.imagenet_experiment(task, epochs=70)  # 350k iterations of 256
