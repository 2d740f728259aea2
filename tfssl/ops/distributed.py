"""Cross-replica collectives: the one home of every all_gather / all_reduce in tfssl.

Every function works outside any strategy, in a strategy's cross-replica context (treated as one
replica) and inside `strategy.run`; with one replica they return their input unchanged, so
losses written with them give the same value on one device and on R replicas (the replica rule).
"""

import tensorflow as tf


def _replica_context():
    """The current replica context, or None in a cross-replica context."""
    return tf.distribute.get_replica_context()


def num_replicas():
    """Number of replicas taking part in the current step (1 outside `strategy.run`)."""
    ctx = _replica_context()
    return 1 if ctx is None else ctx.num_replicas_in_sync


def replica_id():
    """This replica's index in its sync group, as an int32 tensor (0 outside `strategy.run`)."""
    ctx = _replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return tf.constant(0, tf.int32)
    return tf.cast(ctx.replica_id_in_sync_group, tf.int32)


def spans_workers():
    """Whether the current strategy is a `MultiWorkerMirroredStrategy` with several workers."""
    strategy = tf.distribute.get_strategy()
    return (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.cluster_resolver is not None
        and bool(strategy.cluster_resolver.cluster_spec().jobs)
    )


def all_gather(x, axis=0):
    """Concatenates `x` from every replica along `axis`, in replica order.

    The gradient flows back to each replica's own slice, summed over the replicas' losses.
    """
    ctx = _replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return tf.convert_to_tensor(x)
    return ctx.all_gather(x, axis=axis)


def all_reduce_sum(x):
    """Sum of `x` over replicas (a nested structure is reduced in one collective)."""
    ctx = _replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return tf.nest.map_structure(tf.convert_to_tensor, x)
    return ctx.all_reduce(tf.distribute.ReduceOp.SUM, x)


def all_reduce_mean(x):
    """Mean of `x` over replicas."""
    ctx = _replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return tf.nest.map_structure(tf.convert_to_tensor, x)
    return ctx.all_reduce(tf.distribute.ReduceOp.MEAN, x)


def all_reduce_max(x):
    """Elementwise max of `x` over replicas, without gradient.

    `ReduceOp` has no MAX, so the replicas' values are gathered ([R, ...]) and reduced here.
    """
    x = tf.stop_gradient(tf.convert_to_tensor(x))
    ctx = _replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return x
    return tf.reduce_max(ctx.all_gather(x[None], axis=0), axis=0)


def global_batch_size(local_batch_size):
    """Global batch size from a replica's batch size (an int32 tensor, summed over replicas)."""
    return all_reduce_sum(tf.cast(local_batch_size, tf.int32))


def global_offset(local_batch_size):
    """Row index, in the global batch, of this replica's first local row.

    Per-replica batches may differ in size (the last partial batch), so the offset sums the
    sizes of the replicas before this one rather than assuming replica_id × local batch.
    """
    ctx = _replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return tf.constant(0, tf.int32)
    sizes = all_gather(tf.reshape(tf.cast(local_batch_size, tf.int32), [1]))  # [R]
    return tf.reduce_sum(sizes[: ctx.replica_id_in_sync_group])


def global_sum(values):
    """Sum over the rows of the global batch: each tensor of `values` (a tensor or a nested
    structure of [b, ...] tensors) is summed over its local rows, and the sums of every replica
    are added in one collective. Returns the same structure with axis 0 reduced away."""
    local = tf.nest.map_structure(lambda v: tf.reduce_sum(v, axis=0), values)
    return all_reduce_sum(local)


def global_mean(values):
    """Mean over the rows of the global batch of each [b, ...] tensor in `values`, the same
    on every replica: local sums and the local row count travel in one collective, so replicas
    with unequal batches still give the one-device mean (a mean of per-replica means would not).
    """
    flat = [tf.convert_to_tensor(v) for v in tf.nest.flatten(values)]
    count = tf.cast(tf.shape(flat[0])[0], flat[0].dtype)
    sums, total = all_reduce_sum(([tf.reduce_sum(v, axis=0) for v in flat], count))
    return tf.nest.pack_sequence_as(values, [s / tf.cast(total, s.dtype) for s in sums])
