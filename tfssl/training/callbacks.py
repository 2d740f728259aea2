"""Keras callbacks for long runs: periodic checkpoints, a checkpoint when the run is preempted,
a stop on NaN/Inf loss, a log line plus TensorBoard scalars with step, loss, learning rate and
images/s (and their curve as a PNG), and a periodic kNN probe of the encoder."""

import contextlib
import math
import signal
import threading
import time

import keras
import tensorflow as tf
from absl import logging

from tfssl.evaluation import extract_features, knn_protocol, plots


def _global_step(model):
    return int(model.optimizer.iterations.numpy())


def _loss_is_finite(logs):
    return logs is not None and "loss" in logs and math.isfinite(float(logs["loss"]))


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN or infinite loss and was stopped."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops training at the first NaN/Inf loss and records the step, so that no checkpoint is
    written from the corrupted weights and the trainer can name the last good one."""

    def __init__(self):
        super().__init__()
        self.failed_step = None
        self.failed_loss = None

    def on_train_batch_end(self, batch, logs=None):
        if logs is not None and "loss" in logs and not _loss_is_finite(logs):
            self.failed_step = _global_step(self.model)
            self.failed_loss = float(logs["loss"])
            self.model.stop_training = True


class CheckpointEvery(keras.callbacks.Callback):
    """Saves `manager`'s checkpoint every `interval` optimizer steps and at the end of training,
    only while the loss is finite. TensorFlow writes the data files under temporary names and
    then updates the `checkpoint` index atomically, so a killed run never sees a half-written
    checkpoint."""

    def __init__(self, manager, interval):
        super().__init__()
        self.manager = manager
        self.interval = interval
        self._last_saved = None
        self._healthy = True

    def _save(self, step):
        if self._healthy and step != self._last_saved:
            self.manager.save(checkpoint_number=step)
            self._last_saved = step
            logging.info("saved checkpoint at step %d", step)

    def on_train_begin(self, logs=None):
        self._last_saved = _global_step(self.model)

    def on_train_batch_end(self, batch, logs=None):
        self._healthy = self._healthy and (
            logs is None or "loss" not in logs or _loss_is_finite(logs)
        )
        step = _global_step(self.model)
        if step // self.interval > (self._last_saved or 0) // self.interval:
            self._save(step)

    def on_train_end(self, logs=None):
        self._save(_global_step(self.model))


class TrainingPreempted(RuntimeError):
    """The run received SIGTERM and saved a checkpoint at `step`; rerunning it with the same
    `model_dir` continues from the next step."""

    def __init__(self, step, checkpoint_dir):
        super().__init__(
            f"preempted: checkpoint saved at step {step} in {checkpoint_dir}; run the same "
            "command again to continue from the next step"
        )
        self.step = step


class SaveOnPreemption(keras.callbacks.Callback):
    """After every step, lets TensorFlow's `PreemptionCheckpointHandler` save `manager`'s
    checkpoint (numbered by the step reached) once any worker of the cluster has received
    SIGTERM — what Kubernetes, Slurm and cloud preemption send — and then ends training by
    raising `TrainingPreempted`.

    In a multi-worker cluster the handler agrees with the other workers on the step to save at,
    so every worker saves the same step. Use it through `preemption_checkpoints`, which installs
    and removes the SIGTERM handler.
    """

    def __init__(self, handler):
        super().__init__()
        self.handler = handler

    def on_train_batch_end(self, batch, logs=None):
        self.handler.save_checkpoint_if_preempted(checkpoint_number=_global_step(self.model))


@contextlib.contextmanager
def preemption_checkpoints(strategy, manager):
    """A `SaveOnPreemption` callback for `manager`, or None off the main thread (where Python
    cannot install a signal handler: SIGTERM then ends the run as usual, resuming from the last
    interval checkpoint). SIGTERM's previous handler is back in place on exit, so a signal after
    training (during evaluation) stops the process as before."""
    if threading.current_thread() is not threading.main_thread():
        logging.warning("training off the main thread: no checkpoint on SIGTERM")
        yield None
        return
    previous = signal.getsignal(signal.SIGTERM)
    callback = None

    def stop():
        raise TrainingPreempted(_global_step(callback.model), manager.directory)

    handler = tf.distribute.experimental.PreemptionCheckpointHandler(
        getattr(strategy, "cluster_resolver", None),
        manager,
        termination_config=tf.distribute.experimental.TerminationConfig(
            exit_fn=stop, grace_period=0
        ),
    )
    callback = SaveOnPreemption(handler)
    try:
        yield callback
    finally:
        signal.signal(signal.SIGTERM, previous)


class ProgressLogger(keras.callbacks.Callback):
    """Every `interval` steps logs `step, loss, …, lr, images/s` and writes them as TensorBoard
    scalars; keeps the history, drawn as a loss / learning-rate curve PNG at `curve_path` when
    training ends."""

    def __init__(self, interval, global_batch_size, total_steps, summary_dir=None, curve_path=None):
        super().__init__()
        self.curve_path = curve_path
        self.interval = interval
        self.global_batch_size = global_batch_size
        self.total_steps = total_steps
        self.writer = tf.summary.create_file_writer(summary_dir) if summary_dir else None
        self.history = []
        self._last_step = None
        self._last_time = None

    def on_train_begin(self, logs=None):
        self._last_step = _global_step(self.model)
        self._last_time = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        step = _global_step(self.model)
        if step // self.interval == self._last_step // self.interval and step != self.total_steps:
            return
        now = time.perf_counter()
        images_per_sec = (
            (step - self._last_step) * self.global_batch_size / max(now - self._last_time, 1e-9)
        )
        self._last_step, self._last_time = step, now
        scalars = {name: float(value) for name, value in (logs or {}).items()}
        scalars["learning_rate"] = float(
            keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        )
        scalars["images_per_sec"] = images_per_sec
        self.history.append({"step": step, **scalars})
        logging.info(
            "step %d/%d %s",
            step,
            self.total_steps,
            " ".join(f"{name}={value:.4g}" for name, value in scalars.items()),
        )
        if self.writer is not None:
            with self.writer.as_default(step=step):
                for name, value in scalars.items():
                    tf.summary.scalar(name, value)
            self.writer.flush()

    def on_train_end(self, logs=None):
        if self.curve_path and self.history:
            plots.training_curve(self.history, self.curve_path)


def _batches(data):
    return data() if callable(data) else data


class KNNProbe(keras.callbacks.Callback):
    """Every `every_n_epochs` epochs, the weighted-kNN top-1 (`tfssl.evaluation.knn_protocol`) of
    the model's encoder: `bank_data` features vote for the labels of `query_data` (a held-out
    split). Adds `knn_top1` to the epoch logs, so it reaches `History` and later callbacks.

    Args:
      bank_data, query_data: datasets of `{"image", "label"}` batches, or zero-argument callables
        returning one (rebuilt at each probe).
      every_n_epochs: probe period in epochs.
      k, temperature: kNN neighbours and vote temperature.
    """

    def __init__(self, bank_data, query_data, every_n_epochs=1, k=200, temperature=0.07):
        super().__init__()
        self.bank_data, self.query_data = bank_data, query_data
        self.every_n_epochs, self.k, self.temperature = every_n_epochs, k, temperature
        self.history = []  # (epoch, knn_top1)

    def probe(self):
        """kNN top-1 of the current encoder on the held-out split."""
        features = {
            "train": extract_features(self.model.evaluation_encoder, _batches(self.bank_data)),
            "test": extract_features(self.model.evaluation_encoder, _batches(self.query_data)),
        }
        return knn_protocol(features, k=self.k, temperature=self.temperature)["top1"]

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        top1 = self.probe()
        self.history.append((epoch + 1, top1))
        if logs is not None:
            logs["knn_top1"] = top1
        logging.info("epoch %d knn_top1=%.4f", epoch + 1, top1)
