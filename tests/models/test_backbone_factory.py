"""Backbone registry."""

import pytest

from tfssl.models import build_backbone


@pytest.mark.parametrize("type_, dim", [("resnet18", 64), ("resnet50", 256), ("tiny", 8)])
def test_build_backbone_dims(type_, dim):
    model = build_backbone(type_, width_multiplier=0.125 if type_ != "tiny" else 0.5)
    assert model.feature_dim == dim


def test_build_backbone_passes_options():
    model = build_backbone("resnet34", stem="imagenet", width_multiplier=0.125, name="momentum")
    assert model.name == "momentum"
    assert model.get_layer("stem_pool") is not None


def test_unknown_backbone_lists_valid_types():
    with pytest.raises(ValueError, match="resnet18.*tiny"):
        build_backbone("vit")
