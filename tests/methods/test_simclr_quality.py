"""SimCLR on the embedded dataset must beat the same linear probe on a random-init encoder.

The default run takes about four minutes on two CPU cores, so this test is `slow`; shorter runs
(150 steps) do not yet beat random features, whose probe already reaches about a third.
"""

import pytest

from tests.methods.quality_helpers import train_and_probe
from tfssl import configs


def _probe_gain(tmp_path):
    config = configs.get_experiment("simclr_embedded").validate()
    _, _, trained, baseline = train_and_probe(config, str(tmp_path))
    print(f"linear probe top-1: SimCLR {trained:.3f}, random init {baseline:.3f}")
    return trained, baseline


@pytest.mark.slow
def test_default_simclr_embedded_beats_random_init_by_ten_points(tmp_path):
    trained, baseline = _probe_gain(tmp_path)
    assert trained >= baseline + 0.10
