"""Pure loss functions of tensors; each obeys the replica rule of the public contract."""

from tfssl.losses.contrastive import nt_xent, nt_xent_with_accuracy

__all__ = ["nt_xent", "nt_xent_with_accuracy"]
