"""From a task's `DataConfig` to tf.data: the registered source readers, the dataset size, and
the per-replica training pipeline handed to `distribute_datasets_from_function`."""

import dataclasses

import tensorflow as tf

from tfssl import data
from tfssl.registry import Registry

# `DataConfig.source` → reader: a class with static `read(config)`, the unshuffled, unbatched
# `{"image", "label"}` dataset, and `size(config)`, its number of examples.
SOURCES = Registry("data source")


@SOURCES.register("embedded")
class _Embedded:
    """The built-in digits renders; `split` is train or test."""

    @staticmethod
    def read(config):
        return data.from_numpy(*data.load_embedded(config.split))

    @staticmethod
    def size(config):
        return len(data.load_embedded(config.split)[1])


@SOURCES.register("tfds")
class _TFDS:
    """A prepared TFDS dataset `tfds_name`, its `split`, under data_dir `path` (or the default)."""

    @staticmethod
    def read(config):
        return data.from_tfds(config.tfds_name, config.split, config.path or None)

    @staticmethod
    def size(config):
        return data.tfds_split_size(config.tfds_name, config.split, config.path or None)


@SOURCES.register("folder")
class _Folder:
    """`path/<class>/<image>` files; the size counts the images that decode (a scan decodes each
    file once), since corrupt files are skipped by the reader too."""

    @staticmethod
    def read(config):
        return data.from_image_folder(config.path)

    @staticmethod
    def size(config):
        return len(data.scan_image_folder(config.path).files)


@SOURCES.register("tfrecord")
class _TFRecord:
    """tf.train.Example records matching the file pattern `path`; the size counts the records
    (one logged pass over the files)."""

    @staticmethod
    def read(config):
        return data.from_tfrecord(config.path, label_offset=config.label_offset)

    @staticmethod
    def size(config):
        return data.count_tfrecords(config.path)


def build_source(data_config, with_index=False):
    """The unbatched `{"image", "label"}` dataset a data config names, and its size when the
    dataset knows it without reading (None for TFRecords; `source_size` counts them).

    `with_index` adds `"index"`: int64 position of the example in the source, before any
    sharding or shuffling, so per-image state (pseudo-labels) can be looked up in training.
    """
    source = SOURCES.get(data_config.source).read(data_config)
    size = int(source.cardinality())
    if with_index:
        source = source.enumerate().map(lambda index, example: {**example, "index": index})
    return source, size if size >= 0 else None


def source_size(data_config):
    """The number of examples of the source a data config names: the length of the embedded
    split, a TFDS split's size from its metadata, the decodable images of a folder, or the
    records of TFRecord files (counted, with a log line)."""
    return SOURCES.get(data_config.source).size(data_config)


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


def train_input_fn(source, data_config, seed, replica_filters=None, transform=None):
    """A `fn(input_context)` yielding per-replica batches of augmented views of `source`.

    With `replica_filters` (one predicate on source examples per replica, e.g. DeeperCluster's
    "this image's super-class is owned by replica r"), the pipeline interleaves one filtered
    stream per local replica. The strategy hands a pipeline's consecutive batches to its local
    replicas in turn, so replica r trains only on the examples its predicate keeps.
    `transform` turns each example's views into another input before batching (jigsaw tiles;
    see `tfssl.data.multiview`).
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
            transform=transform,
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


def on_data_service(input_fn, address):
    """`input_fn` run by the tf.data service dispatched from `address` ("grpc://host:port").

    Each input pipeline (one per worker under `distribute_datasets_from_function`) sends its
    whole dataset graph — source, augmentation, batching — to the service's workers and reads
    the finished per-replica batches back, so augmentation no longer needs this host's CPUs.
    Every pipeline is its own job without sharding: it receives exactly the batches it would
    have built itself (in the same order while the service has a single worker; with several,
    the same batches interleaved).
    """

    def service_input_fn(input_context):
        return input_fn(input_context).apply(
            tf.data.experimental.service.distribute(
                processing_mode=tf.data.experimental.service.ShardingPolicy.OFF,
                service=address,
            )
        )

    return service_input_fn
