"""Pseudo-Label (Lee, 2013), in the form of the realistic-evaluation and FixMatch code: the
model's own confident predictions on unlabeled images as hard targets."""

from tfssl.methods.registry import register_method
from tfssl.losses import classification
from tfssl.semi.base import SemiSupervisedModel


@register_method("pseudo_label")
class PseudoLabel(SemiSupervisedModel):
    """CE against argmax labels of the same (weak) view where max p > `threshold` (strict, as
    the realistic-evaluation code), divided by every unlabeled row of the global batch, kept or
    not; `mask_rate` is the share kept."""

    options = SemiSupervisedModel.options + ("threshold",)
    metric_names = SemiSupervisedModel.metric_names + ("mask_rate",)

    def __init__(self, *args, threshold=0.95, **kwargs):
        super().__init__(*args, **kwargs)
        self.threshold = threshold

    def unsupervised_loss(self, batch, training):
        del training
        logits = batch.logits[0]
        labels, mask = classification.confident_pseudo_labels(logits, self.threshold, strict=True)
        loss, mask_rate = classification.masked_cross_entropy(labels, logits, mask)
        return loss, {"mask_rate": mask_rate}
