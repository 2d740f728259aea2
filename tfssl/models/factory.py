"""Backbone registry: build a backbone from its config name."""

import functools

from tfssl.models.layers import scaled_width
from tfssl.models.resnet import resnet
from tfssl.models.tiny import tiny_backbone
from tfssl.models.vit import vit_small, vit_tiny
from tfssl.models.wide_resnet import wide_resnet28_2
from tfssl.registry import Registry

# Config name → builder taking every option of `build_backbone` (besides `type`) by keyword.
BACKBONES = Registry("backbone")


def _resnet(depth, patch_size, image_size, **options):
    """`resnet(depth)` under the factory signature; the ViT options do not apply to it."""
    del patch_size, image_size  # ViT-only options.
    return resnet(depth, **options)


BACKBONES.register("resnet18")(functools.partial(_resnet, 18))
BACKBONES.register("resnet34")(functools.partial(_resnet, 34))
BACKBONES.register("resnet50")(functools.partial(_resnet, 50))


@BACKBONES.register("tiny")
def _tiny(width_multiplier, sync_bn, bn_momentum, name, sobel, standardize_input, **unused):
    """`tiny_backbone` under the factory signature; base width 8. It has no stem, residual or ViT
    options: those in `unused` are ignored."""
    del unused
    return tiny_backbone(
        width=scaled_width(8, width_multiplier),
        sync_bn=sync_bn,
        bn_momentum=bn_momentum,
        name=name,
        sobel=sobel,
        standardize_input=standardize_input,
    )


@BACKBONES.register("wrn28_2")
def _wrn28_2(width_multiplier, sync_bn, bn_momentum, name, sobel, standardize_input, **unused):
    """`wide_resnet28_2` under the factory signature (pass bn_momentum=0.999 for the papers'
    setting). It has its own stem and pre-activation blocks: the options in `unused` are ignored."""
    del unused
    return wide_resnet28_2(
        width_multiplier=width_multiplier,
        sync_bn=sync_bn,
        bn_momentum=bn_momentum,
        name=name,
        sobel=sobel,
        standardize_input=standardize_input,
    )


def _vit(builder, name, sobel, standardize_input, patch_size, image_size, **resnet_options):
    """A ViT `builder` under the factory signature; the ResNet options do not apply to it."""
    del resnet_options
    if sobel or standardize_input:
        raise ValueError(
            "sobel and standardize_input are for convolutional backbones; a ViT embeds RGB patches"
        )
    return builder(patch_size=patch_size, image_size=image_size, name=name or builder.__name__)


BACKBONES.register("vit_tiny")(functools.partial(_vit, vit_tiny))
BACKBONES.register("vit_small")(functools.partial(_vit, vit_small))


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

    Raises:
      KeyError (also a ValueError): `type` is not registered; the message lists the types.
    """
    return BACKBONES.get(type)(
        stem=stem,
        width_multiplier=width_multiplier,
        zero_init_residual=zero_init_residual,
        sync_bn=sync_bn,
        bn_momentum=bn_momentum,
        name=name,
        sobel=sobel,
        standardize_input=standardize_input,
        patch_size=patch_size,
        image_size=image_size,
    )
