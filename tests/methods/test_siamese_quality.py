"""Each default `<method>_embedded` run of BYOL, SimSiam and Barlow Twins must beat a random-init
encoder's linear probe without collapsing. A few minutes per method on two CPU cores: `slow`."""

import pytest

from tests.methods.quality_helpers import train_and_probe
from tfssl import configs
from tfssl import registry_imports  # noqa: F401


@pytest.mark.slow
@pytest.mark.parametrize("method", ["byol", "simsiam", "barlow_twins"])
def test_default_embedded_run_beats_random_init_without_collapse(tmp_path, method):
    config = configs.get_experiment(f"{method}_embedded").validate()
    _, history, trained, baseline = train_and_probe(config, str(tmp_path))
    final_std = history[-1]["embedding_std"]
    print(
        f"{method}: linear top-1 {trained:.3f} vs random init {baseline:.3f}, std {final_std:.4f}"
    )
    assert trained > baseline
    assert final_std > 0.01  # collapse drives it to 0; spread-out unit vectors give ~1/sqrt(D)
