"""LARS and momentum SGD against NumPy references of their update rules, path exclusions, config
and replicas."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfssl.optim import DEFAULT_WEIGHT_DECAY_EXCLUSIONS, LARS, SGD

LR, MOMENTUM, WEIGHT_DECAY, ETA = 0.5, 0.9, 1e-4, 0.001


def _reference_lars(weights, grads_per_step, decay, adapt, nesterov):
    """NumPy LARS: `decay`/`adapt` say per variable whether decay/trust scaling apply."""
    weights = [w.astype(np.float64) for w in weights]
    velocities = [np.zeros_like(w) for w in weights]
    for grads in grads_per_step:
        for i, (w, g) in enumerate(zip(weights, grads)):
            g = g + WEIGHT_DECAY * w if decay[i] else g
            w_norm, g_norm = np.linalg.norm(w), np.linalg.norm(g)
            trust = ETA * w_norm / g_norm if adapt[i] and w_norm > 0 and g_norm > 0 else 1.0
            velocities[i] = MOMENTUM * velocities[i] + LR * trust * g
            step = MOMENTUM * velocities[i] + LR * trust * g if nesterov else velocities[i]
            weights[i] = w - step
    return weights


def _problem(seed=0, steps=3):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(4,)).astype("float32")]
    grads = [[rng.normal(size=w.shape).astype("float32") for w in weights] for _ in range(steps)]
    return weights, grads


@pytest.mark.parametrize("nesterov", [False, True])
def test_matches_numpy_reference(nesterov):
    weights, grads = _problem()
    variables = [keras.Variable(weights[0], name="kernel"), keras.Variable(weights[1], name="bias")]
    optimizer = LARS(
        LR,
        momentum=MOMENTUM,
        weight_decay=WEIGHT_DECAY,
        eta=ETA,
        nesterov=nesterov,
        exclude_from_weight_decay=DEFAULT_WEIGHT_DECAY_EXCLUSIONS,
    )
    for step_grads in grads:
        optimizer.apply_gradients(zip(step_grads, variables))
    expected = _reference_lars(weights, grads, [True, False], [True, False], nesterov)
    for variable, want, start in zip(variables, expected, weights):
        assert not np.allclose(variable.numpy(), start)
        np.testing.assert_allclose(variable.numpy(), want, rtol=1e-5, atol=1e-6)


def _reference_torch_sgd(weights, grads_per_step, decay, lr, weight_decay, nesterov):
    """torch.optim.SGD's rule at a constant rate: d = g + wd·w (coupled), b ← μ·b + d,
    w ← w − lr·b (Nesterov: w ← w − lr·(d + μ·b))."""
    weights = [w.astype(np.float64) for w in weights]
    buffers = [np.zeros_like(w) for w in weights]
    for grads in grads_per_step:
        for i, (w, g) in enumerate(zip(weights, grads)):
            d = g + weight_decay * w if decay[i] else g
            buffers[i] = MOMENTUM * buffers[i] + d
            weights[i] = w - lr * (d + MOMENTUM * buffers[i] if nesterov else buffers[i])
    return weights


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_decays_coupled_like_the_papers(nesterov):
    weights, grads = _problem(steps=5)
    variables = [keras.Variable(weights[0], name="kernel"), keras.Variable(weights[1], name="bias")]
    optimizer = SGD(
        0.1,
        momentum=MOMENTUM,
        weight_decay=0.05,
        nesterov=nesterov,
        exclude_from_weight_decay=DEFAULT_WEIGHT_DECAY_EXCLUSIONS,
    )
    for step_grads in grads:
        optimizer.apply_gradients(zip(step_grads, variables))
    expected = _reference_torch_sgd(weights, grads, [True, False], 0.1, 0.05, nesterov)
    for variable, want in zip(variables, expected):
        np.testing.assert_allclose(variable.numpy(), want, rtol=1e-5, atol=1e-6)


def test_sgd_decay_accumulates_in_the_velocity():
    """With no loss gradient, coupled decay at momentum 0.9 ends up shrinking weights by
    lr·wd / (1 − 0.9) per step: ten times Keras' decoupled lr·wd."""
    variable = keras.Variable(np.ones(4, "float32"), name="kernel")
    optimizer = SGD(0.1, momentum=MOMENTUM, weight_decay=1e-3)
    for _ in range(200):
        before = variable.numpy()
        optimizer.apply_gradients([(np.zeros(4, "float32"), variable)])
    shrink = 1.0 - variable.numpy() / before
    np.testing.assert_allclose(shrink, 0.1 * 1e-3 / (1.0 - MOMENTUM), rtol=0.01)


def test_exclusions_match_layer_paths():
    dense = keras.layers.Dense(2, name="proj")
    dense.build((None, 3))
    optimizer = LARS(
        0.1,
        weight_decay=1e-4,
        exclude_from_weight_decay=[r"(^|/)bias$"],
        exclude_from_layer_adaptation=[],
    )
    optimizer.build(dense.trainable_variables)
    assert [v.path for v in dense.trainable_variables] == ["proj/kernel", "proj/bias"]
    assert optimizer._use_decay == [True, False]
    assert optimizer._use_adaptation == [True, True]


def test_zero_weights_use_unit_trust():
    variable = keras.Variable(np.zeros(3, "float32"), name="kernel")
    LARS(0.1, momentum=0.0).apply_gradients([(np.ones(3, "float32"), variable)])
    np.testing.assert_allclose(variable.numpy(), -0.1 * np.ones(3))


def test_config_round_trip():
    optimizer = LARS(0.2, weight_decay=1e-6, nesterov=True, exclude_from_weight_decay=["bias"])
    config = optimizer.get_config()
    assert config["weight_decay"] == 1e-6
    clone = LARS.from_config(config)
    assert clone.weight_decay is None  # Keras' decoupled decay stays off.
    assert clone.weight_decay_rate == 1e-6 and clone.nesterov
    assert clone.exclude_from_layer_adaptation_patterns == ("bias",)


def test_replicas_apply_the_sum_of_their_gradients(two_replicas):
    weights, grads = _problem(seed=1, steps=2)  # grads[r] = the gradients of replica r.
    kwargs = dict(
        weight_decay=WEIGHT_DECAY, exclude_from_weight_decay=DEFAULT_WEIGHT_DECAY_EXCLUSIONS
    )

    with two_replicas.scope():
        variables = [
            keras.Variable(weights[0], name="kernel"),
            keras.Variable(weights[1], name="bias"),
        ]
        optimizer = LARS(LR, **kwargs)
        optimizer.build(variables)
    per_replica = [
        two_replicas.experimental_distribute_values_from_function(
            lambda context, i=i: tf.constant(grads[context.replica_id_in_sync_group][i])
        )
        for i in range(2)
    ]

    @tf.function
    def distributed_step():
        two_replicas.run(lambda *g: optimizer.apply_gradients(zip(g, variables)), args=per_replica)

    distributed_step()

    single = [keras.Variable(w, name=n) for w, n in zip(weights, ["kernel", "bias"])]
    LARS(LR, **kwargs).apply_gradients(zip([g0 + g1 for g0, g1 in zip(*grads)], single))
    for variable, want in zip(variables, single):
        np.testing.assert_allclose(variable.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
