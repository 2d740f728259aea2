import numpy as np
import pytest
import tensorflow as tf

from tests.methods.siamese_helpers import tiny_config
from tfssl import registry_imports  # noqa: F401
from tfssl.training.trainer import build_training_model

TOTAL_STEPS = 5


def _model():
    config = tiny_config("byol", task={"base_momentum": 0.9})
    return build_training_model(config, total_steps=TOTAL_STEPS)


def _online_and_target(model):
    """Numpy values of the (online, target) variable pairs the EMA updates."""
    return [(o.numpy().copy(), t.numpy().copy()) for t, o in model.teacher.pairs]


def test_target_starts_as_a_copy_and_is_not_trained():
    model = _model()
    pairs = _online_and_target(model)
    assert pairs and all(np.array_equal(o, t) for o, t in pairs)
    trained = {id(v) for v in model.trainable_variables}
    targets = model.target_encoder.weights + model.target_projector.weights
    assert not any(id(v) in trained for v in targets)
    assert all(not v.trainable for v in targets)


def test_each_step_moves_the_target_by_the_scheduled_momentum():
    """After step k the target equals m_k·old target + (1 − m_k)·new online, m_k the cosine
    schedule at k: τ_base at the first step, 1 at the last."""
    model = _model()
    rng = np.random.default_rng(0)
    views = tuple(rng.uniform(size=(8, 32, 32, 3)).astype(np.float32) for _ in range(2))
    dataset = tf.data.Dataset.from_tensors({"views": views}).repeat()
    assert float(model.teacher.momentum(0, model.total_steps)) == pytest.approx(0.9)
    assert float(model.teacher.momentum(TOTAL_STEPS - 1, model.total_steps)) == 1.0
    for step in range(TOTAL_STEPS):
        old_targets = [t for _, t in _online_and_target(model)]
        model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0)
        m = 0.9 + 0.1 * (1 - np.cos(np.pi * step / (TOTAL_STEPS - 1))) / 2
        for (online, target), old in zip(_online_and_target(model), old_targets):
            np.testing.assert_allclose(target, m * old + (1 - m) * online, rtol=1e-5, atol=1e-6)
    # The online network moved away from its initial copy, so the first steps did mix weights.
    assert any(not np.allclose(o, t) for o, t in _online_and_target(model))


@pytest.mark.parametrize("output_bn", ["none", "plain"])
def test_both_projectors_end_in_the_configured_batch_norm(output_bn):
    """`projector_output_bn` "plain" ends the online and the target projector in a BN without β
    or γ: in training mode each output dimension has mean 0 and variance 1 over the batch."""
    model = build_training_model(
        tiny_config("byol", task={"projector_output_bn": output_bn}), total_steps=TOTAL_STEPS
    )
    features = np.random.default_rng(1).normal(size=(16, model.encoder.output_shape[-1]))
    for projector in (model.projector, model.target_projector):
        z = projector(tf.constant(features, tf.float32), training=True).numpy()
        normalised = np.allclose(z.mean(0), 0.0, atol=1e-5) and np.allclose(
            z.var(0), 1.0, atol=1e-2
        )
        assert normalised is (output_bn == "plain")
        assert not any(w.path.endswith(("gamma", "beta")) for w in projector.layers[-1].weights)


def test_unknown_projector_output_bn_names_the_key():
    from tfssl.configs.base import ConfigError

    with pytest.raises(ConfigError, match=r"task\.projector_output_bn='batch'"):
        tiny_config("byol", task={"projector_output_bn": "batch"}).validate()


def test_a_step_with_output_bn_on_two_replicas_equals_one_device(two_replicas, float64_policy):
    """With synchronised BN (backbone and both projectors' output BN) one step on 2 replicas,
    each on half the global batch, equals one device on all of it: loss, momentum, and every
    online and target weight."""
    from tests.replicas import assert_step_matches_one_device

    config = tiny_config(
        "byol",
        task={"projector_output_bn": "plain", "model": {"backbone": {"sync_bn": True}}},
    )
    rng = np.random.default_rng(2)
    views = tuple(rng.uniform(size=(8, 32, 32, 3)) for _ in range(2))
    assert_step_matches_one_device(config, two_replicas, {"views": views})
