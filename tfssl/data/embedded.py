"""A small built-in image dataset rendered from scikit-learn's bundled 8x8 digits.

Each source digit is drawn as a grey-level alpha mask at a random size and position on a cluttered,
textured 32x32 background, so raw pixels are a poor classifier while digit identity stays
learnable; it needs no download and lets SSL methods be trained and probed end to end on a CPU.
"""

import os

import numpy as np
from absl import logging
from sklearn.datasets import load_digits

from tfssl.files import atomic_write

IMAGE_SIZE = 32
NUM_CLASSES = 10
# Bump when the rendering changes, so stale caches are not reused.
VERSION = "mid-v2"

_SPLIT_SEED = 20240601  # Fixes the train/test split of source digits, independent of `seed`.
_TEST_FRACTION = 0.2
_RENDERS_PER_DIGIT = {"train": 8, "test": 4}
_SPLIT_CODES = {"train": 0, "test": 1}
_CHUNK = 2048  # Renders per vectorised step, bounding peak memory.


def embedded_source_indices(split):
    """Indices into `load_digits()` of the source digits used by `split`, sorted.

    The stratified 80/20 split is fixed (independent of the rendering seed), so train and test are
    always rendered from disjoint digits.
    """
    _check_split(split)
    targets = load_digits().target
    rng = np.random.default_rng(_SPLIT_SEED)
    test = []
    for c in range(NUM_CLASSES):
        members = np.flatnonzero(targets == c)
        n_test = int(round(_TEST_FRACTION * len(members)))
        test.append(rng.permutation(members)[:n_test])
    test = np.sort(np.concatenate(test))
    if split == "test":
        return test
    return np.setdiff1d(np.arange(len(targets)), test)


def build_embedded(split="train", seed=0):
    """Renders the `split` images from scratch (no cache); byte-identical for a given seed.

    Returns:
      (images uint8 [N, 32, 32, 3], labels int64 [N]), in a seed-fixed shuffled order.
    """
    digits = load_digits()
    sources = embedded_source_indices(split)
    repeats = _RENDERS_PER_DIGIT[split]
    rng = np.random.default_rng([seed, _SPLIT_CODES[split]])
    order = rng.permutation(len(sources) * repeats)
    source_ids = np.repeat(sources, repeats)[order]
    masks = digits.images[source_ids].astype(np.float32) / 16.0  # [N, 8, 8] alpha in [0, 1]
    chunks = [_render(masks[start : start + _CHUNK], rng) for start in range(0, len(masks), _CHUNK)]
    grey = np.concatenate(chunks)  # [N, 32, 32]
    images = np.round(grey * 255.0).astype(np.uint8)
    images = np.repeat(images[..., None], 3, axis=-1)  # [N, 32, 32, 3]
    return images, digits.target[source_ids].astype(np.int64)


def load_embedded(split="train", seed=0):
    """The `split` ("train" or "test") of the embedded digits, cached on disk after the first call.

    The cache lives in `$TFSSL_CACHE_DIR` (default `~/.cache/tfssl`); an unreadable cache entry
    is rebuilt.

    Returns:
      (images uint8 [N, 32, 32, 3], labels int64 [N]), 10 classes.
    """
    _check_split(split)
    path = _cache_path(split, seed)
    cached = _read_cache(path)
    if cached is not None:
        return cached
    images, labels = build_embedded(split, seed)
    _write_cache(path, images, labels)
    return images, labels


def _check_split(split):
    """Raises ValueError for a split name other than train/test."""
    if split not in _RENDERS_PER_DIGIT:
        raise ValueError(f"split must be one of {sorted(_RENDERS_PER_DIGIT)}, got {split!r}")


def _cache_path(split, seed):
    """Cache file for one split and seed, under the configured cache dir."""
    cache_dir = os.environ.get("TFSSL_CACHE_DIR") or os.path.join("~", ".cache", "tfssl")
    name = f"embedded-digits-{VERSION}-{split}-seed{seed}.npz"
    return os.path.join(os.path.expanduser(cache_dir), name)


def _read_cache(path):
    """The cached (images, labels) at `path`, or None when missing or unreadable."""
    if not os.path.exists(path):
        return None
    try:
        with np.load(path) as data:
            images, labels = data["images"], data["labels"]
    except Exception as err:  # A truncated or foreign file: rebuild rather than fail.
        logging.warning("ignoring unreadable cache %s (%s); rebuilding", path, err)
        return None
    if images.dtype != np.uint8 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 3):
        logging.warning("ignoring malformed cache %s; rebuilding", path)
        return None
    return images, labels.astype(np.int64)


def _write_cache(path, images, labels):
    """Writes the arrays atomically (`tfssl.files.atomic_write`); a failure only logs a warning."""
    try:
        with atomic_write(path) as tmp:
            np.savez(tmp, images=images, labels=labels)
    except OSError as err:
        logging.warning("could not write cache %s: %s", path, err)


def _render(masks, rng):
    """Composites digit alpha masks [n, 8, 8] onto cluttered backgrounds; returns [n, 32, 32]."""
    n = len(masks)
    coords = np.arange(IMAGE_SIZE, dtype=np.float32) + 0.5  # Pixel centres.
    ys, xs = np.meshgrid(coords, coords, indexing="ij")  # [32, 32] each
    canvas = _background(n, xs, ys, rng)
    canvas = _draw_rectangles(canvas, xs, ys, rng)
    canvas = _draw_line(canvas, xs, ys, rng)
    alpha = _place_digits(masks, xs, ys, rng)
    fg = rng.uniform(0.55, 1.0, size=(n, 1, 1)).astype(np.float32)
    canvas = canvas * (1.0 - alpha) + fg * alpha
    canvas += rng.normal(0.0, 0.03, size=canvas.shape).astype(np.float32)
    return np.clip(canvas, 0.0, 1.0)


