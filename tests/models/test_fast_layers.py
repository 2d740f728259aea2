"""The CPU-speed layers give Keras' numbers: forward-convolution gradients and fused batch norm."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfssl.models import conv_gradients, layers


@pytest.fixture
def forward_mode():
    conv_gradients.set_mode("forward")
    yield
    conv_gradients.set_mode("native")


def _loss_and_gradients(layer, x, training=None):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x) if training is None else layer(x, training=training)
        weights = tf.random.stateless_normal(tf.shape(y), [3, 4])  # a loss that weighs every output
        loss = tf.reduce_sum(y * weights)
    return y, tape.gradient(loss, [x] + layer.trainable_weights)


def _assert_forward_mode_matches_native(layer, x):
    """The layer's output and gradients in forward mode equal those with TF's kernels."""
    layer.build(x.shape)
    y, grads = _loss_and_gradients(layer, x)
    conv_gradients.set_mode("native")
    y_ref, grads_ref = _loss_and_gradients(layer, x)
    np.testing.assert_allclose(y.numpy(), y_ref.numpy(), atol=1e-5)
    for grad, ref in zip(grads, grads_ref):
        np.testing.assert_allclose(grad.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "kernel_size,channels,side", [(3, (5, 7), 9), (1, (4, 6), 9), (5, (2, 3), 9), (3, (2, 3), 17)]
)
def test_forward_mode_conv_gradients_equal_tensorflows(forward_mode, kernel_size, channels, side):
    """Maps up to 16×16 take the forward-conv kernel gradient, larger ones TF's (side 17)."""
    x = tf.random.stateless_normal([3, side, side - 1, channels[0]], [1, 2])
    layer = layers.Conv2D(channels[1], kernel_size, padding="same", use_bias=False)
    _assert_forward_mode_matches_native(layer, x)


@pytest.mark.parametrize(
    "kernel_size,strides,side", [(3, 2, 9), (3, 2, 10), (1, 2, 8), (7, 2, 13), (3, 3, 11)]
)
def test_forward_mode_strided_conv_gradients_equal_tensorflows(
    forward_mode, kernel_size, strides, side
):
    """The polyphase input gradient of "valid" strided convolutions (the ResNet downsampling
    convs after explicit padding), including input rows no output window reaches."""
    x = tf.random.stateless_normal([2, side, side, 3], [7, 8])
    layer = layers.Conv2D(4, kernel_size, strides=strides, padding="valid", use_bias=False)
    _assert_forward_mode_matches_native(layer, x)


def test_forward_mode_applies_to_same_stride_one_and_valid_strided_convolutions(forward_mode):
    assert conv_gradients.applies((3, 3), (1, 1), "same", (1, 1), 1)
    assert conv_gradients.applies((3, 3), (2, 2), "valid", (1, 1), 1)
    assert not conv_gradients.applies((3, 3), (2, 2), "same", (1, 1), 1)
    assert not conv_gradients.applies((3, 3), (2, 1), "valid", (1, 1), 1)
    assert not conv_gradients.applies((2, 2), (1, 1), "same", (1, 1), 1)  # even kernel
    assert not conv_gradients.applies((3, 3), (1, 1), "same", (2, 2), 1)
    conv_gradients.set_mode("native")
    assert not conv_gradients.applies((3, 3), (1, 1), "same", (1, 1), 1)


def test_auto_mode_is_forward_on_cpu_only():
    assert conv_gradients.resolve_mode("auto", on_cpu=True, onednn=False) == "forward"
    assert conv_gradients.resolve_mode("auto", on_cpu=True, onednn=True) == "native"
    assert conv_gradients.resolve_mode("auto", on_cpu=False) == "native"
    assert conv_gradients.resolve_mode("native", on_cpu=True) == "native"
    with pytest.raises(ValueError, match="conv gradient mode"):
        conv_gradients.set_mode("fast")


@pytest.mark.parametrize("center_and_scale", [True, False])
def test_fused_batch_norm_equals_keras(center_and_scale):
    x = tf.random.stateless_normal([4, 5, 6, 3], [5, 6]) * 2.0 + 1.0
    fused = layers.BatchNormalization(momentum=0.8, center=center_and_scale, scale=center_and_scale)
    plain = keras.layers.BatchNormalization(
        momentum=0.8, epsilon=fused.epsilon, center=center_and_scale, scale=center_and_scale
    )
    for layer in (fused, plain):
        layer.build(x.shape)
        if center_and_scale:
            layer.gamma.assign([0.5, 1.5, 2.0])
            layer.beta.assign([0.1, -0.2, 0.3])
    y, grads = _loss_and_gradients(fused, x, training=True)
    y_ref, grads_ref = _loss_and_gradients(plain, x, training=True)
    np.testing.assert_allclose(y.numpy(), y_ref.numpy(), atol=1e-5)
    for grad, ref in zip(grads, grads_ref):
        np.testing.assert_allclose(grad.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)
    # Moving statistics: 0.8·init + 0.2·batch statistic, the variance biased as in Keras.
    mean = x.numpy().mean(axis=(0, 1, 2))
    np.testing.assert_allclose(fused.moving_mean.numpy(), 0.2 * mean, atol=1e-6)
    np.testing.assert_allclose(
        fused.moving_variance.numpy(), 0.8 + 0.2 * x.numpy().var(axis=(0, 1, 2)), rtol=1e-5
    )
    np.testing.assert_allclose(
        fused.moving_variance.numpy(), plain.moving_variance.numpy(), rtol=1e-5
    )
    # Inference uses the moving statistics in both.
    np.testing.assert_allclose(
        fused(x, training=False).numpy(), plain(x, training=False).numpy(), atol=1e-5
    )
