"""Optimizer registry: build an optimizer from its config name."""

import keras

from tfssl.optim.decoupled import AdamW
from tfssl.optim.lars import LARS, SGD
from tfssl.optim.weight_decay import DEFAULT_WEIGHT_DECAY_EXCLUSIONS

OPTIMIZERS = ("lars", "sgd", "adamw", "adam")


def build_optimizer(
    type,
    learning_rate,
    weight_decay=0.0,
    momentum=0.9,
    nesterov=False,
    eta=0.001,
    beta_1=0.9,
    beta_2=0.999,
    exclude_from_weight_decay=DEFAULT_WEIGHT_DECAY_EXCLUSIONS,
):
    """Build optimizer `type` ("lars", "sgd", "adamw", "adam"); `learning_rate` may be a schedule.

    "lars" and "sgd" apply coupled (L2) decay, as the papers' settings mean, and skip it (and
    LARS' trust scaling) for variables whose path matches `exclude_from_weight_decay`. "adamw"
    uses Keras' decoupled decay (w <- w - lr * weight_decay * w) with the same path exclusions.
    "adam" has no weight decay; a non-zero `weight_decay` with it is an error (use "adamw").
    """
    if type == "lars":
        return LARS(
            learning_rate,
            momentum=momentum,
            weight_decay=weight_decay,
            eta=eta,
            nesterov=nesterov,
            exclude_from_weight_decay=exclude_from_weight_decay,
        )
    if type == "sgd":
        return SGD(
            learning_rate,
            momentum=momentum,
            weight_decay=weight_decay,
            nesterov=nesterov,
            exclude_from_weight_decay=exclude_from_weight_decay,
        )
    if type == "adamw":
        return AdamW(
            learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            weight_decay=float(weight_decay),  # Keras' AdamW requires a float, 0 included.
            exclude_from_weight_decay=exclude_from_weight_decay,
        )
    if type == "adam":
        if weight_decay:
            raise ValueError("Optimizer 'adam' takes no weight_decay; use 'adamw'.")
        return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2)
    raise ValueError(f"Unknown optimizer type {type!r}; valid types: {list(OPTIMIZERS)}.")
