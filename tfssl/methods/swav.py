"""SwAV (Caron et al., 2020): multi-crop views, online codes from distributed Sinkhorn over
prototypes, swapped prediction, and an optional queue of past crops for small batches."""

import keras
import tensorflow as tf

from tfssl import models
from tfssl.losses.swav import swapped_prediction, swav_codes
from tfssl.methods.base import SelfSupervisedModel, forward_views
from tfssl.methods.builders import build_encoder
from tfssl.methods.collapse import embedding_std
from tfssl.methods.registry import register_method
from tfssl.ops import distributed
from tfssl.ops.queue import FeatureQueue


def swav_head(input_dim, head_config, backbone_config):
    """SwAV's projection MLP: Dense-BN-ReLU blocks and a last Dense with bias, no output BN."""
    return models.mlp(
        input_dim,
        [head_config.hidden_dim] * (head_config.num_layers - 1),
        head_config.output_dim,
        use_bn=head_config.use_bn,
        output_bn="none",
        sync_bn=backbone_config.sync_bn,
        bn_momentum=backbone_config.bn_momentum,
        name="projection_head",
    )


@register_method("swav")
class SwAV(SelfSupervisedModel):
    """SwAV: each high-res crop's codes are predicted from the prototype scores of every other crop.

    Projections z are L2-normalised and scored against K unit-norm prototypes (a bias-free Dense
    whose kernel columns are renormalised after every step). The prototypes are frozen for the
    first `freeze_prototypes_steps` steps. With `queue_length` > 0, each high-res crop has a queue
    of past projections, filled from the start and, from `queue_start_step` once full, scored
    with the current prototypes and added to that crop's Sinkhorn (SwAV's small-batch setting).

    Args:
      encoder: a Keras model from images [N, H, W, 3] to features [N, D].
      projection_head: a Keras model from [N, D] features to [N, d] projections.
      num_prototypes: K.
      num_high_res: the first views that get codes (SwAV: the 2 global crops).
    """

    metric_names = ("embedding_std",)
    components = ("encoder", "projection_head")
    options = (
        "num_prototypes",
        "num_high_res",
        "temperature",
        "epsilon",
        "sinkhorn_iterations",
        "freeze_prototypes_steps",
        "queue_length",
        "queue_start_step",
    )

    def __init__(
        self,
        encoder,
        projection_head,
        num_prototypes=3000,
        num_high_res=2,
        temperature=0.1,
        epsilon=0.05,
        sinkhorn_iterations=3,
        freeze_prototypes_steps=0,
        queue_length=0,
        queue_start_step=0,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        self.projection_head = projection_head
        self.num_prototypes = num_prototypes
        self.queue_length = queue_length
        self.num_high_res = num_high_res
        self.temperature = temperature
        self.epsilon = epsilon
        self.sinkhorn_iterations = sinkhorn_iterations
        self.freeze_prototypes_steps = freeze_prototypes_steps
        self.queue_start_step = queue_start_step
        dim = projection_head.output_shape[-1]
        self.prototypes = keras.layers.Dense(num_prototypes, use_bias=False, name="prototypes")
        self.prototypes.build((None, dim))  # kernel [d, K]: one column per prototype
        self.normalize_prototypes()
        # One attribute per queue, not a list: tf.train.Checkpoint does not see layers Keras
        # tracks inside a list, and a resumed run must get its queues back.
        for i in range(num_high_res if queue_length else 0):
            setattr(self, f"queue{i}", FeatureQueue(queue_length, dim, name=f"queue{i}"))

    @property
    def queues(self):
        """The high-resolution crops' queues, in crop order (empty without a queue)."""
        return [
            getattr(self, f"queue{i}") for i in range(self.num_high_res if self.queue_length else 0)
        ]

    @classmethod
    def components_from_config(cls, task_config):
        model_config = task_config.model
        encoder = build_encoder(model_config.backbone)
        head = swav_head(
            encoder.output_shape[-1], model_config.projection_head, model_config.backbone
        )
        return {
            "encoder": encoder,
            "projection_head": head,
            "num_high_res": task_config.train_data.views.num_global,
        }

    def normalize_prototypes(self):
        """Projects every prototype (kernel column) back onto the unit sphere."""
        kernel = self.prototypes.kernel
        kernel.assign(tf.math.l2_normalize(tf.convert_to_tensor(kernel), axis=0))

    def _queue_in_use(self):
        full = tf.equal(self.queues[0].filled, self.queues[0].size)
        return tf.logical_and(full, self.step >= self.queue_start_step)

    def _queue_scores(self, queue):
        """This replica's share of the queue scored by the current prototypes: [q_r, K]; the
        replicas' shares together cover the queue once, as the loss's replica rule requires."""
        replicas, replica = distributed.num_replicas(), distributed.replica_id()
        start = queue.size * replica // replicas
        end = queue.size * (replica + 1) // replicas
        return self.prototypes(tf.convert_to_tensor(queue.values)[start:end])

    def compute_pretext_loss(self, views, training):
        def project(x):
            z = self.projection_head(self.encoder(x, training=training), training=training)
            return tf.math.l2_normalize(z, axis=-1)

        z = forward_views(views, project)  # one [b, d] per crop
        scores = [self.prototypes(z_v) for z_v in z]  # one [b, K] per crop
        high, low = scores[: self.num_high_res], scores[self.num_high_res :]
        sinkhorn_args = (self.epsilon, self.sinkhorn_iterations)
        codes = [swav_codes(s, None, *sinkhorn_args) for s in high]
        if training and self.queues:
            # Collectives cannot sit inside tf.cond under MirroredStrategy, so both codes are
            # computed (Sinkhorn is cheap next to the network) and the queue's are selected.
            in_use = self._queue_in_use()
            codes = [
                tf.where(in_use, swav_codes(s, self._queue_scores(queue), *sinkhorn_args), q)
                for s, queue, q in zip(high, self.queues, codes)
            ]
            for queue, z_v in zip(self.queues, z):
                queue.enqueue(z_v)
        loss = swapped_prediction(codes, high, low, self.temperature)
        return loss, {"embedding_std": embedding_std(z[0])}

    def cluster_logits(self, features):
        """Prototype scores of the normalised projections: SwAV's cluster assignment."""
        z = self.projection_head(features, training=False)
        return self.prototypes(tf.math.l2_normalize(z, axis=-1))

    def transform_gradients(self, gradients, variables):
        """Zeroes the prototypes' gradient while they are frozen. Weight decay then only shrinks
        the kernel uniformly, which `after_update`'s renormalisation undoes."""
        if not self.freeze_prototypes_steps:
            return gradients
        frozen = self.step < self.freeze_prototypes_steps
        kernel_path = self.prototypes.kernel.path
        return [
            tf.where(frozen, tf.zeros_like(g), g) if v.path == kernel_path else g
            for g, v in zip(gradients, variables)
        ]

    def after_update(self):
        self.normalize_prototypes()
