"""Pure loss functions of tensors; each obeys the replica rule of the public contract."""

from tfssl.losses.classification import fixmatch, pseudo_label_cross_entropy
from tfssl.losses.contrastive import nt_xent, nt_xent_with_accuracy
from tfssl.losses.dino import dino, dino_center
from tfssl.losses.iic import iic
from tfssl.losses.moco import info_nce, info_nce_with_accuracy
from tfssl.losses.redundancy import barlow_twins
from tfssl.losses.regression import byol_regression, negative_cosine
from tfssl.losses.supcon import supcon
from tfssl.losses.swav import swav

__all__ = [
    "barlow_twins",
    "byol_regression",
    "dino",
    "dino_center",
    "fixmatch",
    "iic",
    "info_nce",
    "info_nce_with_accuracy",
    "negative_cosine",
    "nt_xent",
    "nt_xent_with_accuracy",
    "pseudo_label_cross_entropy",
    "supcon",
    "swav",
]
