"""Optimizer registry: build an optimizer from its config name."""

import keras

from tfssl.optim.decoupled import AdamW
from tfssl.optim.lars import LARS, SGD
from tfssl.optim.weight_decay import DEFAULT_WEIGHT_DECAY_EXCLUSIONS
from tfssl.registry import Registry

# Config name → builder(learning_rate, weight_decay, exclude_from_weight_decay, **options), the
# options being those of the optimizer's sub-config (`OptimizerConfig.<name>`).
OPTIMIZERS = Registry("optimizer")


@OPTIMIZERS.register("lars")
def _lars(
    learning_rate, weight_decay, exclude_from_weight_decay, momentum=0.9, eta=0.001, nesterov=False
):
    """LARS with coupled (L2) decay; excluded variables skip decay and the trust scaling."""
    return LARS(
        learning_rate,
        momentum=momentum,
        weight_decay=weight_decay,
        eta=eta,
        nesterov=nesterov,
        exclude_from_weight_decay=exclude_from_weight_decay,
    )


@OPTIMIZERS.register("sgd")
def _sgd(learning_rate, weight_decay, exclude_from_weight_decay, momentum=0.9, nesterov=False):
    """SGD with momentum and coupled (L2) decay, skipped for excluded variables."""
    return SGD(
        learning_rate,
        momentum=momentum,
        weight_decay=weight_decay,
        nesterov=nesterov,
        exclude_from_weight_decay=exclude_from_weight_decay,
    )


@OPTIMIZERS.register("adamw")
def _adamw(learning_rate, weight_decay, exclude_from_weight_decay, beta_1=0.9, beta_2=0.999):
    """Keras' decoupled decay (w <- w - lr * weight_decay * w), skipped for excluded variables."""
    return AdamW(
        learning_rate,
        beta_1=beta_1,
        beta_2=beta_2,
        weight_decay=float(weight_decay),  # Keras' AdamW requires a float, 0 included.
        exclude_from_weight_decay=exclude_from_weight_decay,
    )


@OPTIMIZERS.register("adam")
def _adam(learning_rate, weight_decay, exclude_from_weight_decay, beta_1=0.9, beta_2=0.999):
    """Adam without weight decay: a non-zero `weight_decay` is an error (use "adamw")."""
    del exclude_from_weight_decay  # Nothing is decayed.
    if weight_decay:
        raise ValueError("Optimizer 'adam' takes no weight_decay; use 'adamw'.")
    return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2)


def build_optimizer(
    type,
    learning_rate,
    weight_decay=0.0,
    exclude_from_weight_decay=DEFAULT_WEIGHT_DECAY_EXCLUSIONS,
    **options,
):
    """Build the optimizer registered as `type`; `learning_rate` may be a schedule.

    "lars" and "sgd" apply coupled (L2) decay, as the papers' settings mean, and skip it (and
    LARS' trust scaling) for variables whose path matches `exclude_from_weight_decay`. "adamw"
    uses Keras' decoupled decay with the same path exclusions; "adam" has none.

    Args:
      options: the optimizer's own keyword options (lars: momentum, eta, nesterov; sgd:
        momentum, nesterov; adamw and adam: beta_1, beta_2).

    Raises:
      KeyError (also a ValueError): `type` is not registered; the message lists the types.
    """
    return OPTIMIZERS.get(type)(
        learning_rate,
        weight_decay=weight_decay,
        exclude_from_weight_decay=exclude_from_weight_decay,
        **options,
    )
