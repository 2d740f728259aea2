"""SeLa (Asano, Rupprecht & Vedaldi, 2020): self-labelling by simultaneous clustering and
representation learning.

The network is trained with cross-entropy on pseudo-labels of the whole training set, and the
labels are in turn chosen to minimise that same cross-entropy subject to the equipartition
constraint (every one of the K labels used by N/K images). The relaxed problem is solved by
Sinkhorn-Knopp on P^λ, the network's probabilities raised to the power λ (`tfssl.ops.sinkhorn`
on log P with ε = 1/λ), and each image takes the label of its largest code. Several heads, each
with its own labels, share the encoder.
"""

import keras
import numpy as np
import tensorflow as tf

from tfssl import evaluation, losses, ops
from tfssl.methods.base import SelfSupervisedModel
from tfssl.methods.pseudo_labels import (
    PseudoLabelCallback,
    check_cluster_count,
    whole_set_components,
)
from tfssl.methods.registry import register_method


def label_update_steps(total_steps, steps_per_epoch, num_updates):
    """The optimizer steps before which SeLa recomputes its labels: the first step of epoch
    ⌊E·t²⌋ for t in linspace(0, 1, num_updates), E the run's length in epochs.

    Quadratic spacing (the released code's) makes the updates dense early, when the features
    change fastest; taking whole epochs and dropping duplicates keeps them at most one per epoch,
    and epochs that start at or after the last step (no training left) are dropped. Step 0 is
    always one: the first update replaces the random initial labels before any training.

    Returns:
      sorted list of int steps.
    """
    epochs = total_steps / steps_per_epoch
    update_epochs = np.floor(epochs * np.linspace(0.0, 1.0, num_updates) ** 2).astype(int)
    return [
        int(e) * steps_per_epoch
        for e in np.unique(update_epochs)
        if e * steps_per_epoch < total_steps
    ]


SINKHORN_CHECK_EVERY = 50


def equipartition_codes(log_probs, lam, max_iterations, tolerance):
    """Codes [N, K] of SeLa's label assignment: Sinkhorn-Knopp on P^λ (`ops.sinkhorn` of log P
    with ε = 1/λ), run until every label's mass is within `tolerance` (relative) of N/K or for
    `max_iterations`.

    The iterations run in rounds of `SINKHORN_CHECK_EVERY`; each round restarts `ops.sinkhorn`
    from the previous codes (scores ε·log codes). That continues the same iteration, since the
    Sinkhorn projection of a kernel is unchanged by scaling its rows and columns, and the codes
    are the kernel with the scalings found so far.

    Args:
      log_probs: float64 [N, K] log-probabilities of one head.

    Returns:
      (codes float64 [N, K] whose rows sum to 1, mass_error: the largest |K/N·mass_k − 1|).
    """
    epsilon = 1.0 / lam
    scores = tf.convert_to_tensor(log_probs)
    num_examples, num_clusters = scores.shape
    done = 0
    while True:
        rounds = min(SINKHORN_CHECK_EVERY, max_iterations - done)
        codes = ops.sinkhorn(scores, epsilon, rounds)
        done += rounds
        masses = tf.reduce_sum(codes, axis=0) * num_clusters / num_examples  # [K], 1 when exact
        mass_error = float(tf.reduce_max(tf.abs(masses - 1.0)))
        if mass_error <= tolerance or done >= max_iterations:
            return codes, mass_error
        scores = epsilon * tf.math.log(codes)


