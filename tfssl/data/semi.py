"""Semi-supervised data (the FixMatch protocol): a few labeled examples per class, FixMatch's weak
augmentation, and a zipped stream of labeled batches and unlabeled multi-view batches.

The unlabeled stream draws from the whole training set, labeled images included, but never
carries a label: a method cannot read the labels of the images it should only see unlabeled.
"""

import numpy as np
import tensorflow as tf

# Sub-seed slots of `weak_augment`: fixed so turning the flip off leaves the shift unchanged.
_SHIFT, _FLIP = range(2)
# Stream ids folded into the seeds, so the labeled and unlabeled streams draw independently.
_LABELED, _UNLABELED = range(2)


def labeled_split(labels, num_per_class, seed=0):
    """Indices of exactly `num_per_class` examples of each class, no duplicates, deterministic for
    a seed.

    Args:
      labels: integer labels [N], NumPy or tf.Tensor.
      num_per_class: examples drawn (without replacement) from every class present in `labels`.
      seed: NumPy random seed; other seeds give other (in general) sets.

    Returns:
      sorted int64 NumPy array of `num_per_class` × (number of classes) indices into `labels`.

    Raises:
      ValueError: `num_per_class` < 1, or a class has fewer than `num_per_class` examples.
    """
    if num_per_class < 1:
        raise ValueError(f"num_per_class must be at least 1, got {num_per_class}")
    labels = np.asarray(labels).reshape(-1)
    classes, counts = np.unique(labels, return_counts=True)
    for label, count in zip(classes, counts):
        if count < num_per_class:
            raise ValueError(
                f"class {label} has {count} examples, fewer than num_per_class={num_per_class}"
            )
    rng = np.random.default_rng(seed)
    picks = [
        rng.choice(np.flatnonzero(labels == label), num_per_class, replace=False)
        for label in classes
    ]
    return np.sort(np.concatenate(picks)).astype(np.int64)


def weak_augment(image, seed, translate=0.125, flip=False):
    """FixMatch's weak augmentation: a random translation with reflected borders, optional flip.

    The image is reflect-padded by p = round(translate · side) pixels on every side and a crop
    of the original size is taken at a random offset, i.e. shifted by up to p pixels each way.
    Leave `flip` off for images whose mirror image is another class (digits).

    Args:
      image: uint8 (0..255) or float ([0, 1]) tensor [H, W, 3]; p must be below H and W.
      seed: int32/int64 tensor of shape [2] for the `tf.random.stateless_*` ops.
      translate: largest shift as a fraction of the height (vertically) and width (horizontally).
      flip: flip left-right with probability 0.5.

    Returns:
      float32 [H, W, 3] in [0, 1].
    """
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    image = tf.ensure_shape(tf.convert_to_tensor(image), [None, None, 3])
    size = tf.shape(image)[:2]  # [H, W]
    pads = tf.cast(tf.round(translate * tf.cast(size, tf.float32)), tf.int32)  # [pad_h, pad_w]
    padded = tf.pad(image, [[pads[0], pads[0]], [pads[1], pads[1]], [0, 0]], mode="REFLECT")
    # Offsets uniform in [0, 2p] per axis: shifts in [-p, p].
    u = tf.random.stateless_uniform([2], seeds[_SHIFT])
    offsets = tf.minimum(tf.cast(u * tf.cast(2 * pads + 1, tf.float32), tf.int32), 2 * pads)
    shifted = tf.slice(padded, [offsets[0], offsets[1], 0], [size[0], size[1], -1])
    shifted.set_shape(image.shape)
    if flip:
        flips = tf.random.stateless_uniform([], seeds[_FLIP]) < 0.5
        shifted = tf.cond(flips, lambda: tf.image.flip_left_right(shifted), lambda: shifted)
    return tf.image.convert_image_dtype(shifted, tf.float32)


