"""The default swav_embedded run must improve the linear probe over a random-init encoder.

A full default run takes minutes, so this test is `slow`.
"""

import pytest

from tfssl import configs, methods
from tfssl.training import evaluate_linear, train


@pytest.mark.slow
def test_default_swav_embedded_beats_random_init(tmp_path):
    config = configs.get_experiment("swav_embedded").validate()
    model, _ = train(config, str(tmp_path))
    trained = evaluate_linear(config, model.encoder)["top1"]
    random_init = methods.build_model(config.task)
    random_init.build_for_views([32, 32])
    baseline = evaluate_linear(config, random_init.encoder)["top1"]
    print(f"linear probe top-1: SwAV {trained:.3f}, random init {baseline:.3f}")
    assert trained > baseline
