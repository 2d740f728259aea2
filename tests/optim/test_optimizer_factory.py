"""Optimizer registry and path-based weight-decay exclusions for Keras' decoupled decay."""

import keras
import numpy as np
import pytest

from tfssl.optim import (
    LARS,
    SGD,
    AdamW,
    WarmupCosine,
    apply_weight_decay_exclusions,
    build_optimizer,
)


def _dense_with_bn():
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, name="fc"),
            keras.layers.BatchNormalization(name="bn"),
        ],
        name="net",
    )
    return {v.path: v for v in model.trainable_variables}


@pytest.mark.parametrize("type_", ["sgd", "adamw"])
def test_decay_skips_bias_and_bn_by_path(type_):
    variables = _dense_with_bn()
    assert set(variables) == {"net/fc/kernel", "net/fc/bias", "net/bn/gamma", "net/bn/beta"}
    for variable in variables.values():
        variable.assign(np.ones(variable.shape, "float32"))
    optimizer = build_optimizer(type_, 0.1, weight_decay=0.5)
    zeros = [np.zeros(v.shape, "float32") for v in variables.values()]
    optimizer.apply_gradients(zip(zeros, variables.values()))
    np.testing.assert_allclose(variables["net/fc/kernel"].numpy(), 0.95)  # 1 - lr * wd
    for path in ("net/fc/bias", "net/bn/gamma", "net/bn/beta"):
        np.testing.assert_array_equal(variables[path].numpy(), 1.0)


def test_apply_weight_decay_exclusions_on_plain_keras_optimizer():
    variables = _dense_with_bn()
    optimizer = keras.optimizers.SGD(0.1, weight_decay=0.5)
    apply_weight_decay_exclusions(optimizer, variables.values())
    optimizer.build(list(variables.values()))
    assert not optimizer._use_weight_decay(variables["net/bn/gamma"])
    assert optimizer._use_weight_decay(variables["net/fc/kernel"])


def test_factory_types_and_options():
    schedule = WarmupCosine(1.0, total_steps=10)
    lars = build_optimizer("lars", schedule, weight_decay=1e-6, nesterov=True)
    assert isinstance(lars, LARS) and lars.nesterov and lars.weight_decay_rate == 1e-6
    assert lars.exclude_from_weight_decay_patterns == lars.exclude_from_layer_adaptation_patterns
    sgd = build_optimizer("sgd", 0.1, momentum=0, nesterov=True)
    assert isinstance(sgd, SGD) and sgd.weight_decay_rate == 0.0 and sgd.momentum == 0
    rebuilt = SGD.from_config(sgd.get_config())
    assert rebuilt.exclude_from_weight_decay_patterns == sgd.exclude_from_weight_decay_patterns
    assert rebuilt.nesterov and rebuilt.exclude_from_layer_adaptation_patterns == ("^",)
    adamw = build_optimizer("adamw", 1e-3, weight_decay=0.05, beta_2=0.95)
    assert isinstance(adamw, AdamW) and adamw.weight_decay == 0.05 and adamw.beta_2 == 0.95
    assert isinstance(build_optimizer("adam", 1e-3), keras.optimizers.Adam)


def test_factory_errors():
    with pytest.raises(ValueError, match="adamw"):
        build_optimizer("adam", 1e-3, weight_decay=0.1)
    with pytest.raises(
        KeyError, match=r"unknown optimizer 'rmsprop'.*known: adam, adamw, lars, sgd"
    ):
        build_optimizer("rmsprop", 1e-3)
    with pytest.raises(TypeError, match="eta"):
        build_optimizer("sgd", 1e-3, eta=0.01)  # an option of another optimizer


def test_config_builds_the_chosen_optimizer_with_its_sub_config():
    from tfssl import configs
    from tfssl.training.optimization import build_optimizer as from_config

    config = configs.OptimizerConfig(type="sgd", weight_decay=1e-4)
    config.sgd.momentum, config.sgd.nesterov = 0.5, True
    config.lars.momentum = 0.1  # not chosen: never read
    sgd = from_config(config, 0.1)
    assert isinstance(sgd, SGD) and (sgd.momentum, sgd.nesterov) == (0.5, True)
    assert sgd.weight_decay_rate == 1e-4


def test_adamw_without_weight_decay_leaves_weights_to_the_gradient():
    optimizer = build_optimizer("adamw", 0.1, weight_decay=0.0)
    variable = keras.Variable([1.0, -2.0])
    optimizer.apply([keras.ops.zeros([2])], [variable])  # zero gradient, zero decay: no change
    np.testing.assert_array_equal(variable.numpy(), [1.0, -2.0])
