"""Every `*_imagenet` experiment trains 2 steps on 2 CPU replicas on mock TFDS `imagenet2012`
data: its data path (TFDS → decode → the paper's augmentation → its views), model, optimizer
and schedule run for real, with only the resolution, width and batch shrunk."""

from unittest import mock

import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfssl import configs, registry_imports  # noqa: F401  (fills the registries)
from tfssl.training import train

IMAGENET = sorted(n for n in configs.list_experiments() if n.endswith("_imagenet"))
MOCK_EXAMPLES = 32


def _shrunk(name):
    """The experiment at 32 px (16 px local crops), 1/16 of the width, 8 images per step, and at
    most 8 clusters (the mock split has 32 images)."""
    config = configs.get_experiment(name)
    task = config.task
    backbone = task.model.backbone
    if backbone.type.startswith("vit"):
        backbone.image_size, backbone.patch_size = 32, 8
    else:
        backbone.width_multiplier = 1 / 16
    data = task.train_data
    data.global_batch_size, data.image_size, data.shuffle_buffer = 8, 32, 8
    data.views.global_size, data.views.local_size = 32, 16
    task.eval_data.image_size = 32
    for field, count in (("num_clusters", 8), ("num_super_clusters", 2), ("num_sub_clusters", 4)):
        if hasattr(task, field):
            setattr(task, field, count)
    config.trainer.train_steps, config.trainer.log_interval = 2, 1
    return config


@pytest.fixture(scope="module")
def mock_imagenet():
    """Mock TFDS: `MOCK_EXAMPLES` random examples per split, reported as prepared."""
    with (
        tfds.testing.mock_data(num_examples=MOCK_EXAMPLES),
        mock.patch.object(tfds.core.DatasetBuilder, "is_prepared", return_value=True),
        mock.patch("tfssl.data.tfds_split_size", return_value=MOCK_EXAMPLES),
    ):
        yield


def test_every_imagenet_experiment_is_covered():
    assert len(IMAGENET) >= 18 and "simclr_imagenet" in IMAGENET


@pytest.mark.slow
@pytest.mark.parametrize("name", IMAGENET)
def test_imagenet_experiment_trains_two_steps_on_two_replicas(
    name, mock_imagenet, two_replicas, tmp_path
):
    config = _shrunk(name).validate()
    assert config.task.train_data.source == "tfds"
    assert config.task.train_data.tfds_name == "imagenet2012"
    model, history = train(config, str(tmp_path), two_replicas)
    assert int(model.optimizer.iterations.numpy()) == 2
    assert [h["step"] for h in history] == [1, 2]
    assert np.isfinite(history[-1]["loss"])
