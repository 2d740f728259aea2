"""A three-layer convolutional backbone for fast tests."""

import keras

from tfssl.models.layers import batch_norm, conv2d, input_transform


def tiny_backbone(
    width=8,
    sync_bn=False,
    name=None,
    bn_momentum=0.9,
    bn_epsilon=1e-5,
    sobel=False,
    standardize_input=False,
):
    """Conv-BN-ReLU x3 (widths w, 2w, 2w; the second strided) + global average pooling.

    Same convention as the ResNets: images [N, H, W, 3] -> features [N, 2*width], with the dim
    also in `model.feature_dim`; it exists so method/trainer tests run in seconds. `sobel` and
    `standardize_input` put the same fixed front end first as in the ResNets.
    """
    name = name or "tiny_backbone"
    with keras.name_scope(name):
        images = keras.Input(shape=(None, None, 3), name="images")
        x = input_transform(images, standardize_input, sobel)
        for index, (filters, strides) in enumerate(
            [(width, 1), (2 * width, 2), (2 * width, 1)], start=1
        ):
            x = conv2d(x, filters, 3, strides, name=f"conv{index}")
            x = batch_norm(f"bn{index}", sync_bn=sync_bn, momentum=bn_momentum, epsilon=bn_epsilon)(
                x
            )
            x = keras.layers.ReLU(name=f"relu{index}")(x)
        features = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        model = keras.Model(images, features, name=name)
    model.feature_dim = features.shape[-1]
    return model
