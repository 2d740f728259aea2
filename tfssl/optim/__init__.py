"""Optimizers (LARS, momentum SGD, AdamW; path-based decay exclusions) and learning-rate
schedules."""

from tfssl.optim.decoupled import AdamW
from tfssl.optim.factory import build_optimizer
from tfssl.optim.lars import LARS, SGD
from tfssl.optim.schedules import (
    WarmupCosine,
    WarmupCosineAngle,
    WarmupStepDecay,
    scale_learning_rate,
)
from tfssl.optim.weight_decay import (
    DEFAULT_WEIGHT_DECAY_EXCLUSIONS,
    apply_weight_decay_exclusions,
    matches_any,
)

__all__ = [
    "DEFAULT_WEIGHT_DECAY_EXCLUSIONS",
    "LARS",
    "AdamW",
    "SGD",
    "WarmupCosine",
    "WarmupCosineAngle",
    "WarmupStepDecay",
    "apply_weight_decay_exclusions",
    "build_optimizer",
    "matches_any",
    "scale_learning_rate",
]
