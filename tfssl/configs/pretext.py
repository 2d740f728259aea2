"""Data settings shared by the methods that classify pseudo-labels of one lightly augmented view
(RotNet, DeepCluster, DeeperCluster, SeLa): a random crop (and flip where the images allow it),
no colour changes; and the tile grid of the tile methods (jigsaw, relative location, PIRL), with
the runs shared by those that classify tile arrangements (jigsaw, relative location)."""

import dataclasses
from dataclasses import dataclass, field

from tfssl.configs import base, common
from tfssl.data.tiles import TileGrid


@dataclass
class TilesConfig:
    """The tile grid of the tile methods (`tfssl.data.tiles.TileGrid`): the view is resized to
    `image_size`², split into `grid`×`grid` cells, and each tile is a `tile_size` crop of its
    cell, at least `gap` pixels from its neighbours and jittered by the rest of the cell.
    The default is PIRL's embedded one: 32 px digits upsampled to 96 px, 3×3 cells of 32 px,
    24 px tiles with up to 8 px of jitter (the paper's tile/cell ratio, 64/85)."""

    grid: int = 3
    image_size: int = 96
    tile_size: int = 24
    gap: int = 0

    def validate(self, path):
        try:
            TileGrid(**dataclasses.asdict(self)).validate()
        except ValueError as error:
            raise base.ConfigError(f"{path}: {error}") from None


@dataclass
class TileClassifierTaskConfig(base.TaskConfig):
    """What the tasks that classify tile arrangements (jigsaw, relative location) share: the
    grid `tiles`, a classifier on the tile features (a `tile_dim` layer per tile, fc6, then one
    `head_hidden_dim` layer on their concatenation, fc7), and `encoder_bn_inference_mode`: the
    encoder's batch norm stays in inference mode, normalising with its initial statistics
    throughout training (`tfssl.methods.tiles.encode_tiles`), for tiles much smaller than the
    images it is evaluated on. The backbone should standardise its input (`standardize_input`):
    each tile is then standardised on its own, and evaluation images get the same treatment."""

    tile_dim: int = 256
    head_hidden_dim: int = 512
    tiles: TilesConfig = field(default_factory=TilesConfig)
    encoder_bn_inference_mode: bool = False

    def validate(self, path="task"):
        super().validate(path)
        self.tiles.validate(f"{path}.tiles")
        if min(self.tile_dim, self.head_hidden_dim) < 1:
            raise base.ConfigError(f"{path}: need tile_dim, head_hidden_dim >= 1")


def light_augmentation(flip):
    """Crop (and optionally flip) only: the pretext label must be learnt from the image content."""
    return base.AugmentationConfig(
        flip=flip, color_jitter_strength=0.0, color_jitter_prob=0.0, grayscale_prob=0.0
    )


def embedded_data(global_batch_size, crop_scale=(0.5, 1.0)):
    """One 32×32 crop of the embedded digits per image (no flips: digits are not symmetric)."""
    return common.embedded_data(
        global_batch_size,
        light_augmentation(flip=False),
        base.ViewsConfig(num_global=1, global_size=32, global_scale=list(crop_scale)),
    )


def imagenet_data(global_batch_size, crop_scale=(0.08, 1.0)):
    """One 224×224 crop of ImageNet per image, flipped at random."""
    return common.imagenet_data(
        global_batch_size,
        light_augmentation(flip=True),
        base.ViewsConfig(num_global=1, global_size=224, global_scale=list(crop_scale)),
    )


def embedded_backbone(sobel=False, standardize_input=False):
    """The other embedded experiments' backbone, without a projector; `sobel` and
    `standardize_input` as the backbone options of those names."""
    backbone = common.embedded_backbone(standardize_input)
    backbone.sobel = sobel
    return base.ModelConfig(backbone=backbone)


def resnet50_backbone(sobel=False, standardize_input=False):
    """ImageNet ResNet-50 with sync BN, standing in for the papers' AlexNet (or VGG-16); `sobel`
    and `standardize_input` as the backbone options of those names."""
    backbone = base.BackboneConfig(
        type="resnet50",
        stem="imagenet",
        sync_bn=True,
        sobel=sobel,
        standardize_input=standardize_input,
    )
    return base.ModelConfig(backbone=backbone)


