"""Shared by the clustering methods' tests (DeepCluster, DeeperCluster, SeLa): a training set of
`N` images, which the models size their per-image state by, and random images to cluster.

A test module imports `training_set_of_n_images` to make that autouse fixture its own."""

import numpy as np
import pytest

from tfssl import data
from tfssl.data import inputs

N = 48  # images in the training set


@pytest.fixture(autouse=True)
def training_set_of_n_images(monkeypatch):
    """The models size their per-image state by the training source: here N images."""
    monkeypatch.setattr(inputs, "source_size", lambda data_config: N)


def random_images(seed=0):
    """N random uint8 images of 32×32 and their labels, the classes 0, 1, 2 in turn."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(N, 32, 32, 3)).astype(np.uint8)
    labels = np.arange(N) % 3
    return images, labels


def eval_dataset(images, labels):
    """`images` and `labels` through the evaluation pipeline at 32 px, 16 per batch."""
    return data.eval_dataset(data.from_numpy(images, labels), 32, 16)


def indexed_source(images, labels=None):
    """`images` (and `labels`) as a source whose elements carry their example `index`, which
    the clustering methods look their pseudo-labels up by."""
    return data.from_numpy(images, labels).enumerate().map(lambda i, e: {**e, "index": i})


def replica_train_dataset(strategy, images, labels, global_batch_size):
    """The training stream of `indexed_source(images, labels)` on `strategy`: one 32 px crop of
    each image, `global_batch_size` images per step split evenly over the replicas."""
    source = indexed_source(images, labels)
    spec = data.ViewSpec(num_global=1, global_size=32)
    batch_size = global_batch_size // strategy.num_replicas_in_sync
    return strategy.distribute_datasets_from_function(
        lambda ctx: data.make_dataset(
            source, spec, data.AugmentParams(), batch_size, input_context=ctx
        )
    )
