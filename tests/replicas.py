"""Helpers that run a function or a training step per replica on slices of a global batch (the
replica rule)."""

import keras
import numpy as np
import tensorflow as tf

from tfssl.training.trainer import build_training_model


def split_global(strategy, *arrays):
    """Per-replica distributed values: replica r gets rows [r·b, (r+1)·b) of each array."""
    replicas = strategy.num_replicas_in_sync

    def value_fn(ctx, array):
        rows = array.shape[0] // replicas
        return tf.constant(array[ctx.replica_id_in_sync_group * rows :][:rows])

    return [
        strategy.experimental_distribute_values_from_function(lambda ctx, a=a: value_fn(ctx, a))
        for a in arrays
    ]


def run_on_replicas(strategy, fn, *arrays):
    """Runs `fn` in `strategy.run` on the split arrays; returns each replica's output as NumPy."""
    outputs = strategy.run(tf.function(fn), args=tuple(split_global(strategy, *arrays)))
    return [
        tf.nest.map_structure(np.asarray, value)
        for value in strategy.experimental_local_results(outputs)
    ]


def split_rows(strategy, rows, *arrays):
    """Per-replica distributed values with `rows[r]` rows on replica r (e.g. (5, 3): an uneven,
    last partial global batch)."""
    starts = np.cumsum((0,) + tuple(rows))

    def value_fn(ctx, array):
        r = ctx.replica_id_in_sync_group
        return tf.constant(array[starts[r] : starts[r + 1]])

    return [
        strategy.experimental_distribute_values_from_function(lambda ctx, a=a: value_fn(ctx, a))
        for a in arrays
    ]


def per_replica(strategy, batch):
    """A nested `batch` of arrays as one distributed value: replica r gets rows
    [r·n/R, (r + 1)·n/R) of every array."""

    def value_fn(ctx):
        def rows(array):
            share = len(array) // strategy.num_replicas_in_sync
            return tf.constant(array[ctx.replica_id_in_sync_group * share :][:share])

        return tf.nest.map_structure(rows, batch)

    return strategy.experimental_distribute_values_from_function(value_fn)


def one_and_two(config, strategy, total_steps=10):
    """The training model on one device and on `strategy`, with the same weights."""
    keras.utils.set_random_seed(0)
    one = build_training_model(config, total_steps=total_steps)
    with strategy.scope():
        two = build_training_model(config, total_steps=total_steps)
    two.set_weights(one.get_weights())
    return one, two


def step_both(one, two, strategy, batch):
    """One training step of each on the same global batch; returns (one-device logs, each
    replica's logs) as floats."""
    logs = tf.function(one.train_step)(tf.nest.map_structure(tf.constant, batch))
    replica_logs = strategy.run(tf.function(two.train_step), args=(per_replica(strategy, batch),))
    return (
        {k: float(v) for k, v in logs.items()},
        [
            {k: float(v) for k, v in r.items()}
            for r in strategy.experimental_local_results(replica_logs)
        ],
    )


def assert_same_after_step(one, two, one_logs, replica_logs):
    """Every logged scalar and every weight agree between one device and each replica."""
    for name, value in one_logs.items():
        for logs in replica_logs:
            np.testing.assert_allclose(logs[name], value, rtol=1e-7, atol=1e-10, err_msg=name)
    for a, b in zip(one.weights, two.weights):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-7, atol=1e-10, err_msg=a.path)


def assert_step_matches_one_device(config, strategy, batch):
    """`config`'s training model (built for its `train_steps`) on one device and on `strategy`
    from the same weights, one step of each on the global `batch`: every logged scalar and every
    weight agree."""
    one, two = one_and_two(config, strategy, total_steps=config.trainer.train_steps)
    one_logs, replica_logs = step_both(one, two, strategy, batch)
    assert_same_after_step(one, two, one_logs, replica_logs)
