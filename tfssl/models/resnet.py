"""ResNet-18/34/50 backbones that map images to global-average-pooled features."""

import functools

import keras

from tfssl.models.blocks import basic_block, bottleneck_block
from tfssl.models.layers import batch_norm, conv2d, input_transform, scaled_width

# depth -> (residual block, number of blocks in each of the four stages)
_ARCHITECTURES = {
    18: (basic_block, (2, 2, 2, 2)),
    34: (basic_block, (3, 4, 6, 3)),
    50: (bottleneck_block, (3, 4, 6, 3)),
}
STEMS = ("cifar", "imagenet")


def _stem(x, kind, width, norm):
    """CIFAR: 3x3/1 conv, BN, ReLU (keeps H, W). ImageNet: 7x7/2 conv, BN, ReLU, 3x3/2 max-pool."""
    if kind == "cifar":
        x = conv2d(x, width, 3, name="stem_conv")
        x = norm("stem_bn")(x)
        return keras.layers.ReLU(name="stem_relu")(x)
    x = conv2d(x, width, 7, strides=2, name="stem_conv")
    x = norm("stem_bn")(x)
    x = keras.layers.ReLU(name="stem_relu")(x)
    return keras.layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)


def resnet(
    depth,
    stem="cifar",
    width_multiplier=1.0,
    zero_init_residual=False,
    sync_bn=False,
    bn_momentum=0.9,
    bn_epsilon=1e-5,
    name=None,
    sobel=False,
    standardize_input=False,
):
    """Build a ResNet-{18,34,50} Model from images [N, H, W, 3] to pooled features [N, D].

    `sobel` puts the fixed `SobelFilter` before the stem, as DeepCluster does;
    `standardize_input` puts `PerImageStandardization` first.

    D is 512*w (18/34) or 2048*w (50) with base width round(64*w); it is also `model.feature_dim`.
    Variables are created under the name scope `name` (default "resnet{depth}"), so their paths
    read e.g. "resnet18/stage2_block1_conv1/kernel".
    """
    if depth not in _ARCHITECTURES:
        raise ValueError(f"Unsupported ResNet depth {depth}; valid: {sorted(_ARCHITECTURES)}.")
    if stem not in STEMS:
        raise ValueError(f"Unknown stem {stem!r}; valid: {STEMS}.")
    block, blocks_per_stage = _ARCHITECTURES[depth]
    name = name or f"resnet{depth}"
    base_width = scaled_width(64, width_multiplier)
    norm = functools.partial(batch_norm, sync_bn=sync_bn, momentum=bn_momentum, epsilon=bn_epsilon)

    with keras.name_scope(name):
        images = keras.Input(shape=(None, None, 3), name="images")
        x = _stem(input_transform(images, standardize_input, sobel), stem, base_width, norm)
        for stage, num_blocks in enumerate(blocks_per_stage, start=1):
            filters = base_width * 2 ** (stage - 1)
            for index in range(1, num_blocks + 1):
                strides = 2 if stage > 1 and index == 1 else 1
                x = block(
                    x, filters, strides, norm, zero_init_residual, name=f"stage{stage}_block{index}"
                )
        features = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        model = keras.Model(images, features, name=name)
    model.feature_dim = features.shape[-1]
    return model


def resnet18(*args, **kwargs):
    """ResNet-18 (basic blocks, 2-2-2-2); arguments after `depth` as in `resnet`."""
    return resnet(18, *args, **kwargs)


def resnet34(*args, **kwargs):
    """ResNet-34 (basic blocks, 3-4-6-3); arguments after `depth` as in `resnet`."""
    return resnet(34, *args, **kwargs)


def resnet50(*args, **kwargs):
    """ResNet-50 v1.5 (bottleneck blocks, 3-4-6-3); arguments after `depth` as in `resnet`."""
    return resnet(50, *args, **kwargs)
