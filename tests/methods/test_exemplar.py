"""Exemplar-CNN: the cosine-classifier loss against a hand value and NumPy, the surrogate classes
traced through the input pipeline, a step on 2 replicas equal to one device, and (slow) the
embedded run beating random init."""

import numpy as np
import pytest
import tensorflow as tf

from tests.methods.quality_helpers import train_and_probe
from tests.methods.tiny_configs import replica_task, tiny_experiment
from tests.replicas import assert_step_matches_one_device
from tfssl import configs, losses, registry_imports  # noqa: F401
from tfssl.data import inputs
from tfssl.data.embedded import load_embedded
from tfssl.methods.exemplar import Exemplar, cosine_classifier, surrogate_classes
from tfssl.training.trainer import build_training_model

GLOBAL_BATCH = 4
NUM_VIEWS = 3


def tiny_config():
    """exemplar_embedded for the replica tests: the tiny projector, NUM_VIEWS views of each of
    4 images per batch."""
    task = replica_task(GLOBAL_BATCH, projector=True)
    task["train_data"]["views"] = {"num_global": NUM_VIEWS}
    return tiny_experiment("exemplar_embedded", task, {"train_steps": 4})


def batch(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "views": tuple(rng.uniform(size=(GLOBAL_BATCH, 32, 32, 3)) for _ in range(NUM_VIEWS)),
        "index": np.array([5, 17, 2, 40], np.int64),
    }


def test_orthogonal_unit_features_give_the_hand_value():
    """Embedding i on class direction i, orthogonal to the others: logits s·e_i, so the loss is
    −log(e^s / (e^s + (N − 1))) with s = 1/τ."""
    num_classes, temperature = 6, 0.25
    classifier = cosine_classifier(num_classes, num_classes)
    classifier.get_layer("directions").direction.assign(3.0 * np.eye(num_classes))
    embeddings = np.diag([2.0, 0.5, 1.0, 4.0, 1.0, 0.1]).astype(np.float32)  # any positive norm
    model = Exemplar(None, None, classifier, temperature=temperature)
    logits = model.classifier(embeddings) / model.temperature
    loss, accuracy = losses.pseudo_label_cross_entropy(np.arange(num_classes), logits)
    s = 1.0 / temperature
    expected = -np.log(np.exp(s) / (np.exp(s) + num_classes - 1))
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)  # a float32 model
    assert float(accuracy) == 1.0


def test_batch_loss_against_numpy(float64_policy):
    model = build_training_model(tiny_config(), total_steps=4)
    data = batch()
    images = np.concatenate(data["views"])  # [V·b, 32, 32, 3], view-major
    z = model.embed(tf.constant(images), training=True).numpy()
    directions = model.classifier.get_layer("directions").direction.numpy()  # [E, N]
    cosines = (z / np.linalg.norm(z, axis=1, keepdims=True)) @ (
        directions / np.linalg.norm(directions, axis=0, keepdims=True)
    )
    logits = cosines / model.temperature
    log_probs = logits - logits.max(1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(1, keepdims=True))
    labels = np.tile(data["index"], NUM_VIEWS)
    expected = -log_probs[np.arange(len(labels)), labels].mean()
    loss, _ = model.compute_batch_loss(tf.nest.map_structure(tf.constant, data), training=True)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-7)
    assert directions.shape == (8, len(load_embedded("train")[1]))  # one class per image


def test_every_view_of_a_surrogate_class_comes_from_its_source_image():
    """With the augmentation reduced to the identity, each view in a training batch is exactly
    the source image its `index` names, and `surrogate_classes` labels all V views of row i
    with that index."""
    config = tiny_config()
    augmentation = {
        "crop_ratio": [1.0, 1.0],
        "color_jitter_strength": 0.0,
        "color_jitter_prob": 0.0,
        "grayscale_prob": 0.0,
    }
    identity = {"augmentation": augmentation, "views": {"global_scale": [1.0, 1.0]}}
    config = configs.merge(config, {"task": {"train_data": identity}}).validate()
    model = build_training_model(config, total_steps=4)
    input_fn = model.build_inputs(config.task.train_data, seed=3)
    element = next(iter(input_fn(tf.distribute.InputContext())))
    images, _ = load_embedded("train")
    index = element["index"].numpy()
    assert len(element["views"]) == NUM_VIEWS
    for view in element["views"]:
        np.testing.assert_allclose(view.numpy(), images[index] / 255.0, atol=1e-6)
    labels = surrogate_classes(element["index"], NUM_VIEWS).numpy()
    np.testing.assert_array_equal(labels.reshape(NUM_VIEWS, GLOBAL_BATCH), [index] * NUM_VIEWS)
    assert inputs.source_size(config.task.train_data) == len(images)


def test_imprint_sets_each_class_direction_to_its_image_s_normalised_embedding():
    built = build_training_model(tiny_config(), total_steps=4)
    model = Exemplar(built.encoder, built.projector, cosine_classifier(8, 6), temperature=0.1)
    images = np.random.default_rng(3).uniform(size=(6, 32, 32, 3)).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices({"image": images, "label": np.zeros(6)}).batch(4)
    assert model.imprint(dataset, step=0) == {"classes": 6.0}
    embeddings = model.embed(images).numpy()
    expected = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    directions = model.classifier.get_layer("directions").direction.numpy()  # [E, N]
    np.testing.assert_allclose(directions.T, expected, rtol=1e-5, atol=1e-6)


def test_a_step_on_two_replicas_equals_one_device(two_replicas, float64_policy):
    assert_step_matches_one_device(tiny_config(), two_replicas, batch())


@pytest.mark.slow
def test_default_exemplar_embedded_beats_random_init_by_three_points(tmp_path):
    config = configs.get_experiment("exemplar_embedded").validate()
    _, _, trained, baseline = train_and_probe(config, str(tmp_path))
    print(f"linear probe top-1: Exemplar {trained:.3f}, random init {baseline:.3f}")
    assert trained >= baseline + 0.03