def embedded_clustering_setup(global_batch_size, base_learning_rate):
    """Data, model and optimiser shared by the clustering methods' embedded runs (DeepCluster,
    DeeperCluster, SeLa), as TaskConfig fields: the backbone sees the Sobel responses of each
    image after per-image standardisation, so that the clusters cannot follow background grey
    level or contrast; AdamW with 20 warm-up steps."""
    return {
        "model": embedded_backbone(sobel=True, standardize_input=True),
        **embedded_data(global_batch_size),
        **common.embedded_adamw(base_learning_rate, warmup_steps=20),
    }


def embedded_tile_data(global_batch_size, crop_scale=(0.6, 1.0), tiles=None):
    """One crop of the embedded digits per image, resized straight to the tile grid's
    `image_size` (one interpolation from the 32 px render), with no flips or colour changes."""
    size = (tiles or TilesConfig()).image_size
    return common.embedded_data(
        global_batch_size,
        light_augmentation(flip=False),
        base.ViewsConfig(num_global=1, global_size=size, global_scale=list(crop_scale)),
    )


def imagenet_tile_data(global_batch_size, image_size=255, crop_scale=(0.6, 1.0)):
    """One crop of ImageNet per image at the tile grid's `image_size` (the papers' 255 px),
    flipped at random and greyscale with probability 0.66 against chromatic-aberration cues
    (VISSL's and Kolesnikov et al.'s jigsaw recipe)."""
    augmentation = base.AugmentationConfig(
        flip=True, color_jitter_strength=0.0, color_jitter_prob=0.0, grayscale_prob=0.66
    )
    views = base.ViewsConfig(num_global=1, global_size=image_size, global_scale=list(crop_scale))
    return common.imagenet_data(global_batch_size, augmentation, views)


def embedded_native_tiles():
    """The tile grid of the tile classifiers' embedded runs: the 32 px digits at their own
    scale, 3×3 cells of 10 px, 8 px tiles with up to 2 px of jitter. The encoder then sees
    strokes at the size the probes read them; on tiles of the 96 px upsampled render the linear
    probe scored 26.3% (jigsaw) and 24.9% (relative location), at 48 px 32.7% (jigsaw), at this
    scale 35.4% and 36.6%."""
    return TilesConfig(image_size=32, tile_size=8)


def embedded_tile_setup(global_batch_size):
    """Tiles, model, data and optimiser shared by the tile classifiers' embedded runs (jigsaw,
    relative location), as TaskConfig fields: `embedded_native_tiles`, the embedded backbone on
    standardised input (the tiles are standardised one by one, so evaluation images get the same
    statistics) with its batch norm in inference mode (statistics of 8 px tiles describe 32 px
    images badly: with them jigsaw probed at 35.4%, below random init's 41.2%; without, 48.4%),
    one crop per image at the tile grid's size, AdamW with 20 warm-up steps."""
    tiles = embedded_native_tiles()
    return {
        "tiles": tiles,
        "encoder_bn_inference_mode": True,
        "model": embedded_backbone(standardize_input=True),
        **embedded_tile_data(global_batch_size, tiles=tiles),
        **common.embedded_adamw(warmup_steps=20),
    }


def imagenet_tile_setup(global_batch_size, tiles, **sgd_options):
    """Tile grid, model, data and optimiser shared by the tile classifiers' ImageNet runs
    (jigsaw, relative location), as TaskConfig fields: `tiles`, ResNet-50 on standardised input
    standing in for the papers' AlexNet tower, one crop per image at `tiles.image_size`, and
    step-decayed SGD (`sgd_options`: `common.sgd`'s arguments)."""
    return {
        "tiles": tiles,
        "model": resnet50_backbone(standardize_input=True),
        **imagenet_tile_data(global_batch_size, image_size=tiles.image_size),
        **common.sgd(type="step", **sgd_options),
    }
