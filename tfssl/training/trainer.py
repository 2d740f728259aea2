"""Runs an experiment: builds strategy, data, model and optimizer from the config, resumes from
the latest checkpoint in `model_dir`, trains with `model.fit`, then evaluates."""

import copy
import json
import os

import keras
import tensorflow as tf
from absl import logging

from tfssl import configs, evaluation, export, methods
from tfssl.configs import write_yaml
from tfssl.files import write_json
from tfssl.training import callbacks as callbacks_lib
from tfssl.data import inputs
from tfssl.training import optimization
from tfssl.training.strategy import (
    build_strategy,
    describe_devices,
    is_chief,
    set_inter_op_threads,
    writable_dir,
)


def strategy_from_config(runtime_config):
    if runtime_config.inter_op_threads:
        set_inter_op_threads(runtime_config.inter_op_threads)
    return build_strategy(
        runtime_config.distribution_strategy, runtime_config.cpu_replicas, runtime_config.tpu
    )


def build_optimizer_for_group(config, group, total_steps):
    """The optimizer of one `OptimizerGroup`: the task's optimizer and learning-rate configs with
    the group's overrides merged in, wrapped for loss scaling under mixed_float16."""
    task = config.task
    learning_rate_config = configs.merge(
        copy.deepcopy(task.learning_rate), group.learning_rate or {}
    )
    optimizer_config = configs.merge(copy.deepcopy(task.optimizer), group.optimizer or {})
    learning_rate = optimization.build_learning_rate(
        learning_rate_config, task.train_data.global_batch_size, total_steps
    )
    optimizer = optimization.build_optimizer(optimizer_config, learning_rate)
    if config.runtime.mixed_precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    optimizer.build(list(group.variables()))
    return optimizer


def _check_loss_scaling(config, model):
    """Loss scaling scales a phase's loss once, by its first group's optimizer: under
    mixed_float16 each phase must therefore have a single optimizer group."""
    if config.runtime.mixed_precision != "mixed_float16":
        return
    for phase in model.update_phases():
        if len(phase.groups) > 1:
            raise configs.ConfigError(
                f"runtime.mixed_precision='mixed_float16' needs one optimizer group per phase; "
                f"phase '{phase.name}' of {config.task.method} has {len(phase.groups)}"
            )


def build_model(config, total_steps):
    """The task's model with every variable created from its own training input's element spec
    (call inside the strategy scope)."""
    model = methods.build_model(config.task)
    model.set_total_steps(total_steps)
    input_fn = model.build_inputs(config.task.train_data, config.runtime.seed)
    model.build_from_spec(input_fn(tf.distribute.InputContext()).element_spec)
    return model


def build_training_model(config, total_steps):
    """Model and optimizers, created in the current strategy scope and fully built so that a
    checkpoint restores every variable (optimizer slots included) eagerly. The main optimizer
    group's optimizer is compiled; every other group's is set with `set_group_optimizers`."""
    model = build_model(config, total_steps)
    _check_loss_scaling(config, model)
    optimizers = {
        group.name: build_optimizer_for_group(config, group, total_steps)
        for group in model.optimizer_groups()
    }
    model.set_group_optimizers({n: o for n, o in optimizers.items() if n != "main"})
    model.compile(
        optimizer=optimizers["main"],
        steps_per_execution=config.trainer.steps_per_loop,
        jit_compile=config.runtime.jit_compile,
    )
    return model


def checkpoint_manager(model, model_dir, max_to_keep=3):
    """Checkpoints of the model and of every optimizer (`optimizer`, the main one, and
    `optimizer_<group>` for each other group), numbered by the training step."""
    extra = {f"optimizer_{name}": o for name, o in model.group_optimizers.items()}
    checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer, **extra)
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
            shuffle=False,  # The input pipeline shuffles; fit cannot reorder a dataset.
        )


def train(config, model_dir, strategy=None, initialize=None):
    """Trains (or resumes) `config` in `model_dir`; returns the model and its logged history.

    `initialize(model)`, when given, runs on a new run's freshly built model (not on a resumed
    one), e.g. to start from a pretrained encoder; without it, a method whose recipe has
    earlier stages runs them first (`model.earlier_stages`, e.g. SimCLRv2's pretraining and
    fine-tuning of its teacher) and starts from what they return.

    Every worker of a cluster is given the same `model_dir`: all read checkpoints from it, only
    the chief writes there (`strategy.writable_dir`).

    Raises:
      NonFiniteLossError: the loss became NaN/Inf; the last good checkpoint is kept.
      TrainingPreempted: SIGTERM arrived; a checkpoint of the step reached was saved.
    """
    config.validate()
    strategy = strategy or strategy_from_config(config.runtime)  # before any op starts TF
    logging.info(describe_devices(strategy))
    keras.utils.set_random_seed(config.runtime.seed)
    keras.mixed_precision.set_global_policy(config.runtime.mixed_precision)
    chief = is_chief(strategy)
    if chief:
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
    latest = tf.train.latest_checkpoint(model_dir)
    with writable_dir(model_dir, strategy) as checkpoint_dir:
        manager = checkpoint_manager(model, checkpoint_dir, config.trainer.max_to_keep)
        if latest:
            manager.checkpoint.restore(latest).assert_existing_objects_matched()
        else:
            initialize = initialize or model.earlier_stages(config, model_dir, strategy)
            if initialize is not None:
                initialize(model)
        with callbacks_lib.preemption_checkpoints(strategy, manager) as on_preemption:
            history = _train_loop(config, model, model_dir, strategy, manager, on_preemption)
    return model, history


