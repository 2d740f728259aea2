"""Runs an experiment: builds strategy, data, model and optimizer from the config, resumes from
the latest checkpoint in `model_dir`, trains with `model.fit`, then evaluates."""

import json
import math
import os

import keras
import tensorflow as tf
from absl import logging

from tfssl import evaluation, export, methods
from tfssl.configs import write_yaml
from tfssl.models import conv_gradients
from tfssl.training import callbacks as callbacks_lib
from tfssl.data import inputs
from tfssl.training import optimization
from tfssl.training.strategy import build_strategy, set_inter_op_threads


def strategy_from_config(runtime_config):
    if runtime_config.inter_op_threads:
        set_inter_op_threads(runtime_config.inter_op_threads)
    return build_strategy(
        runtime_config.distribution_strategy, runtime_config.cpu_replicas, runtime_config.tpu
    )


def _view_sizes(views_config):
    return [views_config.global_size] * views_config.num_global + [
        views_config.local_size
    ] * views_config.num_local


def _runs_on_cpu():
    """Whether the current strategy's replicas (or, outside any strategy, TF's default
    placement) are CPUs."""
    if not tf.distribute.has_strategy():
        return not any(tf.config.list_logical_devices(kind) for kind in ("GPU", "TPU"))
    devices = tf.distribute.get_strategy().extended.worker_devices
    return all("CPU" in device.upper() for device in devices)


def build_training_model(config, total_steps):
    """Model, optimizer and checkpoint, created in the current strategy scope and fully built so
    that a checkpoint restores every variable (optimizer slots included) eagerly."""
    task = config.task
    conv_gradients.set_mode(
        conv_gradients.resolve_mode(config.runtime.conv_gradients, _runs_on_cpu())
    )
    model = methods.build_model(task)
    model.set_total_steps(total_steps)
    model.build_for_views(_view_sizes(task.train_data.views))
    learning_rate = optimization.build_learning_rate(
        task.learning_rate, task.train_data.global_batch_size, total_steps
    )
    optimizer = optimization.build_optimizer(task.optimizer, learning_rate)
    if config.runtime.mixed_precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    optimizer.build(model.trainable_variables)
    model.compile(
        optimizer=optimizer,
        steps_per_execution=config.trainer.steps_per_loop,
        jit_compile=config.runtime.jit_compile,
    )
    return model


def checkpoint_manager(model, model_dir, max_to_keep=3):
    checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
    return tf.train.CheckpointManager(
        checkpoint, model_dir, max_to_keep=max_to_keep, step_counter=model.optimizer.iterations
    )


