"""Per-example state held as a model weight and written inside the training step: DeepCluster's
and SeLa's pseudo-labels, Temporal Ensembling's prediction averages, NPID's and PIRL's memory
banks."""

import keras
import tensorflow as tf

from tfssl.ops import distributed


class ExampleMemory(keras.layers.Layer):
    """A table of `num_examples` rows of `row_shape`, one per training example (row i belongs to
    the example whose `data["index"]` is i), checkpointed with the model.

    `update` all-gathers the (indices, values) of every replica first, so every replica applies
    the same scatter of the global batch and the mirrored copies stay equal: after an update on
    R replicas each holds what one device holds after updating with the global batch.

    Args:
      num_examples: N, the number of rows.
      row_shape: shape of one row (`()` for a scalar per example).
      dtype: the rows' dtype.
      initializer: a Keras initializer of the [N, *row_shape] table.
      momentum: None to overwrite rows, or m to write m·old + (1 − m)·new (NPID, Temporal
        Ensembling); `update` may override it per call.
      normalize: L2-normalise each written row over its last axis (NPID's memory bank).
      count_updates: keep `counts` [N], how often each row was written (Temporal Ensembling's
        start-up bias correction).
    """

    def __init__(
        self,
        num_examples,
        row_shape=(),
        dtype="float32",
        initializer="zeros",
        momentum=None,
        normalize=False,
        count_updates=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_examples = num_examples
        self.row_shape = tuple(row_shape)
        self.momentum = momentum
        self.normalize = normalize
        self.values = self.add_weight(
            shape=(num_examples, *self.row_shape),
            initializer=initializer,
            dtype=dtype,
            trainable=False,
            aggregation="only_first_replica",
            name="values",
        )
        self.counts = (
            self.add_weight(
                shape=(num_examples,),
                initializer="zeros",
                dtype="int32",
                trainable=False,
                aggregation="only_first_replica",
                name="counts",
            )
            if count_updates
            else None
        )
        self.built = True  # every weight exists; Keras' symbolic build under a strategy skips it

    def lookup(self, indices):
        """Rows at `indices` ([b] ints) → [b, *row_shape]."""
        return tf.gather(self.values, tf.cast(indices, tf.int32))

    def update(self, indices, values, momentum=None):
        """Writes `values` [b, *row_shape] at `indices` [b] for the global batch (see the class
        docstring); `momentum` overrides the layer's. No gradient flows into the table."""
        indices = distributed.all_gather(tf.cast(indices, tf.int32))  # [B]
        values = tf.stop_gradient(distributed.all_gather(tf.cast(values, self.values.dtype)))
        momentum = self.momentum if momentum is None else momentum
        if momentum is not None:
            m = tf.cast(momentum, values.dtype)
            values = m * tf.gather(self.values, indices) + (1.0 - m) * values
        if self.normalize:
            values = tf.math.l2_normalize(values, axis=-1)
        self.values.assign(tf.tensor_scatter_nd_update(self.values, indices[:, None], values))
        if self.counts is not None:
            ones = tf.ones_like(indices)
            self.counts.assign(tf.tensor_scatter_nd_add(self.counts, indices[:, None], ones))

    def assign(self, table):
        """Replaces the whole table (eager updates between steps, e.g. after a reclustering)."""
        self.values.assign(tf.cast(table, self.values.dtype))

    def numpy(self):
        return keras.ops.convert_to_numpy(self.values)

    def get_config(self):
        return {
            **super().get_config(),
            "num_examples": self.num_examples,
            "row_shape": self.row_shape,
            "momentum": self.momentum,
            "normalize": self.normalize,
            "count_updates": self.counts is not None,
        }
