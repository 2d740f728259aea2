"""DeeperCluster (Caron et al., 2019, "Unsupervised Pre-Training of Image Features on
Non-Curated Data"): the target of an image is the Cartesian product of its rotation (RotNet) and
its k-means cluster (DeepCluster), learnt hierarchically so the number of targets can grow.

Every T steps a two-level k-means of the un-rotated training set gives m super-clusters and up
to k sub-clusters inside each. A super-class head predicts the 4m super-classes (rotation ×
super-cluster); super-class h = r·m + s has its own sub-class head predicting the sub-cluster,
trained only on the images of that super-class. The loss is the sum of both cross-entropies.

Distribution by super-class, as in the paper: with R replicas, super-cluster s (all four of its
rotations, which are made inside the step) is owned by replica s mod R. The input pipeline gives
each replica only images of its own super-clusters (`replica_data_filters`) and a replica
evaluates only its own sub-class heads. On one device every head is local.
"""

import keras
import numpy as np
import tensorflow as tf

from tfssl import losses, ops
from tfssl.data import inputs
from tfssl.data.rotation import NUM_ROTATIONS, rotate_batch
from tfssl.evaluation import nmi
from tfssl.methods.pseudo_labels import ReclusteringModel, check_cluster_count, cluster_weights
from tfssl.methods.registry import register_method
from tfssl.ops import distributed

# DeepCluster's initialisation of a classifier for new cluster ids.
HEAD_INITIALIZER_STDDEV = 0.01


def owned_super_classes(replica, num_replicas, num_super_clusters):
    """Super-classes r·m + s whose super-cluster s is owned by `replica` (s mod R = replica), in
    increasing order: int32 [4·⌈(m − replica)/R⌉]."""
    super_clusters = tf.range(replica, num_super_clusters, num_replicas)  # [m_r]
    rotations = tf.range(NUM_ROTATIONS)[:, None] * num_super_clusters  # [4, 1]
    return tf.reshape(rotations + super_clusters[None, :], [-1])


class SubClassHeads(keras.layers.Layer):
    """One linear classifier of `num_classes` outputs per super-class: kernel [H, D, k], bias
    [H, k]. A call evaluates only the heads it is given (the replica's own)."""

    def __init__(self, num_heads, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.num_classes = num_classes

    def build(self, input_shape):
        dim = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(self.num_heads, dim, self.num_classes),
            name="kernel",
            initializer=keras.initializers.RandomNormal(stddev=HEAD_INITIALIZER_STDDEV),
        )
        self.bias = self.add_weight(
            shape=(self.num_heads, self.num_classes), name="bias", initializer="zeros"
        )

    def call(self, features, heads, available):
        """Each row's logits under its own head, computing only the `available` heads.

        Args:
          features: [n, D].
          heads: int32 [n], the head of each row.
          available: int32 [H_a], the heads this call may evaluate (sorted, distinct).

        Returns:
          (logits [n, k], mask bool [n]: the row's head is available; other rows get zeros).
        """
        kernel = tf.gather(self.kernel, available)  # [H_a, D, k]
        bias = tf.gather(self.bias, available)  # [H_a, k]
        logits = tf.einsum("nd,hdk->nhk", features, tf.cast(kernel, features.dtype))
        logits += tf.cast(bias, features.dtype)[None]  # [n, H_a, k]
        position = tf.tensor_scatter_nd_update(
            -tf.ones([self.num_heads], tf.int32), available[:, None], tf.range(tf.size(available))
        )  # [H]: index into `available`, -1 for the other heads
        row_position = tf.gather(position, heads)  # [n]
        mask = row_position >= 0
        row_logits = tf.gather(logits, tf.maximum(row_position, 0), batch_dims=1)  # [n, k]
        return tf.where(mask[:, None], row_logits, tf.zeros_like(row_logits)), mask


