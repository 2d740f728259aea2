"""Tiny configs and batches shared by the tile methods' tests (jigsaw, relative location,
PIRL): the tiny backbone with sync BN, SGD without weight decay, 12 px tiles of 48 px images."""

import numpy as np
import tensorflow as tf

from tests.methods.tiny_configs import replica_task, tiny_experiment
from tfssl.training.trainer import build_training_model

GLOBAL_BATCH = 4
TILE = 12


def tiny_tile_config(experiment, **task_overrides):
    """`experiment` made tiny: tiny backbone, batch 4, constant-rate SGD, 12 px tiles of 48 px
    images; `task_overrides` merged last."""
    task = {**replica_task(GLOBAL_BATCH), "tiles": {"image_size": 48, "tile_size": TILE}}
    task["train_data"]["views"] = {"global_size": 48}
    return tiny_experiment(experiment, task, {"train_steps": 4}, {"task": task_overrides})


def random_tiles(num_tiles, seed=0):
    """Standard-normal tiles [GLOBAL_BATCH, num_tiles, TILE, TILE, 3]."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(GLOBAL_BATCH, num_tiles, TILE, TILE, 3))


def tile_batch(num_tiles, seed=0, name="tiles", **arrays):
    """A test batch of a tile method: `random_tiles` under `name`, the example indices of its
    GLOBAL_BATCH images (distinct, not in order) and `arrays` (the method's labels or views)."""
    return {
        name: random_tiles(num_tiles, seed),
        "index": np.array([5, 17, 2, 40], np.int64),
        **arrays,
    }


def first_training_batch(config):
    """The training model of `config` and the first batch of its training stream (seed 0)."""
    model = build_training_model(config, total_steps=config.trainer.train_steps)
    input_fn = model.build_inputs(config.task.train_data, 0)
    return model, next(iter(input_fn(tf.distribute.InputContext())))


def encoder_statistics(model):
    """Copies of the moving means and variances of the model's encoder (its batch norm's
    non-trainable weights)."""
    return [w.numpy().copy() for w in model.encoder.non_trainable_weights]


def cross_entropy(logits, labels):
    """NumPy mean softmax cross-entropy and accuracy of logits [n, C] against labels [n]."""
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels].mean(), np.mean(logits.argmax(1) == labels)
