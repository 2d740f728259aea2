"""Mean Teacher (Tarvainen & Valpola, 2017): the student should agree with an exponential
moving average of its own weights on a differently augmented view."""

import tensorflow as tf

from tfssl.methods.registry import register_method
from tfssl.semi import consistency
from tfssl.semi.base import SemiSupervisedModel


@register_method("mean_teacher")
class MeanTeacher(SemiSupervisedModel):
    """Mean squared difference between the student's softmax on one weak view and the
    teacher's on another, over every unlabeled image (labeled images included). The teacher is
    the model's EMA (`ema_decay` with the α_t = min(1 − 1/(t + 1), α) warm-up), run in training
    mode so it normalises with its own batch statistics, as the authors' PyTorch code does, on a
    batch composed like the student's (the labeled images beside the second view); its BN
    moving statistics are the student's, for evaluation, which uses the teacher."""

    unlabeled_views = 2
    student_views = 1
    ema_schedule = "warmup"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.ema_encoder is None:
            raise ValueError("Mean Teacher needs ema_decay > 0: the teacher is the EMA")

    def unsupervised_loss(self, batch, training):
        teacher_logits = self.logits_beside_labeled(
            batch, batch.views[1], training, self.ema_encoder, self.ema_classifier
        )
        target = tf.nn.softmax(tf.cast(teacher_logits, tf.float32))
        return consistency.softmax_mse(batch.logits[0], target), {}
