"""FixMatch's strong augmentation: RandAugment drawn per image, then Cutout, in TensorFlow.

A port of FixMatch's RandAugment ablation (`AugmentPoolRAMC(nops=2, magnitude=10)`, whose ops
are PIL calls in `third_party/auto_augment/augmentations.py`) to stateless ops that run inside
a `tf.data` map: every image draws its own ops, levels and signs from its own seed (Keras'
`RandAugment` layer draws one sequence per batch), and a seed reproduces the image.

Conventions, matching FixMatch's PIL code:
  * Images are float32 [H, W, C] in [0, 1] (C = 3 or 1); every op returns the same.
  * A level is on FixMatch's 0..`PARAMETER_MAX` scale; "int(·)" below truncates, as its
    `int_parameter` does. The per-op rules are in `RANDAUGMENT_OPS`' comments.
  * Geometric ops sample the nearest pixel (PIL's default resampling for `rotate` and
    `transform`, which FixMatch does not override) and fill uncovered pixels with mid grey
    (0.5): FixMatch's `pil_wrap` adds an alpha channel, the affine fill is transparent and
    `pil_unwrap` sets transparent pixels to 0 in its [-1, 1] space. Here the grey is written at
    once, so a later op of the same image treats it as image content (in FixMatch it stays
    transparent black underneath, and a later AutoContrast, Equalize, Solarize or Posterize,
    which go through RGB, turns it opaque black).
  * Equalize, Solarize and Posterize read the image on PIL's 0..255 grid (values rounded).
  * Shears and translations act about the top-left corner and rotations about the centre, as
    PIL's `transform(AFFINE)` and `rotate` do.
"""

import functools
import math

import tensorflow as tf

from tfssl.data.semi import weak_augment

# FixMatch's level scale: a level of PARAMETER_MAX is an op's largest magnitude.
PARAMETER_MAX = 10
# The 14 ops of FixMatch's RA ablation, in its order. Magnitude at level l (int = truncation):
RANDAUGMENT_OPS = (
    "Identity",
    "AutoContrast",  # per channel, min..max rescaled to 0..1 (level unused)
    "Equalize",  # per channel, PIL's histogram equalisation on 256 bins (level unused)
    "Rotate",  # ±int(l·30/10) degrees, counter-clockwise for +
    "Solarize",  # invert pixels >= T/255, T = 256 − int(l·256/10)
    "Color",  # blend with the greyscale image, factor 0.1 + l·1.8/10
    "Contrast",  # blend with the greyscale image's mean, same factor
    "Brightness",  # blend with black, same factor
    "Sharpness",  # blend with PIL's SMOOTH-filtered image, same factor
    "ShearX",  # x_in = x ± (l·0.3/10)·y
    "TranslateX",  # ±int(l·10/10 · W/32) pixels: FixMatch's ±l px on 32 px images
    "TranslateY",  # ±int(l·10/10 · H/32) pixels
    "Posterize",  # keep the top 4 − int(l·4/10) of 8 bits: 4 bits at l = 1, 2 down to 1 at
    # l = 8, 9 and 0 (black) at l = 10 (FixMatch's code; its paper's table says 4..8 bits)
    "ShearY",  # y_in = y ± (l·0.3/10)·x
)
# Mid grey: the fill of geometric ops and of Cutout.
FILL = 0.5
# Translation at level PARAMETER_MAX as a fraction of the side: FixMatch's 10 px on 32 px.
_TRANSLATE_MAX = 10 / 32
# PIL's "L" conversion (ITU-R 601-2 luma), used by Color and Contrast.
_LUMA = (0.299, 0.587, 0.114)
# PIL's ImageFilter.SMOOTH kernel, the degenerate image of Sharpness.
_SMOOTH = ((1.0, 1.0, 1.0), (1.0, 5.0, 1.0), (1.0, 1.0, 1.0))
_SMOOTH_SCALE = 13.0
# Sub-seed slots of `randaugment` and `strong_augment`.
_OP, _APPLY, _LEVEL, _SIGN = range(4)
_WEAK, _RANDAUGMENT, _CUTOUT = range(3)


def _float_parameter(level, maxval):
    """FixMatch's `float_parameter`: `level` scaled linearly so PARAMETER_MAX gives `maxval`."""
    return level * maxval / PARAMETER_MAX


