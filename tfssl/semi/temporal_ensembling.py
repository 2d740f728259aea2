"""Temporal Ensembling (Laine & Aila, 2017): each image's target is an exponential moving
average of the predictions it received in earlier steps, kept per example."""

import tensorflow as tf

from tfssl import ops
from tfssl.data import inputs
from tfssl.methods.registry import register_method
from tfssl.ops import distributed
from tfssl.semi.pi_model import LabelFractionWeight


def bias_corrected_targets(ensemble, counts, momentum):
    """Z / (1 − α^t): the start-up correction of an EMA Z that began at zero and was updated t
    times (per row); rows never updated (t = 0) give zeros.

    Args:
      ensemble: [b, C] accumulated predictions Z.
      counts: int [b] updates t of each row.
      momentum: α.
    """
    t = tf.cast(counts, ensemble.dtype)[:, None]  # [b, 1]
    correction = 1.0 - tf.pow(tf.cast(momentum, ensemble.dtype), t)
    return tf.math.divide_no_nan(ensemble, correction)


@register_method("temporal_ensembling")
class TemporalEnsembling(LabelFractionWeight):
    """Squared difference between each unlabeled image's softmax and its bias-corrected ensemble
    target; the ensemble Z ← αZ + (1 − α)z is updated after the loss with this step's
    predictions, in an `ops.ExampleMemory` keyed by the image's index (every replica writes the
    global batch). The paper updates once per epoch from that epoch's predictions; here each
    image's row is updated whenever the image is drawn, which is once per epoch of the
    unlabeled stream, so t counts the epochs the image has been seen. Images without a target
    yet (t = 0) add nothing, and the mean is over every row of the global batch."""

    options = LabelFractionWeight.options + ("ensemble_momentum", "num_examples")

    def __init__(self, *args, ensemble_momentum=0.6, num_examples=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.ensemble_momentum = ensemble_momentum
        self.num_examples = num_examples
        self.ensemble = ops.ExampleMemory(
            num_examples,
            (self.num_classes,),
            momentum=ensemble_momentum,
            count_updates=True,
            name="ensemble",
        )

    @classmethod
    def components_from_config(cls, task_config):
        components = super().components_from_config(task_config)
        components["num_examples"] = inputs.source_size(task_config.train_data)
        return components

    def unsupervised_loss(self, batch, training):
        logits, index = batch.logits[0], batch.index
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32))  # [u, C]
        index32 = tf.cast(index, tf.int32)
        counts = tf.gather(self.ensemble.counts, index32)  # [u]
        targets = bias_corrected_targets(
            self.ensemble.lookup(index), counts, self.ensemble_momentum
        )
        has_target = tf.cast(counts > 0, tf.float32)
        squared = tf.reduce_mean(tf.square(probabilities - targets), axis=-1)  # [u]
        loss = distributed.global_mean(squared * has_target)
        if training:
            self.ensemble.update(index, tf.stop_gradient(probabilities))
        return loss, {"target_rate": distributed.global_mean(has_target)}

    metric_names = LabelFractionWeight.metric_names + ("target_rate",)
