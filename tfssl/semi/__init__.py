"""Semi-supervised learning: the shared functions of the consistency methods (sharpening,
MixUp, VAT's adversarial direction, entropy and consistency terms)."""

from tfssl.losses.classification import confident_pseudo_labels, masked_cross_entropy
from tfssl.semi.consistency import (
    entropy,
    kl_divergence,
    mean_entropy,
    mixup,
    sharpen,
    soft_cross_entropy,
    softmax_mse,
)
from tfssl.semi.vat import random_unit_directions, vat_direction, vat_loss

__all__ = [
    "confident_pseudo_labels",
    "entropy",
    "kl_divergence",
    "masked_cross_entropy",
    "mean_entropy",
    "mixup",
    "random_unit_directions",
    "sharpen",
    "soft_cross_entropy",
    "softmax_mse",
    "vat_direction",
    "vat_loss",
]
