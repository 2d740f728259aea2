"""One module per method: its Keras model and `train_step`, on the contract of `base`."""

from tfssl.methods.barlow_twins import BarlowTwins
from tfssl.methods.base import (
    OptimizerGroup,
    SelfSupervisedModel,
    UpdatePhase,
    forward_views,
    project_views,
)
from tfssl.methods.byol import BYOL
from tfssl.methods.deepcluster import DeepCluster
from tfssl.methods.deepercluster import DeeperCluster
from tfssl.methods.dino import DINO
from tfssl.methods.moco import MoCo
from tfssl.methods.registry import build_model, get_method, register_method
from tfssl.methods.rotnet import RotNet
from tfssl.methods.sela import SeLa
from tfssl.methods.simclr import SimCLR
from tfssl.methods.simsiam import SimSiam
from tfssl.methods.swav import SwAV

__all__ = [
    "BYOL",
    "BarlowTwins",
    "DINO",
    "DeepCluster",
    "DeeperCluster",
    "MoCo",
    "OptimizerGroup",
    "RotNet",
    "SeLa",
    "SelfSupervisedModel",
    "SimCLR",
    "SimSiam",
    "SwAV",
    "UpdatePhase",
    "build_model",
    "forward_views",
    "get_method",
    "project_views",
    "register_method",
]
