"""Warm-up + cosine schedule and the batch-size learning-rate scaling rule."""

import math

import keras
import numpy as np
import pytest

from tfssl.optim import WarmupCosine, WarmupStepDecay, scale_learning_rate


def test_warmup_cosine_values():
    schedule = WarmupCosine(2.0, total_steps=110, warmup_steps=10, alpha=0.1)
    value = lambda step: float(schedule(step))  # noqa: E731
    assert value(0) == 0.0
    assert value(5) == pytest.approx(1.0)
    assert value(10) == pytest.approx(2.0)
    assert value(60) == pytest.approx(2.0 * (0.1 + 0.9 * 0.5))
    assert value(110) == pytest.approx(0.2)
    assert value(500) == pytest.approx(0.2)
    decay = np.array([value(step) for step in range(10, 111)])
    assert np.all(np.diff(decay) < 0)


def test_no_warmup_starts_at_base_and_serializes():
    schedule = WarmupCosine(0.3, total_steps=100)
    assert float(schedule(0)) == pytest.approx(0.3)
    clone = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(schedule))
    assert float(clone(50)) == pytest.approx(0.15)


def test_warmup_longer_than_total_raises():
    with pytest.raises(ValueError):
        WarmupCosine(0.1, total_steps=5, warmup_steps=10)


def test_scale_learning_rate():
    assert scale_learning_rate(0.3, 4096, "linear") == pytest.approx(4.8)
    assert scale_learning_rate(0.075, 4096, "sqrt") == pytest.approx(0.075 * math.sqrt(4096))
    assert scale_learning_rate(0.075, 4096, "sqrt") == pytest.approx(4.8)
    assert scale_learning_rate(0.5, 4096, "none") == 0.5
    with pytest.raises(ValueError, match="linear"):
        scale_learning_rate(0.1, 256, "log")


def test_step_decay_after_warmup():
    schedule = WarmupStepDecay(0.4, boundaries=[20, 30], decay_rate=0.1, warmup_steps=10)
    rates = [float(schedule(step)) for step in (0, 5, 10, 19, 20, 29, 30, 1000)]
    np.testing.assert_allclose(rates, [0.0, 0.2, 0.4, 0.4, 0.04, 0.04, 0.004, 0.004], rtol=1e-6)
    with pytest.raises(ValueError, match="increasing boundaries"):
        WarmupStepDecay(0.1, boundaries=[30, 20])


def test_mocov1_imagenet_drops_the_rate_at_epochs_120_and_160():
    from tfssl import configs, registry_imports  # noqa: F401
    from tfssl.training.optimization import build_learning_rate

    config = configs.get_experiment("mocov1_imagenet")
    epoch = 1281167 // 256
    schedule = build_learning_rate(config.task.learning_rate, 256, config.trainer.train_steps)
    rates = [float(schedule(e * epoch)) for e in (0, 119, 120, 160, 199)]
    np.testing.assert_allclose(rates, [0.03, 0.03, 0.003, 0.0003, 0.0003], rtol=1e-5)


@pytest.mark.parametrize("type_", ["cosine", "constant", "step"])
def test_warmup_longer_than_the_run_is_shortened_and_logged(type_, caplog):
    from tfssl.configs import LearningRateConfig
    from tfssl.training.optimization import build_learning_rate

    config = LearningRateConfig(
        type=type_,
        base_learning_rate=0.3,
        scaling="none",
        warmup_steps=40,
        decay_boundaries=[50] if type_ == "step" else [],
    )
    with caplog.at_level("INFO"):
        schedule = build_learning_rate(config, global_batch_size=128, total_steps=3)
    rates = [float(schedule(step)) for step in range(4)]
    # The warm-up now ends at step 3: 0.3 * step / 3, and the peak at the last step.
    np.testing.assert_allclose(rates, [0.0, 0.1, 0.2, 0.3], rtol=1e-6)
    lines = [r.getMessage() for r in caplog.records if "warmup_steps" in r.getMessage()]
    assert lines == [
        (
            "task.learning_rate.warmup_steps=40 is longer than the run (3 steps): warming up "
            "over 3 steps instead"
        )
    ]
    caplog.clear()
    with caplog.at_level("INFO"):
        build_learning_rate(config, global_batch_size=128, total_steps=40)
    assert "warmup_steps" not in caplog.text  # a warm-up that fits is left alone


def test_fixmatch_cosine_ends_at_cos_7pi_16_of_the_peak():
    """FixMatch's lr·cos(7πk/16K): 0.03 at k = 0, 0.03·cos(7π/32) half-way, 0.03·0.195090 at K."""
    from tfssl.optim import WarmupCosineAngle

    schedule = WarmupCosineAngle(0.03, total_steps=100)
    np.testing.assert_allclose(float(schedule(0)), 0.03, rtol=1e-6)
    np.testing.assert_allclose(float(schedule(50)), 0.03 * np.cos(7 * np.pi / 32), rtol=1e-6)
    np.testing.assert_allclose(float(schedule(100)), 0.03 * 0.195090, rtol=1e-5)
    np.testing.assert_allclose(float(schedule(200)), 0.03 * 0.195090, rtol=1e-5)
