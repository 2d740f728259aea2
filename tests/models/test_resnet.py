"""ResNet backbones: feature dims, stems, parameter counts, BN options, arbitrary input sizes."""

import keras
import numpy as np
import pytest

from tfssl.models import resnet18, resnet34, resnet50


def _trainable_params(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_weights)


def _images(height, width, batch=2):
    return np.random.default_rng(0).normal(size=(batch, height, width, 3)).astype("float32")


@pytest.mark.parametrize(
    "builder, stem, size, dim",
    [
        (resnet18, "cifar", 32, 128),
        (resnet34, "cifar", 32, 128),
        (resnet50, "cifar", 32, 512),
        (resnet18, "imagenet", 64, 128),
        (resnet34, "imagenet", 64, 128),
        (resnet50, "imagenet", 64, 512),
    ],
)
def test_feature_dim_at_quarter_width(builder, stem, size, dim):
    model = builder(stem=stem, width_multiplier=0.25)
    features = model(_images(size, size), training=False)
    assert features.shape == (2, dim)
    assert model.feature_dim == dim == model.output_shape[-1]


@pytest.mark.parametrize(
    "stem, stem_output, size, reduction",
    [("cifar", "stem_relu", 32, 1), ("imagenet", "stem_pool", 64, 4)],
)
def test_stem_resolution(stem, stem_output, size, reduction):
    model = resnet18(stem=stem, width_multiplier=0.125)
    stem_model = keras.Model(model.input, model.get_layer(stem_output).output)
    out_size = size // reduction
    assert stem_model(_images(size, 2 * size)).shape == (2, out_size, 2 * out_size, 8)


def test_resnet18_cifar_parameter_count():
    # Well-known CIFAR ResNet-18 count without the 10-way fc (11,173,962 - 5,130).
    assert _trainable_params(resnet18(stem="cifar")) == 11_168_832


def test_resnet50_imagenet_parameter_count():
    # torchvision ResNet-50 (25,557,032) without its 1000-way fc (2,049,000).
    assert _trainable_params(resnet50(stem="imagenet")) == 23_508_032


def test_zero_init_residual_zeroes_last_bn_gamma_only():
    model = resnet50(width_multiplier=0.125, zero_init_residual=True)
    bns = {layer.name: layer for layer in model.layers if "bn" in layer.name}
    last = [name for name in bns if name.endswith("_bn3")]
    assert len(last) == 16
    for name, layer in bns.items():
        gamma = layer.gamma.numpy()
        assert np.all(gamma == 0) if name in last else np.all(gamma == 1), name


def test_sync_bn_flag_and_variable_paths():
    model = resnet18(width_multiplier=0.125, sync_bn=True, bn_momentum=0.99, name="online")
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bns and all(layer.synchronized and layer.momentum == 0.99 for layer in bns)
    paths = {v.path for v in model.weights}
    assert "online/stage2_block1_conv1/kernel" in paths
    assert "online/stage2_block1_shortcut_bn/gamma" in paths
    assert not any(v.path.endswith("bias") for v in model.weights)  # Convs are bias-free.


@pytest.mark.parametrize("builder", [resnet18, resnet50])
def test_non_square_odd_inputs(builder):
    model = builder(stem="imagenet", width_multiplier=0.125)
    assert model(_images(37, 53), training=True).shape == (2, model.feature_dim)


def test_unknown_stem_raises():
    with pytest.raises(ValueError, match="stem"):
        resnet18(stem="tiny")
