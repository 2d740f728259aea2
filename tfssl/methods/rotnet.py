"""RotNet (Gidaris et al., 2018): every image is shown at 0°, 90°, 180° and 270°, and the
network classifies which rotation it sees; recognising orientation requires recognising
objects."""

from tfssl import losses
from tfssl.data.rotation import NUM_ROTATIONS, rotate_batch
from tfssl.methods.base import SelfSupervisedModel
from tfssl.methods.builders import build_classifier, build_encoder
from tfssl.methods.registry import register_method


@register_method("rotnet")
class RotNet(SelfSupervisedModel):
    """RotNet: cross-entropy of a rotation classifier on the encoder's features of the four
    rotations of the first view; `rotation_acc` is the pretext accuracy. The rotation head is
    not a class head: the model has no `class_logits`.

    Args:
      encoder: a Keras model from images [N, H, W, 3] to features [N, D].
      rotation_head: a Keras model from [N, D] features to 4 rotation logits.
    """

    metric_names = ("rotation_acc",)
    components = ("encoder", "rotation_head")

    def __init__(self, encoder, rotation_head, **kwargs):
        super().__init__(encoder, **kwargs)
        self.rotation_head = rotation_head

    @classmethod
    def components_from_config(cls, task_config):
        encoder = build_encoder(task_config.model.backbone)
        head = build_classifier(encoder.output_shape[-1], NUM_ROTATIONS, "rotation_classifier")
        return {"encoder": encoder, "rotation_head": head}

    def compute_pretext_loss(self, views, training):
        rotated, labels = rotate_batch(views[0])  # [4b, S, S, 3], [4b]
        logits = self.rotation_head(self.encoder(rotated, training=training), training=training)
        loss, accuracy = losses.pseudo_label_cross_entropy(labels, logits)
        return loss, {"rotation_acc": accuracy}
