import itertools

import numpy as np
import pytest
import tensorflow as tf

from tfssl.data import lab_to_rgb, rgb_to_lab

# The sRGB / D65 formulas as scikit-image writes them (skimage.color.colorconv), in float64.
_XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def rgb2lab_reference(rgb):
    rgb = np.asarray(rgb, np.float64)
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    t = linear @ _XYZ_FROM_RGB.T / _WHITE
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16.0 / 116.0)
    return np.stack(
        [
            116.0 * f[..., 1] - 16.0,
            500.0 * (f[..., 0] - f[..., 1]),
            200.0 * (f[..., 1] - f[..., 2]),
        ],
        axis=-1,
    )


def lab2rgb_reference(lab):
    lab = np.asarray(lab, np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    f = np.stack([lab[..., 1] / 500.0 + fy, fy, np.maximum(fy - lab[..., 2] / 200.0, 0.0)], -1)
    xyz = np.where(f > 0.2068966, f**3, (f - 16.0 / 116.0) / 7.787) * _WHITE
    linear = xyz @ np.linalg.inv(_XYZ_FROM_RGB).T
    rgb = np.where(linear > 0.0031308, 1.055 * np.abs(linear) ** (1 / 2.4) - 0.055, linear * 12.92)
    return np.clip(rgb, 0.0, 1.0)


def _colours(n=20000, seed=0):
    """The 8 cube corners and `n` random colours, [n + 8, 3] in [0, 1]."""
    corners = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    return np.concatenate([corners, np.random.default_rng(seed).random((n, 3))]).astype(np.float32)


def test_rgb_to_lab_matches_numpy_formulas():
    rgb = _colours()
    np.testing.assert_allclose(rgb_to_lab(rgb).numpy(), rgb2lab_reference(rgb), atol=2e-4)


def test_rgb_to_lab_known_values():
    lab = rgb_to_lab(np.array([[1, 1, 1], [0, 0, 0], [1, 0, 0]], np.float32)).numpy()
    # White: L = 100 and a, b ≈ 0 (scikit-image's matrix leaves −0.0025, 0.0047).
    assert lab[0, 0] == pytest.approx(100.0, abs=1e-4)
    assert abs(lab[0, 1]) < 0.01 and abs(lab[0, 2]) < 0.01
    np.testing.assert_allclose(lab[1], [0.0, 0.0, 0.0], atol=1e-5)
    # Pure red: (53.2408, 80.0925, 67.2032) with the 7-digit sRGB matrix; scikit-image's 6-digit
    # matrix gives (53.2406, 80.0923, 67.2028).
    np.testing.assert_allclose(lab[2], [53.2408, 80.0925, 67.2032], atol=1e-3)
    np.testing.assert_allclose(lab[2], [53.2406, 80.0923, 67.2028], atol=2e-4)


def test_lab_to_rgb_matches_numpy_formulas_including_out_of_gamut_clipping():
    rng = np.random.default_rng(1)
    lab = np.stack(
        [rng.uniform(0, 100, 5000), rng.uniform(-110, 110, 5000), rng.uniform(-110, 110, 5000)], -1
    ).astype(np.float32)
    expected = lab2rgb_reference(lab)
    assert np.mean((expected == 0) | (expected == 1)) > 0.1  # many colours clipped
    np.testing.assert_allclose(lab_to_rgb(lab).numpy(), expected, atol=2e-5)


def test_round_trip_rgb_lab_rgb():
    rgb = _colours(seed=2)
    np.testing.assert_allclose(lab_to_rgb(rgb_to_lab(rgb)).numpy(), rgb, atol=1e-5)
    rgb64 = rgb.astype(np.float64)
    back = lab_to_rgb(rgb_to_lab(rgb64))
    assert back.dtype == tf.float64
    np.testing.assert_allclose(back.numpy(), rgb64, atol=1e-7)


def test_images_uint8_and_tf_function():
    images = np.random.default_rng(3).integers(0, 256, size=(2, 4, 5, 3), dtype=np.uint8)
    lab = tf.function(rgb_to_lab)(tf.constant(images))
    assert lab.shape == (2, 4, 5, 3) and lab.dtype == tf.float32
    np.testing.assert_allclose(lab.numpy(), rgb2lab_reference(images / 255.0), atol=2e-4)
    rgb = tf.function(lab_to_rgb)(lab)
    np.testing.assert_allclose(rgb.numpy() * 255.0, images, atol=1e-3)


def test_gradients_are_finite_at_black_and_white():
    rgb = tf.constant([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.5, 0.01, 0.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(rgb)
        lab = rgb_to_lab(rgb)
        back = lab_to_rgb(lab)
    assert np.all(np.isfinite(tape.gradient(lab, rgb).numpy()))
    assert np.all(np.isfinite(tape.gradient(back, rgb).numpy()))
