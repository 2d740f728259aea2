"""LARS: SGD with momentum whose per-layer step is scaled by a trust ratio (You et al., 2017)."""

import keras
from keras import ops

from tfssl.optim.weight_decay import matches_any


@keras.saving.register_keras_serializable(package="tfssl")
class LARS(keras.optimizers.Optimizer):
    """Layer-wise Adaptive Rate Scaling, the large-batch optimizer of SimCLR/BYOL.

    Per variable w with gradient g: g <- g + weight_decay * w unless w's path matches
    `exclude_from_weight_decay`; trust = eta * |w| / |g| when both norms are > 0 and w is not in
    `exclude_from_layer_adaptation` (defaults to the weight-decay exclusions), else 1;
    v <- momentum * v + lr * trust * g; w <- w - v, or with Nesterov
    w <- w - (momentum * v + lr * trust * g). Patterns are regexes searched in `variable.path`.
    The decay is ours (coupled, L2-style); Keras' decoupled decay is disabled.
    """

    def __init__(
        self,
        learning_rate,
        momentum=0.9,
        weight_decay=0.0,
        eta=0.001,
        nesterov=False,
        exclude_from_weight_decay=None,
        exclude_from_layer_adaptation=None,
        name="lars",
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, weight_decay=None, name=name, **kwargs)
        self.momentum = momentum
        self.weight_decay_rate = weight_decay
        self.eta = eta
        self.nesterov = nesterov
        self.exclude_from_weight_decay_patterns = tuple(exclude_from_weight_decay or ())
        if exclude_from_layer_adaptation is None:
            exclude_from_layer_adaptation = self.exclude_from_weight_decay_patterns
        self.exclude_from_layer_adaptation_patterns = tuple(exclude_from_layer_adaptation)

    def build(self, variables):
        """Create one momentum slot per variable and resolve its decay/adaptation flags by path.

        Flags are fixed here because `update_step` may receive backend variables without `.path`.
        """
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")
        self._use_decay = [
            self.weight_decay_rate > 0
            and not matches_any(variable, self.exclude_from_weight_decay_patterns)
            for variable in variables
        ]
        self._use_adaptation = [
            not matches_any(variable, self.exclude_from_layer_adaptation_patterns)
            for variable in variables
        ]

    def update_step(self, gradient, variable, learning_rate):
        """Apply one LARS update (see the class docstring) to `variable`."""
        index = self._get_variable_index(variable)
        dtype = variable.dtype
        learning_rate = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        if self._use_decay[index]:
            gradient = gradient + ops.cast(self.weight_decay_rate, dtype) * variable
        if self._use_adaptation[index]:
            w_norm = ops.sqrt(ops.sum(ops.square(variable)))
            g_norm = ops.sqrt(ops.sum(ops.square(gradient)))
            trust = ops.where(
                ops.logical_and(w_norm > 0, g_norm > 0),
                ops.cast(self.eta, dtype) * ops.divide_no_nan(w_norm, g_norm),
                ops.ones_like(w_norm),
            )
            learning_rate = learning_rate * trust
        scaled_gradient = learning_rate * gradient
        momentum = ops.cast(self.momentum, dtype)
        velocity = self.momentums[index]
        new_velocity = momentum * velocity + scaled_gradient
        self.assign(velocity, new_velocity)
        if self.nesterov:
            self.assign_sub(variable, momentum * new_velocity + scaled_gradient)
        else:
            self.assign_sub(variable, new_velocity)

    def get_config(self):
        """Config that round-trips through `from_config`; `weight_decay` is LARS's coupled decay."""
        config = super().get_config()
        config.update(
            {
                "momentum": self.momentum,
                "weight_decay": self.weight_decay_rate,
                "eta": self.eta,
                "nesterov": self.nesterov,
                "exclude_from_weight_decay": list(self.exclude_from_weight_decay_patterns),
                "exclude_from_layer_adaptation": list(self.exclude_from_layer_adaptation_patterns),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="tfssl")
class SGD(LARS):
    """Momentum SGD with coupled (L2) weight decay: g <- g + weight_decay * w, then the momentum
    step, as torch.optim.SGD and Caffe do and as the MoCo, SimSiam, DeepCluster, SeLa and RotNet
    papers' weight-decay values mean. It is LARS with the trust ratio switched off.

    Keras' own SGD decays decoupled (w <- w - lr * weight_decay * w); with momentum 0.9 the
    coupled decay accumulates in the velocity and shrinks weights 1 / (1 - 0.9) = 10x faster, so
    the papers' values given to Keras' SGD regularise ten times less than the papers did.
    """

    def __init__(
        self,
        learning_rate,
        momentum=0.9,
        weight_decay=0.0,
        nesterov=False,
        exclude_from_weight_decay=None,
        name="sgd",
        **kwargs,
    ):
        # LARS' config keys, present when rebuilt from `get_config`; fixed for plain SGD.
        kwargs.pop("eta", None)
        kwargs.pop("exclude_from_layer_adaptation", None)
        super().__init__(
            learning_rate,
            momentum=momentum,
            weight_decay=weight_decay,
            nesterov=nesterov,
            exclude_from_weight_decay=exclude_from_weight_decay,
            exclude_from_layer_adaptation=(r"^",),  # every path: trust ratio 1
            name=name,
            **kwargs,
        )
