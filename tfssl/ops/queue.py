"""A first-in-first-out queue of past features held as non-trainable model weights (MoCo's
dictionary of keys, SwAV's queue of past crops)."""

import keras
import tensorflow as tf

from tfssl.ops import distributed


class FeatureQueue(keras.layers.Layer):
    """`size` rows of `dim` features; `enqueue` writes the keys of the whole global batch.

    Every replica gathers the same global batch and writes the same rows, so the weights stay
    identical across replicas (`only_first_replica` aggregation makes the write a no-op merge).
    Rows are written in ring order: after `enqueue`, the most recent keys occupy the rows just
    before `pointer`, oldest first.
    """

    def __init__(self, size, dim, initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.size = size
        self.dim = dim
        self.values = self.add_weight(
            shape=(size, dim),
            initializer=initializer,
            trainable=False,
            aggregation="only_first_replica",
            name="values",
        )
        self.pointer = self.add_weight(
            shape=(),
            initializer="zeros",
            dtype="int32",
            trainable=False,
            aggregation="only_first_replica",
            name="pointer",
        )
        self.filled = self.add_weight(
            shape=(),
            initializer="zeros",
            dtype="int32",
            trainable=False,
            aggregation="only_first_replica",
            name="filled",
        )
        self.built = True  # every weight exists; Keras' symbolic build under a strategy skips it

    def enqueue(self, keys):
        """Writes the global batch of `keys` ([b, dim] on each replica) over the oldest rows."""
        keys = tf.stop_gradient(
            distributed.all_gather(tf.cast(keys, self.values.dtype))
        )  # [B, dim]
        batch = tf.shape(keys)[0]
        rows = (self.pointer + tf.range(batch)) % self.size  # [B]
        self.values.assign(tf.tensor_scatter_nd_update(self.values, rows[:, None], keys))
        self.pointer.assign((self.pointer + batch) % self.size)
        self.filled.assign(tf.minimum(self.filled + batch, self.size))

    def ordered(self):
        """The queue's rows from oldest to newest ([size, dim]; unfilled rows first)."""
        return tf.roll(self.values, shift=-self.pointer, axis=0)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "dim": self.dim}
