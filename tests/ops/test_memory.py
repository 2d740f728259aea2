import numpy as np
import tensorflow as tf

from tests.replicas import split_global
from tfssl.ops import ExampleMemory


def _one_device(memory_kwargs, indices, values):
    memory = ExampleMemory(6, row_shape=(2,), **memory_kwargs)
    memory.assign(np.arange(12, dtype=np.float32).reshape(6, 2))
    tf.function(memory.update)(indices, values)
    return memory


def test_lookup_and_overwrite():
    memory = _one_device({}, np.array([4, 1]), np.array([[10.0, 11.0], [20.0, 21.0]], np.float32))
    np.testing.assert_array_equal(memory.lookup([1, 4, 0]), [[20, 21], [10, 11], [0, 1]])


def test_momentum_normalize_and_counts():
    memory = _one_device(
        {"momentum": 0.5, "normalize": True, "count_updates": True},
        np.array([0, 0, 3]),  # row 0 twice: one of the two writes wins, the count says 2
        np.array([[2.0, 0.0], [2.0, 0.0], [0.0, 4.0]], np.float32),
    )
    expected_row3 = np.array([0.5 * 6, 0.5 * 7 + 0.5 * 4])
    np.testing.assert_allclose(memory.lookup([3])[0], expected_row3 / np.linalg.norm(expected_row3))
    expected_row0 = np.array([1.0, 0.5])
    np.testing.assert_allclose(memory.lookup([0])[0], expected_row0 / np.linalg.norm(expected_row0))
    np.testing.assert_array_equal(memory.counts.numpy(), [2, 0, 0, 1, 0, 0])


def test_two_replicas_write_what_one_device_writes_for_the_global_batch(two_replicas):
    """Each replica updates different rows; afterwards every replica's copy holds what one
    device holds after updating with the global batch."""
    indices = np.array([5, 2, 0, 3])  # replica 0: rows 5, 2; replica 1: rows 0, 3
    values = np.arange(8, dtype=np.float32).reshape(4, 2) + 100
    kwargs = {"momentum": 0.9, "count_updates": True}
    expected = _one_device(kwargs, indices, values)
    with two_replicas.scope():
        memory = ExampleMemory(6, row_shape=(2,), **kwargs)
    memory.assign(np.arange(12, dtype=np.float32).reshape(6, 2))
    two_replicas.run(tf.function(memory.update), args=split_global(two_replicas, indices, values))
    for copy in two_replicas.experimental_local_results(memory.values):
        np.testing.assert_allclose(copy.numpy(), expected.values.numpy(), rtol=1e-6)
    for copy in two_replicas.experimental_local_results(memory.counts):
        np.testing.assert_array_equal(copy.numpy(), [1, 0, 1, 1, 0, 1])
    assert not np.allclose(expected.values.numpy(), np.arange(12).reshape(6, 2))
