import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import tfssl
from tfssl.data import preprocess_for_eval
from tfssl.export import export_model

# Loads the SavedModel in a fresh interpreter where importing tfssl fails, and writes its outputs.
_SERVE = textwrap.dedent("""
    import importlib.abc, json, sys
    class NoTfssl(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "tfssl":
                raise ImportError("tfssl is not available to the serving process")
    sys.meta_path.insert(0, NoTfssl())
    sys.path = [p for p in sys.path if p not in ("", ".") and "work/main" not in p]
    import numpy as np
    import tensorflow as tf
    export_dir, images_path, out_path = sys.argv[1:]
    serve = tf.saved_model.load(export_dir).signatures["serving_default"]
    outputs = {}
    with np.load(images_path) as arrays:
        for name in arrays.files:
            result = serve(images=tf.constant(arrays[name]))
            outputs[name] = {key: value.numpy().tolist() for key, value in result.items()}
    assert not any(m.split(".")[0] == "tfssl" for m in sys.modules)
    json.dump(outputs, open(out_path, "w"))
    """)


class SimCLRWithClassHead(tfssl.methods.SimCLR):
    """SimCLR plus a linear class head on the features: a model whose `class_logits` is set."""

    components = ("encoder", "projection_head", "class_head")

    def __init__(self, encoder, projection_head, class_head, **kwargs):
        super().__init__(encoder, projection_head, **kwargs)
        self.class_head = class_head

    def class_logits(self, features):
        return self.class_head(features)


@pytest.fixture(scope="module")
def tiny_model():
    keras.utils.set_random_seed(0)
    encoder = tfssl.models.build_backbone("tiny")
    head = tfssl.models.projection_head(encoder.output_shape[-1], hidden_dim=16, output_dim=8)
    model = tfssl.methods.SimCLR(encoder, head, temperature=0.2)
    model.build_for_views([32, 32])
    return model


def test_saved_model_round_trip_without_tfssl(tiny_model, tmp_path):
    encoder = tiny_model.encoder
    classifier = keras.Sequential([keras.Input([encoder.output_shape[-1]]), keras.layers.Dense(10)])
    model = SimCLRWithClassHead(encoder, tiny_model.projection_head, classifier)
    model.build_for_views([32, 32])
    export_dir = export_model(model, str(tmp_path / "export"), image_size=32)
    rng = np.random.default_rng(0)
    images = {
        "square32": rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8),
        "nonsquare": rng.integers(0, 256, (2, 45, 27, 3), dtype=np.uint8),
        "large": rng.integers(0, 256, (1, 64, 80, 3), dtype=np.uint8),
    }
    np.savez(tmp_path / "images.npz", **images)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _SERVE,
            export_dir,
            str(tmp_path / "images.npz"),
            str(tmp_path / "out.json"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(env, TF_CPP_MIN_LOG_LEVEL="2"),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "out.json") as f:
        served = json.load(f)
    for name, batch in images.items():
        expected = np.asarray(encoder(preprocess_for_eval(batch, 32), training=False))
        embeddings = np.asarray(served[name]["embeddings"])
        assert embeddings.shape == (len(batch), encoder.output_shape[-1])
        np.testing.assert_allclose(embeddings, expected, atol=1e-5)
        np.testing.assert_allclose(
            served[name]["logits"], np.asarray(classifier(expected)), atol=1e-5
        )


def test_keras_file_of_whole_model_reloads(tiny_model, tmp_path):
    tiny_model.compile(optimizer=keras.optimizers.Adam(1e-3))
    path = str(tmp_path / "simclr.keras")
    tiny_model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded, tfssl.methods.SimCLR) and reloaded.temperature == 0.2
    images = np.random.default_rng(1).uniform(size=(4, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(reloaded.encoder(images), tiny_model.encoder(images), atol=1e-6)
    np.testing.assert_allclose(
        reloaded.projection_head(reloaded(images)),
        tiny_model.projection_head(tiny_model(images)),
        atol=1e-6,
    )
    loss, _ = reloaded.compute_pretext_loss([images, images[::-1]], training=False)
    expected, _ = tiny_model.compute_pretext_loss([images, images[::-1]], training=False)
    assert float(loss) == pytest.approx(float(expected), abs=1e-5)


def test_pretext_heads_are_not_exported_as_logits(tmp_path):
    """RotNet's 4-way rotation head is a pretext head: its SavedModel has embeddings only."""
    from tfssl import configs
    from tfssl.training.trainer import build_model

    config = configs.build_config(
        "rotnet_embedded", params_override="task.model.backbone.type=tiny,trainer.train_steps=1"
    )
    model = build_model(config, 1)
    export_dir = export_model(model, str(tmp_path / "export"), image_size=32)
    import tensorflow as tf

    serve = tf.saved_model.load(export_dir).signatures["serving_default"]
    outputs = serve(images=tf.zeros([2, 32, 32, 3], tf.uint8))
    assert set(outputs) == {"embeddings"}
    assert outputs["embeddings"].shape == (2, model.encoder.output_shape[-1])
