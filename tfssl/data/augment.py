"""The SimCLR augmentation recipe as per-image ops driven by stateless random seeds.

Every random decision is drawn from a seed derived from the view's own seed, so each image and
each view gets independent parameters (unlike Keras preprocessing layers, which draw one
parameter per batch) and the whole pipeline is reproducible under a seed.
"""

import dataclasses
import functools
import math

import tensorflow as tf
from tensorflow.python.eager import context  # the eager context object: no public handle

# Blur is specified at this reference resolution (SimCLR: kernel = 10% of a 224 px side).
_BLUR_REFERENCE_SIZE = 224
_CROP_ATTEMPTS = 10
# Sub-seed slots: fixed so switching one op off leaves the others' randomness unchanged.
_CROP, _FLIP, _JITTER_APPLY, _JITTER, _GREY, _BLUR_APPLY, _BLUR, _SOLARIZE = range(8)
_NUM_SUBSEEDS = 8


@dataclasses.dataclass(frozen=True)
class AugmentParams:
    """Parameters of one view's augmentation (SimCLR defaults; blur off, as on small images).

    `color_jitter_strength` s gives brightness/contrast/saturation 0.8s and hue 0.2s.
    `blur_sigma` is in pixels at a 224 px reference and scales with the view size. `multiview`
    replaces `crop_scale` with its `ViewSpec`'s global/local scale.
    """

    crop_scale: tuple = (0.08, 1.0)
    crop_ratio: tuple = (3 / 4, 4 / 3)
    flip: bool = True
    color_jitter_strength: float = 1.0
    color_jitter_prob: float = 0.8
    grayscale_prob: float = 0.2
    blur_prob: float = 0.0
    blur_sigma: tuple = (0.1, 2.0)
    solarize_prob: float = 0.0
    solarize_threshold: float = 0.5


def augment_view(image, size, params, seed, jit_compile=False):
    """One random view: resized crop, flip, colour jitter, greyscale, blur, solarisation.

    Args:
      image: uint8 (0..255) or float ([0, 1]) tensor [H, W, 3].
      size: output side in pixels.
      params: an `AugmentParams`.
      seed: int32/int64 tensor of shape [2] for the `tf.random.stateless_*` ops.
      jit_compile: run everything after the crop as one XLA-compiled function. The crop has a
        data-dependent shape and stays in TensorFlow; the per-pixel colour, blur and solarisation
        ops after it fuse into a few loops, 2-3x faster on CPU than one kernel per op.

    Returns:
      float32 [size, size, 3] in [0, 1].
    """
    seeds = tf.random.experimental.stateless_split(seed, num=_NUM_SUBSEEDS)
    image = tf.ensure_shape(tf.convert_to_tensor(image), [None, None, 3])
    # Crop first, convert after: only the crop's pixels are read (8 views of a 256² image would
    # otherwise convert the whole image 8 times).
    crop = random_resized_crop(image, size, params.crop_scale, params.crop_ratio, seeds[_CROP])
    from_uint8 = image.dtype == tf.uint8
    draws = _draw_view(seeds, params)
    if jit_compile:
        return _compiled_view_ops(params, from_uint8, context.context())(crop, draws)
    return _view_ops(crop, draws, params, from_uint8)


def _draw_view(seeds, params):
    """The random decisions of one view's post-crop ops, drawn in TensorFlow.

    They are drawn outside `_view_ops` because XLA's stateless generators return other numbers
    than TensorFlow's for the same seed: drawing here keeps a view identical with and without
    `jit_compile`.
    """

    def bernoulli(prob, seed):
        return tf.random.stateless_uniform([], seed) < prob

    draws = {}
    if params.flip:
        draws["flip"] = bernoulli(0.5, seeds[_FLIP])
    if params.color_jitter_prob > 0 and params.color_jitter_strength > 0:
        draws["jitter"] = bernoulli(params.color_jitter_prob, seeds[_JITTER_APPLY])
        draws["jitter_factors"], draws["jitter_order"] = _draw_jitter(
            params.color_jitter_strength, seeds[_JITTER]
        )
    if params.grayscale_prob > 0:
        draws["grey"] = bernoulli(params.grayscale_prob, seeds[_GREY])
    if params.blur_prob > 0:
        draws["blur"] = bernoulli(params.blur_prob, seeds[_BLUR_APPLY])
        draws["blur_sigma"] = tf.random.stateless_uniform([], seeds[_BLUR], *params.blur_sigma)
    if params.solarize_prob > 0:
        draws["solarize"] = bernoulli(params.solarize_prob, seeds[_SOLARIZE])
    return draws


