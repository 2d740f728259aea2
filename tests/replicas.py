"""Helpers that run a function per replica on slices of a global batch (the replica rule)."""

import numpy as np
import tensorflow as tf


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
