"""The default swav_embedded run must improve the linear probe over a random-init encoder.

A full default run takes minutes, so this test is `slow`.
"""

import pytest

from tests.methods.quality_helpers import train_and_probe
from tfssl import configs


@pytest.mark.slow
def test_default_swav_embedded_beats_random_init(tmp_path):
    config = configs.get_experiment("swav_embedded").validate()
    _, _, trained, baseline = train_and_probe(config, str(tmp_path))
    print(f"linear probe top-1: SwAV {trained:.3f}, random init {baseline:.3f}")
    assert trained > baseline