def steps_per_epoch(config, num_examples):
    """One pass over the training data per Keras epoch (log_interval steps when its size is
    unknown)."""
    if num_examples:
        return max(1, num_examples // config.task.train_data.global_batch_size)
    return config.trainer.log_interval


def _fit_segments(start_step, end_step, epoch_steps):
    """(initial_epoch, steps_per_epoch, num_epochs) calls of `fit` that run exactly the steps
    start_step+1 … end_step in epochs of `epoch_steps`: a partial epoch where a resumed run
    starts mid-epoch, the whole epochs, then a partial last epoch."""
    first_whole = -(-start_step // epoch_steps)  # first epoch that starts at or after start_step
    last_whole = end_step // epoch_steps  # epochs [first_whole, last_whole) fit entirely
    segments = []
    if start_step % epoch_steps:
        steps = min(first_whole * epoch_steps, end_step) - start_step
        segments.append((start_step // epoch_steps, steps, 1))
    if last_whole > first_whole:
        segments.append((first_whole, epoch_steps, last_whole - first_whole))
    if end_step % epoch_steps and last_whole >= first_whole:
        segments.append((last_whole, end_step - last_whole * epoch_steps, 1))
    return segments


def _fit(model, dataset, start_step, end_step, epoch_steps, callbacks, guard):
    """`model.fit` from `start_step` to `end_step`, stopping early when `guard` fired."""
    for initial_epoch, steps, num_epochs in _fit_segments(start_step, end_step, epoch_steps):
        if guard.failed_step is not None:
            return
        model.fit(
            dataset,
            initial_epoch=initial_epoch,
            epochs=initial_epoch + num_epochs,
            steps_per_epoch=steps,
            callbacks=callbacks,
            verbose=0,
        )


def train(config, model_dir, strategy=None):
    """Trains (or resumes) `config` in `model_dir`; returns the model and its logged history.

    Raises:
      NonFiniteLossError: the loss became NaN/Inf; the last good checkpoint is kept.
    """
    config.validate()
    strategy = strategy or strategy_from_config(config.runtime)  # before any op starts TF
    keras.utils.set_random_seed(config.runtime.seed)
    keras.mixed_precision.set_global_policy(config.runtime.mixed_precision)
    os.makedirs(model_dir, exist_ok=True)
    write_yaml(config, os.path.join(model_dir, "params.yaml"))
    data_config, total_steps = config.task.train_data, config.trainer.train_steps
    if data_config.global_batch_size % strategy.num_replicas_in_sync:
        raise ValueError(
            f"task.train_data.global_batch_size={data_config.global_batch_size} is not divisible "
            f"by the {strategy.num_replicas_in_sync} replicas"
        )

    with strategy.scope():
        model = build_training_model(config, total_steps)
    manager = checkpoint_manager(model, model_dir, config.trainer.max_to_keep)
    if manager.latest_checkpoint:
        manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    start_step = int(model.optimizer.iterations.numpy())
    logging.info("training %s from step %d to %d", config.task.method, start_step, total_steps)

    source, num_examples = inputs.build_source(data_config, with_index=True)
    dataset = strategy.distribute_datasets_from_function(
        inputs.train_input_fn(
            source,
            data_config,
            config.runtime.seed,
            model.replica_data_filters(strategy.num_replicas_in_sync),
        )
    )
    guard = callbacks_lib.StopOnNonFiniteLoss()
    progress = callbacks_lib.ProgressLogger(
        config.trainer.log_interval,
        data_config.global_batch_size,
        total_steps,
        summary_dir=os.path.join(model_dir, "train"),
        curve_path=os.path.join(model_dir, "training_curve.png"),
    )
    callbacks = [guard, callbacks_lib.CheckpointEvery(manager, config.trainer.checkpoint_interval), progress]
    if config.trainer.knn_eval_every:
        callbacks.append(
            callbacks_lib.KNNProbe(
                lambda: inputs.train_split_input(config.task),
                lambda: inputs.eval_input(config.task.eval_data),
                every_n_epochs=config.trainer.knn_eval_every,
            )
        )
    callbacks += model.training_callbacks(
        lambda: inputs.train_split_input(config.task, cache=data_config.cache),
        steps_per_epoch(config, num_examples),
    )
    if start_step < total_steps:
        _fit(
            model, dataset, start_step, total_steps, steps_per_epoch(config, num_examples), callbacks, guard
        )
    if guard.failed_step is not None:
        raise callbacks_lib.NonFiniteLossError(
            f"loss became {guard.failed_loss} at step {guard.failed_step}; training stopped. The "
            f"last good checkpoint ({manager.latest_checkpoint or 'none'}) is kept in {model_dir}"
        )
    return model, progress.history


def write_json(results, path):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    os.replace(tmp, path)


def restore_model(config, model_dir, checkpoint=None):
    """The trained model of `model_dir`, restored from `checkpoint` or the latest one there."""
    model = methods.build_model(config.task)
    model.build_for_views(_view_sizes(config.task.train_data.views))
    path = checkpoint or tf.train.latest_checkpoint(model_dir)
    if path is None:
        raise FileNotFoundError(f"no checkpoint found in {model_dir}")
    tf.train.Checkpoint(model=model).restore(path).expect_partial()
    return model


def evaluate_linear(config, encoder):
    """Linear-probe top-1/top-5 of `encoder` on the task's train split → eval split."""
    task = config.task
    train_features, train_labels = evaluation.extract_features(
        encoder, inputs.train_split_input(task)
    )
    test_features, test_labels = evaluation.extract_features(encoder, inputs.eval_input(task.eval_data))
    results = evaluation.linear_probe(
        train_features,
        train_labels,
        test_features,
        test_labels,
        c_grid=task.evaluation.c_grid,
        held_out_fraction=task.evaluation.held_out_fraction,
        max_iter=task.evaluation.max_iter,
        seed=config.runtime.seed,
    )
    return {"protocol": "linear", **results}


def run_experiment(config, model_dir, mode="train_and_eval", strategy=None):
    """Runs `mode` (train | train_and_eval | eval | export) and returns its results.

    Evaluation writes `model_dir/eval_linear.json`; export writes a SavedModel to
    `model_dir/export/`.
    """
    if mode in ("train", "train_and_eval"):
        model, _ = train(config, model_dir, strategy)
        if mode == "train":
            return {"step": int(model.optimizer.iterations.numpy())}
    else:
        model = restore_model(config, model_dir)
    encoder = model.encoder
    if mode == "export":
        export_dir = os.path.join(model_dir, "export")
        export.export_encoder(
            encoder,
            export_dir,
            image_size=config.task.eval_data.image_size,
            classifier=getattr(model, "classifier", None),
        )
        return {"export_dir": export_dir}
    results = evaluate_linear(config, encoder)
    write_json(results, os.path.join(model_dir, "eval_linear.json"))
    print(json.dumps(results, sort_keys=True))
    return results
