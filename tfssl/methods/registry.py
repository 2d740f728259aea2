"""Method registry: a method name → the Keras model class that trains it."""

import keras

from tfssl.registry import Registry

METHODS = Registry("method")


def register_method(*names):
    """Class decorator registering a `SelfSupervisedModel` subclass under each of `names`, and
    as a Keras serializable, so that a `.keras` file of the whole model reloads."""

    def decorator(cls):
        for name in names:
            METHODS.register(name)(cls)
        return keras.saving.register_keras_serializable(package="tfssl")(cls)

    return decorator


def get_method(name):
    return METHODS.get(name)


def build_model(task_config):
    """The Keras model of `task_config.method`, built from its config."""
    return get_method(task_config.method).from_task_config(task_config)
