import numpy as np
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl import configs, losses, registry_imports  # noqa: F401
from tfssl.data.rotation import rotate_batch
from tfssl.training.trainer import build_training_model

GLOBAL_BATCH = 8


def tiny_rotnet_config(**overrides):
    config = configs.get_experiment("rotnet_embedded")
    configs.merge(
        config,
        {
            "task": {
                "model": {"backbone": {"type": "tiny"}},
                "train_data": {"global_batch_size": GLOBAL_BATCH, "shuffle_buffer": 64},
                "learning_rate": {"warmup_steps": 0},
            },
            "trainer": {"train_steps": 4},
        },
    )
    return configs.merge(config, overrides).validate()


def _images(seed=0):
    return np.random.default_rng(seed).uniform(size=(GLOBAL_BATCH, 32, 32, 3)).astype(np.float32)


def test_rotations_of_an_asymmetric_image():
    # [[0, 1], [2, 3]] rotated counter-clockwise by 90° is [[1, 3], [0, 2]].
    image = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    rotated, labels = rotate_batch(np.concatenate([image, image + 10]))
    np.testing.assert_array_equal(labels, [0, 0, 1, 1, 2, 2, 3, 3])
    np.testing.assert_array_equal(rotated[2, :, :, 0], [[1, 3], [0, 2]])
    np.testing.assert_array_equal(rotated[4, :, :, 0], [[3, 2], [1, 0]])
    np.testing.assert_array_equal(rotated[6, :, :, 0], [[2, 0], [3, 1]])
    np.testing.assert_array_equal(rotated[7, :, :, 0], [[12, 10], [13, 11]])
    for r in range(4):
        np.testing.assert_array_equal(
            rotated[2 * r + 1, :, :, 0], np.rot90(image[0, :, :, 0] + 10, r)
        )


def test_loss_equals_numpy_cross_entropy_over_the_four_rotations():
    model = build_training_model(tiny_rotnet_config(), total_steps=1)
    images = _images()
    loss, logs = model.compute_pretext_loss([tf.constant(images)], training=False)
    rotated = np.concatenate([np.rot90(images, r, axes=(1, 2)) for r in range(4)])
    logits = model.rotation_head(model.encoder(rotated, training=False)).numpy().astype(np.float64)
    labels = np.repeat(np.arange(4), GLOBAL_BATCH)
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -log_probs[np.arange(4 * GLOBAL_BATCH), labels].mean()
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    expected_acc = np.mean(logits.argmax(1) == labels)
    np.testing.assert_allclose(float(logs["rotation_acc"]), expected_acc)


def test_cross_entropy_replica_rule(two_replicas):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(GLOBAL_BATCH, 4)).astype(np.float32)
    labels = rng.integers(0, 4, size=GLOBAL_BATCH).astype(np.int32)
    weights = rng.uniform(size=GLOBAL_BATCH).astype(np.float32)
    expected = losses.pseudo_label_cross_entropy(labels, logits, weights)
    for replica_loss, replica_acc in run_on_replicas(
        two_replicas, losses.pseudo_label_cross_entropy, labels, logits, weights
    ):
        np.testing.assert_allclose(replica_loss, expected[0], rtol=1e-6)
        np.testing.assert_allclose(replica_acc, expected[1], rtol=1e-6)


def test_two_fit_steps_on_two_replicas(two_replicas):
    config = tiny_rotnet_config()
    with two_replicas.scope():
        model = build_training_model(config, total_steps=2)
    before = [w.copy() for w in model.rotation_head.get_weights()]
    dataset = (
        tf.data.Dataset.from_tensors({"views": (_images(),)}).repeat().unbatch().batch(GLOBAL_BATCH)
    )
    history = model.fit(
        two_replicas.experimental_distribute_dataset(dataset),
        steps_per_epoch=2,
        epochs=1,
        verbose=0,
    ).history
    assert int(model.optimizer.iterations.numpy()) == 2
    assert np.isfinite(history["loss"][0]) and 0.0 <= history["rotation_acc"][0] <= 1.0
    assert not np.allclose(model.rotation_head.get_weights()[0], before[0])


def test_rotation_accuracy_rises_on_a_fixed_batch():
    model = build_training_model(
        tiny_rotnet_config(
            task={"learning_rate": {"type": "constant", "base_learning_rate": 1e-2}}
        ),
        total_steps=30,
    )
    images = _images(2) * 0.2
    images[:, :8] += 0.8  # a bright band at the top: its side tells the rotation
    dataset = tf.data.Dataset.from_tensors({"views": (images,)}).repeat()
    history = model.fit(dataset, steps_per_epoch=15, epochs=2, verbose=0).history
    assert history["loss"][1] < history["loss"][0]
    assert history["rotation_acc"][1] > 0.5
