"""Turns a dataset of images into a dataset of independently augmented views (global, then local)."""

import dataclasses
import numbers

import tensorflow as tf

from tfssl.data.augment import AugmentParams, augment_view

# Folded into an element's seed to give its `transform` a seed apart from the views' seeds.
_TRANSFORM = 1


@dataclasses.dataclass(frozen=True)
class ViewSpec:
    """How many views of which size and crop scale to draw per image (multi-crop when local > 0)."""

    num_global: int = 2
    global_size: int = 32
    global_scale: tuple = (0.08, 1.0)
    num_local: int = 0
    local_size: int = 16
    local_scale: tuple = (0.05, 0.4)

    @property
    def num_views(self):
        """Total views per image, globals first."""
        return self.num_global + self.num_local


def view_plan(spec, params):
    """The (size, AugmentParams) of each view, with crop_scale taken from `spec`.

    Args:
      spec: a `ViewSpec`.
      params: one `AugmentParams` for every view, or a sequence of `spec.num_views` of them
        (e.g. BYOL's asymmetric blur/solarisation per view).

    Returns:
      list of `spec.num_views` (size, AugmentParams), global views first.
    """
    if spec.num_views < 1:
        raise ValueError(f"a ViewSpec needs at least one view, got {spec}")
    per_view = [params] * spec.num_views if isinstance(params, AugmentParams) else list(params)
    if len(per_view) != spec.num_views:
        raise ValueError(f"got {len(per_view)} AugmentParams for {spec.num_views} views")
    plan = []
    for v, view_params in enumerate(per_view):
        is_global = v < spec.num_global
        size = spec.global_size if is_global else spec.local_size
        scale = spec.global_scale if is_global else spec.local_scale
        plan.append((size, dataclasses.replace(view_params, crop_scale=tuple(scale))))
    return plan


def multiview(dataset, spec, params, seed=0, deterministic=None, jit_compile=False, transform=None):
    """Maps `{"image", "label"}` elements to `{"views": tuple of float32 views, "label"}`.

    Each element's seed is derived from `seed` and its position in `dataset`, and each view's from
    that, so views of one image differ, images differ, and a given seed reproduces the output.

    Args:
      dataset: unbatched dataset of `{"image": [H, W, 3], "label": int64 []}`.
      spec: a `ViewSpec`.
      params: `AugmentParams`, or one per view (see `view_plan`).
      seed: int, or a pair of ints (e.g. (seed, input_pipeline_id)).
      deterministic: passed to `Dataset.map`; None follows the dataset options.
      jit_compile: XLA-compile each view's post-crop ops (see `augment_view`).
      transform: optional `fn(element, seed)` → element, applied to each output element with a
        stateless seed of its own derived from the element's (the views' seeds are unchanged):
        a pretext input built from the views, e.g. jigsaw tiles.

    Returns:
      dataset of `{"views": (num_global + num_local) x float32 [size, size, 3], "label": int64}`,
      plus the input's `"index"` when it has one; with `transform`, whatever it returns.
    """
    plan = view_plan(spec, params)
    pair = [int(seed), 0] if isinstance(seed, numbers.Integral) else [int(s) for s in seed]
    base_seed = tf.constant(pair, tf.int64)

    @tf.autograph.experimental.do_not_convert  # Plain TF ops only; skips AutoGraph's rewrite.
    def make_views(index, example):
        element_seed = tf.random.experimental.stateless_fold_in(base_seed, index)
        view_seeds = tf.random.experimental.stateless_split(element_seed, num=len(plan))
        views = tuple(
            augment_view(example["image"], size, view_params, view_seeds[v], jit_compile)
            for v, (size, view_params) in enumerate(plan)
        )
        outputs = {"views": views, "label": example["label"]}
        if "index" in example:  # the example's position in the source (see build_source)
            outputs["index"] = example["index"]
        if transform is not None:
            transform_seed = tf.random.experimental.stateless_fold_in(element_seed, _TRANSFORM)
            outputs = transform(outputs, transform_seed)
        return outputs

    return dataset.enumerate().map(
        make_views, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic
    )
