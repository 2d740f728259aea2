"""MoCo v1/v2 (He et al., 2020; Chen et al., 2020): a query encoder trained by InfoNCE against
keys from a momentum encoder and a queue of past keys. v1 and v2 are one model that differs in
config only: v1 a linear 128-d head and T=0.07, v2 an MLP head, T=0.2 and blur augmentation."""

import keras
import tensorflow as tf

from tfssl import losses, ops
from tfssl.methods.base import SelfSupervisedModel
from tfssl.methods.builders import build_encoder_and_head
from tfssl.methods.collapse import embedding_std
from tfssl.methods.registry import register_method

# Seed of the queue's random initial keys; the shuffle seed also mixes in the optimizer step.
_SEED = 0


def random_unit_rows(seed=_SEED):
    """Initializer of [K, D] rows drawn from a normal and L2-normalised (MoCo's initial queue)."""
    normal = keras.initializers.RandomNormal(seed=seed)
    return lambda shape, dtype=None: tf.math.l2_normalize(normal(shape, dtype), axis=-1)


@register_method("mocov1", "mocov2")
class MoCo(SelfSupervisedModel):
    """MoCo: query q = g(f(x₁)), key k = g_k(f_k(x₂)) from the momentum encoder with shuffling BN,
    InfoNCE of q against k and the queue, then the global batch of keys is enqueued.

    Args:
      encoder, projection_head: the query encoder f and head g.
      key_encoder, key_head: the same architectures, an `ops.EMATeacher` of f and g (constant
        momentum).
      queue_size: K, the number of negative keys.
      temperature: InfoNCE temperature T.
      momentum: m of the key encoder's EMA.
      shuffle_bn_splits: BN groups per replica (sub-batches); with 1 replica it needs >= 2 for
        the shuffle to take effect.
      symmetric: also contrast x₂'s query against x₁'s key, average the two losses and enqueue
        both keys (the paper's default is not symmetric).
    """

    metric_names = ("contrastive_acc", "embedding_std")
    components = ("encoder", "projection_head", "key_encoder", "key_head")
    options = ("queue_size", "temperature", "momentum", "shuffle_bn_splits", "symmetric")

    def __init__(
        self,
        encoder,
        projection_head,
        key_encoder,
        key_head,
        queue_size=65536,
        temperature=0.07,
        momentum=0.999,
        shuffle_bn_splits=1,
        symmetric=False,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        self.projection_head = projection_head
        self.key_encoder = key_encoder
        self.key_head = key_head
        self.queue_size = queue_size
        self.temperature = temperature
        self.momentum = momentum
        self.shuffle_bn_splits = shuffle_bn_splits
        self.symmetric = symmetric
        self.build_batch_size = max(self.build_batch_size, shuffle_bn_splits)
        self.teacher = self.add_teacher(
            ops.EMATeacher([encoder, projection_head], [key_encoder, key_head], momentum)
        )
        dim = projection_head.output_shape[-1]
        self.queue = ops.FeatureQueue(queue_size, dim, initializer=random_unit_rows(), name="queue")

    @classmethod
    def components_from_config(cls, task_config):
        encoder, head = build_encoder_and_head(task_config.model)
        key_encoder, key_head = build_encoder_and_head(task_config.model)
        return {
            "encoder": encoder,
            "projection_head": head,
            "key_encoder": key_encoder,
            "key_head": key_head,
        }

    def _shuffle_seed(self):
        return tf.stack([tf.constant(_SEED, tf.int64), tf.cast(self.step, tf.int64)])

    def _query(self, images, training):
        return ops.split_forward(
            lambda x: self.projection_head(self.encoder(x, training=training), training=training),
            images,
            self.shuffle_bn_splits,
        )

    def _key(self, images, training, seed):
        keys = ops.shuffled_forward(
            lambda x: self.key_head(self.key_encoder(x, training=training), training=training),
            images,
            self.shuffle_bn_splits,
            seed,
        )
        return tf.stop_gradient(tf.math.l2_normalize(tf.cast(keys, tf.float32), axis=-1))

    def compute_pretext_loss(self, views, training):
        seed = self._shuffle_seed()
        q = self._query(views[0], training)
        k = self._key(views[1], training, seed)
        loss, accuracy = losses.info_nce_with_accuracy(q, k, self.queue.values, self.temperature)
        keys = k
        if self.symmetric:
            q_b = self._query(views[1], training)
            k_b = self._key(views[0], training, seed + [0, 1])
            loss_b, accuracy_b = losses.info_nce_with_accuracy(
                q_b, k_b, self.queue.values, self.temperature
            )
            loss, accuracy = (loss + loss_b) / 2, (accuracy + accuracy_b) / 2
            keys = tf.concat([k, k_b], axis=0)  # [2b, D]
        if training:
            self.queue.enqueue(keys)
        return loss, {"contrastive_acc": accuracy, "embedding_std": embedding_std(q)}
