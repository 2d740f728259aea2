"""From a data config to tf.data: the source registry, `build_source` and `source_size`."""

import dataclasses

import numpy as np
import pytest

from tfssl.configs import DataConfig, EvalDataConfig
from tfssl.data import inputs, load_embedded


def test_every_config_source_has_a_reader():
    assert inputs.SOURCES.names() == ["embedded", "folder", "tfds", "tfrecord"]
    with pytest.raises(KeyError, match="unknown data source 'tfrecords'; did you mean 'tfrecord'"):
        inputs.source_size(EvalDataConfig(source="tfrecords"))


@pytest.mark.parametrize("split", ["train", "test"])
def test_embedded_size_is_the_split_length(split):
    config = EvalDataConfig(source="embedded", split=split)
    expected = {"train": 11504, "test": 1436}[split]  # 8 and 4 renders of 1438 / 359 digits
    assert inputs.source_size(config) == len(load_embedded(split)[1]) == expected
    source, size = inputs.build_source(config, with_index=True)
    assert size == expected
    first = next(iter(source))
    assert int(first["index"]) == 0 and int(first["label"]) == int(load_embedded(split)[1][0])


def test_tfds_size_comes_from_the_split_metadata(tiny_tfds):
    config = EvalDataConfig(
        source="tfds", tfds_name="tiny_grey_digits", split="train", path=tiny_tfds
    )
    assert inputs.source_size(config) == 6
    assert inputs.source_size(dataclasses.replace(config, split="train[:50%]")) == 3
    source, size = inputs.build_source(config)
    assert size == 6 and len(list(source)) == 6


def test_folder_size_counts_the_images_that_decode(image_folder):
    root, _ = image_folder  # 6 images, 2 corrupt files and a text file
    config = DataConfig(source="folder", path=str(root))
    assert inputs.source_size(config) == 6
    source, size = inputs.build_source(config)
    assert size == 6 and len(list(source)) == 6


def test_tfrecord_size_counts_the_records_and_says_so(tfrecords, caplog):
    root, images = tfrecords
    config = DataConfig(source="tfrecord", path=str(root / "train-*"), label_offset=1)
    with caplog.at_level("INFO", logger="absl"):
        assert inputs.source_size(config) == len(images) == 5
    assert "counting the records of 2 TFRecord file(s)" in caplog.text
    source, size = inputs.build_source(config)
    assert size is None  # unknown without reading the files
    labels = sorted(int(example["label"]) for example in source)
    np.testing.assert_array_equal(labels, [0, 1, 2, 3, 4])
