"""Method registry: a method name → the Keras model class that trains it."""

_METHODS = {}


def register_method(name):
    """Class decorator registering a `SelfSupervisedModel` subclass with a `from_task_config`."""

    def decorator(cls):
        if name in _METHODS:
            raise ValueError(f"method '{name}' is registered twice")
        _METHODS[name] = cls
        return cls

    return decorator


def get_method(name):
    if name not in _METHODS:
        raise KeyError(f"unknown method '{name}' (known: {', '.join(sorted(_METHODS))})")
    return _METHODS[name]


def build_model(task_config):
    """The Keras model of `task_config.method`, built from its config."""
    return get_method(task_config.method).from_task_config(task_config)
