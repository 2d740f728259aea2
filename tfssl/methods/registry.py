"""Method registry: a method name → the Keras model class that trains it."""

import keras

_METHODS = {}


def register_method(*names):
    """Class decorator registering a `SelfSupervisedModel` subclass under each of `names`, and
    as a Keras serializable, so that a `.keras` file of the whole model reloads."""

    def decorator(cls):
        for name in names:
            if name in _METHODS:
                raise ValueError(f"method '{name}' is registered twice")
            _METHODS[name] = cls
        return keras.saving.register_keras_serializable(package="tfssl")(cls)

    return decorator


def get_method(name):
    if name not in _METHODS:
        raise KeyError(f"unknown method '{name}' (known: {', '.join(sorted(_METHODS))})")
    return _METHODS[name]


def build_model(task_config):
    """The Keras model of `task_config.method`, built from its config."""
    return get_method(task_config.method).from_task_config(task_config)
