import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl.ops import shuffle_permutation, shuffled_forward, split_forward

BATCH = 16
SEED = tf.constant([3, 7], tf.int64)


def group_signature(batch):
    """[n, B] one-hot rows → [n, 2B]: each row, then the membership mask of its BN group."""
    members = tf.reduce_sum(batch, axis=0, keepdims=True)  # [1, B]
    return tf.concat([batch, tf.tile(members, [tf.shape(batch)[0], 1])], axis=1)


def shared_batch_mates(group_size, num_groups):
    """How many of a query's BN group a key shares its BN group with (itself included): n/G
    when G divides n, only itself when n <= G."""
    return max(group_size // num_groups, 1)


def assert_groups(rows, num_groups):
    """Rows come back in their original order, and sample i's key group has n members, includes
    i and overlaps i's query group (global rows [g·n, (g+1)·n)) in exactly
    `shared_batch_mates` samples: the key never sees the statistics of its query's batch."""
    n = BATCH // num_groups
    np.testing.assert_array_equal(rows[:, :BATCH], np.eye(BATCH))
    for i in range(BATCH):
        mask = rows[i, BATCH:]
        query_group = i // n
        assert mask[i] == 1 and mask.sum() == n
        overlap = mask[query_group * n : (query_group + 1) * n].sum()
        assert overlap == shared_batch_mates(n, num_groups) < n


@pytest.mark.parametrize("num_groups", [2, 4, 8])
def test_permutation_deals_every_group_over_all_groups(num_groups):
    n = BATCH // num_groups
    seen = set()
    for step in range(5):
        permutation, inverse = shuffle_permutation(BATCH, num_groups, [0, step])
        permutation, inverse = permutation.numpy(), inverse.numpy()
        assert sorted(permutation) == list(range(BATCH))
        np.testing.assert_array_equal(permutation[inverse], np.arange(BATCH))
        np.testing.assert_array_equal(inverse[permutation], np.arange(BATCH))
        # Shuffled rows [h·n, (h+1)·n) form key group h: count its samples per query group.
        key_groups = permutation.reshape(num_groups, n)
        counts = np.stack([np.bincount(g // n, minlength=num_groups) for g in key_groups])
        assert counts.max() == shared_batch_mates(n, num_groups)
        seen.add(tuple(permutation))
    assert len(seen) == 5  # a different shuffle each step


@pytest.mark.parametrize("splits", [2, 4])
def test_one_device_sub_batches_keep_keys_out_of_their_query_batch(splits):
    x = np.eye(BATCH, dtype=np.float32)
    rows = tf.function(lambda v: shuffled_forward(group_signature, v, splits, SEED))(x).numpy()
    assert_groups(rows, splits)


@pytest.mark.parametrize("splits", [1, 2])
def test_two_replicas_restore_order_and_keep_keys_out_of_their_query_batch(two_replicas, splits):
    x = np.eye(BATCH, dtype=np.float32)
    per_replica = run_on_replicas(
        two_replicas, lambda v: shuffled_forward(group_signature, v, splits, SEED), x
    )
    rows = np.concatenate(per_replica)  # replica order = global order
    assert_groups(rows, 2 * splits)


def test_two_replicas_equal_one_device_with_as_many_groups(two_replicas):
    """Replica rule: 2 replicas × 2 splits normalise exactly like 1 device × 4 splits."""
    x = np.random.default_rng(0).normal(size=(BATCH, 3)).astype(np.float32)
    bn = keras.layers.BatchNormalization(center=False, scale=False, epsilon=1e-3)
    bn.build((None, 3))

    def normalise(v, splits):
        return shuffled_forward(lambda b: bn(b, training=True), v, splits, SEED)

    one_device = tf.function(lambda v: normalise(v, 4))(x).numpy()
    per_replica = run_on_replicas(two_replicas, lambda v: normalise(v, 2), x)
    np.testing.assert_allclose(np.concatenate(per_replica), one_device, atol=1e-5)
    # Each row is normalised with the mean/variance of its key group.
    permutation, _ = (t.numpy() for t in shuffle_permutation(BATCH, 4, SEED))
    groups = permutation.reshape(4, -1)
    expected = np.empty_like(x)
    for members in groups:
        expected[members] = (x[members] - x[members].mean(0)) / np.sqrt(x[members].var(0) + 1e-3)
    np.testing.assert_allclose(one_device, expected, atol=1e-5)


def test_split_forward_normalises_each_sub_batch_separately():
    x = np.random.default_rng(1).normal(size=(8, 2)).astype(np.float32)
    out = split_forward(lambda b: b - tf.reduce_mean(b, axis=0), x, 2).numpy()
    expected = np.concatenate([x[:4] - x[:4].mean(0), x[4:] - x[4:].mean(0)])
    np.testing.assert_allclose(out, expected, atol=1e-6)
