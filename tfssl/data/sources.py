"""Image sources: each returns an unshuffled, unbatched `tf.data.Dataset` of
`{"image": uint8 [H, W, 3], "label": int64 []}` (label -1 when unknown).
"""

import dataclasses
import os

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds
from absl import logging

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
_MAX_LOGGED_CORRUPT = 5


def from_numpy(images, labels=None):
    """Wraps in-memory images (uint8 [N, H, W, 3], or grey [N, H, W] / [N, H, W, 1]) as a source.

    Args:
      images: uint8 array of N images.
      labels: optional integer array [N]; -1 for every image when None.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"images must be uint8, got {images.dtype}")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"images must be [N, H, W, 3] or [N, H, W(, 1)], got {images.shape}")
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    if labels is None:
        labels = np.full(len(images), -1, np.int64)
    labels = np.asarray(labels, np.int64)
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape [{len(images)}], got {labels.shape}")
    return tf.data.Dataset.from_tensor_slices({"image": images, "label": labels})


def from_tfds(name, split="train", data_dir=None):
    """Reads an already prepared TFDS dataset with an `image` (and optional `label`) feature.

    Never downloads: preparing the dataset is a separate, explicit step.

    Args:
      name: TFDS name, optionally with config/version ("cifar10", "imagenet2012:5.1.0").
      split: TFDS split spec, e.g. "train" or "train[:10%]".
      data_dir: TFDS data dir; None uses the TFDS default.

    Raises:
      FileNotFoundError: when the dataset is not prepared under `data_dir`.
    """
    builder = _prepared_builder(name, data_dir)
    has_label = "label" in builder.info.features
    ds = builder.as_dataset(split=split, shuffle_files=False)

    def to_example(example):
        image = example["image"]
        if image.shape[-1] == 1:
            image = tf.image.grayscale_to_rgb(image)
        label = example["label"] if has_label else -1
        return {"image": image, "label": tf.cast(label, tf.int64)}

    return ds.map(to_example, num_parallel_calls=tf.data.AUTOTUNE)


def tfds_split_size(name, split="train", data_dir=None):
    """The number of examples of `split` (a spec such as "train[:10%]" included) of a prepared
    TFDS dataset, from the dataset's metadata: no example is read.

    Raises:
      FileNotFoundError: when the dataset is not prepared under `data_dir`.
    """
    return _prepared_builder(name, data_dir).info.splits[split].num_examples


def _prepared_builder(name, data_dir):
    """The TFDS builder of `name`, or a FileNotFoundError saying how to prepare it."""
    where = data_dir or tfds.core.constants.DATA_DIR
    missing = FileNotFoundError(
        f"TFDS dataset {name!r} is not prepared in data_dir {where!r}; prepare it first "
        f"(e.g. `tfds build {name} --data_dir {where}`), this library never downloads."
    )
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.DatasetNotFoundError as err:
        raise missing from err
    if not builder.is_prepared():
        raise missing
    return builder


@dataclasses.dataclass(frozen=True)
class ImageFolderScan:
    """What `scan_image_folder` found: decodable files with their labels, and the corrupt ones."""

    files: list
    labels: list
    class_names: list
    corrupt_files: list


def scan_image_folder(path):
    """Lists `path/<class>/<image>` JPEG/PNG files and decodes each once to find corrupt ones.

    Class ids follow the sorted sub-folder names. Files that fail to decode are dropped and logged.

    Raises:
      FileNotFoundError: `path` is not a directory.
      ValueError: no decodable image was found.
    """
    if not tf.io.gfile.isdir(path):
        raise FileNotFoundError(f"image folder not found: {path}")
    class_names = sorted(
        d.rstrip("/") for d in tf.io.gfile.listdir(path) if tf.io.gfile.isdir(os.path.join(path, d))
    )
    files, labels = [], []
    for label, class_name in enumerate(class_names):
        class_dir = os.path.join(path, class_name)
        for fname in sorted(tf.io.gfile.listdir(class_dir)):
            if fname.lower().endswith(IMAGE_EXTENSIONS):
                files.append(os.path.join(class_dir, fname))
                labels.append(label)
    if not files:
        raise ValueError(f"no {'/'.join(IMAGE_EXTENSIONS)} images in class sub-folders of {path}")
    good = _decodable_indices(files)
    corrupt = [f for i, f in enumerate(files) if i not in good]
    if corrupt:
        logging.warning(
            "skipped %d corrupt image(s) in %s: %s",
            len(corrupt),
            path,
            ", ".join(corrupt[:_MAX_LOGGED_CORRUPT]),
        )
    if not good:
        raise ValueError(f"none of the {len(files)} images in {path} could be decoded")
    keep = sorted(good)
    return ImageFolderScan(
        files=[files[i] for i in keep],
        labels=[labels[i] for i in keep],
        class_names=class_names,
        corrupt_files=corrupt,
    )


def from_image_folder(path):
    """Images under `path/<class>/`, labelled by sorted class folder name; corrupt files skipped."""
    scan = scan_image_folder(path)
    ds = tf.data.Dataset.from_tensor_slices(
        (tf.constant(scan.files), tf.constant(scan.labels, tf.int64))
    )
    return ds.map(
        lambda f, label: {"image": _decode(tf.io.read_file(f)), "label": label},
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def from_tfrecord(file_pattern, label_offset=0):
    """Reads `tf.train.Example`s with `image/encoded` (JPEG/PNG) and `image/class/label` (int64).

    Args:
      file_pattern: glob (or list of globs) of TFRecord files, read in sorted order.
      label_offset: subtracted from stored labels, e.g. 1 for Model Garden's 1-based ImageNet.
        Examples without a label get -1.

    Raises:
      FileNotFoundError: no file matches.
    """
    features = {
        "image/encoded": tf.io.FixedLenFeature([], tf.string),
        "image/class/label": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
    }

    def parse(record):
        example = tf.io.parse_single_example(record, features)
        label = example["image/class/label"]
        label = tf.where(label < 0, tf.constant(-1, tf.int64), label - label_offset)
        return {"image": _decode(example["image/encoded"]), "label": label}

    ds = tf.data.TFRecordDataset(_tfrecord_files(file_pattern), num_parallel_reads=tf.data.AUTOTUNE)
    return ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE)


def count_tfrecords(file_pattern):
    """The number of records in the TFRecord files matching `file_pattern` (a glob or a list of
    globs). TFRecord files keep no count, so this reads every file once, and logs that it does.

    Raises:
      FileNotFoundError: no file matches.
    """
    files = _tfrecord_files(file_pattern)
    logging.info(
        "counting the records of %d TFRecord file(s) matching %s (reads every file once)",
        len(files),
        file_pattern,
    )
    ds = tf.data.TFRecordDataset(files, num_parallel_reads=tf.data.AUTOTUNE)
    return int(ds.reduce(tf.constant(0, tf.int64), lambda count, _: count + 1))


def _tfrecord_files(file_pattern):
    """The sorted files matching a glob or a list of globs; FileNotFoundError when none does."""
    patterns = [file_pattern] if isinstance(file_pattern, str) else list(file_pattern)
    files = sorted(f for p in patterns for f in tf.io.gfile.glob(p))
    if not files:
        raise FileNotFoundError(f"no TFRecord files match {file_pattern}")
    return files


def _decode(encoded):
    """Decodes JPEG/PNG bytes to uint8 [H, W, 3] (grey and RGBA converted)."""
    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def _decodable_indices(files):
    """Set of indices of `files` that read and decode, found with one parallel tf.data pass."""
    ds = tf.data.Dataset.from_tensor_slices((tf.range(len(files)), tf.constant(files)))
    ds = ds.map(
        lambda i, f: (i, tf.shape(_decode(tf.io.read_file(f)))),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=False,
    )
    ds = ds.ignore_errors().map(lambda i, _: i).batch(1024)
    return {int(i) for batch in ds.as_numpy_iterator() for i in batch}
