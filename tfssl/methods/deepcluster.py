"""DeepCluster (Caron et al., 2018): alternately cluster the features of the whole training set
with k-means and train the network to predict the cluster ids.

Trivial solutions are avoided as in the paper: empty clusters are re-seeded inside
`tfssl.ops.kmeans`, and clusters get equal weight per epoch. Uniform sampling over clusters is
implemented as per-sample loss weights N / (k·|cluster|) (the paper's sampler in expectation),
so every cluster's images carry the same total weight N/k per epoch.
"""

import keras
import numpy as np
import tensorflow as tf

from tfssl import losses, ops
from tfssl.evaluation import nmi
from tfssl.methods.pseudo_labels import ReclusteringModel, check_cluster_count, cluster_weights
from tfssl.methods.registry import register_method


@register_method("deepcluster")
class DeepCluster(ReclusteringModel):
    """DeepCluster: cross-entropy of a k-way classifier on pseudo-labels from k-means.

    The pseudo-label and weight of every training image are `ops.ExampleMemory` rows indexed by
    the image's position in the training source (`data["index"]`), so they are checkpointed
    with the model. `recluster` replaces them; a `PseudoLabelCallback` calls it during `fit`.

    Args:
      num_clusters: k.
      encoder, num_examples, pca_dim, kmeans_iterations, recluster_every_steps, seed: see
        `ReclusteringModel`.
    """

    metric_names = ("cluster_acc",)
    options = ("num_clusters",) + ReclusteringModel.options

    def __init__(self, encoder, num_clusters, num_examples, **kwargs):
        super().__init__(encoder, num_examples, **kwargs)
        check_cluster_count(num_clusters, num_examples)
        self.num_clusters = num_clusters
        self.classifier = keras.layers.Dense(num_clusters, name="cluster_classifier")
        self.pseudo_labels = ops.ExampleMemory(num_examples, dtype="int32", name="pseudo_labels")
        self.sample_weights = ops.ExampleMemory(
            num_examples, initializer="ones", name="sample_weights"
        )

    def compute_batch_loss(self, data, training):
        """Cross-entropy on the pseudo-labels of the batch's images, each weighted so that every
        cluster carries the same total weight per epoch."""
        indices = data["index"]
        logits = self.classifier(self.encoder(data["views"][0], training=training))
        loss, accuracy = losses.pseudo_label_cross_entropy(
            self.pseudo_labels.lookup(indices), logits, self.sample_weights.lookup(indices)
        )
        return loss, {"cluster_acc": accuracy}

    def cluster_logits(self, features):
        """The classifier trained on the latest k-means clusters predicts an image's cluster."""
        return self.classifier(features)

    def recluster(self, dataset, seed=0):
        """Clusters the whole training set and makes the result the new targets.

        Extracts the encoder's features of `dataset` (un-augmented, in source order), PCA-whitens
        them to `pca_dim`, L2-normalises, runs `ops.kmeans`, stores the assignments and their
        uniform-over-clusters weights, and re-initialises the classifier.

        Returns:
          dict with `nmi_previous` (against the previous assignments) and, when `dataset` has
          labels, `nmi_labels`; and the cluster-size range.
        """
        x, labels = self.clustering_features(dataset)
        _, assignments = ops.kmeans(x, self.num_clusters, self.kmeans_iterations, seed=seed)
        assignments = np.asarray(assignments)
        previous = self.pseudo_labels.numpy()
        self.pseudo_labels.assign(assignments)
        self.sample_weights.assign(cluster_weights(assignments, self.num_clusters))
        self._reinitialise_classifier(seed)
        sizes = np.bincount(assignments, minlength=self.num_clusters)
        stats = {
            "nmi_previous": float(nmi(previous, assignments)),
            "min_size": int(sizes.min()),
            "max_size": int(sizes.max()),
        }
        if (labels >= 0).all():
            stats["nmi_labels"] = float(nmi(labels, assignments))
        return stats

    def _reinitialise_classifier(self, seed):
        """A fresh classifier for the new cluster ids (their order is arbitrary); the optimizer's
        slots for it (momentum) are kept, where the paper rebuilds the head's optimizer."""
        kernel, bias = self.classifier.kernel, self.classifier.bias
        kernel.assign(keras.initializers.GlorotUniform(seed=seed)(kernel.shape))
        bias.assign(tf.zeros_like(bias))
