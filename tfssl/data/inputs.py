"""From a task's `DataConfig` to tf.data: the source reader, and the per-replica training
pipeline handed to `distribute_datasets_from_function`."""

import dataclasses

import tensorflow as tf

from tfssl import data  # noqa: F401  (the package's public readers and pipelines)


def build_source(data_config, with_index=False):
    """The unbatched `{"image", "label"}` dataset a DataConfig names, and its size (or None).

    `with_index` adds `"index"`: int64 position of the example in the source, before any
    sharding or shuffling, so per-image state (pseudo-labels) can be looked up in training.
    """
    source, size = _read_source(data_config)
    if with_index:
        source = source.enumerate().map(lambda index, example: {**example, "index": index})
    return source, size


def _read_source(data_config):
    if data_config.source == "embedded":
        images, labels = data.load_embedded(data_config.split)
        return data.from_numpy(images, labels), len(labels)
    if data_config.source == "tfds":
        return data.from_tfds(data_config.tfds_name, data_config.split, data_config.path or None), None
    if data_config.source == "folder":
        source = data.from_image_folder(data_config.path)
        return source, int(source.cardinality())
    if data_config.source == "tfrecord":
        return data.from_tfrecord(data_config.path, label_offset=data_config.label_offset), None
    raise ValueError(f"unknown data source '{data_config.source}'")


def view_spec(views_config):
    return data.ViewSpec(
        num_global=views_config.num_global,
        global_size=views_config.global_size,
        global_scale=tuple(views_config.global_scale),
        num_local=views_config.num_local,
        local_size=views_config.local_size,
        local_scale=tuple(views_config.local_scale),
    )


def augment_params(augmentation_config):
    a = augmentation_config
    return data.AugmentParams(
        crop_ratio=tuple(a.crop_ratio),
        flip=a.flip,
        color_jitter_strength=a.color_jitter_strength,
        color_jitter_prob=a.color_jitter_prob,
        grayscale_prob=a.grayscale_prob,
        blur_prob=a.blur_prob,
        blur_sigma=tuple(a.blur_sigma),
        solarize_prob=a.solarize_prob,
        solarize_threshold=a.solarize_threshold,
    )


def view_augment_params(data_config):
    """One `AugmentParams` for every view, or one per view when the recipe is asymmetric
    (`blur_probs` / `solarize_probs`: a value per global crop, then one for the local crops)."""
    a, views = data_config.augmentation, data_config.views
    params = augment_params(a)
    if not a.blur_probs and not a.solarize_probs:
        return params

    def per_view(values, default):
        values = list(values) or [default] * (views.num_global + 1)
        return values[: views.num_global] + values[-1:] * views.num_local

    return [
        dataclasses.replace(params, blur_prob=blur, solarize_prob=solarize)
        for blur, solarize in zip(
            per_view(a.blur_probs, a.blur_prob), per_view(a.solarize_probs, a.solarize_prob)
        )
    ]


def train_input_fn(source, data_config, seed, replica_filters=None):
    """A `fn(input_context)` yielding per-replica batches of augmented views of `source`.

    With `replica_filters` (one predicate on source examples per replica, e.g. DeeperCluster's
    "this image's super-class is owned by replica r"), the pipeline interleaves one filtered
    stream per local replica. The strategy hands a pipeline's consecutive batches to its local
    replicas in turn, so replica r trains only on the examples its predicate keeps.
    """

    def stream(input_context, keep=None, stream_seed=seed):
        return data.make_dataset(
            source,
            view_spec(data_config.views),
            view_augment_params(data_config),
            per_replica_batch_size=input_context.get_per_replica_batch_size(
                data_config.global_batch_size
            ),
            seed=stream_seed,
            input_context=input_context,
            shuffle_buffer=data_config.shuffle_buffer,
            cache=data_config.cache,
            deterministic=data_config.deterministic,
            keep=keep,
            threadpool_size=data_config.threadpool_size,
            jit_augment=data_config.jit_augment,
        )

    def input_fn(input_context):
        if replica_filters is None:
            return stream(input_context)
        local = input_context.num_replicas_in_sync // input_context.num_input_pipelines
        first = input_context.input_pipeline_id * local  # global id of the first local replica
        streams = [
            stream(input_context, replica_filters[first + j], seed + first + j)
            for j in range(local)
        ]
        return tf.data.Dataset.choose_from_datasets(streams, tf.data.Dataset.range(local).repeat())

    return input_fn


def eval_input(data_config, batch_size=None):
    """Un-augmented, ordered `{"image", "label"}` batches for feature extraction."""
    source, _ = build_source(data_config)
    return data.eval_dataset(
        source, data_config.image_size, batch_size or data_config.global_batch_size
    )


def train_split_input(task, cache=False):
    """`eval_input` of the task's training images (features of the whole training set for probes
    and clustering), batched at the evaluation batch size rather than the training one."""
    return eval_input(
        dataclasses.replace(task.train_data, cache=cache), task.eval_data.global_batch_size
    )
