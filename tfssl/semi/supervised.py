"""The labels-only baseline: the semi-supervised network, data and schedule without the
unlabeled images; every semi-supervised method is read against it."""

import tensorflow as tf

from tfssl.methods.registry import register_method
from tfssl.semi.base import SemiSupervisedModel


@register_method("supervised")
class Supervised(SemiSupervisedModel):
    """Cross-entropy on the labeled stream alone; the input has no unlabeled stream."""

    unlabeled_views = 0

    def unsupervised_loss(self, batch, training):
        del batch, training
        return tf.constant(0.0), {}
