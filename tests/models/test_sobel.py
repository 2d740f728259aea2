"""The fixed Sobel input transform of DeepCluster and DeeperCluster."""

import numpy as np
import pytest
from scipy.signal import correlate2d

from tfssl.configs import base
from tfssl.models import build_backbone
from tfssl.models.layers import SobelFilter


def test_sobel_equals_scipy_on_the_grey_image():
    images = np.random.default_rng(0).uniform(size=(2, 9, 7, 3)).astype(np.float32)
    out = np.asarray(SobelFilter()(images))
    assert out.shape == (2, 9, 7, 2)
    sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float64)
    for n in range(2):
        grey = images[n].astype(np.float64).mean(-1)
        for channel, kernel in enumerate([sobel_x, sobel_x.T]):
            expected = correlate2d(grey, kernel, mode="same", boundary="fill")
            np.testing.assert_allclose(out[n, ..., channel], expected, atol=1e-5)


def test_sobel_ignores_grey_level_and_colour_away_from_the_border():
    image = np.random.default_rng(1).uniform(size=(1, 8, 8, 3)).astype(np.float32)
    brighter = image + 0.3  # The same image on a lighter background.
    shuffled = image[..., ::-1]  # Same grey image, different colours.
    out = np.asarray(SobelFilter()(image))
    interior = np.s_[:, 1:-1, 1:-1]  # Zero padding makes the border depend on the level.
    np.testing.assert_allclose(
        np.asarray(SobelFilter()(brighter))[interior], out[interior], atol=1e-5
    )
    np.testing.assert_allclose(np.asarray(SobelFilter()(shuffled)), out, atol=1e-5)


@pytest.mark.parametrize("type_", ["resnet18", "tiny"])
def test_sobel_backbone_stem_sees_two_channels(type_):
    model = build_backbone(type_, width_multiplier=0.125 if type_ != "tiny" else 0.5, sobel=True)
    assert model.get_layer("sobel") is not None
    first_conv = next(layer for layer in model.layers if hasattr(layer, "kernel"))
    assert first_conv.kernel.shape[2] == 2
    assert model(np.zeros((2, 16, 16, 3), np.float32)).shape == (2, model.feature_dim)


def test_sobel_is_refused_for_vits():
    with pytest.raises(ValueError, match="ViT"):
        build_backbone("vit_tiny", patch_size=4, image_size=16, sobel=True)
    with pytest.raises(base.ConfigError, match="sobel"):
        base.BackboneConfig(type="vit_tiny", sobel=True, image_size=16, patch_size=4).validate("b")
