"""Data: image sources, per-image stateless SSL augmentation, multi-view and eval pipelines."""

from tfssl.data.augment import AugmentParams, augment_view
from tfssl.data.color_spaces import lab_to_rgb, rgb_to_lab
from tfssl.data.embedded import embedded_source_indices, load_embedded
from tfssl.data.jigsaw import jigsaw_permutations
from tfssl.data.multiview import ViewSpec, multiview
from tfssl.data.pipeline import eval_dataset, make_dataset, preprocess_for_eval
from tfssl.data.randaugment import cutout, randaugment, strong_augment
from tfssl.data.semi import labeled_split, semi_supervised_dataset, weak_augment
from tfssl.data.sources import (
    ImageFolderScan,
    count_tfrecords,
    from_image_folder,
    from_numpy,
    from_tfds,
    from_tfrecord,
    scan_image_folder,
    tfds_split_size,
)

__all__ = [
    "AugmentParams",
    "ImageFolderScan",
    "ViewSpec",
    "augment_view",
    "count_tfrecords",
    "cutout",
    "embedded_source_indices",
    "eval_dataset",
    "from_image_folder",
    "from_numpy",
    "from_tfds",
    "from_tfrecord",
    "jigsaw_permutations",
    "lab_to_rgb",
    "labeled_split",
    "load_embedded",
    "make_dataset",
    "multiview",
    "preprocess_for_eval",
    "randaugment",
    "rgb_to_lab",
    "scan_image_folder",
    "semi_supervised_dataset",
    "strong_augment",
    "tfds_split_size",
    "weak_augment",
]
