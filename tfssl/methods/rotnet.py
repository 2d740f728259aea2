"""RotNet (Gidaris et al., 2018): every image is shown at 0°, 90°, 180° and 270°, and the
network classifies which rotation it sees; recognising orientation requires recognising
objects."""

import keras
import tensorflow as tf

from tfssl import losses
from tfssl.methods.base import SelfSupervisedModel
from tfssl.methods.registry import register_method
from tfssl.methods.simclr import build_encoder

NUM_ROTATIONS = 4


def rotate_batch(images):
    """All four rotations of a batch of square images, rotation-major.

    Args:
      images: [b, S, S, C].

    Returns:
      (rotated [4b, S, S, C], labels int32 [4b]): rows r·b … (r+1)·b − 1 are the images rotated
      by r·90° counter-clockwise, with label r.
    """
    rotated = tf.concat([tf.image.rot90(images, k=r) for r in range(NUM_ROTATIONS)], axis=0)
    labels = tf.repeat(tf.range(NUM_ROTATIONS, dtype=tf.int32), tf.shape(images)[0])
    return rotated, labels


@register_method("rotnet")
class RotNet(SelfSupervisedModel):
    """RotNet: cross-entropy of a rotation classifier on the encoder's features of the four
    rotations of the first view; `rotation_acc` is the pretext accuracy.

    Args:
      encoder: a Keras model from images [N, H, W, 3] to features [N, D].
      classifier: a Keras model from [N, D] features to 4 rotation logits.
    """

    metric_names = ("rotation_acc",)

    def __init__(self, encoder, classifier, **kwargs):
        super().__init__(encoder, **kwargs)
        self.classifier = classifier

    @classmethod
    def from_task_config(cls, task_config):
        encoder = build_encoder(task_config.model.backbone)
        classifier = keras.Sequential(
            [keras.Input([encoder.output_shape[-1]]), keras.layers.Dense(NUM_ROTATIONS)],
            name="rotation_classifier",
        )
        return cls(encoder, classifier, name="rotnet")

    def compute_pretext_loss(self, views, training):
        rotated, labels = rotate_batch(views[0])  # [4b, S, S, 3], [4b]
        logits = self.classifier(self.encoder(rotated, training=training), training=training)
        loss, accuracy = losses.pseudo_label_cross_entropy(labels, logits)
        return loss, {"rotation_acc": accuracy}
