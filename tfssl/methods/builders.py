"""The Keras components methods are made of, built from a task's `model` config: the encoder
(backbone), projection heads, the predictor of BYOL and SimSiam, and linear classifiers."""

import keras

from tfssl import models


def build_encoder(backbone_config, name=None):
    """The backbone of a task's `model.backbone` config: images [N, H, W, 3] → features [N, D]."""
    return models.build_backbone(
        backbone_config.type,
        stem=backbone_config.stem,
        width_multiplier=backbone_config.width_multiplier,
        zero_init_residual=backbone_config.zero_init_residual,
        sync_bn=backbone_config.sync_bn,
        bn_momentum=backbone_config.bn_momentum,
        name=name,
        patch_size=backbone_config.patch_size,
        image_size=backbone_config.image_size,
        sobel=backbone_config.sobel,
        standardize_input=backbone_config.standardize_input,
    )


def build_projector(input_dim, model_config, output_bn, name="projector"):
    """`model.projection_head` as an MLP: num_layers − 1 hidden Dense-BN-ReLU layers of
    hidden_dim, then a Dense to output_dim followed by `output_bn` (see `tfssl.models.mlp`)."""
    head, backbone = model_config.projection_head, model_config.backbone
    return models.mlp(
        input_dim,
        [head.hidden_dim] * (head.num_layers - 1),
        head.output_dim,
        use_bn=head.use_bn,
        output_bn=output_bn,
        sync_bn=backbone.sync_bn,
        bn_momentum=backbone.bn_momentum,
        name=name,
    )


def build_encoder_and_projector(model_config, output_bn, name="projector"):
    """A fresh backbone and its projector."""
    encoder = build_encoder(model_config.backbone)
    return encoder, build_projector(encoder.output_shape[-1], model_config, output_bn, name=name)


def build_encoder_and_head(model_config):
    """A fresh backbone and SimCLR's projection head (`tfssl.models.projection_head`)."""
    backbone_config, head_config = model_config.backbone, model_config.projection_head
    encoder = build_encoder(backbone_config)
    head = models.projection_head(
        input_dim=encoder.output_shape[-1],
        hidden_dim=head_config.hidden_dim,
        output_dim=head_config.output_dim,
        num_layers=head_config.num_layers,
        use_bn=head_config.use_bn,
        sync_bn=backbone_config.sync_bn,
        bn_momentum=backbone_config.bn_momentum,
    )
    return encoder, head


def build_predictor(dim, hidden_dim, model_config, name="predictor"):
    """The predictor q: dim → hidden_dim (BN, ReLU) → dim, with no BN on its output (BYOL and
    SimSiam)."""
    backbone = model_config.backbone
    return models.mlp(
        dim,
        [hidden_dim],
        dim,
        use_bn=True,
        output_bn="none",
        sync_bn=backbone.sync_bn,
        bn_momentum=backbone.bn_momentum,
        name=name,
    )


def build_classifier(input_dim, num_classes, name="classifier"):
    """A linear classifier [N, input_dim] → [N, num_classes] logits."""
    return keras.Sequential([keras.Input([input_dim]), keras.layers.Dense(num_classes)], name=name)
