"""SimSiam (Chen & He, 2021): one shared encoder, a predictor, and a stop-gradient on the other
branch are enough to avoid collapse without negatives or a momentum encoder."""

from tfssl import losses
from tfssl.methods.base import SelfSupervisedModel, project_views
from tfssl.methods.builders import build_encoder_and_projector, build_predictor
from tfssl.methods.collapse import embedding_std
from tfssl.methods.registry import register_method

# The predictor's learning rate under `fixed_predictor_lr`: the schedule's peak throughout.
FIXED_RATE = {"type": "constant", "warmup_steps": 0}


@register_method("simsiam")
class SimSiam(SelfSupervisedModel):
    """SimSiam: L = D(p₁, sg(z₂))/2 + D(p₂, sg(z₁))/2 with z = g(f(x)), p = h(z), D the negative
    cosine.

    Args:
      encoder, projector, predictor: f, g (3 layers, BN on its output) and h (a bottleneck MLP).
      fixed_predictor_lr: the predictor is its own optimizer group whose learning rate stays at
        the schedule's peak while the encoder's and projector's decay (the paper's setting); its
        weight decay follows that constant rate too, as in the paper's parameter groups.
    """

    metric_names = ("embedding_std",)
    components = ("encoder", "projector", "predictor")
    options = ("fixed_predictor_lr",)

    def __init__(self, encoder, projector, predictor, fixed_predictor_lr=False, **kwargs):
        super().__init__(encoder, **kwargs)
        self.projector = projector
        self.predictor = predictor
        self.fixed_predictor_lr = fixed_predictor_lr

    @classmethod
    def components_from_config(cls, task_config):
        model_config = task_config.model
        encoder, projector = build_encoder_and_projector(
            model_config, output_bn=task_config.projector_output_bn
        )
        predictor = build_predictor(
            model_config.projection_head.output_dim, task_config.predictor_hidden_dim, model_config
        )
        return {"encoder": encoder, "projector": projector, "predictor": predictor}

    def update_phases(self):
        if not self.fixed_predictor_lr:
            return super().update_phases()
        return self.phase_with_own_group(self.predictor, "predictor", learning_rate=FIXED_RATE)

    def compute_pretext_loss(self, views, training):
        z_a, z_b = project_views(views[:2], self.encoder, self.projector, training)
        p_a, p_b = (self.predictor(z, training=training) for z in (z_a, z_b))
        loss = 0.5 * (losses.negative_cosine(p_a, z_b) + losses.negative_cosine(p_b, z_a))
        return loss, {"embedding_std": embedding_std(z_a)}
