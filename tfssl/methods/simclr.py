"""SimCLR (Chen et al., 2020): two augmented views, a projection MLP and NT-Xent with negatives
gathered from every replica. v1 uses a 2-layer head, v2 a 3-layer head."""

from tfssl import losses
from tfssl.methods.base import SelfSupervisedModel, project_views
from tfssl.methods.builders import build_encoder_and_head
from tfssl.methods.registry import register_method


@register_method("simclr")
class SimCLR(SelfSupervisedModel):
    """SimCLR: the two views' projections z = g(f(x)) are pulled together by NT-Xent.

    Args:
      encoder: a Keras model from images [N, H, W, 3] to features [N, D].
      projection_head: a Keras model from [N, D] features to [N, d] projections.
      temperature: NT-Xent temperature.
    """

    metric_names = ("contrastive_acc",)
    components = ("encoder", "projection_head")
    options = ("temperature",)

    def __init__(self, encoder, projection_head, temperature=0.5, **kwargs):
        super().__init__(encoder, **kwargs)
        self.projection_head = projection_head
        self.temperature = temperature

    @classmethod
    def components_from_config(cls, task_config):
        encoder, head = build_encoder_and_head(task_config.model)
        return {"encoder": encoder, "projection_head": head}

    def compute_pretext_loss(self, views, training):
        z_a, z_b = project_views(views[:2], self.encoder, self.projection_head, training)
        loss, accuracy = losses.nt_xent_with_accuracy(z_a, z_b, self.temperature)
        return loss, {"contrastive_acc": accuracy}
