import numpy as np
import pytest
import tensorflow as tf

from tests.methods.siamese_helpers import tiny_config
from tfssl import registry_imports  # noqa: F401
from tfssl.training.trainer import build_training_model

LR = 0.4
TOTAL_STEPS = 4


def _model(fixed_predictor_lr):
    config = tiny_config(
        "simsiam",
        task={
            "fixed_predictor_lr": fixed_predictor_lr,
            "optimizer": {"type": "sgd", "weight_decay": 0.0, "sgd": {"momentum": 0.0}},
            "learning_rate": {"type": "cosine", "base_learning_rate": LR, "scaling": "none"},
        },
    )
    return build_training_model(config, total_steps=TOTAL_STEPS)


def _views():
    rng = np.random.default_rng(0)
    return tuple(tf.constant(rng.uniform(size=(8, 32, 32, 3)), tf.float32) for _ in range(2))


@pytest.mark.parametrize("fixed", [True, False])
def test_predictor_learning_rate_stays_at_its_peak(fixed):
    """Plain SGD at step 2 of a 4-step cosine (lr = LR/2): the encoder and projector move by
    −(LR/2)·g, the predictor by −LR·g with the option and −(LR/2)·g without it."""
    model = _model(fixed)
    model.optimizer.iterations.assign(2)
    views = _views()
    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        loss, _ = model.compute_pretext_loss(list(views), training=True)
    gradients = tape.gradient(loss, variables)
    before = [v.numpy().copy() for v in variables]
    dataset = tf.data.Dataset.from_tensors({"views": views}).repeat()
    model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0)

    current_lr = LR * 0.5 * (1 + np.cos(np.pi * 2 / TOTAL_STEPS))
    predictor = {id(v) for v in model.predictor.trainable_variables}
    assert predictor
    for variable, gradient, old in zip(variables, gradients, before):
        lr = LR if fixed and id(variable) in predictor else current_lr
        expected = -lr * gradient.numpy()
        # Graph and eager kernels sum in different orders: tolerance relative to the update's size.
        tolerance = 1e-3 * np.abs(expected).max() + 1e-7
        np.testing.assert_allclose(variable.numpy() - old, expected, rtol=0, atol=tolerance)


def test_fixed_predictor_lr_is_an_optimizer_group_of_its_own():
    """With any optimizer the predictor gets its own, at the schedule's peak rate throughout."""
    config = tiny_config(
        "simsiam",
        task={
            "fixed_predictor_lr": True,
            "optimizer": {"type": "adamw", "weight_decay": 1e-4},
            "learning_rate": {"type": "cosine", "base_learning_rate": LR, "scaling": "none"},
        },
    )
    model = build_training_model(config, total_steps=TOTAL_STEPS)
    predictor_optimizer = model.group_optimizers["predictor"]
    assert predictor_optimizer is not model.optimizer
    model.optimizer.iterations.assign(2)
    predictor_optimizer.iterations.assign(2)
    assert float(predictor_optimizer.learning_rate) == pytest.approx(LR)
    assert float(model.optimizer.learning_rate) == pytest.approx(LR / 2)
    grouped = {id(v) for v in model.predictor.trainable_variables}
    main = [v for v in model.trainable_variables if id(v) not in grouped]
    assert len(main) + len(grouped) == len(model.trainable_variables)
