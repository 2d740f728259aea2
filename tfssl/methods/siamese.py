"""Parts shared by the Siamese non-contrastive methods (BYOL, SimSiam, Barlow Twins): the MLP
projector and predictor built from a task config, and the two-view forward through them."""

from tfssl import models
from tfssl.methods.base import forward_views
from tfssl.methods.simclr import build_encoder


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


def build_encoder_and_projector(model_config, output_bn, name="projector"):
    """A fresh backbone and its projector."""
    encoder = build_encoder(model_config.backbone)
    return encoder, build_projector(encoder.output_shape[-1], model_config, output_bn, name=name)


def project_views(views, encoder, projector, training):
    """Projections g(f(v)) of each view, the views of one size sharing a forward pass."""
    return forward_views(
        views, lambda x: projector(encoder(x, training=training), training=training)
    )
