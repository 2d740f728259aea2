"""Two worker processes on localhost train under `MultiWorkerMirroredStrategy` (cluster from
`TF_CONFIG`) and end with the weights of one process training on the same global batch; only
the chief's `model_dir` holds checkpoints."""

import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.test_cli import ROOT, TINY
from tfssl import configs, registry_imports  # noqa: F401  (fills the registries)
from tfssl.training.trainer import build_training_model, restore_model

STEPS = 3
# Tiny models with synchronised batch norm, an ordered stream (so both processes see the same
# batches) and no interval checkpoints before the last step.
OVERRIDES = {
    "simclr": "",
    "swav": (
        ",task.num_prototypes=8,task.queue_length=16,task.queue_start_step=0,"
        "task.freeze_prototypes_steps=1,task.train_data.views.num_local=2"
    ),
}


def _override(method):
    return (
        f"{TINY}{OVERRIDES[method]},trainer.train_steps={STEPS},trainer.checkpoint_interval=100,"
        "task.model.backbone.sync_bn=true,task.train_data.deterministic=true"
    )


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _train_two_workers(method, model_dir, scratch):
    """Runs `train.py` as worker 0 (the chief) and worker 1 of a localhost cluster; returns
    their stderr logs."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        env = dict(
            os.environ,
            TF_CPP_MIN_LOG_LEVEL="2",
            TMPDIR=str(scratch),
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
        )
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    os.path.join(ROOT, "train.py"),
                    f"--experiment={method}_embedded",
                    f"--model_dir={model_dir}",
                    f"--params_override={_override(method)}",
                    "--mode=train_and_eval",
                    "--strategy=multi_worker_mirrored",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
        )
    logs = []
    for worker in workers:
        _, stderr = worker.communicate(timeout=600)
        assert worker.returncode == 0, stderr[-4000:]
        logs.append(stderr)
    return logs


def _global_batches(model, config):
    """The global batches of the two workers' input pipelines: worker 0's rows, then worker 1's
    (the order in which `all_gather` and the replica ids place them)."""
    input_fn = model.build_inputs(config.task.train_data, config.runtime.seed)
    pipelines = [
        input_fn(tf.distribute.InputContext(2, pipeline_id, 2)) for pipeline_id in range(2)
    ]
    return tf.data.Dataset.zip(tuple(pipelines)).map(
        lambda first, second: tf.nest.map_structure(
            lambda a, b: tf.concat([a, b], axis=0), first, second
        )
    )


@pytest.mark.slow
@pytest.mark.parametrize("method", sorted(OVERRIDES))
def test_two_workers_equal_one_process_on_the_global_batch(method, tmp_path):
    model_dir = tmp_path / "run"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    chief_log, worker_log = _train_two_workers(method, str(model_dir), scratch)
    assert "Training on 2 replicas" in chief_log and "multi_worker_mirrored" in chief_log
    assert f"step {STEPS}/{STEPS}" in worker_log
    # The chief alone wrote the run's files; the other worker removed its scratch checkpoints.
    assert (model_dir / f"ckpt-{STEPS}.index").exists()
    assert (model_dir / "eval_linear.json").exists()
    assert not any(scratch.iterdir()), list(scratch.iterdir())
    assert not [p for p in model_dir.rglob("*") if "worker" in p.name]

    config = configs.build_config(f"{method}_embedded", [], _override(method))
    keras.utils.set_random_seed(config.runtime.seed)
    reference = build_training_model(config, STEPS)
    reference.fit(_global_batches(reference, config), steps_per_epoch=STEPS, epochs=1, verbose=0)
    trained = restore_model(config, str(model_dir))
    assert len(trained.weights) == len(reference.weights)
    for ours, theirs in zip(reference.weights, trained.weights):
        np.testing.assert_allclose(
            theirs.numpy(), ours.numpy(), rtol=2e-4, atol=2e-5, err_msg=ours.path
        )