def semi_supervised_dataset(
    source,
    labeled_indices,
    labeled_batch_size,
    unlabeled_batch_size,
    unlabeled_views,
    seed=0,
    labeled_view=None,
    input_context=None,
    shuffle_buffer=10000,
    cache=True,
):
    """Zipped labeled and unlabeled training batches (FixMatch: B labeled, μ·B unlabeled).

    Use as the dataset function of `strategy.distribute_datasets_from_function` (batch sizes
    per replica). Every image's augmentation is drawn from its own stateless seed, derived from
    `seed`, the input pipeline, the stream and the image's position in the repeated stream, so a
    seed reproduces the batches.

    Args:
      source: unbatched dataset of `{"image": uint8 [H, W, 3], "label": int64 []}`.
      labeled_indices: positions in `source` of the labeled examples (see `labeled_split`).
      labeled_batch_size: labeled images per batch yielded by this pipeline.
      unlabeled_batch_size: unlabeled images per batch yielded by this pipeline.
      unlabeled_views: sequence of callables (image, seed [2]) -> float32 image, one per view
        of each unlabeled image (e.g. (weak, strong) for FixMatch); empty for a labels-only
        run, whose elements then have no "unlabeled" stream.
      seed: int; shuffling and augmentation seed.
      labeled_view: callable (image, seed [2]) -> float32 image; default `weak_augment`.
      input_context: optional `tf.distribute.InputContext`. With several input pipelines, each
        reads its own shard of the unlabeled source and all of the (small) labeled set, and the
        pipeline id is folded into both streams' seeds.
      shuffle_buffer: shuffle buffer size in images (0 disables shuffling).
      cache: cache the unlabeled stream's source images in memory; the labeled stream is always
        cached.

    Returns:
      endless dataset of `{"labeled": {"image": float32 [b, H, W, 3], "label": int64 [b]},
      "unlabeled": {"views": tuple of float32 [μb, H, W, 3], "index": int64 [μb]}}`, where
      "index" is the image's position in `source` (no "unlabeled" without views).
    """
    pipeline_id, num_pipelines = 0, 1
    if input_context is not None and input_context.num_input_pipelines > 1:
        pipeline_id, num_pipelines = (
            input_context.input_pipeline_id,
            input_context.num_input_pipelines,
        )
    seeds = (seed, pipeline_id)
    indexed = source.enumerate()  # (position in source, example)
    labeled = _labeled_stream(
        indexed, labeled_indices, labeled_view or weak_augment, seeds, shuffle_buffer
    ).batch(labeled_batch_size, drop_remainder=True)
    if not unlabeled_views:
        return tf.data.Dataset.zip({"labeled": labeled}).prefetch(tf.data.AUTOTUNE)
    unlabeled = indexed.shard(num_pipelines, pipeline_id) if num_pipelines > 1 else indexed
    unlabeled = _unlabeled_stream(unlabeled, unlabeled_views, seeds, shuffle_buffer, cache).batch(
        unlabeled_batch_size, drop_remainder=True
    )
    ds = tf.data.Dataset.zip({"labeled": labeled, "unlabeled": unlabeled})
    return ds.prefetch(tf.data.AUTOTUNE)


def _labeled_stream(indexed, labeled_indices, view, seeds, shuffle_buffer):
    """Augmented `{"image", "label"}` of the examples at `labeled_indices`, cached, shuffled and
    repeated (unbatched)."""
    wanted = np.unique(np.asarray(labeled_indices, np.int64))
    if wanted.size == 0:
        raise ValueError("labeled_indices is empty")
    wanted = tf.constant(wanted)

    def is_labeled(index, example):
        del example
        slot = tf.minimum(tf.searchsorted(wanted, [index])[0], tf.size(wanted, tf.int32) - 1)
        return tf.equal(wanted[slot], index)

    ds = indexed.filter(is_labeled).map(lambda index, example: example).cache()
    ds = _shuffle_repeat(ds, shuffle_buffer, _shuffle_seed(seeds, _LABELED))
    base_seed = _stream_seed(seeds, _LABELED)

    def augment(position, example):
        element_seed = tf.random.experimental.stateless_fold_in(base_seed, position)
        return {"image": view(example["image"], element_seed), "label": example["label"]}

    return ds.enumerate().map(augment, num_parallel_calls=tf.data.AUTOTUNE)


def _unlabeled_stream(indexed, views, seeds, shuffle_buffer, cache):
    """`{"views", "index"}` of every example of `indexed`, label dropped, shuffled and repeated
    (unbatched); each view of each image has its own seed."""
    views = tuple(views)
    ds = indexed.map(lambda index, example: {"image": example["image"], "index": index})
    if cache:
        ds = ds.cache()
    ds = _shuffle_repeat(ds, shuffle_buffer, _shuffle_seed(seeds, _UNLABELED))
    base_seed = _stream_seed(seeds, _UNLABELED)

    def augment(position, example):
        element_seed = tf.random.experimental.stateless_fold_in(base_seed, position)
        view_seeds = tf.random.experimental.stateless_split(element_seed, num=len(views))
        return {
            "views": tuple(view(example["image"], view_seeds[v]) for v, view in enumerate(views)),
            "index": example["index"],
        }

    return ds.enumerate().map(augment, num_parallel_calls=tf.data.AUTOTUNE)


def _shuffle_repeat(ds, shuffle_buffer, shuffle_seed):
    """Reshuffled every epoch (unless `shuffle_buffer` is 0), repeated forever."""
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.repeat()


def _stream_seed(seeds, stream):
    """The [2] stateless seed of one stream of one input pipeline: (seed, pipeline id) folded
    with the stream id."""
    seed, pipeline_id = seeds
    return tf.random.experimental.stateless_fold_in(
        tf.constant([seed, pipeline_id], tf.int64), stream
    )


def _shuffle_seed(seeds, stream):
    """An int shuffle seed per (seed, pipeline id, stream): pipelines that each hold the whole
    labeled set must not draw it in the same order."""
    seed, pipeline_id = seeds
    return int(np.random.SeedSequence([seed, pipeline_id, stream]).generate_state(1)[0])
