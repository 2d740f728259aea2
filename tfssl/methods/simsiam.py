"""SimSiam (Chen & He, 2021): one shared encoder, a predictor, and a stop-gradient on the other
branch are enough to avoid collapse without negatives or a momentum encoder."""

import keras
import tensorflow as tf

from tfssl import losses
from tfssl.methods.base import SelfSupervisedModel
from tfssl.methods.collapse import embedding_std
from tfssl.methods.registry import register_method
from tfssl.methods.siamese import build_encoder_and_projector, build_predictor, project_views


def _schedule_and_step(optimizer):
    """The optimizer's learning-rate schedule (None when constant) and its step counter."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        optimizer = optimizer.inner_optimizer
    schedule = optimizer._learning_rate  # Keras keeps the schedule object only privately.
    if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return None, optimizer.iterations
    return schedule, optimizer.iterations


@register_method("simsiam")
class SimSiam(SelfSupervisedModel):
    """SimSiam: L = D(p₁, sg(z₂))/2 + D(p₂, sg(z₁))/2 with z = g(f(x)), p = h(z), D the negative
    cosine.

    Args:
      encoder, projector, predictor: f, g (3 layers, BN on its output) and h (a bottleneck MLP).
      fixed_predictor_lr: keep the predictor's learning rate at the schedule's peak while the
        rest decays (the paper's setting). Implemented by scaling the predictor's gradients by
        lr_peak / lr(t) before the optimizer step, which is exact for SGD with momentum (the
        optimizer the paper uses) apart from the weight-decay term, which the optimizer adds
        after the scaling and so still follows lr(t); adaptive optimizers (LARS, Adam) would
        undo the scaling, so the config refuses the option with them. During a linear warm-up
        from 0 the scale is 0 at step 0.
    """

    metric_names = ("embedding_std",)

    def __init__(self, encoder, projector, predictor, fixed_predictor_lr=False, **kwargs):
        super().__init__(encoder, **kwargs)
        self.projector = projector
        self.predictor = predictor
        self.fixed_predictor_lr = fixed_predictor_lr

    @classmethod
    def from_task_config(cls, task_config):
        model_config = task_config.model
        encoder, projector = build_encoder_and_projector(
            model_config, output_bn=task_config.projector_output_bn
        )
        predictor = build_predictor(
            model_config.projection_head.output_dim, task_config.predictor_hidden_dim, model_config
        )
        return cls(
            encoder,
            projector,
            predictor,
            fixed_predictor_lr=task_config.fixed_predictor_lr,
            name="simsiam",
        )

    def compute_pretext_loss(self, views, training):
        z_a, z_b = project_views(views[:2], self.encoder, self.projector, training)
        p_a, p_b = (self.predictor(z, training=training) for z in (z_a, z_b))
        loss = 0.5 * (losses.negative_cosine(p_a, z_b) + losses.negative_cosine(p_b, z_a))
        return loss, {"embedding_std": embedding_std(z_a)}

    def predictor_gradient_scale(self):
        """lr_peak / lr(t) at the optimizer's current step (1 for a constant rate)."""
        schedule, step = _schedule_and_step(self.optimizer)
        if schedule is None:
            return tf.constant(1.0)
        current = tf.cast(schedule(step), tf.float32)
        return tf.math.divide_no_nan(tf.cast(schedule.base_learning_rate, tf.float32), current)

    def transform_gradients(self, gradients, variables):
        if not self.fixed_predictor_lr:
            return gradients
        scale = self.predictor_gradient_scale()
        predictor = {id(v) for v in self.predictor.trainable_variables}
        return [
            g * tf.cast(scale, g.dtype) if g is not None and id(v) in predictor else g
            for g, v in zip(gradients, variables)
        ]
