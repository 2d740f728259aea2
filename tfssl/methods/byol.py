"""BYOL (Grill et al., 2020): an online network predicts a slowly moving target network's
projection of another view; the target is an EMA of the online weights, no negatives."""

import tensorflow as tf

from tfssl import losses, ops
from tfssl.methods.base import SelfSupervisedModel
from tfssl.methods.collapse import embedding_std
from tfssl.methods.moco import momentum_pairs
from tfssl.methods.registry import register_method
from tfssl.methods.siamese import build_encoder_and_projector, build_predictor, project_views


@register_method("byol")
class BYOL(SelfSupervisedModel):
    """BYOL: online q(g(f(v))) regresses the target g_ξ(f_ξ(v')) for both orderings of the views.

    Args:
      encoder, projector, predictor: the online network f, g, q.
      target_encoder, target_projector: the same architectures as f and g; set to copies of them
        when built, then updated only by the EMA of `after_update` (their variables are not
        trainable; their BN layers normalise with batch statistics, as in BYOL).
      base_momentum: τ_base; τ follows `ops.cosine_momentum` from τ_base to 1 over the run's
        `total_steps` (set by the trainer through `set_total_steps`).
    """

    metric_names = ("embedding_std", "momentum")

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
        self._pairs = momentum_pairs([target_encoder, target_projector], [encoder, projector])
        for target in target_encoder.weights + target_projector.weights:
            target.trainable = False

    @classmethod
    def from_task_config(cls, task_config):
        model_config = task_config.model
        encoder, projector = build_encoder_and_projector(model_config, output_bn="none")
        target_encoder, target_projector = build_encoder_and_projector(
            model_config, output_bn="none", name="target_projector"
        )
        predictor = build_predictor(
            model_config.projection_head.output_dim, task_config.predictor_hidden_dim, model_config
        )
        return cls(
            encoder,
            projector,
            predictor,
            target_encoder,
            target_projector,
            base_momentum=task_config.base_momentum,
            name="byol",
        )

    def build_for_views(self, view_sizes, batch_size=2):
        """Builds every variable, then starts the target network as a copy of the online one."""
        super().build_for_views(view_sizes, batch_size)
        for target, online in self._pairs:
            target.assign(online)

    def momentum(self, step):
        """τ of the EMA update that follows optimizer step `step` (0-based): τ_base at the first
        step, 1 at the last (step total_steps − 1)."""
        return ops.cosine_momentum(step, max(self.total_steps - 1, 1), self.base_momentum)

    def compute_pretext_loss(self, views, training):
        online = project_views(views[:2], self.encoder, self.projector, training)
        p_a, p_b = (self.predictor(z, training=training) for z in online)
        z_a, z_b = project_views(views[:2], self.target_encoder, self.target_projector, training)
        loss = losses.byol_regression(p_a, z_b) + losses.byol_regression(p_b, z_a)
        optimizer = getattr(self, "optimizer", None)  # none before compile
        step = 0 if optimizer is None else optimizer.iterations
        logs = {"embedding_std": embedding_std(online[0]), "momentum": self.momentum(step)}
        return loss, logs

    def after_update(self):
        targets, online = zip(*self._pairs)
        # The optimizer has just counted the step it applied: that step is iterations − 1.
        ops.ema_update(targets, online, self.momentum(self.optimizer.iterations - 1))
