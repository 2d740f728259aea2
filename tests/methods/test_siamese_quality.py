"""Each default `<method>_embedded` run of BYOL, SimSiam and Barlow Twins must beat a random-init
encoder's linear probe without collapsing. A few minutes per method on two CPU cores (BYOL's
2400-step default about half an hour): `slow`."""

import pytest

from tfssl import configs, methods
from tfssl import registry_imports  # noqa: F401
from tfssl.training import evaluate_linear, train


@pytest.mark.slow
@pytest.mark.parametrize("method", ["byol", "simsiam", "barlow_twins"])
def test_default_embedded_run_beats_random_init_without_collapse(tmp_path, method):
    config = configs.get_experiment(f"{method}_embedded").validate()
    model, history = train(config, str(tmp_path))
    trained = evaluate_linear(config, model.encoder)["top1"]
    random_init = methods.build_model(config.task)
    random_init.build_for_views([32, 32])
    baseline = evaluate_linear(config, random_init.encoder)["top1"]
    final_std = history[-1]["embedding_std"]
    print(f"{method}: linear top-1 {trained:.3f} vs random init {baseline:.3f}, std {final_std:.4f}")
    assert trained > baseline
    assert final_std > 0.01  # collapse drives it to 0; spread-out unit vectors give ~1/sqrt(D)
