"""Per-image stateless SimCLR augmentation: shapes, ranges, determinism and each op's effect."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from tfssl.data import AugmentParams, augment_view
from tfssl.data import augment

# Crop = whole image, no flip, no jitter: the view equals the input, so single ops can be checked.
IDENTITY = AugmentParams(
    crop_scale=(1.0, 1.0),
    crop_ratio=(1.0, 1.0),
    flip=False,
    color_jitter_prob=0.0,
    grayscale_prob=0.0,
)


def _seed(a, b=0):
    return tf.constant([a, b], tf.int64)


@pytest.fixture(scope="module")
def colour_image():
    return np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)


def test_shape_range_and_dtype(colour_image):
    params = AugmentParams(blur_prob=0.5, solarize_prob=0.5)
    for s in range(8):
        view = augment_view(colour_image, 24, params, _seed(s))
        assert view.shape == (24, 24, 3) and view.dtype == tf.float32
        assert 0.0 <= float(tf.reduce_min(view)) and float(tf.reduce_max(view)) <= 1.0
    float_view = augment_view(colour_image.astype(np.float32) / 255.0, 16, params, _seed(0))
    assert float_view.shape == (16, 16, 3)


@pytest.mark.parametrize("from_uint8", [True, False])
def test_xla_compiled_view_ops_give_the_same_views(colour_image, from_uint8):
    # Every op on, each decision drawn both ways across the seeds: XLA must not change a view.
    params = AugmentParams(
        color_jitter_strength=1.0, grayscale_prob=0.5, blur_prob=0.5, solarize_prob=0.5
    )
    image = colour_image if from_uint8 else colour_image.astype(np.float32) / 255.0
    for s in range(8):
        plain = augment_view(image, 24, params, _seed(s))
        compiled = augment_view(image, 24, params, _seed(s), jit_compile=True)
        np.testing.assert_allclose(compiled, plain, atol=1e-5)


def test_same_seed_same_view_and_different_seeds_differ(colour_image):
    params = AugmentParams(blur_prob=0.5, solarize_prob=0.5)
    a = augment_view(colour_image, 32, params, _seed(7, 3))
    b = augment_view(colour_image, 32, params, _seed(7, 3))
    c = augment_view(colour_image, 32, params, _seed(7, 4))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert np.abs(a.numpy() - c.numpy()).mean() > 1e-3


def test_identity_params_reproduce_input(colour_image):
    square = colour_image[:32, :32]
    view = augment_view(square, 32, IDENTITY, _seed(1))
    np.testing.assert_allclose(view.numpy(), square / 255.0, atol=1e-6)


def test_crop_falls_back_to_centre_when_no_box_fits():
    # A 10x100 image cannot hold a square box of >= 90% of its area: centred 10x10 crop instead.
    columns = np.tile(np.arange(100, dtype=np.float32)[None, :, None], (10, 1, 3)) / 100.0
    crop = augment.random_resized_crop(columns, 10, (0.9, 1.0), (1.0, 1.0), _seed(0))
    np.testing.assert_allclose(crop.numpy(), columns[:, 45:55], atol=1e-6)


def test_crop_area_within_scale():
    # Pixel values encode position, so the output's value range recovers the crop box.
    ys, xs = np.meshgrid(np.arange(64), np.arange(64), indexing="ij")
    image = np.stack([ys, xs, np.zeros_like(xs)], -1).astype(np.float32)
    for s in range(20):
        crop = augment.random_resized_crop(image, 64, (0.25, 0.5), (3 / 4, 4 / 3), _seed(s))
        height = float(tf.reduce_max(crop[..., 0]) - tf.reduce_min(crop[..., 0])) + 1
        width = float(tf.reduce_max(crop[..., 1]) - tf.reduce_min(crop[..., 1])) + 1
        assert 0.2 <= height * width / 64**2 <= 0.55
        assert 0.65 <= width / height <= 1.45


def test_colour_jitter_changes_colours_deterministically(colour_image):
    image = colour_image.astype(np.float32) / 255.0
    a = augment.color_jitter(image, 1.0, _seed(3))
    b = augment.color_jitter(image, 1.0, _seed(3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert np.abs(a.numpy() - image).mean() > 1e-2
    assert 0.0 <= float(tf.reduce_min(a)) and float(tf.reduce_max(a)) <= 1.0


def test_grayscale_with_prob_one_gives_equal_channels(colour_image):
    params = AugmentParams(grayscale_prob=1.0)
    for s in range(4):
        view = augment_view(colour_image, 32, params, _seed(s)).numpy()
        np.testing.assert_allclose(view[..., 0], view[..., 1], atol=1e-6)
        np.testing.assert_allclose(view[..., 0], view[..., 2], atol=1e-6)


def test_solarize_with_prob_one_maps_known_pixels():
    values = np.array([0, 51, 127, 128, 204, 255], np.uint8)  # 0.0, 0.2, ~0.498, ~0.502, 0.8, 1.0
    image = np.tile(values[None, :, None], (6, 1, 3))
    params = dataclasses.replace(IDENTITY, solarize_prob=1.0)
    view = augment_view(image, 6, params, _seed(0)).numpy()[0, :, 0]
    x = values / 255.0
    np.testing.assert_allclose(view, np.where(x >= 0.5, 1.0 - x, x), atol=1e-6)
    np.testing.assert_allclose(view[[1, 4]], [0.2, 0.2], atol=1e-6)
    np.testing.assert_allclose(augment.solarize(tf.constant([0.5, 0.49])), [0.5, 0.49])


def test_blur_keeps_constant_image_constant():
    constant = tf.fill([20, 20, 3], 0.37)
    blurred = augment.gaussian_blur(constant, sigma=2.0, radius=5)
    np.testing.assert_allclose(blurred.numpy(), 0.37, atol=1e-5)
    params = AugmentParams(
        crop_ratio=(1.0, 1.0), color_jitter_prob=0.0, grayscale_prob=0.0, blur_prob=1.0
    )
    view = augment_view(np.full((64, 64, 3), 100, np.uint8), 64, params, _seed(2))
    np.testing.assert_allclose(view.numpy(), 100 / 255.0, atol=1e-5)


def test_blur_equals_separable_reference_with_mirrored_borders():
    image = np.random.default_rng(3).uniform(size=(13, 9, 3)).astype(np.float32)
    sigma, radius = 1.7, 4
    taps = np.exp(-(np.arange(-radius, radius + 1) ** 2) / (2 * sigma**2))
    taps /= taps.sum()
    padded = np.pad(image, [(radius, radius), (radius, radius), (0, 0)], mode="reflect")
    rows = sum(t * padded[i : i + 13] for i, t in enumerate(taps))  # [13, 9 + 2r, 3]
    expected = sum(t * rows[:, i : i + 9] for i, t in enumerate(taps))
    blurred = augment.gaussian_blur(image, sigma=sigma, radius=radius).numpy()
    np.testing.assert_allclose(blurred, expected, atol=1e-5)


def test_blur_reduces_noise_variance():
    noise = np.random.default_rng(1).uniform(size=(224, 224, 3)).astype(np.float32)
    blurred = augment.gaussian_blur(noise, sigma=1.0, radius=3).numpy()
    assert blurred.var() < 0.3 * noise.var()
    # Through augment_view, sigma is given at a 224 px reference resolution.
    params = dataclasses.replace(IDENTITY, blur_prob=1.0, blur_sigma=(2, 2))
    view = augment_view(noise, 224, params, _seed(0)).numpy()
    print(f"noise variance {noise.var():.4f} -> blurred view {view.var():.4f}")
    assert view.var() < 0.2 * noise.var()
