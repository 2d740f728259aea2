"""Backbone registry: build a backbone from its config name."""

import functools

from tfssl.models.layers import scaled_width
from tfssl.models.resnet import resnet
from tfssl.models.tiny import tiny_backbone


def _tiny(stem, width_multiplier, zero_init_residual, sync_bn, bn_momentum, name):
    """`tiny_backbone` under the factory signature; base width 8; no stem or residual options."""
    del stem, zero_init_residual  # The tiny backbone has neither.
    return tiny_backbone(
        width=scaled_width(8, width_multiplier), sync_bn=sync_bn, bn_momentum=bn_momentum, name=name
    )


_BACKBONES = {
    "resnet18": functools.partial(resnet, 18),
    "resnet34": functools.partial(resnet, 34),
    "resnet50": functools.partial(resnet, 50),
    "tiny": _tiny,
}


def build_backbone(
    type,
    stem="cifar",
    width_multiplier=1.0,
    zero_init_residual=False,
    sync_bn=False,
    bn_momentum=0.9,
    name=None,
):
    """Build the backbone registered as `type` (images [N, H, W, 3] -> features [N, D]).

    The feature dim D is `model.feature_dim`; `name` (default: the architecture's) also prefixes
    variable paths, so give e.g. online and momentum encoders distinct names.
    """
    if type not in _BACKBONES:
        raise ValueError(f"Unknown backbone type {type!r}; valid types: {sorted(_BACKBONES)}.")
    return _BACKBONES[type](
        stem=stem,
        width_multiplier=width_multiplier,
        zero_init_residual=zero_init_residual,
        sync_bn=sync_bn,
        bn_momentum=bn_momentum,
        name=name,
    )
