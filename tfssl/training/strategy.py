"""Builds the tf.distribute strategy named by the runtime config, and says which process of a
cluster writes the run's files."""

import contextlib
import shutil
import tempfile

import tensorflow as tf
from absl import logging


def split_cpu(num_devices):
    """Splits the host CPU into `num_devices` logical devices so MirroredStrategy can run
    several replicas without accelerators. Must run before TensorFlow initialises its devices;
    afterwards it only checks that enough logical CPUs exist."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices
        )
    except RuntimeError:
        available = len(tf.config.list_logical_devices("CPU"))
        if available < num_devices:
            raise RuntimeError(
                f"cpu_replicas={num_devices} needs {num_devices} logical CPUs, but TensorFlow "
                f"already initialised {available}; set it before any TensorFlow op runs"
            ) from None


def set_inter_op_threads(count):
    """Sets TensorFlow's inter-op thread count; once the runtime has started it can no longer
    change, and a different setting is logged and ignored."""
    if tf.config.threading.get_inter_op_parallelism_threads() == count:
        return
    try:
        tf.config.threading.set_inter_op_parallelism_threads(count)
    except RuntimeError:
        logging.warning(
            "runtime.inter_op_threads=%d ignored: TensorFlow's runtime already started", count
        )


def build_strategy(name, cpu_replicas=1, tpu=""):
    """`one_device`, `mirrored` (all GPUs, else `cpu_replicas` logical CPUs),
    `multi_worker_mirrored` (every GPU of every worker, else each worker's CPU; the cluster and
    this process's place in it from the `TF_CONFIG` environment variable) or `tpu`."""
    if name == "multi_worker_mirrored":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    gpus = tf.config.list_logical_devices("GPU")
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy("/gpu:0" if gpus else "/cpu:0")
    if name == "mirrored":
        if gpus:
            return tf.distribute.MirroredStrategy()
        if cpu_replicas > 1:
            split_cpu(cpu_replicas)
        devices = [d.name for d in tf.config.list_logical_devices("CPU")][:cpu_replicas]
        return tf.distribute.MirroredStrategy(devices)
    raise ValueError(
        f"unknown strategy '{name}' (one_device, mirrored, multi_worker_mirrored, tpu)"
    )


# Strategy classes by the name `runtime.distribution_strategy` gives them.
_STRATEGY_NAMES = {
    "OneDeviceStrategy": "one_device",
    "MirroredStrategy": "mirrored",
    "MultiWorkerMirroredStrategy": "multi_worker_mirrored",
    "CollectiveAllReduceStrategy": "multi_worker_mirrored",
    "TPUStrategy": "tpu",
    "_DefaultDistributionStrategy": "default",
}


def describe_devices(strategy):
    """One line naming the devices `strategy` trains on and its replica count, e.g.
    `Training on 1 device: CPU:0 (strategy one_device)` or
    `Training on 2 replicas: CPU:0, CPU:1 (strategy mirrored)`."""
    name = type(strategy).__name__
    try:
        devices = strategy.extended.worker_devices
    except RuntimeError:  # The default strategy has no device list; ops go to the first GPU.
        devices = [
            (tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices())[0].name
        ]
    short = []
    for device in devices:
        spec = tf.DeviceSpec.from_string(device)
        short.append(f"{spec.device_type}:{spec.device_index}")
    replicas = strategy.num_replicas_in_sync
    count = "1 device" if replicas == 1 else f"{replicas} replicas"
    return f"Training on {count}: {', '.join(short)} (strategy {_STRATEGY_NAMES.get(name, name)})"


def is_chief(strategy):
    """Whether this process writes the run's checkpoints, summaries, PNGs and results: always on
    one machine; in a cluster, the `chief` task (worker 0 when there is none)."""
    return strategy.extended.should_checkpoint


@contextlib.contextmanager
def writable_dir(model_dir, strategy):
    """The directory this process writes its checkpoints to: `model_dir` on the chief; on every
    other worker a temporary directory, removed on exit.

    Every worker of a `MultiWorkerMirroredStrategy` must take part in saving a checkpoint (the
    save may run collectives), but only the chief's copy is kept, as TensorFlow's multi-worker
    guide prescribes. All workers read checkpoints from `model_dir`.
    """
    if is_chief(strategy):
        yield model_dir
        return
    task_id = strategy.cluster_resolver.task_id
    path = tempfile.mkdtemp(prefix=f"tfssl-worker{task_id}-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
