"""ResNet residual blocks (basic and bottleneck) on Keras functional tensors."""

import keras

from tfssl.models.layers import conv2d

BOTTLENECK_EXPANSION = 4


def _shortcut(x, out_channels, strides, norm, name):
    """Identity, or a 1x1 conv + BN projection when the block changes resolution or width."""
    if strides == 1 and x.shape[-1] == out_channels:
        return x
    x = conv2d(x, out_channels, 1, strides, name=f"{name}_shortcut_conv")
    return norm(f"{name}_shortcut_bn")(x)


def _merge(shortcut, residual, name):
    """Add the residual branch to the shortcut and apply the block's output ReLU."""
    x = keras.layers.Add(name=f"{name}_add")([shortcut, residual])
    return keras.layers.ReLU(name=f"{name}_out")(x)


def basic_block(x, filters, strides, norm, zero_init_residual, name):
    """Two 3x3 convs plus shortcut (ResNet-18/34); outputs `filters` channels.

    `norm(name, zero_init=False)` builds a BN layer; `zero_init_residual` zeroes the last gamma.
    """
    shortcut = _shortcut(x, filters, strides, norm, name)
    y = conv2d(x, filters, 3, strides, name=f"{name}_conv1")
    y = norm(f"{name}_bn1")(y)
    y = keras.layers.ReLU(name=f"{name}_relu1")(y)
    y = conv2d(y, filters, 3, name=f"{name}_conv2")
    y = norm(f"{name}_bn2", zero_init=zero_init_residual)(y)
    return _merge(shortcut, y, name)


def bottleneck_block(x, filters, strides, norm, zero_init_residual, name):
    """1x1 reduce, 3x3 (strided, ResNet v1.5), 1x1 expand plus shortcut (ResNet-50).

    Outputs `filters * BOTTLENECK_EXPANSION` channels; arguments as in `basic_block`.
    """
    out_channels = filters * BOTTLENECK_EXPANSION
    shortcut = _shortcut(x, out_channels, strides, norm, name)
    y = conv2d(x, filters, 1, name=f"{name}_conv1")
    y = norm(f"{name}_bn1")(y)
    y = keras.layers.ReLU(name=f"{name}_relu1")(y)
    y = conv2d(y, filters, 3, strides, name=f"{name}_conv2")
    y = norm(f"{name}_bn2")(y)
    y = keras.layers.ReLU(name=f"{name}_relu2")(y)
    y = conv2d(y, out_channels, 1, name=f"{name}_conv3")
    y = norm(f"{name}_bn3", zero_init=zero_init_residual)(y)
    return _merge(shortcut, y, name)
