"""Projection heads and the generic MLP builder."""

import keras
import numpy as np
import pytest

from tfssl.models import mlp, projection_head


def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


@pytest.mark.parametrize("num_layers", [2, 3])
def test_simclr_heads(num_layers):
    head = projection_head(32, hidden_dim=16, output_dim=8, num_layers=num_layers)
    assert head(np.zeros((4, 32), "float32")).shape == (4, 8)
    dense = _layers_of(head, keras.layers.Dense)
    bns = _layers_of(head, keras.layers.BatchNormalization)
    assert [layer.units for layer in dense] == [16] * (num_layers - 1) + [8]
    assert len(bns) == num_layers
    assert not any(layer.use_bias for layer in dense)
    assert all(layer.center and layer.scale for layer in bns[:-1])
    assert bns[-1].center and not bns[-1].scale


def test_head_without_bn_uses_biases():
    head = projection_head(32, hidden_dim=16, output_dim=8, use_bn=False)
    assert not _layers_of(head, keras.layers.BatchNormalization)
    assert all(layer.use_bias for layer in _layers_of(head, keras.layers.Dense))


def test_mlp_predictor_and_plain_output_bn():
    predictor = mlp(8, [4], 8, name="predictor")  # BYOL/SimSiam predictor: biased last Dense.
    assert [layer.name for layer in predictor.layers] == ["dense1", "bn1", "act1", "dense2"]
    assert predictor.layers[-1].use_bias
    assert "predictor/dense2/bias" in {v.path for v in predictor.weights}
    projector = mlp(8, [4, 4], 8, output_bn="plain")
    last_bn = projector.layers[-1]
    assert not last_bn.center and not last_bn.scale
    assert projector(np.ones((2, 8), "float32")).shape == (2, 8)


def test_invalid_options_raise():
    with pytest.raises(ValueError, match="output_bn"):
        mlp(8, [4], 8, output_bn="layer")
    with pytest.raises(ValueError, match="num_layers"):
        projection_head(8, num_layers=0)
