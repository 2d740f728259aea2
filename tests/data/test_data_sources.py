"""Image sources: numpy, TFDS (a tiny dataset prepared offline), image folders and TFRecords."""

import os

import numpy as np
import pytest
import tensorflow as tf

from tfssl.data import (
    from_image_folder,
    from_numpy,
    from_tfds,
    from_tfrecord,
    scan_image_folder,
)


def _elements(ds):
    return [(e["image"].numpy(), int(e["label"])) for e in ds]


def test_from_numpy():
    images = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
    elements = _elements(from_numpy(images, [3, 1, 2, 0]))
    assert [label for _, label in elements] == [3, 1, 2, 0]
    np.testing.assert_array_equal(np.stack([im for im, _ in elements]), images)
    ds = from_numpy(images[..., 0])  # Grey, unlabelled.
    assert ds.element_spec["image"].shape == (8, 8, 3)
    assert ds.element_spec["label"].dtype == tf.int64
    assert [label for _, label in _elements(ds)] == [-1] * 4
    with pytest.raises(TypeError):
        from_numpy(images.astype(np.float32))


def test_from_tfds(tiny_tfds, tmp_path):
    elements = _elements(from_tfds("tiny_grey_digits", split="train", data_dir=tiny_tfds))
    assert len(elements) == 6
    for image, label in elements:
        assert image.shape == (8, 8, 3) and image.dtype == np.uint8
        assert label == (image[0, 0, 0] // 10) % 3  # Labels travel with their images.
    empty_dir = str(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="tiny_grey_digits") as err:
        from_tfds("tiny_grey_digits", data_dir=empty_dir)
    assert empty_dir in str(err.value)
    with pytest.raises(FileNotFoundError, match="no_such_dataset_xyz"):
        from_tfds("no_such_dataset_xyz", data_dir=tiny_tfds)


def test_image_folder_skips_and_counts_corrupt_files(image_folder, caplog):
    root, images = image_folder
    scan = scan_image_folder(str(root))
    assert scan.class_names == ["cat", "dog"]
    corrupt = sorted(os.path.basename(f) for f in scan.corrupt_files)
    assert corrupt == ["random.jpg", "truncated.jpg"]
    assert "skipped 2 corrupt image(s)" in caplog.text
    assert [os.path.basename(f) for f in scan.files] == ["a.png", "b.PNG", "c.JPEG"] * 2
    assert scan.labels == [0, 0, 0, 1, 1, 1]

    elements = _elements(from_image_folder(str(root)))
    assert [label for _, label in elements] == [0, 0, 0, 1, 1, 1]
    for k in (0, 1, 3, 4):  # PNG files are lossless.
        np.testing.assert_array_equal(elements[k][0], images[k])
    assert elements[2][0].shape == (10, 12, 3)


def test_image_folder_errors(tmp_path):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="nowhere") as err:
        from_image_folder(missing)
    assert missing in str(err.value)
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    with pytest.raises(ValueError, match="no .* images"):
        from_image_folder(str(tmp_path / "empty"))


def test_tfrecord_round_trip(tfrecords):
    root, images = tfrecords
    elements = _elements(from_tfrecord(str(root / "train-*"), label_offset=1))
    assert sorted(label for _, label in elements) == [0, 1, 2, 3, 4]
    for image, label in elements:
        np.testing.assert_array_equal(image, images[label])
    ((image, label),) = _elements(from_tfrecord(str(root / "unlabelled-*")))
    assert label == -1 and image.shape == (9, 7, 3)
    with pytest.raises(FileNotFoundError, match="missing-"):
        from_tfrecord(str(root / "missing-*"))
