"""sRGB ↔ CIE Lab (D65, 2° observer) with the constants of `skimage.color.rgb2lab` / `lab2rgb`,
as TensorFlow ops on [..., 3] tensors (usable in `tf.data` and inside models)."""

import numpy as np
import tensorflow as tf

# Linear sRGB → XYZ, scikit-image's `xyz_from_rgb` (and its inverse, computed in float64).
XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
RGB_FROM_XYZ = np.linalg.inv(XYZ_FROM_RGB)
# Reference white of illuminant D65, 2° observer.
D65_WHITE = np.array([0.95047, 1.0, 1.08883])

# CIE f(t) = t^(1/3) above (6/29)³ ≈ 0.008856, else 7.787·t + 16/116 (scikit-image's constants).
_LAB_T = 0.008856
_LAB_F = 0.2068966  # f at _LAB_T: the inverse's switch point
_LAB_SLOPE = 7.787


def _float_image(x):
    """`x` as float32 (float64 kept); integer images (uint8) are scaled from 0..255 to [0, 1]."""
    x = tf.convert_to_tensor(x)
    if x.dtype.is_integer:
        return tf.cast(x, tf.float32) / 255.0
    return x if x.dtype == tf.float64 else tf.cast(x, tf.float32)


def _apply_matrix(matrix, x):
    """[..., 3] @ matrixᵀ: each colour vector multiplied by the 3×3 `matrix`."""
    return tf.einsum("...j,ij->...i", x, tf.constant(matrix, x.dtype))


def rgb_to_lab(images):
    """sRGB in [0, 1] → CIE Lab (L in [0, 100]), as `skimage.color.rgb2lab` with its defaults.

    Args:
      images: [..., 3] sRGB, float in [0, 1] or uint8.

    Returns:
      [..., 3] (L, a, b), float32 (float64 for float64 input).
    """
    rgb = _float_image(images)
    # sRGB companding (the max() keeps the unused branch finite so gradients stay finite).
    linear = tf.where(
        rgb > 0.04045,
        tf.pow((tf.maximum(rgb, 0.04045) + 0.055) / 1.055, 2.4),
        rgb / 12.92,
    )
    xyz = _apply_matrix(XYZ_FROM_RGB, linear) / tf.constant(D65_WHITE, rgb.dtype)
    f = tf.where(
        xyz > _LAB_T,
        tf.pow(tf.maximum(xyz, _LAB_T), 1.0 / 3.0),
        _LAB_SLOPE * xyz + 16.0 / 116.0,
    )
    fx, fy, fz = tf.unstack(f, axis=-1)
    return tf.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lab_to_rgb(lab):
    """CIE Lab → sRGB in [0, 1], as `skimage.color.lab2rgb`: negative Z is set to 0 and
    out-of-gamut colours are clipped to [0, 1].

    Args:
      lab: [..., 3] (L, a, b).

    Returns:
      [..., 3] sRGB, float32 (float64 for float64 input).
    """
    lab = tf.convert_to_tensor(lab)
    lab = lab if lab.dtype == tf.float64 else tf.cast(lab, tf.float32)
    lightness, a, b = tf.unstack(lab, axis=-1)
    fy = (lightness + 16.0) / 116.0
    f = tf.stack([a / 500.0 + fy, fy, tf.maximum(fy - b / 200.0, 0.0)], axis=-1)
    xyz = tf.where(f > _LAB_F, tf.pow(f, 3.0), (f - 16.0 / 116.0) / _LAB_SLOPE)
    linear = _apply_matrix(RGB_FROM_XYZ, xyz * tf.constant(D65_WHITE, lab.dtype))
    rgb = tf.where(
        linear > 0.0031308,
        1.055 * tf.pow(tf.maximum(linear, 0.0031308), 1.0 / 2.4) - 0.055,
        linear * 12.92,
    )
    return tf.clip_by_value(rgb, 0.0, 1.0)