def _int_parameter(level, maxval):
    """FixMatch's `int_parameter`: `_float_parameter` truncated to an integer (as a float)."""
    return tf.floor(_float_parameter(level, maxval))


def _enhance_factor(level):
    """The PIL `ImageEnhance` factor of Color, Contrast, Brightness and Sharpness: 0.1..1.9."""
    return 0.1 + _float_parameter(level, 1.8)


def _to_uint8_values(image):
    """The image's values on PIL's 0..255 integer scale, as int32 (rounded)."""
    return tf.cast(tf.round(image * 255.0), tf.int32)


def _blend(degenerate, image, factor):
    """PIL's `ImageEnhance` rule: degenerate + factor · (image − degenerate), clipped."""
    return tf.clip_by_value(degenerate + factor * (image - degenerate), 0.0, 1.0)


def _grayscale(image):
    """PIL's "L" conversion [H, W, 1]; a one-channel image is its own greyscale."""
    if image.shape[-1] == 1:
        return image
    return tf.tensordot(image, tf.constant(_LUMA), axes=[[-1], [0]])[..., None]


def _affine(image, a, b, c, d, e, f):
    """PIL's `transform(AFFINE, (a, b, c, d, e, f))` with nearest sampling and a grey fill.

    PIL reads output pixel (x, y) from input (a·x + b·y + c, d·x + e·y + f), with pixel k
    covering [k, k + 1) and sampled at its centre. TensorFlow's transform puts pixel centres at
    integers, so the offsets gain A·(½, ½) − ½.
    """
    c = c + 0.5 * (a + b - 1.0)
    f = f + 0.5 * (d + e - 1.0)
    zero = tf.zeros_like(a)
    transform = tf.cast(tf.stack([a, b, c, d, e, f, zero, zero])[None], tf.float32)  # [1, 8]
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=image[None],
        transforms=transform,
        output_shape=tf.shape(image)[:2],
        fill_value=FILL,
        interpolation="NEAREST",
        fill_mode="CONSTANT",
    )[0]
    out.set_shape(image.shape)
    return out


def _identity(image, level, sign):
    del level, sign
    return image


def _auto_contrast(image, level, sign):
    """Each channel rescaled so its min..max spans 0..1; a flat channel is left unchanged."""
    del level, sign
    low = tf.reduce_min(image, axis=[0, 1])  # [C]
    high = tf.reduce_max(image, axis=[0, 1])
    scaled = tf.math.divide_no_nan(image - low, high - low)
    return tf.where(high > low, scaled, image)


