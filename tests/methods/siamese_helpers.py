"""Tiny BYOL / SimSiam / Barlow Twins configs for fast method tests."""

from tests.methods.tiny_configs import tiny_experiment, tiny_task

# Fields each method's task config has beyond the shared ones, shrunk for a tiny model.
_EXTRA = {
    "byol": {"predictor_hidden_dim": 8},
    "simsiam": {"predictor_hidden_dim": 8},
    "barlow_twins": {},
}


def tiny_config(method, global_batch_size=8, **overrides):
    """`<method>_embedded` with the tiny backbone, a 16-wide projector and small batches."""
    task = {**tiny_task(global_batch_size, projector=True), **_EXTRA[method]}
    trainer = {"train_steps": 4, "checkpoint_interval": 2, "log_interval": 2}
    return tiny_experiment(f"{method}_embedded", task, trainer, overrides)
