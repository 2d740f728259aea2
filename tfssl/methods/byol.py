"""BYOL (Grill et al., 2020): an online network predicts a slowly moving target network's
projection of another view; the target is an EMA of the online weights, no negatives."""

from tfssl import losses, ops
from tfssl.methods.base import SelfSupervisedModel, project_views
from tfssl.methods.builders import build_encoder_and_projector, build_predictor
from tfssl.methods.collapse import embedding_std
from tfssl.methods.registry import register_method


@register_method("byol")
class BYOL(SelfSupervisedModel):
    """BYOL: online q(g(f(v))) regresses the target g_ξ(f_ξ(v')) for both orderings of the views.

    Args:
      encoder, projector, predictor: the online network f, g, q.
      target_encoder, target_projector: the same architectures as f and g, an `ops.EMATeacher`
        of them whose τ follows the cosine schedule from `base_momentum` to 1 over the run's
        `total_steps` (set by the trainer through `set_total_steps`).
      base_momentum: τ_base.
    """

    metric_names = ("embedding_std", "momentum")
    components = ("encoder", "projector", "predictor", "target_encoder", "target_projector")
    options = ("base_momentum",)

    def __init__(
        self,
        encoder,
        projector,
        predictor,
        target_encoder,
        target_projector,
        base_momentum=0.996,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        self.projector = projector
        self.predictor = predictor
        self.target_encoder = target_encoder
        self.target_projector = target_projector
        self.base_momentum = base_momentum
        self.teacher = self.add_teacher(
            ops.EMATeacher(
                [encoder, projector], [target_encoder, target_projector], base_momentum, "cosine"
            )
        )

    @classmethod
    def components_from_config(cls, task_config):
        model_config = task_config.model
        output_bn = task_config.projector_output_bn
        encoder, projector = build_encoder_and_projector(model_config, output_bn=output_bn)
        target_encoder, target_projector = build_encoder_and_projector(
            model_config, output_bn=output_bn, name="target_projector"
        )
        predictor = build_predictor(
            model_config.projection_head.output_dim, task_config.predictor_hidden_dim, model_config
        )
        return {
            "encoder": encoder,
            "projector": projector,
            "predictor": predictor,
            "target_encoder": target_encoder,
            "target_projector": target_projector,
        }

    def compute_pretext_loss(self, views, training):
        online = project_views(views[:2], self.encoder, self.projector, training)
        p_a, p_b = (self.predictor(z, training=training) for z in online)
        z_a, z_b = project_views(views[:2], self.target_encoder, self.target_projector, training)
        loss = losses.byol_regression(p_a, z_b) + losses.byol_regression(p_b, z_a)
        logs = {
            "embedding_std": embedding_std(online[0]),
            "momentum": self.teacher.momentum(self.step, self.total_steps),
        }
        return loss, logs
