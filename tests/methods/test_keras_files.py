"""Every method's whole model saves to a `.keras` file that reloads with the same weights: the
same encoder features and the same loss on a batch."""

import keras
import numpy as np
import pytest

from tests.test_cli import TINY
from tests.test_cli_methods import METHODS, ORDER
from tfssl import configs
from tfssl.training.trainer import build_model


@pytest.mark.parametrize("method", ORDER)
def test_keras_file_reloads_every_method(method, tmp_path):
    keras.utils.set_random_seed(0)
    config = configs.build_config(f"{method}_embedded", params_override=TINY + METHODS[method][0])
    model = build_model(config, total_steps=2)
    path = str(tmp_path / f"{method}.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert type(reloaded) is type(model)
    images = np.random.default_rng(1).uniform(size=(4, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(reloaded(images), model(images), atol=1e-6)
    assert len(reloaded.weights) == len(model.weights)
    for saved, loaded in zip(model.weights, reloaded.weights):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(loaded), keras.ops.convert_to_numpy(saved)
        )
