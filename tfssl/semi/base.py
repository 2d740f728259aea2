"""The model every semi-supervised method builds on: a labeled and an unlabeled stream, one
forward of all their images, the supervised cross-entropy, a method's unsupervised term weighted
by a ramp, and an EMA of the weights for evaluation."""

import dataclasses
from typing import List

import numpy as np
import tensorflow as tf

from tfssl import data, losses, models, ops
from tfssl.data import inputs
from tfssl.evaluation.label_fraction import class_balanced_subset
from tfssl.methods.base import SelfSupervisedModel
from tfssl.methods.builders import build_classifier, build_encoder


@dataclasses.dataclass
class UnlabeledBatch:
    """What a method's unsupervised term sees of one step (per replica).

    Attributes:
      views: the unlabeled stream's views, each [u, H, W, 3] (u = μ·b on this replica).
      logits: class logits from the step's one forward of the first `student_views` views (all
        by default), each [u, C].
      index: int64 [u], each image's position in the training set.
      labeled_images: the labeled images [b, H, W, 3] (their logits are not here: the
        supervised term owns them).
    """

    views: List[tf.Tensor]
    logits: List[tf.Tensor]
    index: tf.Tensor
    labeled_images: tf.Tensor


def ramp(kind, step, rampup_steps):
    """The weight ramp of the unsupervised term at `step`: "linear" clip(step / rampup_steps),
    "sigmoid" exp(−5(1 − t)²) (`ops.sigmoid_rampup`), "none" 1; 1 once the ramp is over."""
    if kind == "none" or not rampup_steps:
        return tf.constant(1.0, tf.float32)
    if kind == "sigmoid":
        return ops.sigmoid_rampup(step, rampup_steps)
    return tf.clip_by_value(tf.cast(step, tf.float32) / float(rampup_steps), 0.0, 1.0)


def source_labels(data_config):
    """Every label of a training source, in source order (one pass over it, images unused)."""
    source, _ = inputs.build_source(data_config)
    labels = source.map(lambda example: example["label"], num_parallel_calls=tf.data.AUTOTUNE)
    return np.concatenate(list(labels.batch(4096).as_numpy_iterator()))


def build_class_head(feature_dim, task_config, backbone_config, name):
    """The class head: linear, or with `task.head_hidden_dim` > 0 one Dense-BN-ReLU layer of that
    width first (SimCLRv2 fine-tunes from the projection head's first layer)."""
    if not task_config.head_hidden_dim:
        return build_classifier(feature_dim, task_config.num_classes, name)
    return models.mlp(
        feature_dim,
        [task_config.head_hidden_dim],
        task_config.num_classes,
        sync_bn=backbone_config.sync_bn,
        bn_momentum=backbone_config.bn_momentum,
        name=name,
    )


