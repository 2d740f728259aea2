"""Strategy, inputs, callbacks and the training loop that runs an experiment."""

from tfssl.training.callbacks import NonFiniteLossError, TrainingPreempted
from tfssl.training.strategy import build_strategy, describe_devices, split_cpu
from tfssl.training.trainer import restore_model, run_experiment, train

__all__ = [
    "NonFiniteLossError",
    "TrainingPreempted",
    "build_strategy",
    "describe_devices",
    "restore_model",
    "run_experiment",
    "split_cpu",
    "train",
]
