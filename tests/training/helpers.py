"""Small, fast experiment configs for training tests."""

from tfssl import configs


def tiny_simclr_config(**overrides):
    """simclr_embedded with a tiny backbone and 16-image batches: a few seconds per run."""
    config = configs.get_experiment("simclr_embedded")
    configs.merge(
        config,
        {
            "task": {
                "model": {
                    "backbone": {"type": "tiny"},
                    "projection_head": {"hidden_dim": 16, "output_dim": 8},
                },
                "train_data": {"global_batch_size": 16, "shuffle_buffer": 64},
                "learning_rate": {"warmup_steps": 0},
            },
            "trainer": {"train_steps": 4, "checkpoint_interval": 2, "log_interval": 2},
        },
    )
    return configs.merge(config, overrides).validate()
