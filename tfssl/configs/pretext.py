"""Data settings shared by the methods that classify pseudo-labels of one lightly augmented view
(RotNet, DeepCluster): a random crop (and flip where the images allow it), no colour changes."""

from tfssl.configs import base, common


def light_augmentation(flip):
    """Crop (and optionally flip) only: the pretext label must be learnt from the image content."""
    return base.AugmentationConfig(
        flip=flip, color_jitter_strength=0.0, color_jitter_prob=0.0, grayscale_prob=0.0
    )


def embedded_data(global_batch_size, crop_scale=(0.5, 1.0)):
    """One 32×32 crop of the embedded digits per image (no flips: digits are not symmetric)."""
    train = base.DataConfig(
        source="embedded",
        split="train",
        global_batch_size=global_batch_size,
        augmentation=light_augmentation(flip=False),
        views=base.ViewsConfig(num_global=1, global_size=32, global_scale=list(crop_scale)),
    )
    return train, base.DataConfig(source="embedded", split="test", cache=False, shuffle_buffer=0)


def imagenet_data(global_batch_size, crop_scale=(0.08, 1.0)):
    """One 224×224 crop of ImageNet per image, flipped at random."""
    train = base.DataConfig(
        source="tfds",
        tfds_name="imagenet2012",
        split="train",
        global_batch_size=global_batch_size,
        image_size=224,
        augmentation=light_augmentation(flip=True),
        views=base.ViewsConfig(num_global=1, global_size=224, global_scale=list(crop_scale)),
    )
    evaluation = base.DataConfig(
        source="tfds", tfds_name="imagenet2012", split="validation", image_size=224,
        cache=False, shuffle_buffer=0,
    )
    return train, evaluation


def embedded_backbone(sobel=False, standardize_input=False):
    """The other embedded experiments' backbone, without a projector; `sobel` and
    `standardize_input` as the backbone options of those names."""
    backbone = common.embedded_backbone()
    backbone.sobel = sobel
    backbone.standardize_input = standardize_input
    return base.ModelConfig(backbone=backbone)


def resnet50_backbone(sobel=False):
    """ImageNet ResNet-50 with sync BN, standing in for the papers' AlexNet (or VGG-16)."""
    return base.ModelConfig(
        backbone=base.BackboneConfig(type="resnet50", stem="imagenet", sync_bn=True, sobel=sobel)
    )
