"""A semi-supervised model_dir: `train_and_eval` and `eval.py --protocol=classifier` report the
EMA class head's test top-1, and the SavedModel serves the EMA weights."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tfssl import configs
from tfssl.evaluation.runner import EvalOptions, evaluate
from tfssl.export import export_model
from tfssl.training import run_experiment
from tfssl.training.trainer import restore_model


def tiny_mean_teacher():
    config = configs.get_experiment("mean_teacher_embedded")
    overrides = {
        "task": {
            "model": {"backbone": {"type": "tiny"}},
            "train_data": {"global_batch_size": 8},
            "ema_decay": 0.5,
        },
        "trainer": {"train_steps": 2, "checkpoint_interval": 1},
    }
    return configs.merge(config, overrides).validate()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("semi_eval") / "run")
    results = run_experiment(tiny_mean_teacher(), directory, mode="train_and_eval")
    assert 0.0 <= results["classifier_top1"] <= 1.0
    return directory


def test_classifier_protocol_is_the_ema_head_on_the_test_split(model_dir):
    config = tiny_mean_teacher()
    results = evaluate(config, model_dir, "classifier", EvalOptions(plots=False))
    with open(os.path.join(model_dir, "eval_classifier.json")) as f:
        assert json.load(f)["top1"] == results["top1"]
    model = restore_model(config, model_dir)
    correct = total = 0
    for batch in _test_batches(config):
        logits = model.ema_classifier(model.ema_encoder(batch["image"], training=False))
        correct += int(np.sum(np.argmax(logits, 1) == batch["label"].numpy()))
        total += len(batch["label"])
    assert results["protocol"] == "classifier" and results["top1"] == correct / total


def test_export_serves_the_ema_weights(model_dir, tmp_path):
    config = tiny_mean_teacher()
    model = restore_model(config, model_dir)
    pairs = [
        (o, t) for o, t in zip(model.encoder.weights, model.ema_encoder.weights) if o.trainable
    ]
    assert max(np.max(np.abs(o.numpy() - t.numpy())) for o, t in pairs) > 1e-6  # they differ
    served = tf.saved_model.load(export_model(model, str(tmp_path / "export"), image_size=32))
    images = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    outputs = served.signatures["serving_default"](images=tf.constant(images))
    floats = tf.constant(images, tf.float32) / 255.0
    np.testing.assert_allclose(
        outputs["embeddings"], model.ema_encoder(floats, training=False), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(
        outputs["logits"],
        model.ema_classifier(model.ema_encoder(floats, training=False)),
        rtol=1e-5,
        atol=1e-5,
    )


def test_a_method_without_class_head_is_refused_by_the_classifier_protocol(tmp_path):
    from tests.training.helpers import tiny_simclr_config
    from tfssl.training import train

    config = tiny_simclr_config(trainer={"train_steps": 1})
    train(config, str(tmp_path))
    with pytest.raises(ValueError, match="simclr has no class head; evaluate its encoder with"):
        evaluate(config, str(tmp_path), "classifier", EvalOptions(plots=False))


def _test_batches(config):
    from tfssl.data import inputs

    return inputs.eval_input(config.task.eval_data)
