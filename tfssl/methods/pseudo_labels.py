"""Shared pieces of the methods that train on pseudo-labels of the whole training set
(DeepCluster's and DeeperCluster's k-means clusters, SeLa's Sinkhorn-Knopp labels): the features
they cluster, the per-sample cluster weights, and the callback that recomputes the labels from
the current features between optimizer steps, eagerly and outside `tf.function`."""

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from tfssl import evaluation
from tfssl.data import inputs
from tfssl.methods.base import SelfSupervisedModel
from tfssl.methods.builders import build_encoder


def pca_whiten(features, dim, eps=1e-5):
    """Projects centred features on their top `dim` principal axes and scales each axis to unit
    variance (faiss' PCAMatrix with eigen_power −0.5, as DeepCluster). [N, D] → [N, min(dim, D)]."""
    x = np.asarray(features, np.float64)
    x = x - x.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(x.T @ x / len(x))  # ascending
    top = np.argsort(eigenvalues)[::-1][: min(dim, x.shape[1])]
    return (x @ eigenvectors[:, top] / np.sqrt(eigenvalues[top] + eps)).astype(np.float32)


def clustering_features(encoder, dataset, num_examples, pca_dim):
    """DeepCluster's input to k-means: the encoder's features of the whole un-augmented training
    set (in source order), PCA-whitened to `pca_dim` and L2-normalised.

    Returns:
      (features float32 [N, min(pca_dim, D)], labels [N], −1 where unknown).
    """
    features, labels = evaluation.extract_features(encoder, dataset)
    if len(features) != num_examples:
        raise ValueError(f"got features of {len(features)} images for {num_examples}")
    return tf.math.l2_normalize(pca_whiten(features, pca_dim), axis=1), labels


def embedding_table(embed, dataset):
    """Every training image's L2-normalised embedding, in source order: `embed(images,
    training)` over `dataset`'s `{"image", "label"}` batches → float32 [N, E] (NPID's bank and
    Exemplar-CNN's class directions when they start from the initial network)."""
    features, _ = evaluation.extract_features(embed, dataset)
    return features / np.linalg.norm(features, axis=1, keepdims=True)


def cluster_weights(assignments, num_clusters):
    """Per-sample weights N / (k·|c_i|): each non-empty cluster's samples sum to N/k."""
    assignments = np.asarray(assignments)
    sizes = np.bincount(assignments, minlength=num_clusters)
    return (len(assignments) / (num_clusters * sizes[assignments])).astype(np.float32)


def check_cluster_count(num_clusters, num_examples):
    """Every cluster needs an image: more clusters than training images is a clear error."""
    if not 1 < num_clusters <= num_examples:
        raise ValueError(
            f"{num_clusters} clusters for {num_examples} training images: need "
            "1 < clusters <= images (task.num_clusters, or num_super_clusters * num_sub_clusters)"
        )


class PseudoLabelCallback(keras.callbacks.Callback):
    """Calls `update(dataset, step)` before every optimizer step that `schedule` accepts and keeps
    the statistics it returns in `history`.

    Args:
      train_images_fn: returns the un-augmented training set in source order; called once, on
        the first update.
      schedule: optimizer step → bool, whether the labels are recomputed before that step.
      update: (dataset, step) → dict of float statistics; recomputes the labels.
      name: the past participle that names the update in the log ("reclustered").
    """

    def __init__(self, train_images_fn, schedule, update, name):
        super().__init__()
        self.train_images_fn = train_images_fn
        self.schedule = schedule
        self.update = update
        self.name = name
        self.history = []
        self._dataset = None

    def on_train_batch_begin(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if not self.schedule(step):
            return
        if self._dataset is None:
            self._dataset = self.train_images_fn()
        stats = self.update(self._dataset, step)
        self.history.append({"step": step, **stats})
        logging.info(
            "step %d %s: %s", step, self.name, " ".join(f"{k}={v:.4g}" for k, v in stats.items())
        )


def whole_set_components(task_config):
    """The encoder, the training-set size N (from the data source) and seed 0 of the methods
    that label the whole training set (their per-example state has N rows)."""
    return {
        "encoder": build_encoder(task_config.model.backbone),
        "num_examples": inputs.source_size(task_config.train_data),
        "seed": 0,
    }


class ReclusteringModel(SelfSupervisedModel):
    """The base of DeepCluster and DeeperCluster: every `recluster_every_steps` optimizer steps
    (every epoch when 0; step 0 included) the subclass's `recluster(dataset, seed)` clusters the
    encoder's features of the whole training set, the clustering before step s seeded with
    `seed` + s.

    Args:
      encoder: a Keras model from images [N, H, W, 3] to features [N, D].
      num_examples: N, the training set size (from the data source).
      pca_dim: dimension of the PCA-whitened features that are clustered.
      kmeans_iterations: Lloyd iterations per clustering.
      recluster_every_steps: optimizer steps between clusterings (0: once per epoch).
      seed: seed of the k-means and of the heads' re-initialisation.
    """

    options = ("num_examples", "pca_dim", "kmeans_iterations", "recluster_every_steps", "seed")

    def __init__(
        self,
        encoder,
        num_examples,
        pca_dim=256,
        kmeans_iterations=20,
        recluster_every_steps=0,
        seed=0,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        self.num_examples = num_examples
        self.pca_dim = pca_dim
        self.kmeans_iterations = kmeans_iterations
        self.recluster_every_steps = recluster_every_steps
        self.seed = seed

    @classmethod
    def components_from_config(cls, task_config):
        return whole_set_components(task_config)

    def clustering_features(self, dataset):
        """`clustering_features` of the current encoder on the whole training set."""
        return clustering_features(self.encoder, dataset, self.num_examples, self.pca_dim)

    def recluster(self, dataset, seed):
        """Clusters `dataset` (the un-augmented training set in source order) and stores the
        result as the new targets; returns statistics to log."""
        raise NotImplementedError

    def training_callbacks(self, train_images_fn, steps_per_epoch):
        every = self.recluster_every_steps or steps_per_epoch
        return [
            PseudoLabelCallback(
                train_images_fn,
                schedule=lambda step: step % every == 0,
                update=lambda dataset, step: self.recluster(dataset, seed=self.seed + step),
                name="reclustered",
            )
        ]
