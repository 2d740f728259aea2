"""Exemplar-CNN (Dosovitskiy et al., 2014): every training image is a surrogate class, and
several strongly augmented views of it are its samples, classified by an N-way softmax."""

import keras
import tensorflow as tf

from tfssl import losses, models
from tfssl.data import inputs
from tfssl.methods.base import SelfSupervisedModel, project_views
from tfssl.methods.builders import build_encoder_and_projector
from tfssl.methods.pseudo_labels import PseudoLabelCallback, embedding_table
from tfssl.methods.registry import register_method


CLASSIFIER_INITS = ("random", "features")


def surrogate_classes(index, num_views):
    """The class of each row of the views stacked view-major: view v of image `index[i]` (row
    v·b + i of [V·b, ...]) belongs to class `index[i]`. `index` [b] → int32 [V·b]."""
    return tf.tile(tf.cast(index, tf.int32), [num_views])


def cosine_classifier(embedding_dim, num_classes, name="surrogate_classifier"):
    """[N, embedding_dim] → [N, num_classes] cosine similarities: the input L2-normalised, then
    `models.WeightNormDense` with unit-norm class directions."""
    return keras.Sequential(
        [
            keras.Input([embedding_dim]),
            keras.layers.UnitNormalization(axis=-1, name="l2_normalize"),
            models.WeightNormDense(num_classes, norm_last_layer=True, name="directions"),
        ],
        name=name,
    )


@register_method("exemplar")
class Exemplar(SelfSupervisedModel):
    """Exemplar-CNN with a cosine classifier: the V views of image i (the multi-view stream's
    crops and colour jitter, the embedded stand-in for the paper's translation, scale, contrast
    and colour transforms) all carry class i of N = the training set's size, and the loss is the
    cross-entropy of softmax(cos(g(f(x)), w_c) / `temperature`) over the N classes, averaged over
    the V·B views of the global batch.

    Why a cosine classifier and not NCE over a memory bank: the paper's head is a learned
    softmax classifier, and a normalised one keeps that (the class vectors w_c are trained by
    gradient, unlike NPID's bank of past features, which tfssl already has as `npid`) while
    scaling to N = the whole training set: with unit-norm weights and features no class can win
    by its weight norm or bias, which an ordinary N-way softmax does when each class is a
    positive only about once per epoch, and the softmax stays exact (no negative sampling) for
    N up to a few million rows of a [N, D] matrix. 1/`temperature` is the scale s of
    logits = s·cos.

    The class directions have an optimizer of their own, SGD with momentum at
    `classifier_learning_rate` (group "classifier"): a class is a positive for one step per
    epoch and a negative, with gradient ~1/N, in every other. Adam-type optimizers normalise
    each coordinate's step, so those tiny negative gradients move every direction by about the
    learning rate per step and drown the one positive step; SGD's steps stay proportional to the
    gradient (`exemplar_embedded`, seed 0: linear probe 58.5% with this group, 49.5% with the
    directions under the networks' AdamW).

    With `classifier_init` "features" the class directions start as the initial network's
    embeddings of the un-augmented images (computed before the first step): a class is then
    told apart from the start, where random directions leave each image's class a random target
    until its first visit, a whole epoch in (embedded digits, 4 views of 64 images, 500 steps:
    58.9% on the linear probe from features, 34.1% from random directions, below random init's
    41.2%).

    Args:
      encoder: images → features [N, D].
      projector: features → embeddings [N, E].
      classifier: embeddings → cosine similarities [N, num_examples] (`cosine_classifier`).
      temperature: τ = 1/s.
      classifier_learning_rate: the peak SGD rate of the class directions (unscaled by batch
        size, the task's schedule otherwise).
      classifier_init: "random" or "features" (see above).
    """

    metric_names = ("instance_acc",)
    components = ("encoder", "projector", "classifier")
    options = ("temperature", "classifier_learning_rate", "classifier_init")

    def __init__(
        self,
        encoder,
        projector,
        classifier,
        temperature=0.1,
        classifier_learning_rate=0.1,
        classifier_init="random",
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        if classifier_init not in CLASSIFIER_INITS:
            raise ValueError(
                f"classifier_init must be one of {CLASSIFIER_INITS}, got {classifier_init!r}"
            )
        self.projector = projector
        self.classifier = classifier
        self.temperature = temperature
        self.classifier_learning_rate = classifier_learning_rate
        self.classifier_init = classifier_init

    @classmethod
    def components_from_config(cls, task_config):
        encoder, projector = build_encoder_and_projector(task_config.model, output_bn="none")
        classifier = cosine_classifier(
            projector.output_shape[-1], inputs.source_size(task_config.train_data)
        )
        return {"encoder": encoder, "projector": projector, "classifier": classifier}

    def update_phases(self):
        """One phase: encoder and projector with the task's optimizer, the class directions
        with SGD (see the class docstring)."""
        return self.phase_with_own_group(
            self.classifier,
            "classifier",
            learning_rate={"base_learning_rate": self.classifier_learning_rate, "scaling": "none"},
            optimizer={"type": "sgd", "weight_decay": 0.0},
        )

    def compute_batch_loss(self, data, training):
        views = list(data["views"])
        embeddings = tf.concat(
            project_views(views, self.encoder, self.projector, training), axis=0
        )  # V × [b, E] → [V·b, E], view-major
        logits = self.classifier(embeddings, training=training) / self.temperature  # [V·b, N]
        labels = surrogate_classes(data["index"], len(views))
        loss, accuracy = losses.pseudo_label_cross_entropy(labels, logits)
        return loss, {"instance_acc": accuracy}

    def embed(self, images, training=False):
        """Embeddings g(f(x)) [N, E] of images [N, H, W, 3]."""
        return self.projector(self.encoder(images, training=training), training=training)

    def training_callbacks(self, train_images_fn, steps_per_epoch):
        """With `classifier_init` "features": set the class directions before the first step."""
        del steps_per_epoch
        if self.classifier_init != "features":
            return []
        return [
            PseudoLabelCallback(
                train_images_fn, lambda step: step == 0, self.imprint, "imprinted the classes"
            )
        ]

    def imprint(self, dataset, step):
        """Class direction i := the current L2-normalised embedding of training image i."""
        del step
        table = embedding_table(self.embed, dataset)  # [N, E]
        self.classifier.get_layer("directions").direction.assign(table.T)
        return {"classes": float(len(table))}
