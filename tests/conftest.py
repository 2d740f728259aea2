"""Test set-up: split the host CPU into logical devices so MirroredStrategy runs here."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

NUM_CPU_REPLICAS = 2

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration()] * NUM_CPU_REPLICAS,
)


@pytest.fixture(scope="session")
def two_replicas():
    """A MirroredStrategy over two logical CPU devices, one per test session: separate
    MirroredStrategy objects in one process reuse collective instance keys and collide."""
    return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(NUM_CPU_REPLICAS)])


@pytest.fixture
def float64_policy():
    """float64 models, so that 1 and 2 replicas agree to ~1e-10 and not to float32 rounding."""
    keras.mixed_precision.set_global_policy("float64")
    yield
    keras.mixed_precision.set_global_policy("float32")
