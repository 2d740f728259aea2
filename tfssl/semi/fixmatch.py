"""FixMatch (Sohn et al. 2020): the confident prediction on a weakly augmented unlabeled image is
the hard label of its strongly augmented (RandAugment + Cutout) view."""

import keras
import numpy as np
import tensorflow as tf

from tfssl import data, losses
from tfssl.losses.classification import confident_pseudo_labels
from tfssl.methods.registry import register_method
from tfssl.ops import distributed
from tfssl.semi.base import SemiSupervisedModel


def align_distribution(probabilities, model_marginal, target_marginal):
    """ReMixMatch's distribution alignment: p̃ = normalise(p · p(y) / p̄), which moves the
    average prediction p̄ towards the labeled class marginal p(y) (for class-imbalanced unlabeled
    data, where confident predictions drift to the majority classes).

    Args:
      probabilities: [b, C] predictions p.
      model_marginal: [C] running mean p̄ of the predictions on unlabeled images.
      target_marginal: [C] class marginal p(y) of the labeled data.
    """
    aligned = probabilities * target_marginal / model_marginal
    return aligned / tf.reduce_sum(aligned, axis=-1, keepdims=True)


@register_method("fixmatch")
class FixMatch(SemiSupervisedModel):
    """`losses.fixmatch` between the weak view (pseudo-labels, no gradient) and the strong view
    (`data.strong_augment`), both in the step's one concatenated forward with the labeled images
    (FixMatch's forward: batch norm sees all (1 + 2μ)·B images). No ramp: the threshold τ is the
    curriculum.

    With `distribution_alignment` the weak predictions are aligned (`align_distribution`) to
    the labeled split's class marginal with a running mean p̄ of momentum
    `alignment_momentum` (a checkpointed weight, updated by the global batch's mean).

    Logs `mask_rate` and `pseudo_label_acc`, the accuracy of the kept pseudo-labels against the
    hidden training labels. The latter is for monitoring only: it is read from the labels of the
    training source (`training_labels`), which never reach the loss; it stays 0 when the model
    is trained on inputs it did not build.
    """

    options = SemiSupervisedModel.options + (
        "threshold",
        "distribution_alignment",
        "alignment_momentum",
    )
    metric_names = SemiSupervisedModel.metric_names + ("mask_rate", "pseudo_label_acc")
    unlabeled_views = 2

    def __init__(
        self,
        *args,
        threshold=0.95,
        distribution_alignment=False,
        alignment_momentum=0.999,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.threshold = threshold
        self.distribution_alignment = distribution_alignment
        self.alignment_momentum = alignment_momentum
        self.hidden_labels = None
        uniform = np.full([self.num_classes], 1.0 / self.num_classes, np.float32)
        self.labeled_marginal = tf.constant(uniform)
        self.prediction_marginal = self.add_weight(
            shape=(self.num_classes,),
            initializer=keras.initializers.Constant(1.0 / self.num_classes),
            trainable=False,
            aggregation="only_first_replica",
            name="prediction_marginal",
        )

    def strong_view(self, image, seed):
        """The weak augmentation, then 2 RandAugment ops drawn for this image and Cutout."""
        return data.strong_augment(image, seed, translate=self.translate, flip=self.flip)

    def unlabeled_view_fns(self):
        return (self.weak_view, self.strong_view)

    def build_inputs(self, data_config, seed):
        """The base streams; also keeps the training labels for `pseudo_label_acc` and the
        labeled split's class marginal for distribution alignment."""
        labels = self.training_labels(data_config)
        counts = np.bincount(
            labels[self.labeled_indices(data_config, seed)], minlength=self.num_classes
        )
        self.hidden_labels = tf.constant(labels, tf.int32)
        self.labeled_marginal = tf.constant(counts / counts.sum(), tf.float32)
        return super().build_inputs(data_config, seed)

    def weak_pseudo_logits(self, weak_logits, training):
        """The weak view's logits, or with distribution alignment the log of the aligned
        probabilities (updating the running marginal when training)."""
        if not self.distribution_alignment:
            return weak_logits
        dtype = self.prediction_marginal.dtype
        probabilities = tf.nn.softmax(tf.stop_gradient(tf.cast(weak_logits, dtype)))
        aligned = align_distribution(
            probabilities, self.prediction_marginal, tf.cast(self.labeled_marginal, dtype)
        )
        if training:
            batch_mean = distributed.global_mean(probabilities)  # [C]
            m = self.alignment_momentum
            self.prediction_marginal.assign(m * self.prediction_marginal + (1 - m) * batch_mean)
        return tf.math.log(aligned)

    def unsupervised_loss(self, batch, training):
        weak_logits, strong_logits = batch.logits
        pseudo_logits = self.weak_pseudo_logits(weak_logits, training)
        loss, mask_rate = losses.fixmatch(pseudo_logits, strong_logits, self.threshold)
        return loss, {
            "mask_rate": mask_rate,
            "pseudo_label_acc": self.pseudo_label_accuracy(pseudo_logits, batch.index),
        }

    def pseudo_label_accuracy(self, pseudo_logits, index):
        """Share of the kept pseudo-labels that equal the hidden label, over the global batch."""
        if self.hidden_labels is None:
            return tf.constant(0.0)
        labels, mask = confident_pseudo_labels(pseudo_logits, self.threshold)
        truth = tf.gather(self.hidden_labels, tf.cast(index, tf.int32))
        correct = mask * tf.cast(tf.equal(labels, truth), mask.dtype)
        kept, hits = distributed.global_sum((mask, correct))
        return tf.math.divide_no_nan(hits, kept)
