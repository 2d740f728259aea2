"""Tiny experiment configs for the method tests: an `<method>_embedded` default on the tiny
backbone with small batches, so that a model builds and steps in seconds."""

from tfssl import configs, registry_imports  # noqa: F401


def tiny_task(global_batch_size, sync_bn=False, projector=False):
    """Task overrides: the tiny backbone (synchronised BN if `sync_bn`; a 16-wide projector with 8
    outputs if `projector`), `global_batch_size` images per step from a 64-image shuffle buffer
    and no warm-up. A fresh dict, which callers extend with their method's fields."""
    model = {"backbone": {"type": "tiny", "sync_bn": sync_bn}}
    if projector:
        model["projection_head"] = {"hidden_dim": 16, "output_dim": 8}
    return {
        "model": model,
        "train_data": {"global_batch_size": global_batch_size, "shuffle_buffer": 64},
        "learning_rate": {"warmup_steps": 0},
    }


def replica_task(global_batch_size, projector=False):
    """`tiny_task` with synchronised BN and plain SGD without weight decay at a constant rate
    0.1: what the tests that compare a step on 2 replicas with one device train (Adam's first
    step, lr·sign(g), would magnify float noise)."""
    task = tiny_task(global_batch_size, sync_bn=True, projector=projector)
    task["optimizer"] = {"type": "sgd", "weight_decay": 0.0}
    task["learning_rate"] = {"type": "constant", "base_learning_rate": 0.1, "warmup_steps": 0}
    return task


def tiny_experiment(experiment, task, trainer, *overrides):
    """`experiment`'s defaults with the `task` and `trainer` overrides merged, then each of
    `overrides` (nested dicts of the whole config, e.g. a test's own changes) in order;
    validated."""
    config = configs.get_experiment(experiment)
    for layer in ({"task": task, "trainer": trainer}, *overrides):
        configs.merge(config, layer)
    return config.validate()
