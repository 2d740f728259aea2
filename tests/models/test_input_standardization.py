"""Per-image input standardisation: the backbones' optional front end that removes each image's
grey level and contrast."""

import numpy as np
import pytest

from tfssl.configs import base
from tfssl.methods.builders import build_encoder
from tfssl.models import build_backbone
from tfssl.models.layers import PerImageStandardization


def test_each_image_gets_zero_mean_and_unit_std():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(3, 8, 6, 3)) * [[[[0.1]]], [[[1.0]]], [[[0.5]]]] + 0.2
    images = images.astype(np.float32)
    out = np.asarray(PerImageStandardization()(images))
    flat = images.reshape(3, -1).astype(np.float64)
    # The first image's std (0.03) is below the floor 1/sqrt(8·6·3) that keeps flat images flat.
    scale = np.maximum(flat.std(1, keepdims=True), 1.0 / np.sqrt(flat.shape[1]))
    expected = (flat - flat.mean(1, keepdims=True)) / scale
    np.testing.assert_allclose(out.reshape(3, -1), expected, atol=1e-4)
    np.testing.assert_allclose(out[1:].reshape(2, -1).std(1), 1.0, atol=1e-4)


@pytest.mark.parametrize("sobel", [False, True])
@pytest.mark.parametrize("type_", ["resnet18", "tiny"])
def test_features_ignore_grey_level_and_contrast(type_, sobel):
    images = np.random.default_rng(1).uniform(0.2, 0.6, size=(2, 16, 16, 3)).astype(np.float32)
    duller_and_lighter = 0.5 * images + 0.35
    width = 0.125 if type_ != "tiny" else 0.5
    model = build_backbone(type_, width_multiplier=width, sobel=sobel, standardize_input=True)
    np.testing.assert_allclose(
        np.asarray(model(duller_and_lighter)), np.asarray(model(images)), rtol=1e-3, atol=1e-4
    )
    plain = build_backbone(type_, width_multiplier=width, sobel=sobel)
    assert not np.allclose(np.asarray(plain(duller_and_lighter)), np.asarray(plain(images)))


def test_the_config_option_reaches_the_encoder():
    encoder = build_encoder(base.BackboneConfig(type="tiny", standardize_input=True))
    assert isinstance(encoder.get_layer("standardize"), PerImageStandardization)


def test_standardize_input_is_refused_for_vits():
    with pytest.raises(ValueError, match="ViT"):
        build_backbone("vit_tiny", patch_size=4, image_size=16, standardize_input=True)
    config = base.BackboneConfig(
        type="vit_tiny", standardize_input=True, image_size=16, patch_size=4
    )
    with pytest.raises(base.ConfigError, match="standardize_input"):
        config.validate("b")