def _background(n, xs, ys, rng):
    """Uniform grey in [0, 0.45] plus a random linear gradient (±0.1) and smooth noise."""
    base = rng.uniform(0.0, 0.45, size=(n, 1, 1))
    angle = rng.uniform(0.0, 2 * np.pi, size=(n, 1, 1))
    amplitude = rng.uniform(-0.1, 0.1, size=(n, 1, 1))
    unit = (xs * np.cos(angle) + ys * np.sin(angle)) / IMAGE_SIZE  # [n, 32, 32]
    unit = unit - unit.mean(axis=(1, 2), keepdims=True)
    gradient = amplitude * unit / np.abs(unit).max(axis=(1, 2), keepdims=True)
    coarse = rng.normal(0.0, 0.05, size=(n, 4, 4))
    return (base + gradient + _upsample(coarse, IMAGE_SIZE)).astype(np.float32)


def _upsample(grid, size):
    """Bilinear upsampling of [n, g, g] grids to [n, size, size] (half-pixel centres)."""
    g = grid.shape[1]
    pos = np.clip((np.arange(size) + 0.5) * g / size - 0.5, 0, g - 1)
    lo = np.minimum(np.floor(pos).astype(int), g - 2)
    w = (pos - lo)[None, :, None]
    rows = grid[:, lo, :] * (1 - w) + grid[:, lo + 1, :] * w  # [n, size, g]
    w = w.reshape(1, 1, size)
    return rows[:, :, lo] * (1 - w) + rows[:, :, lo + 1] * w


def _draw_rectangles(canvas, xs, ys, rng):
    """Paints 0-2 axis-aligned grey rectangles per image as clutter."""
    n = len(canvas)
    count = rng.integers(0, 3, size=n)  # 0, 1 or 2 rectangles, equally likely.
    for slot in range(2):
        present = count > slot
        w, h = rng.uniform(4, 16, size=(2, n, 1, 1))
        x0 = rng.uniform(0, IMAGE_SIZE - w)
        y0 = rng.uniform(0, IMAGE_SIZE - h)
        grey = rng.uniform(0.0, 0.7, size=(n, 1, 1)).astype(np.float32)
        inside = (xs >= x0) & (xs < x0 + w) & (ys >= y0) & (ys < y0 + h)
        inside &= present[:, None, None]
        canvas = np.where(inside, grey, canvas)
    return canvas


def _draw_line(canvas, xs, ys, rng):
    """Paints at most one grey line segment (1-2.5 px wide) per image as clutter."""
    n = len(canvas)
    present = rng.random(n) < 0.5
    p0, p1 = rng.uniform(0, IMAGE_SIZE, size=(2, 2, n, 1, 1))  # each [xy, n, 1, 1]
    width = rng.uniform(1.0, 2.5, size=(n, 1, 1))
    grey = rng.uniform(0.0, 0.7, size=(n, 1, 1)).astype(np.float32)
    d = p1 - p0
    t = ((xs - p0[0]) * d[0] + (ys - p0[1]) * d[1]) / np.maximum(d[0] ** 2 + d[1] ** 2, 1e-6)
    t = np.clip(t, 0.0, 1.0)
    dist = np.hypot(xs - p0[0] - t * d[0], ys - p0[1] - t * d[1])  # [n, 32, 32]
    on_line = (dist <= width / 2) & present[:, None, None]
    return np.where(on_line, grey, canvas)


def _place_digits(masks, xs, ys, rng):
    """Bilinearly resamples each 8x8 mask into a random 14-26 px box fully inside the canvas.

    Returns:
      alpha float32 [n, 32, 32], zero outside each digit's box.
    """
    n = len(masks)
    side = rng.uniform(14, 26, size=(n, 1, 1))
    aspect = rng.uniform(0.9, 1.1, size=(n, 1, 1))
    h = np.minimum(side * aspect, IMAGE_SIZE)
    w = np.minimum(side / aspect, IMAGE_SIZE)
    y0 = rng.uniform(0, IMAGE_SIZE - h)
    x0 = rng.uniform(0, IMAGE_SIZE - w)
    padded = np.pad(masks, ((0, 0), (1, 1), (1, 1)))  # [n, 10, 10]; zero border outside the box
    # Source coordinates in the padded grid (half-pixel centres), clamped onto the zero border.
    u = np.clip((xs - x0) * 8 / w - 0.5 + 1, 0, 9)  # [n, 32, 32]
    v = np.clip((ys - y0) * 8 / h - 0.5 + 1, 0, 9)
    u0 = np.minimum(np.floor(u).astype(int), 8)
    v0 = np.minimum(np.floor(v).astype(int), 8)
    fu, fv = u - u0, v - v0
    idx = np.arange(n)[:, None, None]
    top = padded[idx, v0, u0] * (1 - fu) + padded[idx, v0, u0 + 1] * fu
    bottom = padded[idx, v0 + 1, u0] * (1 - fu) + padded[idx, v0 + 1, u0 + 1] * fu
    return (top * (1 - fv) + bottom * fv).astype(np.float32)
