"""Each default `<method>_embedded` run of the tile methods must beat the linear probe of the
same encoder at random init by at least 3 points. A few minutes per method on two CPU cores:
`slow`."""

import pytest

from tests.methods.quality_helpers import train_and_probe
from tfssl import configs
from tfssl import registry_imports  # noqa: F401


@pytest.mark.slow
@pytest.mark.parametrize("method", ["jigsaw", "relative_location", "pirl"])
def test_default_embedded_run_beats_random_init_by_three_points(tmp_path, method):
    config = configs.get_experiment(f"{method}_embedded").validate()
    _, history, trained, baseline = train_and_probe(config, str(tmp_path))
    print(f"{method}: linear top-1 {trained:.3f} vs random init {baseline:.3f}; {history[-1]}")
    assert trained >= baseline + 0.03
