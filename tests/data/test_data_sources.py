"""Image sources: numpy, TFDS (a tiny dataset prepared offline), image folders and TFRecords."""

import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from tfssl.data import (
    from_image_folder,
    from_numpy,
    from_tfds,
    from_tfrecord,
    scan_image_folder,
)


def _elements(ds):
    return [(e["image"].numpy(), int(e["label"])) for e in ds]


def _rng_images(n, h=8, w=8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, 3), dtype=np.uint8)


def test_from_numpy():
    images = _rng_images(4)
    elements = _elements(from_numpy(images, [3, 1, 2, 0]))
    assert [label for _, label in elements] == [3, 1, 2, 0]
    np.testing.assert_array_equal(np.stack([im for im, _ in elements]), images)
    ds = from_numpy(images[..., 0])  # Grey, unlabelled.
    assert ds.element_spec["image"].shape == (8, 8, 3)
    assert ds.element_spec["label"].dtype == tf.int64
    assert [label for _, label in _elements(ds)] == [-1] * 4
    with pytest.raises(TypeError):
        from_numpy(images.astype(np.float32))


class TinyGreyDigits(tfds.core.GeneratorBasedBuilder):
    """Six 8x8 grey images with 3 classes, generated without any download."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        features = tfds.features.FeaturesDict(
            {
                "image": tfds.features.Image(shape=(8, 8, 1)),
                "label": tfds.features.ClassLabel(num_classes=3),
            }
        )
        return tfds.core.DatasetInfo(builder=self, features=features)

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples()}

    def _generate_examples(self):
        for i in range(6):
            yield i, {"image": np.full((8, 8, 1), 10 * i, np.uint8), "label": i % 3}


def test_from_tfds(tmp_path):
    data_dir = str(tmp_path / "tfds")
    TinyGreyDigits(data_dir=data_dir).download_and_prepare(download_dir=str(tmp_path / "dl"))
    elements = _elements(from_tfds("tiny_grey_digits", split="train", data_dir=data_dir))
    assert len(elements) == 6
    for image, label in elements:
        assert image.shape == (8, 8, 3) and image.dtype == np.uint8
        assert label == (image[0, 0, 0] // 10) % 3  # Labels travel with their images.
    empty_dir = str(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="tiny_grey_digits") as err:
        from_tfds("tiny_grey_digits", data_dir=empty_dir)
    assert empty_dir in str(err.value)
    with pytest.raises(FileNotFoundError, match="no_such_dataset_xyz"):
        from_tfds("no_such_dataset_xyz", data_dir=data_dir)


@pytest.fixture
def image_folder(tmp_path):
    """root/{cat,dog}: 2 PNG + 1 JPEG per class, plus 2 corrupt JPEGs and a non-image file."""
    root = tmp_path / "images"
    images = _rng_images(6, 10, 12)
    for c, name in enumerate(["cat", "dog"]):
        (root / name).mkdir(parents=True)
        for k, fname in enumerate(["a.png", "b.PNG", "c.JPEG"]):
            image = images[3 * c + k]
            encode = tf.io.encode_png if fname.lower().endswith(".png") else tf.io.encode_jpeg
            (root / name / fname).write_bytes(encode(image).numpy())
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / "cat" / "random.jpg").write_bytes(np.random.default_rng(1).bytes(300))
    jpeg = tf.io.encode_jpeg(images[0]).numpy()
    (root / "dog" / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    return root, images


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


def _example(image, label=None):
    feature = {"image/encoded": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image]))}
    if label is not None:
        feature["image/class/label"] = tf.train.Feature(
            int64_list=tf.train.Int64List(value=[label])
        )
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def test_tfrecord_round_trip(tmp_path):
    images = _rng_images(5, 9, 7)
    labels = [1, 2, 3, 4, 5]  # 1-based, as in Model Garden's ImageNet records.
    for shard, idx in enumerate([[0, 1, 2], [3, 4]]):
        with tf.io.TFRecordWriter(str(tmp_path / f"train-{shard:05d}")) as writer:
            for i in idx:
                writer.write(_example(tf.io.encode_png(images[i]).numpy(), labels[i]))
    with tf.io.TFRecordWriter(str(tmp_path / "unlabelled-00000")) as writer:
        writer.write(_example(tf.io.encode_png(images[0]).numpy()))

    elements = _elements(from_tfrecord(str(tmp_path / "train-*"), label_offset=1))
    assert sorted(label for _, label in elements) == [0, 1, 2, 3, 4]
    for image, label in elements:
        np.testing.assert_array_equal(image, images[label])
    ((image, label),) = _elements(from_tfrecord(str(tmp_path / "unlabelled-*")))
    assert label == -1 and image.shape == (9, 7, 3)
    with pytest.raises(FileNotFoundError, match="missing-"):
        from_tfrecord(str(tmp_path / "missing-*"))
