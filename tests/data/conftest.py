"""Small image sources on disk, made without any download: a prepared TFDS dataset, an image
folder with corrupt files, and sharded TFRecords."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds


def _rng_images(n, h=8, w=8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, 3), dtype=np.uint8)


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


@pytest.fixture
def tiny_tfds(tmp_path):
    """The TFDS data_dir where `tiny_grey_digits` (6 train images) is prepared."""
    data_dir = str(tmp_path / "tfds")
    TinyGreyDigits(data_dir=data_dir).download_and_prepare(download_dir=str(tmp_path / "dl"))
    return data_dir


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


def _example(image, label=None):
    feature = {"image/encoded": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image]))}
    if label is not None:
        feature["image/class/label"] = tf.train.Feature(
            int64_list=tf.train.Int64List(value=[label])
        )
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


@pytest.fixture
def tfrecords(tmp_path):
    """`train-*`: 5 PNG records with 1-based labels 1..5 (as Model Garden's ImageNet) in two
    shards of 3 and 2; `unlabelled-*`: one record without a label. Returns (dir, images)."""
    images = _rng_images(5, 9, 7)
    for shard, idx in enumerate([[0, 1, 2], [3, 4]]):
        with tf.io.TFRecordWriter(str(tmp_path / f"train-{shard:05d}")) as writer:
            for i in idx:
                writer.write(_example(tf.io.encode_png(images[i]).numpy(), i + 1))
    with tf.io.TFRecordWriter(str(tmp_path / "unlabelled-00000")) as writer:
        writer.write(_example(tf.io.encode_png(images[0]).numpy()))
    return tmp_path, images
