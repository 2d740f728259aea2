import numpy as np
import tensorflow as tf

from tfssl.models import WeightNormDense, dino_head


def test_weight_norm_dense_matches_numpy():
    layer = WeightNormDense(3, norm_last_layer=False)
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    layer(x)
    v = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    g = np.array([0.5, 2.0, 1.0], np.float32)
    layer.direction.assign(v)
    layer.magnitude.assign(g)
    expected = x @ (v / np.linalg.norm(v, axis=0, keepdims=True) * g)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert layer.magnitude.trainable


def test_norm_last_layer_fixes_magnitude_and_outputs_cosines():
    layer = WeightNormDense(6, norm_last_layer=True)
    x = tf.math.l2_normalize(tf.random.normal([8, 4], seed=2), axis=-1)
    out = layer(x).numpy()
    assert not layer.magnitude.trainable and len(layer.trainable_weights) == 1
    np.testing.assert_array_equal(layer.magnitude.numpy(), 1.0)
    assert np.abs(out).max() <= 1.0 + 1e-6  # cosine of unit input and unit column
    # Scaling a direction column leaves the output unchanged (only its direction matters).
    layer.direction.assign(layer.direction * [[1.0, 3.0, 1.0, 1.0, 1.0, 0.5]])
    np.testing.assert_allclose(layer(x).numpy(), out, rtol=1e-5, atol=1e-6)


def test_dino_head_shapes_and_bottleneck_is_normalised():
    head = dino_head(12, output_dim=32, hidden_dim=16, bottleneck_dim=8, num_layers=3)
    x = np.random.default_rng(3).normal(size=(5, 12)).astype(np.float32)
    assert head(x).shape == (5, 32)
    mlp = head.get_layer("mlp")
    assert [layer.units for layer in mlp.layers if hasattr(layer, "units")] == [16, 16, 8]
    bottleneck = head.get_layer("l2_normalize")(mlp(x))
    np.testing.assert_allclose(np.linalg.norm(bottleneck.numpy(), axis=-1), 1.0, rtol=1e-5)


def test_dino_head_use_bn_normalises_each_hidden_layer():
    """`use_bn` (DINO's use_bn_in_head) puts BN after each hidden Dense only, so in training
    mode every hidden pre-activation has batch mean 0 and variance 1."""
    head = dino_head(12, output_dim=32, hidden_dim=16, bottleneck_dim=8, num_layers=3, use_bn=True)
    mlp = head.get_layer("mlp")
    assert [layer.name for layer in mlp.layers if "bn" in layer.name] == ["bn1", "bn2"]
    x = np.random.default_rng(4).normal(3.0, 2.0, size=(64, 12)).astype(np.float32)
    hidden = mlp.get_layer("bn1")(mlp.get_layer("dense1")(x), training=True).numpy()
    np.testing.assert_allclose(hidden.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(hidden.var(axis=0), 1.0, rtol=1e-2)
