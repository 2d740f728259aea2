"""Backbones (ResNet, tiny) and MLP heads for self-supervised learning."""

from tfssl.models.dino_head import WeightNormDense, dino_head
from tfssl.models.factory import build_backbone
from tfssl.models.heads import mlp, projection_head
from tfssl.models.resnet import resnet, resnet18, resnet34, resnet50
from tfssl.models.tiny import tiny_backbone
from tfssl.models.vit import vit, vit_small, vit_tiny

__all__ = [
    "WeightNormDense",
    "build_backbone",
    "dino_head",
    "mlp",
    "projection_head",
    "resnet",
    "resnet18",
    "resnet34",
    "resnet50",
    "tiny_backbone",
    "vit",
    "vit_small",
    "vit_tiny",
]
