"""WRN-28-2, the backbone of the semi-supervised benchmarks (MixMatch, ReMixMatch, FixMatch).

As google-research/fixmatch `libml/models.py::ResNet` with filters=32, repeat=4, scales=3: a 16
channel stem conv, three stages of four pre-activation residual blocks (BN, leaky ReLU(0.1),
3×3 conv, twice) of widths 32, 64, 128, and BN, leaky ReLU, global average pooling. The convs
are bias-free (BN follows every conv before any nonlinearity) and He-normal fan-out initialised,
as the reference's N(0, 2 / (k²·filters)); the stride-2 convs pad symmetrically (`conv2d`), so a
strided 3×3 conv and its 1×1 shortcut sample the same pixels.
"""

import functools

import keras

from tfssl.models.layers import batch_norm, conv2d, input_transform, scaled_width

LEAKY_SLOPE = 0.1
_STEM_WIDTH = 16
_STAGE_WIDTHS = (32, 64, 128)
_BLOCKS_PER_STAGE = 4  # (depth 28 - 4) / 6


def wide_resnet28_2(
    width_multiplier=1.0,
    sync_bn=False,
    bn_momentum=0.999,
    bn_epsilon=1e-3,
    name=None,
    sobel=False,
    standardize_input=False,
):
    """Build WRN-28-2 from images [N, H, W, 3] to pooled features [N, 128·width_multiplier].

    Args:
      width_multiplier: scales the stage widths 32, 64, 128 (the stem keeps 16 channels).
      sync_bn: synchronise BN statistics across replicas.
      bn_momentum: Keras BN momentum (moving = momentum · moving + (1 - momentum) · batch);
        the papers use 0.999.
      bn_epsilon: BN epsilon (TF1's default 1e-3, as the reference).
      name: model name and variable name scope (default "wrn28_2").
      sobel: put the fixed `SobelFilter` first.
      standardize_input: put `PerImageStandardization` first.

    Returns:
      a `keras.Model` with the feature dim in `model.feature_dim`.
    """
    name = name or "wrn28_2"
    norm = functools.partial(batch_norm, sync_bn=sync_bn, momentum=bn_momentum, epsilon=bn_epsilon)
    with keras.name_scope(name):
        images = keras.Input(shape=(None, None, 3), name="images")
        x = input_transform(images, standardize_input, sobel)
        x = conv2d(x, _STEM_WIDTH, 3, name="stem_conv")
        for stage, base_width in enumerate(_STAGE_WIDTHS, start=1):
            filters = scaled_width(base_width, width_multiplier)
            for index in range(1, _BLOCKS_PER_STAGE + 1):
                first = index == 1
                x = _residual_block(
                    x,
                    filters,
                    strides=2 if first and stage > 1 else 1,
                    norm=norm,
                    activate_before_residual=first and stage == 1,
                    name=f"stage{stage}_block{index}",
                )
        x = _bn_leaky_relu(x, norm, "final")
        features = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        model = keras.Model(images, features, name=name)
    model.feature_dim = features.shape[-1]
    return model


def _bn_leaky_relu(x, norm, name):
    """BN then leaky ReLU(0.1): the pre-activation of every conv."""
    x = norm(f"{name}_bn")(x)
    return keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"{name}_lrelu")(x)


def _residual_block(x, filters, strides, norm, activate_before_residual, name):
    """One pre-activation block: BN, leaky ReLU, 3×3 conv (strided), BN, leaky ReLU, 3×3 conv,
    plus the shortcut, a 1×1 conv when the block changes width or resolution.

    As the reference, the shortcut reads the pre-activated input only in the network's first
    block (`activate_before_residual`, right after the stem conv); elsewhere it reads the raw
    input.
    """
    preactivated = _bn_leaky_relu(x, norm, f"{name}_pre")
    shortcut = preactivated if activate_before_residual else x
    y = conv2d(preactivated, filters, 3, strides, name=f"{name}_conv1")
    y = _bn_leaky_relu(y, norm, f"{name}_mid")
    y = conv2d(y, filters, 3, name=f"{name}_conv2")
    if strides > 1 or x.shape[-1] != filters:
        shortcut = conv2d(shortcut, filters, 1, strides, name=f"{name}_shortcut_conv")
    return keras.layers.Add(name=f"{name}_add")([shortcut, y])
