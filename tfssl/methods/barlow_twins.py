"""Barlow Twins (Zbontar et al., 2021): the cross-correlation of two views' embeddings over the
global batch is driven towards the identity, which decorrelates features without negatives."""

from tfssl import losses
from tfssl.methods.base import SelfSupervisedModel, project_views
from tfssl.methods.builders import build_encoder_and_projector
from tfssl.methods.collapse import embedding_std
from tfssl.methods.registry import register_method


@register_method("barlow_twins")
class BarlowTwins(SelfSupervisedModel):
    """Barlow Twins: `losses.barlow_twins` of the two views' projections z = g(f(x)).

    Args:
      encoder, projector: f and g (3 layers of 8192 for ImageNet, no BN on the output: the loss
        standardises each feature over the global batch itself).
      lambd: weight of the off-diagonal (redundancy-reduction) term.
    """

    metric_names = ("embedding_std",)
    components = ("encoder", "projector")
    options = ("lambd",)

    def __init__(self, encoder, projector, lambd=5e-3, **kwargs):
        super().__init__(encoder, **kwargs)
        self.projector = projector
        self.lambd = lambd

    @classmethod
    def components_from_config(cls, task_config):
        encoder, projector = build_encoder_and_projector(task_config.model, output_bn="none")
        return {"encoder": encoder, "projector": projector}

    def compute_pretext_loss(self, views, training):
        z_a, z_b = project_views(views[:2], self.encoder, self.projector, training)
        loss = losses.barlow_twins(z_a, z_b, self.lambd)
        return loss, {"embedding_std": embedding_std(z_a)}
