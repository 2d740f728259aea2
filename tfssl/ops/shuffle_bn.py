"""MoCo's shuffling BN: the key encoder normalises each key with a different set of samples than
its query, so the pretext task cannot be solved through BN statistics shared by a positive pair.

A "group" is a set of samples normalised together: a replica's batch, or one of `splits`
sub-batches of it (on one device, sub-batches stand in for devices). Query group g holds global
rows [g·n, (g+1)·n); the shuffle deals every query group's samples over all key groups.
"""

import tensorflow as tf

from tfssl.ops import distributed


def shuffle_permutation(global_batch, num_groups, seed):
    """A random permutation of the global batch that deals each group's samples over all groups.

    Each query group's n samples are put in a random order; the one in slot j goes to slot j of
    key group (g + j + c) mod G, c a random offset. Key group h thus takes one sample per slot from
    the query groups h − c, h − c − 1, …: n/G from each when G divides n, and when n ≤ G a key
    shares its BN group with none of its query's batch-mates. The same `seed` gives the same
    permutation on every replica.

    Args:
      global_batch: B, a multiple of `num_groups`.
      num_groups: G.
      seed: a stateless seed, shape [2] int.

    Returns:
      (permutation, inverse): int32 [B]; shuffled = x[permutation], x = shuffled[inverse].
    """
    n = global_batch // num_groups
    noise = tf.random.stateless_uniform([num_groups, n + 1], seed)
    order = tf.argsort(noise[:, :n], axis=1)  # [G, n]
    offset = tf.cast(noise[0, n] * num_groups, tf.int32)
    group = tf.range(num_groups)[:, None]  # [G, 1]
    slot = tf.range(n)[None, :]  # [1, n]
    members = tf.reshape(group * n + order, [-1, 1])  # [B, 1]: global row of slot j of group g
    key_group = (group + slot + offset) % num_groups  # [G, n]
    position = tf.reshape(key_group * n + slot, [-1, 1])  # [B, 1]: its row in the shuffled batch
    permutation = tf.scatter_nd(position, members[:, 0], [global_batch])
    inverse = tf.scatter_nd(members, position[:, 0], [global_batch])
    return permutation, inverse


def split_forward(fn, x, splits):
    """`fn` applied to each of `splits` contiguous sub-batches of `x` (own BN statistics each)."""
    if splits == 1:
        return fn(x)
    return tf.concat([fn(part) for part in tf.split(x, splits, axis=0)], axis=0)


def shuffled_forward(fn, x, splits, seed):
    """`fn(x)` computed with shuffling BN: gather → shared permutation → this replica's slice in
    `splits` sub-batches → `fn` → gather → inverse permutation → this replica's rows.

    With one replica and `splits` == 1 there is nothing to shuffle across and it is `fn(x)`.

    Args:
      fn: the key encoder, [n, ...] → [n, D].
      x: [b, ...] this replica's inputs.
      splits: sub-batches per replica.
      seed: stateless seed ([2] int), identical on every replica (e.g. derived from the step).

    Returns:
      [b, D]: row i is fn's output for x[i], normalised in its shuffled key group.
    """
    num_groups = distributed.num_replicas() * splits
    if num_groups == 1:
        return fn(x)
    local_batch = tf.shape(x)[0]
    offset = distributed.global_offset(local_batch)
    inputs = distributed.all_gather(x)  # [B, ...]
    permutation, inverse = shuffle_permutation(tf.shape(inputs)[0], num_groups, seed)
    mine = tf.gather(inputs, permutation[offset : offset + local_batch])  # [b, ...]
    outputs = distributed.all_gather(split_forward(fn, mine, splits))  # [B, D], shuffled order
    return tf.gather(outputs, inverse[offset : offset + local_batch])  # [b, D]
