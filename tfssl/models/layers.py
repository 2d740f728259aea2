"""The fused batch-norm layer, the convolution and batch-norm builders shared by the backbones
and heads, and the fixed input transforms (per-image standardisation, Sobel)."""

import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfssl")
class BatchNormalization(keras.layers.BatchNormalization):
    """Keras' BatchNormalization whose training pass over [N, H, W, C] maps is TensorFlow's fused
    kernel (one op each way instead of Keras 3's moments and normalise ops: fewer passes over the
    largest tensors). Outputs and moving statistics match Keras' (biased variance); synchronised
    BN, masks and other layouts keep Keras' path."""

    def call(self, inputs, training=None, mask=None):
        rank = len(inputs.shape)
        if (
            not (training and self.trainable)
            or self.synchronized
            or self.renorm
            or mask is not None
            or rank != 4
            or self.axis % rank != 3
        ):
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        scale = self.gamma if self.scale else tf.ones([channels])
        offset = self.beta if self.center else tf.zeros([channels])
        outputs, mean, unbiased_variance = tf.compat.v1.nn.fused_batch_norm(
            inputs, scale, offset, epsilon=self.epsilon, is_training=True
        )
        count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:3]), tf.float32)
        variance = unbiased_variance * (count - 1.0) / count  # Keras keeps the biased variance.
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(
            self.moving_variance * self.momentum + variance * (1.0 - self.momentum)
        )
        return tf.cast(outputs, self.compute_dtype)


def scaled_width(base, multiplier):
    """Channel count `base * multiplier` rounded to an int of at least 1, for width-scaled nets."""
    return max(1, int(round(base * multiplier)))


def conv2d(x, filters, kernel_size, strides=1, name=None):
    """Apply a bias-free, He-normal (fan-out) initialised convolution to `x`.

    Strided convolutions pad symmetrically and then use "valid" padding, as the reference ResNet
    does; Keras' "same" would put the extra row/column only at the bottom/right. Either way the
    output size is ceil(input / strides), so any H, W works.
    """
    padding = "same"
    if strides > 1:
        total = kernel_size - 1
        if total:
            begin, end = total // 2, total - total // 2
            x = keras.layers.ZeroPadding2D(((begin, end), (begin, end)), name=f"{name}_pad")(x)
        padding = "valid"
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,
        kernel_initializer=keras.initializers.VarianceScaling(
            scale=2.0, mode="fan_out", distribution="truncated_normal"
        ),
        name=name,
    )(x)


def batch_norm(
    name,
    sync_bn=False,
    momentum=0.9,
    epsilon=1e-5,
    center=True,
    scale=True,
    zero_init=False,
):
    """A BatchNormalization layer; `sync_bn` pools statistics across replicas (large-batch SSL).

    `zero_init=True` starts gamma at zero so a residual branch initially outputs zero.
    """
    return BatchNormalization(
        momentum=momentum,
        epsilon=epsilon,
        center=center,
        scale=scale,
        gamma_initializer="zeros" if zero_init else "ones",
        synchronized=sync_bn,
        name=name,
    )


@keras.saving.register_keras_serializable(package="tfssl")
class SobelFilter(keras.layers.Layer):
    """DeepCluster's fixed input transform: the mean of the RGB channels, then its horizontal and
    vertical 3×3 Sobel responses (zero padding). It removes colour and absolute grey level, which
    clustering would otherwise group images by. [N, H, W, 3] -> [N, H, W, 2]."""

    def call(self, images):
        grey = keras.ops.mean(images, axis=-1, keepdims=True)  # [N, H, W, 1]
        sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32)
        kernel = np.stack([sobel_x, sobel_x.T], axis=-1)[:, :, None, :]  # [3, 3, 1, 2]
        return keras.ops.conv(grey, keras.ops.cast(kernel, grey.dtype), padding="same")

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2)


@keras.saving.register_keras_serializable(package="tfssl")
class PerImageStandardization(keras.layers.Layer):
    """Each image shifted and scaled to zero mean and unit standard deviation over its pixels and
    channels (`tf.image.per_image_standardization`; the std is floored at 1/sqrt(H·W·C), so a
    flat image stays flat). It removes every image's overall grey level and contrast, global cues
    that bootstrapping and clustering objectives otherwise latch on to. [N, H, W, C] -> same."""

    def call(self, images):
        return tf.image.per_image_standardization(images)


def input_transform(images, standardize=False, sobel=False):
    """The backbones' fixed front end: optional per-image standardisation, then optional Sobel."""
    if standardize:
        images = PerImageStandardization(name="standardize")(images)
    return SobelFilter(name="sobel")(images) if sobel else images
