"""S4L (Zhai et al. 2019): a self-supervised pretext task on labeled and unlabeled images beside
the class head on one trunk, in the Rotation or the Exemplar form."""

import tensorflow as tf

from tfssl import data, losses
from tfssl.data.rotation import NUM_ROTATIONS, rotate_batch
from tfssl.losses.triplet import batch_hard_triplet
from tfssl.methods.builders import build_classifier
from tfssl.methods.registry import register_method
from tfssl.semi.base import SemiSupervisedModel

PRETEXTS = ("rotation", "exemplar")


@register_method("s4l")
class S4L(SemiSupervisedModel):
    """S4L: CE of the class head + unsup_weight · ramp · L_self, one forward of every image.

    "rotation" (S4L-Rotation): every labeled and unlabeled image at the four right-angle
    rotations; L_self is the mean of the rotation-head CE over the labeled and over the
    unlabeled rows, and the class CE covers all four rotated copies of each labeled image.

    "exemplar" (S4L-Exemplar): `num_copies` strongly augmented copies of each unlabeled image
    (`data.strong_augment`, the embedded data's stand-in for the paper's inception crops and
    HSV noise); L_self is the batch-hard triplet loss with soft margin
    (`losses.triplet.batch_hard_triplet`) of their L2-normalised embeddings, copies of one image
    being positives. The class CE is on the labeled images' weak view: their copies reach the
    triplet term through the unlabeled stream, which holds every training image.

    Evaluation uses the class head on unrotated images (the EMA weights when kept).
    """

    components = SemiSupervisedModel.components + ("pretext_head",)
    options = SemiSupervisedModel.options + ("pretext", "num_copies")
    metric_names = SemiSupervisedModel.metric_names + ("rotation_acc",)

    def __init__(self, *args, pretext_head=None, pretext="rotation", num_copies=4, **kwargs):
        super().__init__(*args, **kwargs)
        if pretext not in PRETEXTS:
            raise ValueError(f"pretext must be one of {PRETEXTS}, got {pretext!r}")
        self.pretext_head = pretext_head
        self.pretext = pretext
        self.num_copies = num_copies
        self.unlabeled_views = num_copies if pretext == "exemplar" else 1

    @classmethod
    def components_from_config(cls, task_config):
        """The base components plus a linear rotation classifier or embedding head."""
        components = super().components_from_config(task_config)
        feature_dim = components["encoder"].output_shape[-1]
        if task_config.pretext == "rotation":
            head = build_classifier(feature_dim, NUM_ROTATIONS, "rotation_classifier")
        else:
            head = build_classifier(feature_dim, task_config.embedding_dim, "exemplar_embedding")
        components["pretext_head"] = head
        return components

    def unlabeled_view_fns(self):
        if self.pretext == "rotation":
            return (self.weak_view,)
        return (self.exemplar_copy,) * self.num_copies

    def exemplar_copy(self, image, seed):
        """One surrogate-class copy: the weak augmentation, RandAugment and Cutout."""
        return data.strong_augment(image, seed, translate=self.translate, flip=self.flip)

    def compute_batch_loss(self, data, training):
        labeled, unlabeled = data["labeled"], data["unlabeled"]
        if self.pretext == "rotation":
            supervised, accuracy, self_loss, logs = self.rotation_terms(
                labeled, unlabeled["views"][0], training
            )
        else:
            supervised, accuracy, self_loss, logs = self.exemplar_terms(
                labeled, unlabeled, training
            )
        weight = tf.cast(self.ramp_weight(), supervised.dtype)
        return supervised + weight * tf.cast(self_loss, supervised.dtype), {
            "supervised_loss": supervised,
            "unsupervised_loss": self_loss,
            "unsup_weight": weight,
            "labeled_acc": accuracy,
            **logs,
        }

    def rotation_terms(self, labeled, unlabeled_images, training):
        """(class CE, its accuracy, L_rot, logs) of one forward of all rotated images."""
        rotated_labeled, labeled_angles = rotate_batch(labeled["image"])  # [4b, ...], [4b]
        rotated_unlabeled, unlabeled_angles = rotate_batch(unlabeled_images)  # [4u, ...]
        features = self.encoder(
            tf.concat([rotated_labeled, tf.cast(rotated_unlabeled, rotated_labeled.dtype)], 0),
            training=training,
        )
        labeled_features, unlabeled_features = tf.split(
            features, [tf.shape(rotated_labeled)[0], tf.shape(rotated_unlabeled)[0]]
        )
        class_labels = tf.tile(labeled["label"], [NUM_ROTATIONS])  # rotation-major, as the rows
        supervised, accuracy = losses.pseudo_label_cross_entropy(
            class_labels, self.classifier(labeled_features, training=training)
        )
        labeled_rotation, _ = losses.pseudo_label_cross_entropy(
            labeled_angles, self.pretext_head(labeled_features, training=training)
        )
        unlabeled_rotation, rotation_accuracy = losses.pseudo_label_cross_entropy(
            unlabeled_angles, self.pretext_head(unlabeled_features, training=training)
        )
        self_loss = (labeled_rotation + unlabeled_rotation) / 2
        return supervised, accuracy, self_loss, {"rotation_acc": rotation_accuracy}

    def exemplar_terms(self, labeled, unlabeled, training):
        """(class CE, its accuracy, triplet loss, logs) of one forward of the labeled images
        and every unlabeled copy."""
        copies = [tf.cast(v, labeled["image"].dtype) for v in unlabeled["views"]]
        features = self.encoder(tf.concat([labeled["image"], *copies], 0), training=training)
        labeled_rows = tf.shape(labeled["image"])[0]
        supervised, accuracy = losses.pseudo_label_cross_entropy(
            labeled["label"], self.classifier(features[:labeled_rows], training=training)
        )
        embeddings = self.pretext_head(features[labeled_rows:], training=training)  # [K·u, E]
        ids = tf.tile(unlabeled["index"], [len(copies)])  # copy-major, as the rows
        return supervised, accuracy, batch_hard_triplet(embeddings, ids), {}