def _equalize(image, level, sign):
    """PIL's `ImageOps.equalize` per channel on the 0..255 scale.

    With h the channel's 256-bin histogram and step = (pixels − h[largest value]) // 255,
    value v maps to (step // 2 + Σ_{u<v} h[u]) // step, clipped to 255; step 0 (nearly flat
    channel) leaves the channel unchanged.
    """
    del level, sign
    values = tf.transpose(tf.reshape(_to_uint8_values(image), [-1, tf.shape(image)[-1]]))  # [C, HW]
    hist = tf.math.bincount(values, minlength=256, maxlength=256, axis=-1)  # [C, 256]
    top = tf.gather(hist, tf.reduce_max(values, axis=1), batch_dims=1)  # [C]
    step = (tf.shape(values)[1] - top) // 255  # [C]
    below = tf.cumsum(hist, axis=1, exclusive=True)  # [C, 256]: pixels below each value
    lut = tf.minimum((below + step[:, None] // 2) // tf.maximum(step, 1)[:, None], 255)
    lut = tf.where(step[:, None] > 0, lut, tf.range(256)[None])
    equalized = tf.gather(lut, values, batch_dims=1)  # [C, HW]
    return tf.reshape(tf.cast(tf.transpose(equalized), tf.float32) / 255.0, tf.shape(image))


def _rotate(image, level, sign):
    """PIL's `rotate(±int(level·30/10))` about the image centre."""
    radians = -sign * _int_parameter(level, 30.0) * (math.pi / 180.0)
    cos, sin = tf.cos(radians), tf.sin(radians)
    size = tf.cast(tf.shape(image), tf.float32)
    cx, cy = size[1] / 2.0, size[0] / 2.0
    return _affine(image, cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy)


def _solarize(image, level, sign):
    """PIL's `solarize(T)`, T = 256 − int(level·256/10): values >= T (of 255) are inverted."""
    del sign
    threshold = 256.0 - _int_parameter(level, 256.0)
    # Half a grey level below T, so a value k/255 stored as a float compares as k does.
    return tf.where(image * 255.0 >= threshold - 0.5, 1.0 - image, image)


def _color(image, level, sign):
    del sign
    return _blend(_grayscale(image), image, _enhance_factor(level))


def _contrast(image, level, sign):
    del sign
    return _blend(tf.reduce_mean(_grayscale(image)), image, _enhance_factor(level))


def _brightness(image, level, sign):
    del sign
    return _blend(tf.zeros_like(image), image, _enhance_factor(level))


def _sharpness(image, level, sign):
    """Blend with PIL's SMOOTH filter of the image, whose one-pixel border is the image's own."""
    del sign
    channels = tf.shape(image)[-1]
    kernel = tf.constant(_SMOOTH) / _SMOOTH_SCALE
    kernel = tf.tile(kernel[:, :, None, None], [1, 1, channels, 1])  # [3, 3, C, 1]
    smooth = tf.nn.depthwise_conv2d(image[None], kernel, [1, 1, 1, 1], "VALID")[0]
    interior = tf.pad(tf.ones_like(smooth), [[1, 1], [1, 1], [0, 0]])  # [H, W, C]
    smooth = tf.pad(smooth, [[1, 1], [1, 1], [0, 0]])
    degenerate = interior * smooth + (1.0 - interior) * image
    return _blend(degenerate, image, _enhance_factor(level))


def _shear_x(image, level, sign):
    one, zero = tf.ones_like(level), tf.zeros_like(level)
    return _affine(image, one, sign * _float_parameter(level, 0.3), zero, zero, one, zero)


def _shear_y(image, level, sign):
    one, zero = tf.ones_like(level), tf.zeros_like(level)
    return _affine(image, one, zero, zero, sign * _float_parameter(level, 0.3), one, zero)


def _translate_pixels(level, side):
    """Whole pixels of a translation: int(level·10/10) on a 32 px side, proportional elsewhere."""
    return _int_parameter(level, _TRANSLATE_MAX * tf.cast(side, tf.float32))


def _translate_x(image, level, sign):
    one, zero = tf.ones_like(level), tf.zeros_like(level)
    shift = sign * _translate_pixels(level, tf.shape(image)[1])
    return _affine(image, one, zero, shift, zero, one, zero)


def _translate_y(image, level, sign):
    one, zero = tf.ones_like(level), tf.zeros_like(level)
    shift = sign * _translate_pixels(level, tf.shape(image)[0])
    return _affine(image, one, zero, zero, zero, one, shift)


def _posterize(image, level, sign):
    """PIL's `posterize(4 − int(level·4/10))`: the low 4 + int(level·4/10) bits set to 0."""
    del sign
    step = 2.0 ** (4.0 + _int_parameter(level, 4.0))
    values = tf.cast(_to_uint8_values(image), tf.float32)
    return tf.floor(values / step) * step / 255.0


_OP_FUNCTIONS = (
    _identity,
    _auto_contrast,
    _equalize,
    _rotate,
    _solarize,
    _color,
    _contrast,
    _brightness,
    _sharpness,
    _shear_x,
    _translate_x,
    _translate_y,
    _posterize,
    _shear_y,
)


def apply_op(image, op, level, sign=1.0):
    """One RandAugment op at a chosen level, graph-friendly (`tf.switch_case`).

    Args:
      image: float32 [H, W, C] in [0, 1].
      op: a name in `RANDAUGMENT_OPS`, or its index (int or int32 scalar tensor).
      level: magnitude on the 0..PARAMETER_MAX scale (number or scalar tensor).
      sign: +1 or −1, the direction of Rotate, ShearX/Y and TranslateX/Y; others ignore it.

    Returns:
      float32 [H, W, C] in [0, 1].
    """
    if isinstance(op, str):
        op = RANDAUGMENT_OPS.index(op)
    image = tf.convert_to_tensor(image, tf.float32)
    level = tf.cast(level, tf.float32)
    sign = tf.cast(sign, tf.float32)
    branches = [functools.partial(fn, image, level, sign) for fn in _OP_FUNCTIONS]
    return tf.switch_case(tf.cast(op, tf.int32), branches)


def randaugment(image, seed, num_ops=2, probability=0.5, max_level=10):
    """FixMatch's RandAugment for one image: `num_ops` ops drawn uniformly with replacement from
    `RANDAUGMENT_OPS`, each applied with `probability` at a level drawn uniformly from the
    integers 1..`max_level` − 1 (FixMatch's `np.random.randint(1, magnitude)`), in a random
    direction.

    Args:
      image: uint8 (0..255) or float ([0, 1]) tensor [H, W, C], C = 3 or 1.
      seed: int32/int64 tensor of shape [2] for the `tf.random.stateless_*` ops.
      num_ops: ops drawn per image.
      probability: chance that each drawn op is applied.
      max_level: exclusive upper bound of the levels, on the 0..PARAMETER_MAX scale.

    Returns:
      float32 [H, W, C] in [0, 1].
    """
    seeds = tf.random.experimental.stateless_split(seed, num=4)
    shape = [num_ops]
    ops = tf.random.stateless_uniform(
        shape, seeds[_OP], minval=0, maxval=len(RANDAUGMENT_OPS), dtype=tf.int32
    )
    applied = tf.random.stateless_uniform(shape, seeds[_APPLY]) < probability
    levels = tf.random.stateless_uniform(
        shape, seeds[_LEVEL], minval=1, maxval=max_level, dtype=tf.int32
    )
    signs = tf.where(tf.random.stateless_uniform(shape, seeds[_SIGN]) < 0.5, -1.0, 1.0)
    ops = tf.where(applied, ops, RANDAUGMENT_OPS.index("Identity"))  # an op not applied
    image = tf.image.convert_image_dtype(image, tf.float32)
    for i in range(num_ops):
        image = apply_op(image, ops[i], levels[i], signs[i])
    return image


def cutout(image, seed, size_fraction=0.5, fill=FILL):
    """FixMatch's Cutout: a square of side `size_fraction` · min(H, W) set to `fill`.

    As FixMatch's `cutout_numpy`, the centre is a pixel drawn uniformly over the image and the
    square, half = int(size_fraction · min(H, W)) // 2 pixels on each side of it (rows
    [cy − half, cy + half)), is clipped at the borders.

    Args:
      image: float32 [H, W, C].
      seed: int32/int64 tensor of shape [2] for the `tf.random.stateless_*` ops.
      size_fraction: side of the square as a fraction of the shorter image side.
      fill: value written into the square (mid grey by default).

    Returns:
      float32 [H, W, C].
    """
    image = tf.convert_to_tensor(image, tf.float32)
    size = tf.shape(image)[:2]  # [H, W]
    half = tf.cast(size_fraction * tf.cast(tf.reduce_min(size), tf.float32), tf.int32) // 2
    u = tf.random.stateless_uniform([2], seed)
    centre = tf.minimum(tf.cast(u * tf.cast(size, tf.float32), tf.int32), size - 1)  # [cy, cx]
    rows, cols = tf.range(size[0]), tf.range(size[1])
    inside_rows = (rows >= centre[0] - half) & (rows < centre[0] + half)
    inside_cols = (cols >= centre[1] - half) & (cols < centre[1] + half)
    inside = inside_rows[:, None, None] & inside_cols[None, :, None]  # [H, W, 1]
    return tf.where(inside, tf.cast(fill, tf.float32), image)


def strong_augment(image, seed, translate=0.125, flip=False):
    """FixMatch's strong view (RA variant): `weak_augment`, then `randaugment`, then `cutout`,
    each from its own sub-seed.

    Args:
      image: uint8 (0..255) or float ([0, 1]) tensor [H, W, 3].
      seed: int32/int64 tensor of shape [2] for the `tf.random.stateless_*` ops.
      translate, flip: as in `weak_augment`.

    Returns:
      float32 [H, W, 3] in [0, 1].
    """
    seeds = tf.random.experimental.stateless_split(seed, num=3)
    image = weak_augment(image, seeds[_WEAK], translate, flip)
    image = randaugment(image, seeds[_RANDAUGMENT])
    return cutout(image, seeds[_CUTOUT])