@register_method("deepercluster")
class DeeperCluster(ReclusteringModel):
    """DeeperCluster: super-class (rotation × super-cluster) and sub-class cross-entropies.

    Pseudo-labels (super-cluster, sub-cluster) and per-image weights are `ops.ExampleMemory`
    rows indexed by `data["index"]`, checkpointed with the model; `recluster` replaces them.

    Args:
      encoder: a Keras model from images [N, H, W, 3] to features [N, D].
      num_super_clusters: m.
      num_sub_clusters: k, sub-clusters per super-cluster.
      encoder, num_examples, pca_dim, kmeans_iterations, recluster_every_steps, seed: see
        `ReclusteringModel`.
    """

    metric_names = ("super_acc", "sub_acc", "owned_fraction")
    options = ("num_super_clusters", "num_sub_clusters") + ReclusteringModel.options

    def __init__(self, encoder, num_super_clusters, num_sub_clusters, num_examples, **kwargs):
        super().__init__(encoder, num_examples, **kwargs)
        check_cluster_count(num_super_clusters * num_sub_clusters, num_examples)
        self.num_super_clusters = num_super_clusters
        self.num_sub_clusters = num_sub_clusters
        num_super_classes = NUM_ROTATIONS * num_super_clusters
        self.super_classifier = keras.layers.Dense(
            num_super_classes,
            name="super_classifier",
            kernel_initializer=keras.initializers.RandomNormal(stddev=HEAD_INITIALIZER_STDDEV),
        )
        self.sub_classifiers = SubClassHeads(
            num_super_classes, num_sub_clusters, name="sub_classifiers"
        )
        # Until the first clustering, super-clusters i mod m: every replica's stream is non-empty.
        self.super_clusters = ops.ExampleMemory(
            num_examples,
            dtype="int32",
            initializer=lambda shape, dtype: tf.range(shape[0], dtype=dtype) % num_super_clusters,
            name="super_clusters",
        )
        self.sub_clusters = ops.ExampleMemory(num_examples, dtype="int32", name="sub_clusters")
        self.sample_weights = ops.ExampleMemory(
            num_examples, initializer="ones", name="sample_weights"
        )

    def compute_batch_loss(self, data, training):
        """Super-class CE over all rotated rows + sub-class CE over the rows whose super-class
        this replica owns, both weighted per image and averaged over the global 4B rows."""
        rotated, rotations = rotate_batch(data["views"][0])  # [4b, S, S, 3], [4b] rotation-major
        indices = tf.tile(data["index"], [NUM_ROTATIONS])  # [4b], rows line up with `rotated`
        super_clusters = self.super_clusters.lookup(indices)
        sub_clusters = self.sub_clusters.lookup(indices)
        weights = self.sample_weights.lookup(indices)
        super_classes = rotations * self.num_super_clusters + super_clusters  # [4b]
        features = self.encoder(rotated, training=training)
        owned = owned_super_classes(
            distributed.replica_id(), distributed.num_replicas(), self.num_super_clusters
        )
        sub_logits, mask = self.sub_classifiers(features, super_classes, owned)
        super_loss, super_acc = losses.pseudo_label_cross_entropy(
            super_classes, self.super_classifier(features), weights
        )
        owned_weights = weights * tf.cast(mask, weights.dtype)
        sub_loss, sub_acc = losses.pseudo_label_cross_entropy(
            sub_clusters, sub_logits, owned_weights
        )
        owned_fraction = distributed.global_mean(tf.cast(mask, tf.float32))
        return super_loss + sub_loss, {
            "super_acc": super_acc,
            "sub_acc": sub_acc,
            "owned_fraction": owned_fraction,
        }

    def build_inputs(self, data_config, seed):
        """The multi-view stream, each replica's share filtered by `replica_data_filters`."""
        source, _ = inputs.build_source(data_config, with_index=True)

        def input_fn(input_context):
            filters = self.replica_data_filters(input_context.num_replicas_in_sync)
            return inputs.train_input_fn(source, data_config, seed, filters)(input_context)

        return input_fn

    def replica_data_filters(self, num_replicas):
        """Replica r trains on the images whose super-cluster s has s mod R = r. The filters read
        the current labels as images are drawn, so for about ten batches after a reclustering
        (those already in the pipeline's buffers) some images reach another replica; their
        sub-class loss is skipped there, which `owned_fraction` < 1 shows."""
        if self.num_super_clusters < num_replicas:
            raise ValueError(
                f"num_super_clusters={self.num_super_clusters} < {num_replicas} replicas: every "
                "replica needs a super-cluster of its own"
            )
        if num_replicas == 1:
            return None

        def owned_by(replica):
            def keep(example):
                return tf.equal(
                    self.super_clusters.lookup(example["index"]) % num_replicas, replica
                )

            return keep

        return [owned_by(r) for r in range(num_replicas)]

    def cluster_logits(self, features):
        """log p(s) + log p(j | s) of the upright image for every (super, sub) cluster: [N, m·k],
        cluster s·k + j. Evaluates every head, which is fine off the training step."""
        upright = self.super_classifier(features)[:, : self.num_super_clusters]  # rotation 0
        heads = tf.range(self.num_super_clusters)  # rotation 0's super-classes are 0 … m − 1
        kernel = tf.gather(self.sub_classifiers.kernel, heads)  # [m, D, k]
        sub = tf.einsum("nd,mdk->nmk", features, kernel) + tf.gather(
            self.sub_classifiers.bias, heads
        )
        joint = tf.nn.log_softmax(upright)[:, :, None] + tf.nn.log_softmax(sub)  # [N, m, k]
        return tf.reshape(joint, [tf.shape(features)[0], -1])

    def recluster(self, dataset, seed=0):
        """Two-level k-means of the PCA-whitened, L2-normalised features of the whole training
        set; stores the assignments and per-image weights N / (K·|cluster|) over the K clusters
        that occur (uniform over clusters, as DeepCluster) and re-initialises every head.
        Returns NMI statistics as DeepCluster does."""
        x, labels = self.clustering_features(dataset)
        super_clusters, sub_clusters = ops.hierarchical_kmeans(
            x, self.num_super_clusters, self.num_sub_clusters, self.kmeans_iterations, seed
        )
        clusters = super_clusters * self.num_sub_clusters + sub_clusters
        previous = self.super_clusters.numpy() * self.num_sub_clusters + self.sub_clusters.numpy()
        self.super_clusters.assign(super_clusters)
        self.sub_clusters.assign(sub_clusters)
        _, dense = np.unique(clusters, return_inverse=True)  # ids of the clusters that occur
        self.sample_weights.assign(cluster_weights(dense, dense.max() + 1))
        self._reinitialise_heads(seed)
        sizes = np.bincount(super_clusters, minlength=self.num_super_clusters)
        stats = {
            "nmi_previous": float(nmi(previous, clusters)),
            "min_super_size": int(sizes.min()),
            "max_super_size": int(sizes.max()),
        }
        if (labels >= 0).all():
            stats["nmi_labels"] = float(nmi(labels, clusters))
            stats["nmi_labels_super"] = float(nmi(labels, super_clusters))
        return stats

    def _reinitialise_heads(self, seed):
        """New cluster ids have an arbitrary order, so both classifiers start afresh."""
        init = keras.initializers.RandomNormal(stddev=HEAD_INITIALIZER_STDDEV, seed=seed)
        for variable in (self.super_classifier.kernel, self.sub_classifiers.kernel):
            variable.assign(init(variable.shape))
        for variable in (self.super_classifier.bias, self.sub_classifiers.bias):
            variable.assign(tf.zeros_like(variable))
