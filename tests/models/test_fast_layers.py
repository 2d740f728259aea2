"""The CPU-speed fused batch norm gives Keras' numbers."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfssl.models import layers


def _loss_and_gradients(layer, x):
    """Training-mode output and the gradients of a loss that weighs every output."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        weights = tf.random.stateless_normal(tf.shape(y), [3, 4])  # a loss that weighs every output
        loss = tf.reduce_sum(y * weights)
    return y, tape.gradient(loss, [x] + layer.trainable_weights)


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
    y, grads = _loss_and_gradients(fused, x)
    y_ref, grads_ref = _loss_and_gradients(plain, x)
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