def _train_loop(config, model, model_dir, strategy, manager, on_preemption):
    """`model.fit` from the step the model is at to `trainer.train_steps`, with the run's
    callbacks; returns the logged history."""
    data_config, total_steps = config.task.train_data, config.trainer.train_steps
    start_step = int(model.optimizer.iterations.numpy())
    logging.info("training %s from step %d to %d", config.task.method, start_step, total_steps)
    num_examples = inputs.source_size(data_config)
    input_fn = model.build_inputs(data_config, config.runtime.seed)
    if data_config.service_address:
        input_fn = inputs.on_data_service(input_fn, data_config.service_address)
    dataset = strategy.distribute_datasets_from_function(input_fn)
    chief = is_chief(strategy)
    guard = callbacks_lib.StopOnNonFiniteLoss()
    progress = callbacks_lib.ProgressLogger(
        config.trainer.log_interval,
        data_config.global_batch_size,
        total_steps,
        summary_dir=os.path.join(model_dir, "train") if chief else None,
        curve_path=os.path.join(model_dir, "training_curve.png") if chief else None,
    )
    callbacks = [
        guard,
        callbacks_lib.CheckpointEvery(manager, config.trainer.checkpoint_interval),
        progress,
    ]
    if on_preemption is not None:
        callbacks.append(on_preemption)
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
            model,
            dataset,
            start_step,
            total_steps,
            steps_per_epoch(config, num_examples),
            callbacks,
            guard,
        )
    if guard.failed_step is not None:
        raise callbacks_lib.NonFiniteLossError(
            f"loss became {guard.failed_loss} at step {guard.failed_step}; training stopped. The "
            f"last good checkpoint ({tf.train.latest_checkpoint(model_dir) or 'none'}) is kept "
            f"in {model_dir}"
        )
    return progress.history


def restore_model(config, model_dir, checkpoint=None):
    """The trained model of `model_dir`, restored from `checkpoint` or the latest one there."""
    model = build_model(config, config.trainer.train_steps)
    path = checkpoint or tf.train.latest_checkpoint(model_dir)
    if path is None:
        raise FileNotFoundError(f"no checkpoint found in {model_dir}")
    tf.train.Checkpoint(model=model).restore(path).expect_partial()
    return model


def run_experiment(config, model_dir, mode="train_and_eval", strategy=None):
    """Runs `mode` (train | train_and_eval | eval | export) and returns its results.

    Evaluation writes `model_dir/eval_linear.json` (the linear probe of
    `model.evaluation_encoder`) and, for a model with a class head, `eval_classifier.json` (its
    test top-1); export writes a SavedModel to
    `model_dir/export/`.
    """
    if mode in ("train", "train_and_eval"):
        strategy = strategy or strategy_from_config(config.runtime)
        model, _ = train(config, model_dir, strategy)
        if mode == "train" or not is_chief(strategy):  # the chief evaluates and writes results
            return {"step": int(model.optimizer.iterations.numpy())}
    else:
        model = restore_model(config, model_dir)
    if mode == "export":
        export_dir = os.path.join(model_dir, "export")
        export.export_model(model, export_dir, image_size=config.task.eval_data.image_size)
        return {"export_dir": export_dir}
    features = evaluation.split_features(config.task, model.evaluation_encoder)
    results = evaluation.linear_protocol(features, config.task.evaluation, config.runtime.seed)
    write_json(results, os.path.join(model_dir, "eval_linear.json"))
    if export.has_class_head(model):
        classifier = evaluation.classifier_protocol(model.class_logits, features)
        classifier.update(
            evaluation.other_classifier_results(
                model, lambda: inputs.eval_input(config.task.eval_data)
            )
        )
        write_json(classifier, os.path.join(model_dir, "eval_classifier.json"))
        results["classifier_top1"] = classifier["top1"]
    print(json.dumps(results, sort_keys=True))
    return results