@functools.lru_cache(maxsize=64)
def _compiled_view_ops(params, from_uint8, eager_context):
    """`_view_ops` for one (params, input scale) as an XLA-compiled function (one per view size).

    Keyed by the eager context too: a function traced under a context that was since reset
    (e.g. several trainings in one process) must not be reused.
    """
    del eager_context  # Only part of the cache key.
    return tf.function(
        functools.partial(_view_ops, params=params, from_uint8=from_uint8), jit_compile=True
    )


def _view_ops(crop, draws, params, from_uint8):
    """Everything `augment_view` does after the crop, on a [size, size, 3] float32 crop, with
    the random decisions of `_draw_view`."""
    image = crop / 255.0 if from_uint8 else crop
    size = crop.shape[0]
    if "flip" in draws:
        image = tf.where(draws["flip"], tf.image.flip_left_right(image), image)
    if "jitter" in draws:
        jitter = functools.partial(
            _apply_jitter, factors=draws["jitter_factors"], order=draws["jitter_order"]
        )
        image = _apply_if(draws["jitter"], jitter, image)
    if "grey" in draws:
        image = _apply_if(draws["grey"], to_grayscale, image)
    if "blur" in draws:
        sigma_px = draws["blur_sigma"] * size / _BLUR_REFERENCE_SIZE
        radius = max(1, size // 20)  # Kernel side 2r+1, about 10% of the image side.
        blur = functools.partial(gaussian_blur, sigma=sigma_px, radius=radius)
        image = _apply_if(draws["blur"], blur, image)
    if "solarize" in draws:
        solar = functools.partial(solarize, threshold=params.solarize_threshold)
        image = _apply_if(draws["solarize"], solar, image)
    return tf.clip_by_value(image, 0.0, 1.0)


def random_resized_crop(image, size, scale, ratio, seed):
    """Torchvision-style random resized crop with stateless randomness.

    Tries up to 10 (area fraction in `scale`, log-uniform aspect ratio in `ratio`) boxes and takes
    the first that fits; if none does, falls back to the largest centred box with a clamped ratio.

    Args:
      image: [H, W, C], any real dtype.
      size: output side in pixels.
      scale: (min, max) crop area as a fraction of the image area.
      ratio: (min, max) crop width / height.
      seed: shape-[2] seed.

    Returns:
      float32 [size, size, C] on the input's value scale, bilinearly resized.
    """
    area_seed, ratio_seed, offset_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, num=3)
    )
    shape = tf.shape(image)
    height, width = shape[0], shape[1]
    h, w = tf.cast(height, tf.float32), tf.cast(width, tf.float32)
    areas = h * w * tf.random.stateless_uniform([_CROP_ATTEMPTS], area_seed, *scale)
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    aspects = tf.exp(tf.random.stateless_uniform([_CROP_ATTEMPTS], ratio_seed, log_lo, log_hi))
    crop_ws = tf.round(tf.sqrt(areas * aspects))  # [attempts]
    crop_hs = tf.round(tf.sqrt(areas / aspects))
    fits = (crop_ws > 0) & (crop_hs > 0) & (crop_ws <= w) & (crop_hs <= h)
    found = tf.reduce_any(fits)
    first = tf.argmax(tf.cast(fits, tf.int32))  # Index of the first fitting attempt.

    in_ratio = w / h
    fallback_w = tf.where(in_ratio > ratio[1], tf.round(h * ratio[1]), w)
    fallback_h = tf.where(in_ratio < ratio[0], tf.round(w / ratio[0]), h)
    crop_w = tf.cast(tf.where(found, crop_ws[first], fallback_w), tf.int32)
    crop_h = tf.cast(tf.where(found, crop_hs[first], fallback_h), tf.int32)

    u = tf.random.stateless_uniform([2], offset_seed)
    random_top = tf.cast(u[0] * tf.cast(height - crop_h + 1, tf.float32), tf.int32)
    random_left = tf.cast(u[1] * tf.cast(width - crop_w + 1, tf.float32), tf.int32)
    top = tf.where(found, tf.minimum(random_top, height - crop_h), (height - crop_h) // 2)
    left = tf.where(found, tf.minimum(random_left, width - crop_w), (width - crop_w) // 2)
    crop = tf.slice(image, [top, left, 0], [crop_h, crop_w, -1])
    crop.set_shape([None, None, image.shape[-1]])
    return tf.image.resize(crop, [size, size], method="bilinear")


def color_jitter(image, strength, seed):
    """SimCLR colour jitter: brightness, contrast, saturation, hue in a random per-image order.

    Brightness is multiplicative (factor in [max(0, 1-b), 1+b]); the image is clipped to [0, 1]
    after each op.

    Args:
      image: float32 [H, W, 3] in [0, 1].
      strength: s; brightness/contrast/saturation 0.8s, hue 0.2s.
      seed: shape-[2] seed.
    """
    factors, order = _draw_jitter(strength, seed)
    return _apply_jitter(image, factors, order)


def _draw_jitter(strength, seed):
    """Colour jitter's random (brightness, contrast, saturation, hue) factors [4] and op order [4]."""
    order_seed, b_seed, c_seed, s_seed, h_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, num=5)
    )
    amount = 0.8 * strength
    lo, hi = max(0.0, 1.0 - amount), 1.0 + amount
    max_hue = min(0.5, 0.2 * strength)
    factors = tf.stack(
        [
            tf.random.stateless_uniform([], b_seed, lo, hi),
            tf.random.stateless_uniform([], c_seed, lo, hi),
            tf.random.stateless_uniform([], s_seed, lo, hi),
            tf.random.stateless_uniform([], h_seed, -max_hue, max_hue),
        ]
    )
    order = tf.argsort(tf.random.stateless_uniform([4], order_seed))
    return factors, order


