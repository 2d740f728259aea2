"""One module per method: its Keras model and `train_step`."""

from tfssl.methods.base import SelfSupervisedModel, forward_views
from tfssl.methods.registry import build_model, get_method, register_method
from tfssl.methods.simclr import SimCLR

__all__ = ["SelfSupervisedModel", "SimCLR", "build_model", "forward_views", "get_method", "register_method"]
