"""Experiment and task-config registries: an experiment name → a factory returning a fresh
default `ExperimentConfig`; a method name → its `TaskConfig` subclass."""

import os

from absl import logging

from tfssl.configs import base, overrides
from tfssl.registry import Registry

EXPERIMENTS = Registry("experiment")
TASKS = Registry("task config")


def register_experiment(name):
    """Decorator registering `factory()` (no arguments, returns an ExperimentConfig) as `name`."""
    return EXPERIMENTS.register(name)


def list_experiments():
    return EXPERIMENTS.names()


def get_experiment(name):
    """A fresh default config of experiment `name`; an unknown name suggests the nearest one."""
    return EXPERIMENTS.get(name)()


def register_task(method):
    """Class decorator registering a method's `TaskConfig` subclass, so that a saved
    params.yaml or an official YAML file can be read back into the right dataclass."""
    return TASKS.register(method)


def default_config(method):
    """An `ExperimentConfig` holding the defaults of `method`'s TaskConfig, with `method` set:
    what YAML files are read over."""
    config = base.ExperimentConfig(task=TASKS.get(method)())
    config.task.method = method
    return config


def build_config(experiment, config_files=(), params_override=""):
    """Defaults of `experiment`, then each YAML file in order, then `params_override`; validated."""
    config = get_experiment(experiment)
    return _apply(config, config_files, params_override)


# Keys that params.yaml files of earlier versions hold and this one no longer has: a model_dir
# trained before still loads (the key is ignored with a warning); config files still reject them.
RETIRED_KEYS = (
    "runtime.conv_gradients",  # the forward conv-gradient mode is gone; TF's kernels are used
    "task.num_examples",  # the dataset size comes from the source
    "task.hard_assignment",  # SwAV's hard codes were removed
    *(
        f"task.eval_data.{key}"  # training-only fields no longer under eval_data
        for key in ("augmentation", "views", "cache", "deterministic", "jit_augment")
    ),
    "task.eval_data.shuffle_buffer",
    "task.eval_data.threadpool_size",
)


def _drop_retired_keys(saved, path):
    """Removes `RETIRED_KEYS` from a loaded params.yaml dict, logging each one found."""
    for dotted in RETIRED_KEYS:
        *parents, key = dotted.split(".")
        node = saved
        for parent in parents:
            node = node.get(parent) if isinstance(node, dict) else None
        if isinstance(node, dict) and key in node:
            del node[key]
            logging.warning("%s: ignoring '%s', a setting this version no longer has", path, dotted)
    return saved


def load_model_dir_config(model_dir, config_files=(), params_override=""):
    """The config a model_dir was trained with (its params.yaml), with further overrides; keys
    of earlier versions (`RETIRED_KEYS`) are ignored with a warning."""
    path = os.path.join(model_dir, "params.yaml")
    saved = _drop_retired_keys(overrides.load_yaml_file(path), path)
    method = saved.get("task", {}).get("method")
    if method not in TASKS:
        raise KeyError(f"{path} names method '{method}'; known: {', '.join(TASKS.names())}")
    return _apply(overrides.merge(default_config(method), saved), config_files, params_override)


def _apply(config, config_files, params_override):
    """`config` after each YAML file in order, then `params_override`; validated."""
    for path in config_files:
        overrides.merge(config, overrides.load_yaml_file(path))
    overrides.merge(config, overrides.parse_params_override(params_override))
    return config.validate()
