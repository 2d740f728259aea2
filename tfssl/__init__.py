"""tfssl: self- and semi-supervised visual representation learning in TensorFlow 2 / Keras 3."""

from tfssl import configs, data, evaluation, losses, methods, models, ops, optim
from tfssl import registry_imports  # noqa: F401  (registers every method and experiment)

__version__ = "0.1.0"

__all__ = ["configs", "data", "evaluation", "losses", "methods", "models", "ops", "optim"]
