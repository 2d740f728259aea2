"""Experiment registry: a name → a factory returning a fresh default `ExperimentConfig`."""

import difflib
import os

from tfssl.configs import base, overrides

_EXPERIMENTS = {}
_TASK_CONFIGS = {}


def register_experiment(name):
    """Decorator registering `factory()` (no arguments, returns an ExperimentConfig) as `name`."""

    def decorator(factory):
        if name in _EXPERIMENTS:
            raise ValueError(f"experiment '{name}' is registered twice")
        _EXPERIMENTS[name] = factory
        return factory

    return decorator


def list_experiments():
    return sorted(_EXPERIMENTS)


def get_experiment(name):
    """A fresh default config of experiment `name`; an unknown name suggests the nearest one."""
    if name not in _EXPERIMENTS:
        nearest = difflib.get_close_matches(name, list(_EXPERIMENTS), n=1, cutoff=0.0)
        hint = f"; did you mean '{nearest[0]}'?" if nearest else ""
        raise KeyError(f"unknown experiment '{name}'{hint} (known: {', '.join(list_experiments())})")
    return _EXPERIMENTS[name]()


def build_config(experiment, config_files=(), params_override=""):
    """Defaults of `experiment`, then each YAML file in order, then `params_override`; validated."""
    config = get_experiment(experiment)
    for path in config_files:
        overrides.merge(config, overrides.load_yaml_file(path))
    overrides.merge(config, overrides.parse_params_override(params_override))
    return config.validate()



def register_task(method):
    """Class decorator registering a method's `TaskConfig` subclass, so that a saved
    params.yaml can be read back into the right dataclass."""

    def decorator(cls):
        _TASK_CONFIGS[method] = cls
        return cls

    return decorator


def load_model_dir_config(model_dir, config_files=(), params_override=""):
    """The config a model_dir was trained with (its params.yaml), with further overrides."""
    path = os.path.join(model_dir, "params.yaml")
    saved = overrides.load_yaml_file(path)
    method = saved.get("task", {}).get("method")
    if method not in _TASK_CONFIGS:
        raise KeyError(f"{path} names method '{method}'; known: {', '.join(sorted(_TASK_CONFIGS))}")
    config = base.ExperimentConfig(task=_TASK_CONFIGS[method]())
    overrides.merge(config, saved)
    for file in config_files:
        overrides.merge(config, overrides.load_yaml_file(file))
    overrides.merge(config, overrides.parse_params_override(params_override))
    return config.validate()
