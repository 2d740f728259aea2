"""The tiny test backbone follows the ResNet input/output convention."""

import keras
import numpy as np

from tfssl.models import tiny_backbone


def test_tiny_backbone_shapes_and_sync_bn():
    model = tiny_backbone(width=4, sync_bn=True)
    images = np.zeros((3, 16, 20, 3), "float32")
    assert model(images).shape == (3, 8)
    assert model.feature_dim == 8
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bns) == 3 and all(layer.synchronized for layer in bns)
