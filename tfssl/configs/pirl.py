"""PIRL experiments: a quick run on the embedded digits and the paper's ImageNet setting."""

from dataclasses import dataclass, field

from tfssl.configs import base, common, pretext
from tfssl.configs.npid import NPIDTaskConfig
from tfssl.configs.registry import register_experiment, register_task


@register_task("pirl")
@dataclass
class PIRLTaskConfig(NPIDTaskConfig):
    """PIRL: NPID's bank and embedding, plus a jigsaw branch of `tiles` weighted by
    `loss_weight` (λ). The image branch reads the first view, the tiles are cut from the last
    one: give `train_data.views` one local view at `tiles.image_size` for the paper's separate
    patch crop (scale 0.6–1)."""

    method: str = "pirl"
    loss_weight: float = 0.5
    tiles: pretext.TilesConfig = field(default_factory=pretext.TilesConfig)

    def validate(self, path="task"):
        super().validate(path)
        self.tiles.validate(f"{path}.tiles")
        if not 0.0 <= self.loss_weight <= 1.0:
            raise base.ConfigError(f"{path}.loss_weight must be in [0, 1]")


def image_and_patch_views(image_size, image_scale, tiles):
    """The image crop (a global view) and the separate patch crop the tiles are cut from (the
    one local view, at the tile grid's size, scale 0.6–1)."""
    return base.ViewsConfig(
        num_global=1,
        global_size=image_size,
        global_scale=list(image_scale),
        num_local=1,
        local_size=tiles.image_size,
        local_scale=[0.6, 1.0],
    )


@register_experiment("pirl_embedded")
def pirl_embedded():
    """NPID's embedded run (standardised input, τ = 0.1, bank filled from the initial network,
    colour jitter 0.5) with the tile branch: a 32×32 image crop (scale 0.2–1) and 24 px tiles of
    a second crop upsampled to 96 px, batch 64, AdamW."""
    tiles = pretext.TilesConfig()
    data = common.embedded_data(
        global_batch_size=64, views=image_and_patch_views(32, (0.2, 1.0), tiles)
    )
    task = PIRLTaskConfig(
        temperature=0.1,
        bank_init="features",
        tiles=tiles,
        model=base.ModelConfig(backbone=common.embedded_backbone(standardize_input=True)),
        **data,
        **common.embedded_adamw(warmup_steps=20),
    )
    return common.embedded_experiment(task, train_steps=400)


@register_experiment("pirl_imagenet")
def pirl_imagenet():
    """PIRL on ImageNet as the paper: ResNet-50, 128-d, τ = 0.07, bank momentum 0.5, λ = 0.5; a
    224 px image crop (scale 0.08–1) and a 255 px patch crop (scale 0.6–1) in 3×3 cells of 85 px
    with 64 px tiles; colour jitter, greyscale 0.2 and flips on both; batch 1024, SGD
    0.03·B/256 = 0.12 (momentum 0.9, weight decay 1e-4), cosine, 800 epochs. The full softmax
    over the 1.28M-row bank stands in for NCE with 32 000 negatives."""
    global_batch = 1024
    tiles = pretext.TilesConfig(image_size=255, tile_size=64)
    data = common.imagenet_data(
        global_batch,
        base.AugmentationConfig(flip=True, color_jitter_strength=0.5),
        image_and_patch_views(224, (0.08, 1.0), tiles),
    )
    task = PIRLTaskConfig(
        tiles=tiles,
        model=base.ModelConfig(
            backbone=base.BackboneConfig(
                type="resnet50", stem="imagenet", sync_bn=True, standardize_input=True
            )
        ),
        **data,
        **common.sgd(base_learning_rate=0.03, weight_decay=1e-4, scaling="linear"),
    )
    return common.imagenet_experiment(task, epochs=800, distribution_strategy="mirrored")
