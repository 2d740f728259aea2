"""WRN-28-2: feature dims, parameter count, the reference's shortcut wiring, BN and leaky ReLU
settings, and registration in the backbone factory."""

import keras
import numpy as np
import pytest

from tfssl.models import build_backbone
from tfssl.models.wide_resnet import wide_resnet28_2

# Trainable parameters at width 1, by hand: conv kernels 1,462,704 (stem 432; stage 1 14,336 +
# 3·18,432; stage 2 57,344 + 3·73,728; stage 3 229,376 + 3·294,912) plus BN γ and β over
# 1,808 channels (3,616). With a 10-way fc (1,290) this is the papers' 1.47M.
WRN28_2_TRAINABLE = 1_466_320


def _images(batch=2, side=32):
    return np.random.default_rng(0).normal(size=(batch, side, side, 3)).astype("float32")


def _layers(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


@pytest.fixture(scope="module")
def wrn():
    return wide_resnet28_2(bn_momentum=0.97)


def test_features_and_resolution(wrn):
    images = _images()
    assert wrn(images, training=False).shape == (2, 128)
    assert wrn.feature_dim == 128
    last_map = keras.Model(wrn.input, wrn.get_layer("final_lrelu").output)
    assert last_map(images).shape == (2, 8, 8, 128)  # strides 1, 2, 2


def test_parameter_count(wrn):
    count = sum(int(np.prod(v.shape)) for v in wrn.trainable_weights)
    print(f"wrn28_2 trainable parameters: {count:,}")
    assert count == WRN28_2_TRAINABLE


def test_bn_momentum_and_leaky_slope(wrn):
    bns = _layers(wrn, keras.layers.BatchNormalization)
    lrelus = _layers(wrn, keras.layers.LeakyReLU)
    assert len(bns) == len(lrelus) == 2 * 12 + 1  # two per block, one before pooling
    assert all(bn.momentum == 0.97 and bn.epsilon == 1e-3 for bn in bns)
    assert all(not bn.synchronized for bn in bns)
    assert {layer.get_config()["negative_slope"] for layer in lrelus} == {0.1}


def test_shortcuts_follow_the_reference(wrn):
    """A 1×1 conv where width or resolution changes; it reads the pre-activated input only in
    the first block, the raw block input in stages 2 and 3."""
    convs = {layer.name for layer in _layers(wrn, keras.layers.Conv2D)}
    assert sorted(name for name in convs if "shortcut" in name) == [
        f"stage{s}_block1_shortcut_conv" for s in (1, 2, 3)
    ]
    assert len(convs) == 1 + 2 * 12 + 3
    first = wrn.get_layer("stage1_block1_shortcut_conv").input
    assert first is wrn.get_layer("stage1_block1_pre_lrelu").output
    second = wrn.get_layer("stage2_block1_shortcut_conv").input
    assert second is wrn.get_layer("stage1_block4_add").output


def test_half_width():
    model = wide_resnet28_2(width_multiplier=0.5, sync_bn=True)
    assert model(_images(), training=False).shape == (2, 64)
    assert model.feature_dim == 64
    # The stem's 16 channels already match stage 1's 16: no projection there.
    with pytest.raises(ValueError):
        model.get_layer("stage1_block1_shortcut_conv")
    assert all(bn.synchronized for bn in _layers(model, keras.layers.BatchNormalization))


def test_build_backbone_registers_wrn28_2():
    model = build_backbone("wrn28_2", bn_momentum=0.999, name="student")
    assert model.name == "student" and model.feature_dim == 128
    bns = _layers(model, keras.layers.BatchNormalization)
    assert {bn.momentum for bn in bns} == {0.999}
