import numpy as np
import pytest
import tensorflow as tf

from tests.methods.siamese_helpers import tiny_config
from tfssl import registry_imports  # noqa: F401
from tfssl.training.trainer import build_training_model

METHODS = ["byol", "simsiam", "barlow_twins"]


def _dataset(global_batch, seed=0):
    rng = np.random.default_rng(seed)
    views = tuple(rng.uniform(size=(global_batch, 32, 32, 3)).astype(np.float32) for _ in range(2))
    return tf.data.Dataset.from_tensors({"views": views}).repeat()


@pytest.mark.parametrize("method", METHODS)
def test_two_fit_steps_on_two_replicas(two_replicas, method):
    """Each method trains under `fit` on a MirroredStrategy: finite loss, embeddings not
    collapsed, and the online weights move."""
    config = tiny_config(method, global_batch_size=8)
    with two_replicas.scope():
        model = build_training_model(config, total_steps=2)
    before = [w.copy() for w in model.get_weights()]
    # Each replica takes 4 rows of the 8-image batch.
    dataset = two_replicas.experimental_distribute_dataset(_dataset(8))
    history = model.fit(dataset, steps_per_epoch=2, epochs=1, verbose=0).history
    assert int(model.optimizer.iterations.numpy()) == 2
    assert np.isfinite(history["loss"][0])
    assert history["embedding_std"][0] > 0.05
    moved = sum(np.abs(a - b).max() > 0 for a, b in zip(before, model.get_weights()))
    assert moved > len(before) // 2
