"""Entropy minimisation (Grandvalet & Bengio, 2005): low-density separation by making the
predictions on unlabeled images confident."""

from tfssl.methods.registry import register_method
from tfssl.semi import consistency
from tfssl.semi.base import SemiSupervisedModel


@register_method("entmin")
class EntMin(SemiSupervisedModel):
    """CE + λ·H(p(y|u)): the mean entropy of the unlabeled predictions over the global batch,
    with gradient through the entropy (as vat_tf's `entropy_y_x`)."""

    def unsupervised_loss(self, batch, training):
        del training
        return consistency.mean_entropy(batch.logits[0]), {}
