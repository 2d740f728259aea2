"""Tiny BYOL / SimSiam / Barlow Twins configs for fast method tests."""

from tfssl import configs

# Fields each method's task config has beyond the shared ones, shrunk for a tiny model.
_EXTRA = {
    "byol": {"predictor_hidden_dim": 8},
    "simsiam": {"predictor_hidden_dim": 8},
    "barlow_twins": {},
}


def tiny_config(method, global_batch_size=8, **overrides):
    """`<method>_embedded` with the tiny backbone, a 16-wide projector and small batches."""
    config = configs.get_experiment(f"{method}_embedded")
    configs.merge(
        config,
        {
            "task": {
                "model": {
                    "backbone": {"type": "tiny"},
                    "projection_head": {"hidden_dim": 16, "output_dim": 8},
                },
                "train_data": {"global_batch_size": global_batch_size, "shuffle_buffer": 64},
                "learning_rate": {"warmup_steps": 0},
                **_EXTRA[method],
            },
            "trainer": {"train_steps": 4, "checkpoint_interval": 2, "log_interval": 2},
        },
    )
    return configs.merge(config, overrides).validate()
