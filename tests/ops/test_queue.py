import numpy as np
import tensorflow as tf

from tests.replicas import split_global
from tfssl.ops.queue import FeatureQueue


def test_queue_wraps_and_keeps_most_recent_keys_in_order():
    queue = FeatureQueue(size=5, dim=2)
    batches = [np.full((2, 2), i, np.float32) for i in range(4)]  # 8 keys through 5 rows
    for batch in batches:
        queue.enqueue(batch)
    assert int(queue.pointer.numpy()) == 8 % 5 and int(queue.filled.numpy()) == 5
    expected = np.concatenate(batches)[-5:]
    np.testing.assert_array_equal(queue.ordered().numpy(), expected)


def test_queue_enqueues_the_global_batch_on_two_replicas(two_replicas):
    with two_replicas.scope():
        queue = FeatureQueue(size=6, dim=1)
    keys = np.arange(4, dtype=np.float32)[:, None]  # replica 0: rows 0-1, replica 1: rows 2-3

    @tf.function
    def step(k):
        two_replicas.run(queue.enqueue, args=(k,))

    (distributed_keys,) = split_global(two_replicas, keys)
    step(distributed_keys)
    step(split_global(two_replicas, keys + 10)[0])
    for replica_values in two_replicas.experimental_local_results(queue.values):
        np.testing.assert_array_equal(replica_values.numpy()[:, 0], [12, 13, 2, 3, 10, 11])
    ordered = queue.ordered().numpy()[:, 0]
    np.testing.assert_array_equal(ordered, [2, 3, 10, 11, 12, 13])
