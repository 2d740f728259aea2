"""The default `dino_embedded` run must beat a random-init encoder's linear probe without
collapsing (embedding spread above 0, teacher entropy away from both 0 and log K). Several
minutes on two CPU cores: `slow`."""

import numpy as np
import pytest

from tests.methods.quality_helpers import train_and_probe
from tfssl import configs
from tfssl import registry_imports  # noqa: F401


@pytest.mark.slow
def test_default_dino_embedded_beats_random_init_without_collapse(tmp_path):
    config = configs.get_experiment("dino_embedded").validate()
    _, history, trained, baseline = train_and_probe(config, str(tmp_path))
    final = history[-1]
    print(
        f"dino: linear top-1 {trained:.3f} vs random init {baseline:.3f}, "
        f"std {final['embedding_std']:.4f}, teacher entropy {final['teacher_entropy']:.3f}"
    )
    assert trained > baseline
    assert final["embedding_std"] > 0.01
    assert 0.1 < final["teacher_entropy"] < np.log(config.task.head.output_dim) - 0.1
