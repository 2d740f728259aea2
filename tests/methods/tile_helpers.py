"""Tiny configs and batches shared by the tile methods' tests (jigsaw, relative location,
PIRL): the tiny backbone with sync BN, SGD without weight decay, 12 px tiles of 48 px images."""

import numpy as np

from tfssl import configs, registry_imports  # noqa: F401

GLOBAL_BATCH = 4
TILE = 12


def tiny_tile_config(experiment, **task_overrides):
    """`experiment` made tiny: tiny backbone, batch 4, constant-rate SGD, 12 px tiles of 48 px
    images; `task_overrides` merged last."""
    config = configs.get_experiment(experiment)
    overrides = {
        "model": {"backbone": {"type": "tiny", "sync_bn": True}},
        "train_data": {
            "global_batch_size": GLOBAL_BATCH,
            "shuffle_buffer": 64,
            "views": {"global_size": 48},
        },
        "optimizer": {"type": "sgd", "weight_decay": 0.0},
        "learning_rate": {"type": "constant", "base_learning_rate": 0.1, "warmup_steps": 0},
        "tiles": {"image_size": 48, "tile_size": TILE},
    }
    configs.merge(config, {"task": overrides, "trainer": {"train_steps": 4}})
    return configs.merge(config, {"task": task_overrides}).validate()


def random_tiles(num_tiles, seed=0):
    """Standard-normal tiles [GLOBAL_BATCH, num_tiles, TILE, TILE, 3]."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(GLOBAL_BATCH, num_tiles, TILE, TILE, 3))


def cross_entropy(logits, labels):
    """NumPy mean softmax cross-entropy and accuracy of logits [n, C] against labels [n]."""
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels].mean(), np.mean(logits.argmax(1) == labels)
