"""Each default `mocov<version>_embedded` run must beat the same encoder at random init by three
points on the linear probe. About three minutes per version on two CPU cores: `slow`."""

import pytest

from tests.methods.quality_helpers import train_and_probe
from tfssl import configs


@pytest.mark.slow
@pytest.mark.parametrize("version", [1, 2])
def test_default_moco_embedded_beats_random_init_by_three_points(tmp_path, version):
    config = configs.get_experiment(f"mocov{version}_embedded").validate()
    _, _, trained, baseline = train_and_probe(config, str(tmp_path))
    print(f"mocov{version}: linear top-1 {trained:.3f} vs random init {baseline:.3f}")
    assert trained >= baseline + 0.03
