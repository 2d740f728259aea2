"""Supervised Contrastive learning (Khosla et al., 2020): SimCLR's two views and projection head,
with every other view of the same class a positive (`tfssl.losses.supcon`, L_out)."""

import numpy as np
import tensorflow as tf

from tfssl import data, losses
from tfssl.data import inputs
from tfssl.methods.base import SelfSupervisedModel, project_views
from tfssl.methods.builders import build_encoder_and_head
from tfssl.methods.collapse import embedding_std
from tfssl.methods.registry import register_method
from tfssl.semi.base import source_labels


def own_class_labels(labels, index, labeled):
    """Labels where the run may read them, else a class of the image's own: −1 − index, which
    no class label and no other image shares (SimCLR's positives for those images).

    Args:
      labels: int64 [...] source labels.
      index: int64 [...] source positions of the same examples.
      labeled: bool [N] table, True at the source positions whose labels are read.
    """
    return tf.where(tf.gather(labeled, index), labels, -1 - index)


@register_method("supcon")
class SupCon(SelfSupervisedModel):
    """SupCon's stage 1: the views' projections z = g(f(x)), stacked [b, V, D], trained by
    `losses.supcon` with the images' labels over the global batch (gathered with the features).
    Stage 2, the linear classifier on the frozen encoder, is the linear probe that
    `train.py --mode=train_and_eval` runs after training (logistic regression on all training
    labels).

    With `num_per_class` > 0 the run reads only that many labels per class (`data.labeled_split`
    with `runtime.seed`, the same subset the semi-supervised methods' labeled stream reads) and
    every other image is a class of its own, so the loss is SupCon among the labeled images and
    SimCLR's NT-Xent form for the rest: a labels-aware pre-training for the few-label setting,
    read against training from scratch on the same labels with `eval.py --protocol=finetune
    --label_fraction=0` (the `supervised_embedded` recipe on the same split). Embedded digits,
    seed 0, `task.num_per_class=10`: fine-tuned 71.1% against 66.8% from scratch on the 100
    labels (linear probe on all labels 62.6%; with every label 94.7%).

    Args:
      encoder: images → features.
      projection_head: features → projections.
      temperature: τ of the loss.
      base_temperature: τ_base of the loss scale τ/τ_base.
      num_per_class: labels read per class; 0 reads every training label.
    """

    metric_names = ("embedding_std",)
    components = ("encoder", "projection_head")
    options = ("temperature", "base_temperature", "num_per_class")

    def __init__(
        self,
        encoder,
        projection_head,
        temperature=0.1,
        base_temperature=0.07,
        num_per_class=0,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        self.projection_head = projection_head
        self.temperature = temperature
        self.base_temperature = base_temperature
        self.num_per_class = num_per_class

    @classmethod
    def components_from_config(cls, task_config):
        encoder, head = build_encoder_and_head(task_config.model)
        return {"encoder": encoder, "projection_head": head}

    def build_inputs(self, data_config, seed):
        """The multi-view stream with `"label"` and `"index"`; with `num_per_class` > 0 the labels
        outside the labeled split are replaced by `own_class_labels`."""
        source, _ = inputs.build_source(data_config, with_index=True)
        if self.num_per_class:
            labels = source_labels(data_config)
            labeled = np.zeros(len(labels), bool)
            labeled[data.labeled_split(labels, self.num_per_class, seed)] = True
            table = tf.constant(labeled)
            source = source.map(
                lambda example: {
                    **example,
                    "label": own_class_labels(example["label"], example["index"], table),
                }
            )
        return inputs.train_input_fn(source, data_config, seed)

    def compute_batch_loss(self, data, training):
        projections = project_views(
            list(data["views"]), self.encoder, self.projection_head, training
        )
        features = tf.stack(projections, axis=1)  # V × [b, D] → [b, V, D]
        loss = losses.supcon(features, data["label"], self.temperature, self.base_temperature)
        return loss, {"embedding_std": embedding_std(projections[0])}