def _apply_jitter(image, factors, order):
    """Applies the four jitter ops in `order`, clipping to [0, 1] after each."""
    ops = [
        lambda x: x * factors[0],
        lambda x: tf.image.adjust_contrast(x, factors[1]),
        lambda x: tf.image.adjust_saturation(x, factors[2]),
        lambda x: tf.image.adjust_hue(x, factors[3]),
    ]

    def step(i, x):
        x = tf.switch_case(order[i], [functools.partial(op, x) for op in ops])
        return i + 1, tf.clip_by_value(x, 0.0, 1.0)

    # A loop rather than 4 unrolled switches: the branches are traced once, not once per step.
    _, image = tf.while_loop(lambda i, _: i < len(ops), step, (tf.constant(0), image))
    return image


def to_grayscale(image):
    """Luma greyscale replicated to 3 channels: [H, W, 3] -> [H, W, 3]."""
    return tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(image))


def gaussian_blur(image, sigma, radius):
    """Separable Gaussian blur with reflect padding, as weighted sums of shifted slices.

    The image is blurred channel-first ([C, H, W]), so every tap is an elementwise multiply-add
    along contiguous rows, which XLA fuses into one vectorised loop per axis: at 224 px with 23
    taps this is about 2× faster on CPU than two banded-matrix GEMMs, and 50× faster than
    depthwise convolutions.

    Args:
      image: float32 [H, W, C] with H, W > radius.
      sigma: scalar standard deviation in pixels.
      radius: Python int; the kernel has 2 * radius + 1 taps.
    """
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    sigma = tf.maximum(tf.cast(sigma, tf.float32), 1e-6)
    kernel = tf.exp(-(x**2) / (2.0 * sigma**2))
    kernel /= tf.reduce_sum(kernel)
    planes = tf.transpose(image, [2, 0, 1])  # [C, H, W]
    height, width = tf.shape(planes)[1], tf.shape(planes)[2]
    padded = tf.pad(planes, [[0, 0], [radius, radius], [radius, radius]], mode="REFLECT")
    taps = range(2 * radius + 1)
    rows = tf.add_n([kernel[t] * padded[:, t : t + height, :] for t in taps])  # [C, H, W + 2r]
    blurred = tf.add_n([kernel[t] * rows[:, :, t : t + width] for t in taps])  # [C, H, W]
    return tf.transpose(blurred, [1, 2, 0])


def solarize(image, threshold=0.5):
    """Inverts pixels at or above `threshold` (x -> 1 - x), for images in [0, 1]."""
    return tf.where(image >= threshold, 1.0 - image, image)


def _apply_if(apply, fn, image):
    """`fn(image)` where the boolean scalar `apply` holds, else `image`."""
    return tf.cond(apply, lambda: fn(image), lambda: image)
