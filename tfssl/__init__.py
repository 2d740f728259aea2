"""tfssl: self- and semi-supervised visual representation learning in TensorFlow 2 / Keras 3."""

from tfssl.host_defaults import apply_host_defaults

apply_host_defaults()  # Before the imports below load TensorFlow.

from tfssl import configs, data, evaluation, losses, methods, models, ops, optim  # noqa: E402
from tfssl import registry_imports  # noqa: E402,F401  (registers every method and experiment)

__version__ = "0.1.0"

__all__ = ["configs", "data", "evaluation", "losses", "methods", "models", "ops", "optim"]
