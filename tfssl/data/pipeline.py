"""Input pipelines: the augmented multi-view training stream and the plain evaluation stream."""

import tensorflow as tf

from tfssl.data.multiview import multiview


def make_dataset(
    source,
    spec,
    params,
    per_replica_batch_size,
    seed=0,
    input_context=None,
    shuffle_buffer=10000,
    repeat=True,
    cache=True,
    deterministic=None,
    keep=None,
    threadpool_size=0,
    jit_augment=False,
    transform=None,
):
    """The SSL training stream: shard, cache, shuffle, repeat, augment into views, batch, prefetch.

    Use as the dataset function of `strategy.distribute_datasets_from_function`: each input
    pipeline reads its own shard and yields per-replica batches.

    Args:
      source: unbatched dataset of `{"image": uint8 [H, W, 3], "label": int64 []}`.
      spec: a `ViewSpec`.
      params: `AugmentParams`, or one per view.
      per_replica_batch_size: images per batch yielded by this pipeline.
      seed: shuffle and augmentation seed; augmentation is also folded with the pipeline id.
      input_context: optional `tf.distribute.InputContext`; shards the source when it has more
        than one input pipeline.
      shuffle_buffer: shuffle buffer size in images (0 disables shuffling).
      repeat: repeat forever (reshuffling each epoch).
      cache: cache the decoded source images in memory, before augmentation.
      deterministic: `tf.data.Options.deterministic` when not None.
      keep: optional predicate on source examples, applied after shuffling so that it reads
        any variable it captures when the example is drawn (DeeperCluster's per-replica
        super-class streams).
      threadpool_size: threads of a private tf.data pool (0: TensorFlow's shared pool).
      jit_augment: XLA-compile each view's post-crop ops (see `augment_view`).
      transform: optional per-element `fn(element, seed)` after the views (see `multiview`).

    Returns:
      dataset of `{"views": tuple of float32 [b, S, S, 3], "label": int64 [b]}`, b the
      per-replica batch size (remainder dropped); with `transform`, its elements batched.
    """
    pipeline_id = 0
    if input_context is not None and input_context.num_input_pipelines > 1:
        pipeline_id = input_context.input_pipeline_id
        source = source.shard(input_context.num_input_pipelines, pipeline_id)
    if cache:
        source = source.cache()
    if shuffle_buffer:
        source = source.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        source = source.repeat()
    if keep is not None:
        source = source.filter(keep)
    ds = multiview(
        source,
        spec,
        params,
        (seed, pipeline_id),
        deterministic,
        jit_compile=jit_augment,
        transform=transform,
    )
    ds = ds.batch(per_replica_batch_size, drop_remainder=True)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds.with_options(_options(deterministic, threadpool_size))


def preprocess_for_eval(images, image_size):
    """uint8 images ([H, W, 3] or [N, H, W, 3]) → float32 in [0, 1] resized (bilinear) to
    image_size²: the one preprocessing of evaluation and of exported serving models."""
    images = tf.image.convert_image_dtype(images, tf.float32)
    images = tf.image.resize(images, [image_size, image_size], method="bilinear")
    return tf.clip_by_value(images, 0.0, 1.0)


def eval_dataset(source, image_size, batch_size):
    """Un-augmented, ordered, finite batches for feature extraction and linear probes.

    Returns:
      dataset of `{"image": float32 [b, S, S, 3] in [0, 1], "label": int64 [b]}`; the last batch
      may be smaller.
    """

    def prepare(example):
        return {
            "image": preprocess_for_eval(example["image"], image_size),
            "label": example["label"],
        }

    ds = source.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size, drop_remainder=False)
    return ds.prefetch(tf.data.AUTOTUNE)


def _options(deterministic, threadpool_size):
    """tf.data options for the training stream."""
    options = tf.data.Options()
    if deterministic is not None:
        options.deterministic = deterministic
    if threadpool_size:
        options.threading.private_threadpool_size = threadpool_size
    return options