class SemiSupervisedModel(SelfSupervisedModel):
    """Base of the semi-supervised methods (subclasses implement `unsupervised_loss`).

    Each step reads `{"labeled": {"image", "label"}, "unlabeled": {"views", "index"}}`: the
    labeled stream's images and every unlabeled view go through the encoder and class head in
    **one** forward, so batch norm normalises labeled and unlabeled images together and no
    method switches BN modes (FixMatch's choice; under sync BN this also makes a step on R
    replicas equal one device on the global batch). The loss is

        CE(labeled) + unsup_weight · ramp(step) · unsupervised_loss,

    both terms global-batch means. With `ema_decay` > 0 an EMA of the encoder and head (BN
    statistics copied from the live model) serves `evaluation_encoder` and `class_logits`, which
    evaluation and export use.

    Class attributes a method sets:
      unlabeled_views: number of weakly augmented views per unlabeled image (0: no unlabeled
        stream, the labels-only baseline).
      student_views: how many of the views go through the shared forward (None: all; Mean
        Teacher sends its second view through the teacher instead).
      ema_schedule: the EMA's momentum schedule (`ops.EMATeacher`).
    """

    components = ("encoder", "classifier", "ema_encoder", "ema_classifier")
    options = (
        "num_classes",
        "unsup_weight",
        "rampup",
        "rampup_fraction",
        "ema_decay",
        "num_per_class",
        "label_fraction",
        "unlabeled_ratio",
        "translate",
        "flip",
        "noise",
    )
    metric_names = ("supervised_loss", "unsupervised_loss", "unsup_weight", "labeled_acc")
    unlabeled_views = 1
    student_views = None
    ema_schedule = "constant"

    def __init__(
        self,
        encoder,
        classifier,
        ema_encoder=None,
        ema_classifier=None,
        num_classes=10,
        unsup_weight=1.0,
        rampup="linear",
        rampup_fraction=0.4,
        ema_decay=0.0,
        num_per_class=10,
        label_fraction=0.0,
        unlabeled_ratio=1,
        translate=0.125,
        flip=False,
        noise=0.0,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        self.classifier = classifier
        self.ema_encoder = ema_encoder
        self.ema_classifier = ema_classifier
        self.num_classes = num_classes
        self.unsup_weight = unsup_weight
        self.rampup = rampup
        self.rampup_fraction = rampup_fraction
        self.ema_decay = ema_decay
        self.num_per_class = num_per_class
        self.label_fraction = label_fraction
        self.unlabeled_ratio = unlabeled_ratio
        self.translate = translate
        self.flip = flip
        self.noise = noise
        self._labels = {}  # training labels by source, read once for the labeled split
        if (ema_encoder is None) != (ema_decay == 0):
            raise ValueError("give ema_encoder and ema_classifier exactly when ema_decay > 0")
        if ema_encoder is not None:
            self.add_teacher(
                ops.EMATeacher(
                    [encoder, classifier],
                    [ema_encoder, ema_classifier],
                    ema_decay,
                    self.ema_schedule,
                    copy_statistics=True,
                )
            )

    @classmethod
    def components_from_config(cls, task_config):
        """Encoder and linear class head, their EMA copies when `ema_decay` > 0, and the
        labeled-stream options from `task.labeled`."""
        backbone = task_config.model.backbone

        def networks(prefix):
            encoder = build_encoder(backbone, name=f"{prefix}{backbone.type}")
            head = build_class_head(
                encoder.output_shape[-1], task_config, backbone, f"{prefix}classifier"
            )
            return encoder, head

        encoder, classifier = networks("")
        ema_encoder, ema_classifier = networks("ema_") if task_config.ema_decay else (None, None)
        labeled = task_config.labeled
        return {
            "encoder": encoder,
            "classifier": classifier,
            "ema_encoder": ema_encoder,
            "ema_classifier": ema_classifier,
            "num_per_class": labeled.num_per_class,
            "label_fraction": labeled.fraction,
            "unlabeled_ratio": labeled.unlabeled_ratio,
            "translate": labeled.translate,
            "flip": labeled.flip,
            "noise": labeled.noise,
        }

    # ---- input --------------------------------------------------------------------------------

    def weak_view(self, image, seed):
        """The weak augmentation of both streams (translation, flips where allowed, Gaussian
        noise when `noise` > 0)."""
        crop_seed, noise_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        view = data.weak_augment(image, crop_seed, translate=self.translate, flip=self.flip)
        if not self.noise:
            return view
        return view + self.noise * tf.random.stateless_normal(tf.shape(view), noise_seed)

    def unlabeled_view_fns(self):
        """One augmentation per unlabeled view (weak by default; FixMatch adds a strong one)."""
        return (self.weak_view,) * self.unlabeled_views

    def labeled_indices(self, data_config, seed):
        """The training examples whose labels this run reads: `num_per_class` per class
        (`data.labeled_split`), or the class-balanced `label_fraction` when it is set; the
        choice is fixed by `seed`."""
        labels = self.training_labels(data_config)
        if self.label_fraction:
            return class_balanced_subset(labels, self.label_fraction, seed)
        return data.labeled_split(labels, self.num_per_class, seed)

    def training_labels(self, data_config):
        """Every label of the training source, in source order (read once per source). Only the
        labeled split's reach the loss; a method may monitor its pseudo-labels with the rest."""
        key = (data_config.source, data_config.tfds_name, data_config.split, data_config.path)
        if key not in self._labels:
            self._labels[key] = source_labels(data_config)
        return self._labels[key]

    def build_inputs(self, data_config, seed):
        """Labeled (global batch B) and unlabeled (μ·B) streams zipped per replica."""
        indices = self.labeled_indices(data_config, seed)
        source, _ = inputs.build_source(data_config)
        labeled_batch = data_config.global_batch_size

        def input_fn(input_context):
            return data.semi_supervised_dataset(
                source,
                indices,
                input_context.get_per_replica_batch_size(labeled_batch),
                input_context.get_per_replica_batch_size(labeled_batch * self.unlabeled_ratio),
                self.unlabeled_view_fns(),
                seed=seed,
                labeled_view=self.weak_view,
                input_context=input_context,
                shuffle_buffer=data_config.shuffle_buffer,
                cache=data_config.cache,
            )

        return input_fn

    # ---- the step -----------------------------------------------------------------------------

    def logits(self, images, training):
        """Class logits of the live encoder and head."""
        return self.classifier(self.encoder(images, training=training), training=training)

    def logits_beside_labeled(self, batch, images, training, encoder=None, classifier=None):
        """Logits [u, C] of unlabeled `images` [u, ...] from a forward of them concatenated
        with the step's labeled images, so that batch norm normalises them with the statistics
        of a batch composed like the shared forward's (a perturbed or teacher forward of the
        unlabeled images alone would see other statistics than their clean, student logits).
        `encoder` and `classifier` default to the live networks."""
        encoder, classifier = encoder or self.encoder, classifier or self.classifier
        labeled = batch.labeled_images
        images = tf.concat([tf.cast(labeled, images.dtype), images], axis=0)
        logits = classifier(encoder(images, training=training), training=training)
        return logits[tf.shape(labeled)[0] :]

    def ramp_weight(self):
        """unsup_weight × the ramp at the current step."""
        rampup_steps = int(self.rampup_fraction * self.total_steps)
        return self.unsup_weight * ramp(self.rampup, self.step, rampup_steps)

    def compute_batch_loss(self, data, training):
        labeled = data["labeled"]
        unlabeled = data.get("unlabeled", {"views": (), "index": tf.zeros([0], tf.int64)})
        views = list(unlabeled["views"])
        parts = [labeled["image"], *views[: self.student_views]]
        logits = self.logits(tf.concat(parts, axis=0), training)  # [b + Σ u, C]
        labeled_logits, *view_logits = tf.split(logits, [tf.shape(p)[0] for p in parts], axis=0)
        supervised, accuracy = losses.pseudo_label_cross_entropy(labeled["label"], labeled_logits)
        batch = UnlabeledBatch(views, view_logits, unlabeled["index"], labeled["image"])
        unsupervised, logs = self.unsupervised_loss(batch, training)
        weight = tf.cast(self.ramp_weight(), supervised.dtype)
        loss = supervised + weight * tf.cast(unsupervised, supervised.dtype)
        return loss, {
            "supervised_loss": supervised,
            "unsupervised_loss": unsupervised,
            "unsup_weight": weight,
            "labeled_acc": accuracy,
            **logs,
        }

    def unsupervised_loss(self, batch, training):
        """(global unsupervised loss scalar, dict of named scalars) of an `UnlabeledBatch`."""
        raise NotImplementedError

    # ---- evaluation ---------------------------------------------------------------------------

    @property
    def evaluation_encoder(self):
        """The EMA encoder when the method keeps one, else the live one."""
        return self.encoder if self.ema_encoder is None else self.ema_encoder

    @property
    def evaluation_classifier(self):
        """The EMA class head when the method keeps one, else the live one."""
        return self.classifier if self.ema_classifier is None else self.ema_classifier

    def class_logits(self, features):
        """Class logits of `evaluation_encoder` features (`evaluation_classifier`)."""
        return self.evaluation_classifier(features, training=False)

    def other_classifiers(self):
        """Further networks whose test top-1 evaluation reports as `<name>_top1`:
        {name: (encoder, features → logits)}; none by default."""
        return {}
