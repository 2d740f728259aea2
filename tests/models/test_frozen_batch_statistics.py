"""`frozen_batch_statistics()`: training-mode batch norm normalises with the batch's statistics but
leaves the moving statistics alone, on the fused, Keras and synchronised paths."""

import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl.models import layers

MOMENTUM = 0.8

# (input shape, layer options): the fused NHWC kernel, Keras' path on rank-2 inputs, and Keras'
# path with batch renormalisation (whose correction reads, and whose update writes, more state).
PATHS = {
    "fused": ([4, 3, 3, 2], {}),
    "keras": ([6, 2], {}),
    "renorm": ([6, 2], {"renorm": True}),
}


def _inputs(shape, seed=0):
    return tf.random.stateless_normal(shape, [seed, 1]) * 2.0 + 1.0


def _layer(shape, **options):
    layer = layers.BatchNormalization(momentum=MOMENTUM, **options)
    layer.build(shape)
    layer.gamma.assign([0.5, 1.5])
    layer.beta.assign([0.1, -0.2])
    return layer


def _state(layer):
    """Every non-trainable variable (moving and renorm statistics) as NumPy."""
    return [v.numpy().copy() for v in layer.non_trainable_weights]


def _batch_norm_reference(x, gamma=(0.5, 1.5), beta=(0.1, -0.2), epsilon=1e-3):
    """Training-mode batch norm in NumPy: statistics over every axis but the last (biased)."""
    axes = tuple(range(x.ndim - 1))
    mean, variance = x.mean(axis=axes), x.var(axis=axes)
    return (x - mean) / np.sqrt(variance + epsilon) * np.asarray(gamma) + np.asarray(beta)


@pytest.mark.parametrize("path", PATHS)
def test_frozen_output_equals_training_output_and_keeps_statistics(path):
    shape, options = PATHS[path]
    layer = _layer(shape, **options)
    x = _inputs(shape)
    before = _state(layer)
    with layers.frozen_batch_statistics():
        frozen = layer(x, training=True).numpy()
    for value, initial in zip(_state(layer), before):
        np.testing.assert_array_equal(value, initial)

    unfrozen = layer(x, training=True).numpy()
    np.testing.assert_allclose(frozen, unfrozen, atol=1e-5)
    # Outside the scope the update runs as before: moving mean = 0.8·0 + 0.2·batch mean.
    batch_mean = x.numpy().reshape(-1, 2).mean(axis=0)
    np.testing.assert_allclose(layer.moving_mean.numpy(), (1 - MOMENTUM) * batch_mean, atol=1e-6)
    if path != "renorm":  # renorm's first steps are its clipped correction, checked equal above
        np.testing.assert_allclose(frozen, _batch_norm_reference(x.numpy()), atol=1e-5)


def test_scopes_nest():
    shape, _ = PATHS["keras"]
    layer = _layer(shape)
    x = _inputs(shape)
    with layers.frozen_batch_statistics():
        with layers.frozen_batch_statistics():
            layer(x, training=True)
        layer(x, training=True)  # still inside the outer scope
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(2))
    layer(x, training=True)
    assert np.all(layer.moving_mean.numpy() != 0.0)


@pytest.mark.parametrize("path", ["fused", "keras"])
def test_function_traced_inside_the_scope_stays_frozen(path):
    shape, options = PATHS[path]
    layer = _layer(shape, **options)
    x = _inputs(shape)

    @tf.function
    def forward(inputs):
        return layer(inputs, training=True)

    with layers.frozen_batch_statistics():
        traced_frozen = forward(x).numpy()
    forward(x)  # the same trace: the frozen behaviour is baked into the graph
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(2))

    @tf.function
    def frozen_inside(inputs):
        with layers.frozen_batch_statistics():
            return layer(inputs, training=True)

    np.testing.assert_allclose(frozen_inside(x).numpy(), traced_frozen, atol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(2))
    np.testing.assert_allclose(traced_frozen, _batch_norm_reference(x.numpy()), atol=1e-5)


def test_synchronized_frozen_on_two_replicas(two_replicas):
    """Per replica, the scope entered inside the replica function: outputs are the global-batch
    normalisation (as unfrozen sync BN gives) and the mirrored moving statistics stay put."""
    x = _inputs([8, 3, 3, 2], seed=2).numpy()
    with two_replicas.scope():
        layer = _layer(x.shape, synchronized=True)

    def frozen(inputs):
        with layers.frozen_batch_statistics():
            return layer(inputs, training=True)

    frozen_outputs = np.concatenate(run_on_replicas(two_replicas, frozen, x))
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(2))
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(2))
    np.testing.assert_allclose(frozen_outputs, _batch_norm_reference(x), atol=1e-5)

    unfrozen = np.concatenate(
        run_on_replicas(two_replicas, lambda inputs: layer(inputs, training=True), x)
    )
    np.testing.assert_allclose(frozen_outputs, unfrozen, atol=1e-5)
    global_mean = x.reshape(-1, 2).mean(axis=0)
    np.testing.assert_allclose(layer.moving_mean.numpy(), (1 - MOMENTUM) * global_mean, atol=1e-6)
