"""Π-model (Laine & Aila, 2017): two stochastic passes of each image should agree."""

import tensorflow as tf

from tfssl.data import inputs
from tfssl.methods.registry import register_method
from tfssl.semi import consistency
from tfssl.semi.base import SemiSupervisedModel


class LabelFractionWeight(SemiSupervisedModel):
    """Laine & Aila's w_max scaled by M/N (labeled over all training images) when
    `scale_by_label_fraction`; the Π-model and Temporal Ensembling share it."""

    options = SemiSupervisedModel.options + ("scale_by_label_fraction", "labeled_share")

    def __init__(self, *args, scale_by_label_fraction=True, labeled_share=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.scale_by_label_fraction = scale_by_label_fraction
        self.labeled_share = labeled_share

    @classmethod
    def components_from_config(cls, task_config):
        """Also M/N: the labeled examples' share of the training set (`labeled.fraction`, or
        classes × num_per_class over the training set's size)."""
        components = super().components_from_config(task_config)
        labeled = task_config.labeled
        components["labeled_share"] = labeled.fraction or (
            task_config.num_classes
            * labeled.num_per_class
            / inputs.source_size(task_config.train_data)
        )
        return components

    def ramp_weight(self):
        weight = super().ramp_weight()
        return weight * self.labeled_share if self.scale_by_label_fraction else weight


@register_method("pi_model")
class PiModel(LabelFractionWeight):
    """Mean squared difference of the softmaxes of two weak views of every unlabeled image (the
    unlabeled stream holds the labeled images too, so the term covers all inputs). The first
    pass is the target, without gradient, as in the FixMatch and MixMatch re-implementations
    whose numbers are the usual reference."""

    unlabeled_views = 2

    def unsupervised_loss(self, batch, training):
        del training
        target = tf.nn.softmax(batch.logits[0])
        return consistency.softmax_mse(batch.logits[1], target), {}
