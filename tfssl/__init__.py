"""tfssl: self- and semi-supervised visual representation learning in TensorFlow 2 / Keras 3.

`import tfssl` imports neither TensorFlow nor the subpackages, and leaves the environment alone,
so that a program can call `tfssl.configure_host()` before TensorFlow starts. The first use of a
subpackage (`tfssl.configs`, `from tfssl import methods`) imports it, and every registered method
and experiment with it.
"""

import importlib

from tfssl.host_defaults import configure_host

__version__ = "0.1.0"

_SUBPACKAGES = (
    "configs",
    "data",
    "evaluation",
    "losses",
    "methods",
    "models",
    "ops",
    "optim",
    "semi",
)

__all__ = ["configure_host", *_SUBPACKAGES]


def __getattr__(name):
    """Imports subpackage `name` and the registries on first use (PEP 562 module attribute)."""
    if name not in _SUBPACKAGES:
        raise AttributeError(f"module 'tfssl' has no attribute {name!r}")
    module = importlib.import_module(f"tfssl.{name}")
    importlib.import_module("tfssl.registry_imports")
    return module
