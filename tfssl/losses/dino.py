"""DINO (Caron et al., 2021): cross-entropy from a centred, sharpened teacher to the student over
pairs of different crops, and the centre's update from teacher outputs over the global batch."""

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.ops import distributed


def dino(teacher_out, student_out, center, teacher_temp=0.04, student_temp=0.1):
    """DINO's loss: mean over pairs (teacher view i, student view v ≠ i) of the batch-mean
    cross-entropy between softmax((t_i − center)/teacher_temp) and softmax(s_v/student_temp).

    Args:
      teacher_out: list of [b, K] teacher logits, one per global crop (no gradient flows back).
      student_out: list of [b, K] student logits; student view i is the crop of teacher view i.
      center: [K] or [1, K] centre subtracted from the teacher logits.
      teacher_temp, student_temp: softmax temperatures (a scalar tensor is accepted).

    Returns:
      Scalar loss; the batch mean runs over the global batch.
    """
    teacher = [at_least_float32(t) for t in teacher_out]
    dtype = teacher[0].dtype
    center = tf.cast(tf.stop_gradient(center), dtype)
    teacher_temp, student_temp = tf.cast(teacher_temp, dtype), tf.cast(student_temp, dtype)
    targets = [
        tf.stop_gradient(tf.nn.softmax((t - center) / teacher_temp, axis=-1)) for t in teacher
    ]
    log_probs = [
        tf.nn.log_softmax(tf.cast(at_least_float32(s), dtype) / student_temp, axis=-1)
        for s in student_out
    ]
    total, num_pairs = tf.constant(0.0, dtype), 0
    for i, target in enumerate(targets):
        for v, log_prob in enumerate(log_probs):
            if v != i:
                total += tf.reduce_sum(-target * log_prob)  # summed over this replica's rows
                num_pairs += 1
    if num_pairs == 0:
        raise ValueError("dino needs at least one (teacher, student) pair of different crops")
    total = distributed.all_reduce_sum(total)
    count = tf.cast(distributed.global_batch_size(tf.shape(teacher[0])[0]), dtype)
    return total / (count * num_pairs)


def dino_center(center, teacher_out, momentum=0.9):
    """New centre: momentum·center + (1 − momentum)·mean of the teacher logits over all views and
    the global batch (sum and count all-reduced across replicas). No gradient.

    Args:
      center: [K] or [1, K]; the result has the same shape.
      teacher_out: list of [b, K] teacher logits.
    """
    teacher = [tf.stop_gradient(at_least_float32(t)) for t in teacher_out]
    dtype = teacher[0].dtype
    center = tf.cast(center, dtype)
    local_sum = tf.add_n([tf.reduce_sum(t, axis=0) for t in teacher])  # [K]
    total = distributed.all_reduce_sum(local_sum)
    count = tf.cast(distributed.global_batch_size(tf.shape(teacher[0])[0]) * len(teacher), dtype)
    mean = tf.reshape(total / count, tf.shape(center))
    momentum = tf.cast(momentum, dtype)
    return momentum * center + (1.0 - momentum) * mean
