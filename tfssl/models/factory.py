"""Backbone registry: build a backbone from its config name."""

import functools

from tfssl.models.layers import scaled_width
from tfssl.models.resnet import resnet
from tfssl.models.tiny import tiny_backbone
from tfssl.models.vit import vit_small, vit_tiny


def _tiny(
    stem, width_multiplier, zero_init_residual, sync_bn, bn_momentum, name, sobel,
    standardize_input,
):
    """`tiny_backbone` under the factory signature; base width 8; no stem or residual options."""
    del stem, zero_init_residual  # The tiny backbone has neither.
    return tiny_backbone(
        width=scaled_width(8, width_multiplier),
        sync_bn=sync_bn,
        bn_momentum=bn_momentum,
        name=name,
        sobel=sobel,
        standardize_input=standardize_input,
    )


def _vit(
    builder, stem, width_multiplier, zero_init_residual, sync_bn, bn_momentum, name, sobel,
    standardize_input, **vit_options,
):
    """A ViT `builder` under the factory signature; the ResNet options do not apply to it."""
    del stem, width_multiplier, zero_init_residual, sync_bn, bn_momentum  # ResNet-only options.
    if sobel or standardize_input:
        raise ValueError(
            "sobel and standardize_input are for convolutional backbones; a ViT embeds RGB patches"
        )
    return builder(name=name or builder.__name__, **vit_options)


_VITS = {"vit_tiny": vit_tiny, "vit_small": vit_small}

_BACKBONES = {
    "resnet18": functools.partial(resnet, 18),
    "resnet34": functools.partial(resnet, 34),
    "resnet50": functools.partial(resnet, 50),
    "tiny": _tiny,
    **{type_: functools.partial(_vit, builder) for type_, builder in _VITS.items()},
}


def build_backbone(
    type,
    stem="cifar",
    width_multiplier=1.0,
    zero_init_residual=False,
    sync_bn=False,
    bn_momentum=0.9,
    name=None,
    patch_size=16,
    image_size=224,
    sobel=False,
    standardize_input=False,
):
    """Build the backbone registered as `type` (images [N, H, W, 3] -> features [N, D]).

    The feature dim D is `model.feature_dim`; `name` (default: the architecture's) also prefixes
    variable paths, so give e.g. online and momentum encoders distinct names. ViTs take
    `patch_size` and `image_size` (the input size their position embeddings are learned for).
    `sobel` feeds the backbone DeepCluster's fixed Sobel responses instead of the RGB image;
    `standardize_input` standardises each image first (`PerImageStandardization`).
    """
    if type not in _BACKBONES:
        raise ValueError(f"Unknown backbone type {type!r}; valid types: {sorted(_BACKBONES)}.")
    vit_options = dict(patch_size=patch_size, image_size=image_size) if type in _VITS else {}
    return _BACKBONES[type](
        stem=stem,
        width_multiplier=width_multiplier,
        zero_init_residual=zero_init_residual,
        sync_bn=sync_bn,
        bn_momentum=bn_momentum,
        name=name,
        sobel=sobel,
        standardize_input=standardize_input,
        **vit_options,
    )
