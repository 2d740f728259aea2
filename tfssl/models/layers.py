"""The fused batch-norm layer, the convolution and batch-norm builders shared by the backbones
and heads, and the fixed input transforms (per-image standardisation, Sobel)."""

import contextlib
import threading

import keras
import numpy as np
import tensorflow as tf


_FROZEN = threading.local()


def _frozen_depth():
    """How many `frozen_batch_statistics` scopes this thread is inside."""
    return getattr(_FROZEN, "depth", 0)


@contextlib.contextmanager
def frozen_batch_statistics():
    """While active, BatchNormalization layers called with training=True normalise with the
    batch's statistics (synchronised across replicas when `synchronized=True`) but leave
    moving_mean / moving_variance untouched: vat_tf's `update_batch_stats=False`, for forwards
    (VAT's perturbed passes, MixMatch's extra chunks) whose batches must not steer the statistics
    used at inference.

    The scope is read in Python when a layer is called, so a model traced inside it keeps the
    frozen behaviour in its graph. Scopes nest. The state is per thread, and MirroredStrategy runs
    each replica in its own thread: enter the scope inside the replica function (e.g. in
    `train_step`), not around `strategy.run`.
    """
    _FROZEN.depth = _frozen_depth() + 1
    try:
        yield
    finally:
        _FROZEN.depth -= 1


@keras.saving.register_keras_serializable(package="tfssl")
class BatchNormalization(keras.layers.BatchNormalization):
    """Keras' BatchNormalization whose training pass over [N, H, W, C] maps is TensorFlow's fused
    kernel (one op each way instead of Keras 3's moments and normalise ops: fewer passes over the
    largest tensors). Outputs and moving statistics match Keras' (biased variance); synchronised
    BN, masks and other layouts keep Keras' path. Inside `frozen_batch_statistics()` training
    passes skip the moving-statistics update on either path."""

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable):
            return super().call(inputs, training=training, mask=mask)
        frozen = _frozen_depth() > 0
        if self._fusable(inputs, mask):
            return self._fused_training_call(inputs, update_statistics=not frozen)
        if frozen:
            return self._frozen_training_call(inputs, mask)
        return super().call(inputs, training=training, mask=mask)

    def _fusable(self, inputs, mask):
        """Whether the fused kernel reproduces Keras here: plain per-replica BN over NHWC maps."""
        rank = len(inputs.shape)
        return (
            not self.synchronized
            and not self.renorm
            and mask is None
            and rank == 4
            and self.axis % rank == 3
        )

    def _fused_training_call(self, inputs, update_statistics):
        """Batch-statistics normalisation by the fused kernel, updating the moving statistics
        (momentum as Keras) when `update_statistics`."""
        channels = inputs.shape[-1]
        scale = self.gamma if self.scale else tf.ones([channels])
        offset = self.beta if self.center else tf.zeros([channels])
        outputs, mean, unbiased_variance = tf.compat.v1.nn.fused_batch_norm(
            inputs, scale, offset, epsilon=self.epsilon, is_training=True
        )
        if update_statistics:
            count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:3]), tf.float32)
            variance = unbiased_variance * (count - 1.0) / count  # Keras keeps the biased variance.
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                self.moving_variance * self.momentum + variance * (1.0 - self.momentum)
            )
        return tf.cast(outputs, self.compute_dtype)

    def _frozen_training_call(self, inputs, mask):
        """Keras' training pass (its dtype handling, (synchronised) moments, masks and batch
        renormalisation's correction) without any assign to the moving or renorm statistics."""
        inputs = keras.ops.cast(inputs, keras.backend.result_type(inputs.dtype, "float32"))
        gamma = keras.ops.cast(self.gamma, inputs.dtype) if self.scale else None
        beta = keras.ops.cast(self.beta, inputs.dtype) if self.center else None
        mean, variance = self._moments(inputs, mask)
        if self.renorm:
            r, d, mean, variance = self._renorm_correction_and_moments(mean, variance)
            gamma, beta = self._compose_transforms(r, d, gamma, beta, inputs.dtype)
        outputs = keras.ops.batch_normalization(
            inputs,
            mean=mean,
            variance=variance,
            axis=self.axis,
            offset=beta,
            scale=gamma,
            epsilon=self.epsilon,
        )
        return keras.ops.cast(outputs, self.compute_dtype)


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
