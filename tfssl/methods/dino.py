"""DINO (Caron et al., 2021): a student matches the centred, sharpened output of a momentum
teacher across multi-crop views; the teacher sees the global crops only."""

import tensorflow as tf

from tfssl import losses, models, ops
from tfssl.methods.base import SelfSupervisedModel, forward_views
from tfssl.methods.builders import build_encoder
from tfssl.methods.collapse import embedding_std, softmax_entropy
from tfssl.methods.registry import register_method
from tfssl.ops import distributed


def build_dino_head(input_dim, head_config, backbone_config, name):
    return models.dino_head(
        input_dim,
        output_dim=head_config.output_dim,
        hidden_dim=head_config.hidden_dim,
        bottleneck_dim=head_config.bottleneck_dim,
        num_layers=head_config.num_layers,
        norm_last_layer=head_config.norm_last_layer,
        use_bn=head_config.use_bn,
        sync_bn=backbone_config.sync_bn,
        name=name,
    )


@register_method("dino")
class DINO(SelfSupervisedModel):
    """DINO: cross-entropy from the teacher's global-crop outputs to the student's other crops.

    Args:
      encoder, head: the student backbone and DINO head.
      teacher_encoder, teacher_head: the same architectures, an `ops.EMATeacher` of the student
        (BN layers, if any, normalise with batch statistics as in DINO's ResNet teacher).
      num_global_views: the first views of each batch are global crops; only they reach the
        teacher.
      student_temp, teacher_temp, warmup_teacher_temp, warmup_teacher_temp_steps: softmax
        temperatures; the teacher's rises linearly from `warmup_teacher_temp` to `teacher_temp`.
      center_momentum: momentum of the centre subtracted from teacher outputs.
      base_momentum: τ_base of the teacher's EMA; τ follows the cosine schedule to 1 over the
        run's `total_steps` (set by the trainer).
      clip_grad: each variable's gradient (of the global batch) is clipped to this norm; 0: off.
      freeze_last_layer_steps: the head's last layer gets zero gradients for these first steps.
    """

    metric_names = ("embedding_std", "teacher_entropy", "teacher_temp", "momentum")
    components = ("encoder", "head", "teacher_encoder", "teacher_head")
    options = (
        "num_global_views",
        "student_temp",
        "teacher_temp",
        "warmup_teacher_temp",
        "warmup_teacher_temp_steps",
        "center_momentum",
        "base_momentum",
        "clip_grad",
        "freeze_last_layer_steps",
    )

    def __init__(
        self,
        encoder,
        head,
        teacher_encoder,
        teacher_head,
        num_global_views=2,
        student_temp=0.1,
        teacher_temp=0.04,
        warmup_teacher_temp=0.04,
        warmup_teacher_temp_steps=0,
        center_momentum=0.9,
        base_momentum=0.996,
        clip_grad=3.0,
        freeze_last_layer_steps=0,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        self.head = head
        self.teacher_encoder = teacher_encoder
        self.teacher_head = teacher_head
        self.num_global_views = num_global_views
        self.student_temp = student_temp
        self.teacher_temp = teacher_temp
        self.warmup_teacher_temp = warmup_teacher_temp
        self.warmup_teacher_temp_steps = warmup_teacher_temp_steps
        self.center_momentum = center_momentum
        self.base_momentum = base_momentum
        self.clip_grad = clip_grad
        self.freeze_last_layer_steps = freeze_last_layer_steps
        self.teacher = self.add_teacher(
            ops.EMATeacher(
                [encoder, head], [teacher_encoder, teacher_head], base_momentum, "cosine"
            )
        )
        self.center = self.add_weight(
            shape=(1, head.output_shape[-1]),
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="center",
        )

    @classmethod
    def components_from_config(cls, task_config):
        backbone_config = task_config.model.backbone
        encoder, teacher_encoder = build_encoder(backbone_config), build_encoder(backbone_config)
        feature_dim = encoder.output_shape[-1]
        return {
            "encoder": encoder,
            "head": build_dino_head(feature_dim, task_config.head, backbone_config, "dino_head"),
            "teacher_encoder": teacher_encoder,
            "teacher_head": build_dino_head(
                feature_dim, task_config.head, backbone_config, "teacher_head"
            ),
            "num_global_views": task_config.train_data.views.num_global,
        }

    def teacher_temperature(self, step):
        """Linear warm-up from `warmup_teacher_temp` to `teacher_temp`, then constant."""
        progress = tf.minimum(
            tf.cast(step, tf.float32) / float(max(self.warmup_teacher_temp_steps, 1)), 1.0
        )
        return self.warmup_teacher_temp + (self.teacher_temp - self.warmup_teacher_temp) * progress

    def compute_pretext_loss(self, views, training):
        global_views = views[: self.num_global_views]
        features = forward_views(views, lambda x: self.encoder(x, training=training))
        student_out = [self.head(f, training=training) for f in features]
        teacher_out = forward_views(
            global_views,
            lambda x: self.teacher_head(
                self.teacher_encoder(x, training=training), training=training
            ),
        )
        teacher_out = [tf.stop_gradient(t) for t in teacher_out]
        teacher_temp = self.teacher_temperature(self.step)
        loss = losses.dino(teacher_out, student_out, self.center, teacher_temp, self.student_temp)
        centred = tf.concat(teacher_out, axis=0) - tf.cast(self.center, teacher_out[0].dtype)
        logs = {
            "embedding_std": embedding_std(features[0]),
            "teacher_entropy": softmax_entropy(centred / tf.cast(teacher_temp, centred.dtype)),
            "teacher_temp": teacher_temp,
            "momentum": self.teacher.momentum(self.step, self.total_steps),
        }
        if training:
            self.center.assign(losses.dino_center(self.center, teacher_out, self.center_momentum))
        return loss, logs

    def transform_gradients(self, gradients, variables):
        """Clips each variable's global-batch gradient to `clip_grad`, and zeroes the last
        layer's gradients during the first `freeze_last_layer_steps` steps.

        Keras sums the replicas' gradients afterwards, so the global gradient (all-reduced here)
        is clipped and handed back divided by the number of replicas.
        """
        if self.clip_grad:
            replicas = distributed.num_replicas()
            summed = distributed.all_reduce_sum(gradients)
            gradients = [tf.clip_by_norm(g, self.clip_grad) / replicas for g in summed]
        if self.freeze_last_layer_steps:
            frozen = self.step < self.freeze_last_layer_steps
            last_layer = self.head.get_layer("last").trainable_weights
            gradients = [
                tf.where(frozen, tf.zeros_like(g), g) if any(v is w for w in last_layer) else g
                for g, v in zip(gradients, variables)
            ]
        return gradients
