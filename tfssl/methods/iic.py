"""IIC (Ji et al., 2019): cluster heads trained to maximise the mutual information between the
cluster assignments of two views of an image."""

import tensorflow as tf

from tfssl import losses
from tfssl.losses.contrastive import at_least_float32
from tfssl.methods.base import SelfSupervisedModel
from tfssl.methods.builders import build_classifier, build_encoder
from tfssl.methods.registry import register_method

# Momentum of the running per-sub-head losses that pick the head `cluster_logits` reads.
_SUBHEAD_LOSS_MOMENTUM = 0.99


@register_method("iic")
class IIC(SelfSupervisedModel):
    """IIC: a `num_clusters`-way head and an over-clustering head of `num_overclusters` ways,
    each with `num_subheads` linear sub-heads on the shared trunk; the loss is the mean over
    sub-heads of `losses.iic` between the softmaxes of the two views, summed over both heads
    (the paper alternates the heads by epoch; summing trains both every step). `cluster_logits`
    reads the main head's sub-head with the lowest running loss, the paper's selection.
    """

    metric_names = ("cluster_loss", "overcluster_loss")
    components = ("encoder", "cluster_head", "overcluster_head")
    options = ("num_clusters", "num_overclusters", "num_subheads")

    def __init__(
        self,
        encoder,
        cluster_head,
        overcluster_head,
        num_clusters=10,
        num_overclusters=50,
        num_subheads=5,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        self.cluster_head = cluster_head
        self.overcluster_head = overcluster_head
        self.num_clusters = num_clusters
        self.num_overclusters = num_overclusters
        self.num_subheads = num_subheads
        self.subhead_losses = self.add_weight(
            shape=(num_subheads,),
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="subhead_losses",
        )

    @classmethod
    def components_from_config(cls, task_config):
        encoder = build_encoder(task_config.model.backbone)
        dim, subheads = encoder.output_shape[-1], task_config.num_subheads
        return {
            "encoder": encoder,
            "cluster_head": build_classifier(dim, subheads * task_config.num_clusters, "clusters"),
            "overcluster_head": build_classifier(
                dim, subheads * task_config.num_overclusters, "overclusters"
            ),
        }

    def subhead_probabilities(self, head, features, ways):
        """softmax per sub-head: [b, S, ways]."""
        logits = at_least_float32(head(features))
        return tf.nn.softmax(tf.reshape(logits, [-1, self.num_subheads, ways]), axis=-1)

    def head_losses(self, head, features_a, features_b, ways):
        """[S] `losses.iic` of each sub-head."""
        p_a = self.subhead_probabilities(head, features_a, ways)
        p_b = self.subhead_probabilities(head, features_b, ways)
        return tf.stack([losses.iic(p_a[:, s], p_b[:, s]) for s in range(self.num_subheads)])

    def compute_pretext_loss(self, views, training):
        view_a, view_b = views[:2]
        features = self.encoder(tf.concat([view_a, view_b], axis=0), training=training)
        features_a, features_b = tf.split(features, 2)
        cluster = self.head_losses(self.cluster_head, features_a, features_b, self.num_clusters)
        overcluster = self.head_losses(
            self.overcluster_head, features_a, features_b, self.num_overclusters
        )
        if training:
            m = _SUBHEAD_LOSS_MOMENTUM
            running = tf.cast(self.subhead_losses, cluster.dtype)
            updated = tf.where(running == 0, cluster, m * running + (1 - m) * cluster)
            self.subhead_losses.assign(
                tf.cast(tf.stop_gradient(updated), self.subhead_losses.dtype)
            )
        cluster_loss, overcluster_loss = tf.reduce_mean(cluster), tf.reduce_mean(overcluster)
        return cluster_loss + overcluster_loss, {
            "cluster_loss": cluster_loss,
            "overcluster_loss": overcluster_loss,
        }

    def cluster_logits(self, features):
        """Logits [N, num_clusters] of the main head's best sub-head."""
        best = tf.argmin(self.subhead_losses, output_type=tf.int32)
        logits = tf.reshape(self.cluster_head(features), [-1, self.num_subheads, self.num_clusters])
        return tf.gather(logits, best, axis=1)
