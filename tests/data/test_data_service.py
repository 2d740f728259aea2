"""The training input on a tf.data service (an in-process dispatcher and worker) yields what the
local pipeline yields: the same structure, count and, with one service worker, the same views."""

import numpy as np
import pytest
import tensorflow as tf

from tests.test_cli import TINY
from tfssl import configs, registry_imports  # noqa: F401  (fills the registries)
from tfssl.data import inputs
from tfssl.training import train

# The ordered stream: with it, every batch is fixed by the seed.
ORDERED = f"{TINY},task.train_data.deterministic=true"


@pytest.fixture(scope="module")
def service_address():
    dispatcher = tf.data.experimental.service.DispatchServer()
    address = dispatcher.target.split("://")[1]
    worker = tf.data.experimental.service.WorkerServer(
        tf.data.experimental.service.WorkerConfig(dispatcher_address=address)
    )
    yield dispatcher.target
    del worker, dispatcher


def _batches(dataset):
    return [tf.nest.map_structure(np.asarray, batch) for batch in dataset]


def _assert_same_batches(local, served):
    assert len(served) == len(local)
    for a, b in zip(local, served):
        tf.nest.assert_same_structure(a, b)
        for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b)):
            np.testing.assert_array_equal(y, x)


def test_a_finite_pipeline_keeps_its_structure_count_and_order(service_address):
    def input_fn(input_context):
        return tf.data.Dataset.range(10).map(lambda i: {"x": i, "y": (i * 2, i * 3)}).batch(3)

    context = tf.distribute.InputContext()
    served = _batches(inputs.on_data_service(input_fn, service_address)(context))
    _assert_same_batches(_batches(input_fn(context)), served)


@pytest.mark.parametrize("experiment", ["simclr_embedded", "fixmatch_embedded"])
def test_training_stream_gives_the_local_views(experiment, service_address):
    """A multi-view stream and a labeled + unlabeled stream, per input pipeline of two."""
    from tfssl import methods

    config = configs.build_config(experiment, [], ORDERED)
    model = methods.build_model(config.task)
    input_fn = model.build_inputs(config.task.train_data, config.runtime.seed)
    context = tf.distribute.InputContext(2, 1, 2)
    local = _batches(input_fn(context).take(3))
    served = _batches(inputs.on_data_service(input_fn, service_address)(context).take(3))
    _assert_same_batches(local, served)


def test_training_reads_batches_from_the_service(service_address, tmp_path):
    override = f"{ORDERED},task.train_data.service_address={service_address}"
    config = configs.build_config("simclr_embedded", [], override)
    model, history = train(config, str(tmp_path), tf.distribute.get_strategy())
    assert int(model.optimizer.iterations.numpy()) == 2
    assert np.isfinite(history[-1]["loss"])
