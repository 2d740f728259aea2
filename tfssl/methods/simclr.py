"""SimCLR (Chen et al., 2020): two augmented views, a projection MLP and NT-Xent with negatives
gathered from every replica. v1 uses a 2-layer head, v2 a 3-layer head."""

import keras

from tfssl import losses, models
from tfssl.methods.base import SelfSupervisedModel, forward_views
from tfssl.methods.registry import register_method


def build_encoder(backbone_config):
    """The backbone of a task's `model.backbone` config (shared by methods)."""
    return models.build_backbone(
        backbone_config.type,
        stem=backbone_config.stem,
        width_multiplier=backbone_config.width_multiplier,
        zero_init_residual=backbone_config.zero_init_residual,
        sync_bn=backbone_config.sync_bn,
        bn_momentum=backbone_config.bn_momentum,
        patch_size=backbone_config.patch_size,
        image_size=backbone_config.image_size,
        sobel=backbone_config.sobel,
        standardize_input=backbone_config.standardize_input,
    )


def build_encoder_and_head(model_config):
    """The backbone and projection head of a task's `model` config (shared by methods)."""
    backbone_config = model_config.backbone
    encoder = build_encoder(backbone_config)
    head_config = model_config.projection_head
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


@register_method("simclr")
@keras.saving.register_keras_serializable(package="tfssl")
class SimCLR(SelfSupervisedModel):
    """SimCLR: the two views' projections z = g(f(x)) are pulled together by NT-Xent.

    Args:
      encoder: a Keras model from images [N, H, W, 3] to features [N, D].
      projection_head: a Keras model from [N, D] features to [N, d] projections.
      temperature: NT-Xent temperature.
    """

    metric_names = ("contrastive_acc",)

    def __init__(self, encoder, projection_head, temperature=0.5, **kwargs):
        super().__init__(encoder, **kwargs)
        self.projection_head = projection_head
        self.temperature = temperature

    @classmethod
    def from_task_config(cls, task_config):
        encoder, head = build_encoder_and_head(task_config.model)
        return cls(encoder, head, temperature=task_config.temperature, name="simclr")

    def get_config(self):
        return {
            **super().get_config(),
            "projection_head": keras.saving.serialize_keras_object(self.projection_head),
            "temperature": self.temperature,
        }

    def compute_pretext_loss(self, views, training):
        z_a, z_b = forward_views(
            views[:2], lambda x: self.projection_head(self.encoder(x, training=training), training=training)
        )
        loss, accuracy = losses.nt_xent_with_accuracy(z_a, z_b, self.temperature)
        return loss, {"contrastive_acc": accuracy}