def random_equipartition(num_heads, num_examples, num_clusters, seed=0):
    """Initial labels [num_heads, N]: i mod K over the images, shuffled independently per head,
    so every label is used ⌊N/K⌋ or ⌈N/K⌉ times (SeLa's initialisation)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(num_examples) % num_clusters
    return np.stack([rng.permutation(labels) for _ in range(num_heads)]).astype(np.int32)


@register_method("sela")
class SeLa(SelfSupervisedModel):
    """SeLa: `num_heads` linear heads of K outputs on the encoder, each trained with cross-entropy
    on its own pseudo-labels of the training images.

    The labels are an int32 `ops.ExampleMemory` of rows [num_heads], one per image, indexed by
    the image's position in the training source (`data["index"]`), so they are checkpointed
    with the model. They start as
    a random equipartition; `relabel` replaces them, and a `PseudoLabelCallback` calls it during
    `fit` on the `label_update_steps` schedule. Unlike DeepCluster the heads are kept: the new
    labels are derived from their predictions, so label ids keep their meaning.

    Args:
      encoder: a Keras model from images [N, H, W, 3] to features [N, D].
      num_clusters: K, the number of labels per head.
      num_examples: N, the training set size.
      num_heads: number of clustering heads.
      lam: λ, the inverse entropy regularisation of the label assignment; larger is closer to
        the exact (hard) optimal transport.
      sinkhorn_iterations: the most Sinkhorn-Knopp iterations per head and label update.
      sinkhorn_tolerance: iterations stop once every label's code mass is within this relative
        distance of N/K.
      num_label_updates: label updates over the run (fewer when two fall in one epoch).
      seed: seed of the initial labels.
    """

    metric_names = ("label_acc",)
    options = (
        "num_clusters",
        "num_examples",
        "num_heads",
        "lam",
        "sinkhorn_iterations",
        "sinkhorn_tolerance",
        "num_label_updates",
        "seed",
    )

    def __init__(
        self,
        encoder,
        num_clusters,
        num_examples,
        num_heads=1,
        lam=25.0,
        sinkhorn_iterations=1000,
        sinkhorn_tolerance=1e-3,
        num_label_updates=100,
        seed=0,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        check_cluster_count(num_clusters, num_examples)
        self.num_clusters = num_clusters
        self.num_examples = num_examples
        self.num_heads = num_heads
        self.lam = lam
        self.sinkhorn_iterations = sinkhorn_iterations
        self.sinkhorn_tolerance = sinkhorn_tolerance
        self.num_label_updates = num_label_updates
        self.seed = seed
        self.heads = keras.layers.EinsumDense(
            "bd,dhk->bhk", output_shape=(num_heads, num_clusters), bias_axes="hk", name="heads"
        )
        initial = random_equipartition(num_heads, num_examples, num_clusters, seed).T  # [N, H]
        self.pseudo_labels = ops.ExampleMemory(
            num_examples,
            row_shape=(num_heads,),
            dtype="int32",
            initializer=lambda shape, dtype: tf.constant(initial, dtype=dtype),
            name="pseudo_labels",
        )

    @classmethod
    def components_from_config(cls, task_config):
        return whole_set_components(task_config)

    def compute_batch_loss(self, data, training):
        """Cross-entropy averaged over the heads and the global batch, on the labels of the
        batch's images."""
        logits = self.heads(self.encoder(data["views"][0], training=training))  # [b, H, K]
        labels = self.pseudo_labels.lookup(data["index"])  # [b, H]
        # Every head has b rows, so the mean over the b·H rows is the mean over heads of each
        # head's mean cross-entropy.
        loss, accuracy = losses.pseudo_label_cross_entropy(
            tf.reshape(labels, [-1]), tf.reshape(logits, [-1, self.num_clusters])
        )
        return loss, {"label_acc": accuracy}

    def head_logits(self, features, head):
        """Logits [N, K] of head `head` on encoder features [N, D] (one head at a time, so a label
        update never holds more than one N×K matrix)."""
        features = tf.convert_to_tensor(features, self.heads.kernel.dtype)
        return tf.matmul(features, self.heads.kernel[:, head]) + self.heads.bias[head]

    def cluster_logits(self, features):
        """Head 0 scores the K self-labels of an image."""
        return self.head_logits(features, 0)

    def assign_labels(self, features):
        """New labels [num_heads, N] of features [N, D]: per head, `equipartition_codes` of the
        log-probabilities (in float64), and each image takes its largest code.

        Returns:
          (labels int32 [num_heads, N], mass_errors [num_heads] of the codes).
        """
        labels, mass_errors = [], []
        for head in range(self.num_heads):
            log_probs = tf.nn.log_softmax(tf.cast(self.head_logits(features, head), tf.float64))
            codes, mass_error = equipartition_codes(
                log_probs, self.lam, self.sinkhorn_iterations, self.sinkhorn_tolerance
            )
            labels.append(tf.argmax(codes, axis=1, output_type=tf.int32))
            mass_errors.append(mass_error)
        return np.stack(labels), np.array(mass_errors)

    def relabel(self, dataset):
        """Recomputes every head's labels from the current network and stores them.

        Extracts the encoder's features of `dataset` (un-augmented, in source order) and runs
        `assign_labels`.

        Returns:
          dict with `nmi_previous` (mean over heads, against the previous labels), `nmi_labels`
          (mean over heads, against the true labels, when `dataset` has them), the range of
          label sizes over all heads, and `mass_error`, the largest relative deviation of a
          label's code mass from N/K (at most `sinkhorn_tolerance` once converged).
        """
        features, true_labels = evaluation.extract_features(self.encoder, dataset)
        if len(features) != self.num_examples:
            raise ValueError(f"got features of {len(features)} images for {self.num_examples}")
        labels, mass_errors = self.assign_labels(features)
        previous = self.pseudo_labels.numpy().T  # [num_heads, N]
        self.pseudo_labels.assign(labels.T)
        sizes = np.stack([np.bincount(head, minlength=self.num_clusters) for head in labels])
        stats = {
            "nmi_previous": float(
                np.mean([evaluation.nmi(p, q) for p, q in zip(previous, labels)])
            ),
            "min_size": int(sizes.min()),
            "max_size": int(sizes.max()),
            "mass_error": float(mass_errors.max()),
        }
        if (true_labels >= 0).all():
            stats["nmi_labels"] = float(np.mean([evaluation.nmi(true_labels, h) for h in labels]))
        return stats

    def training_callbacks(self, train_images_fn, steps_per_epoch):
        steps = frozenset(
            label_update_steps(self.total_steps, steps_per_epoch, self.num_label_updates)
        )
        return [
            PseudoLabelCallback(
                train_images_fn,
                schedule=steps.__contains__,
                update=lambda dataset, step: self.relabel(dataset),
                name="relabelled",
            )
        ]
