"""Weight ramps of consistency losses over training steps (Laine & Aila, 2017; Tarvainen &
Valpola, 2017): an unsupervised term starts near zero and reaches full weight after a warm-up."""

import tensorflow as tf


def sigmoid_rampup(step, rampup_steps):
    """exp(−5·(1 − t)²) with t = clip(step / rampup_steps, 0, 1); 1.0 when `rampup_steps` is 0.

    Args:
      step: the current step (int or float, tensor or Python number).
      rampup_steps: steps until the ramp reaches 1.

    Returns:
      A float32 scalar tensor in (0, 1].
    """
    if not rampup_steps:
        return tf.constant(1.0, tf.float32)
    t = tf.clip_by_value(tf.cast(step, tf.float32) / float(rampup_steps), 0.0, 1.0)
    return tf.exp(-5.0 * tf.square(1.0 - t))
