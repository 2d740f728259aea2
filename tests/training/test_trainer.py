import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tests.training.helpers import tiny_simclr_config
from tfssl import methods
from tfssl.training import NonFiniteLossError, restore_model, train
from tfssl.training import trainer as trainer_lib


def _checkpoint_steps(model_dir):
    state = tf.train.get_checkpoint_state(model_dir)
    return sorted(int(path.rsplit("-", 1)[1]) for path in state.all_model_checkpoint_paths)


def test_train_writes_params_and_checkpoints(tmp_path):
    model_dir = str(tmp_path)
    model, history = train(tiny_simclr_config(), model_dir)
    assert os.path.exists(os.path.join(model_dir, "params.yaml"))
    assert _checkpoint_steps(model_dir) == [2, 4]
    assert [entry["step"] for entry in history] == [2, 4]
    assert all(np.isfinite(entry["loss"]) and entry["images_per_sec"] > 0 for entry in history)
    assert {"loss", "contrastive_acc", "learning_rate"} <= set(history[-1])
    assert os.listdir(os.path.join(model_dir, "train"))  # TensorBoard event file


def test_killed_run_resumes_at_its_step(tmp_path):
    model_dir = str(tmp_path)
    first, _ = train(tiny_simclr_config(), model_dir)
    weights_at_4 = [w.numpy().copy() for w in first.encoder.weights]
    restored = restore_model(tiny_simclr_config(), model_dir)
    for expected, actual in zip(weights_at_4, restored.encoder.weights):
        np.testing.assert_array_equal(expected, actual.numpy())

    second, history = train(tiny_simclr_config(trainer={"train_steps": 8}), model_dir)
    assert int(second.optimizer.iterations.numpy()) == 8
    assert [entry["step"] for entry in history] == [6, 8]  # only steps 5..8 ran
    assert _checkpoint_steps(model_dir)[-1] == 8


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    original = methods.SimCLR.compute_pretext_loss

    def nan_from_step_5(self, views, training):
        loss, logs = original(self, views, training)
        if not training:  # the build pass, before an optimizer exists
            return loss, logs
        return tf.where(self.optimizer.iterations >= 4, np.float32("nan"), loss), logs

    monkeypatch.setattr(methods.SimCLR, "compute_pretext_loss", nan_from_step_5)
    model_dir = str(tmp_path)
    with pytest.raises(NonFiniteLossError, match=r"loss became nan at step 5.*ckpt-4"):
        train(tiny_simclr_config(trainer={"train_steps": 8, "checkpoint_interval": 1}), model_dir)
    assert _checkpoint_steps(model_dir)[-1] == 4
    monkeypatch.undo()
    restored = restore_model(tiny_simclr_config(), model_dir)
    assert all(np.all(np.isfinite(w.numpy())) for w in restored.weights)


@pytest.mark.slow  # 24 s; test_cli.py trains then evaluates through the CLI in the default run.
def test_train_and_eval_writes_linear_probe(tmp_path):
    from tfssl.training import run_experiment

    results = run_experiment(tiny_simclr_config(), str(tmp_path), mode="train_and_eval")
    with open(tmp_path / "eval_linear.json") as f:
        saved = json.load(f)
    assert saved == results
    assert saved["protocol"] == "linear" and 0.0 <= saved["top1"] <= saved["top5"] <= 1.0


def test_fit_segments_cover_exactly_the_remaining_steps():
    from tfssl.training.trainer import _fit_segments

    for start, end, epoch in [
        (0, 4, 100),
        (0, 10, 5),
        (3, 12, 5),
        (7, 8, 5),
        (5, 17, 5),
        (0, 5, 5),
    ]:
        segments = _fit_segments(start, end, epoch)
        steps = sum(per_epoch * n for _, per_epoch, n in segments)
        assert steps == end - start, (start, end, segments)
        position = start
        for initial, per_epoch, n in segments:
            assert initial == position // epoch
            position += per_epoch * n
    assert _fit_segments(3, 12, 5) == [(0, 2, 1), (1, 5, 1), (2, 2, 1)]


def test_train_step_is_traced_once_across_steps_and_fit_calls(tmp_path, monkeypatch):
    """7 steps in epochs of 3 take two `fit` calls (2 whole epochs, then a partial one); the step
    function must be traced once for all of them (no retracing per step or per call)."""
    traces = []
    compute_batch_loss = methods.SimCLR.compute_batch_loss

    def counting(self, data, training):
        if training:  # the eager build runs it once with training=False
            traces.append(1)  # Python runs only while tracing
        return compute_batch_loss(self, data, training)

    monkeypatch.setattr(methods.SimCLR, "compute_batch_loss", counting)
    monkeypatch.setattr(trainer_lib, "steps_per_epoch", lambda config, num_examples: 3)
    config = tiny_simclr_config(
        trainer={"train_steps": 7, "checkpoint_interval": 100, "log_interval": 100}
    )
    model, _ = train(config, str(tmp_path))
    assert int(model.optimizer.iterations.numpy()) == 7
    assert len(traces) == 1
