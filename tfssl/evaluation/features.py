"""Frozen-encoder feature extraction, on one device or split over a strategy's replicas."""

import numpy as np
import tensorflow as tf

from tfssl.data import inputs


def extract_features(encoder, dataset, strategy=None):
    """Runs `encoder` (inference mode) over a dataset of `{"image", "label"}` batches; with a
    multi-replica `strategy` each batch is split over the replicas.

    Returns:
      (features float32 [N, D], labels int64 [N]) as NumPy arrays, in dataset order.
    """
    features, labels = [], []
    if strategy is None or strategy.num_replicas_in_sync == 1:
        for batch in dataset:
            features.append(np.asarray(encoder(batch["image"], training=False), np.float32))
            labels.append(np.asarray(batch["label"], np.int64))
        return np.concatenate(features), np.concatenate(labels)

    step = tf.function(lambda batch: (encoder(batch["image"], training=False), batch["label"]))
    for batch in strategy.experimental_distribute_dataset(dataset):
        replica_features, replica_labels = strategy.run(step, args=(batch,))
        # Replica r holds rows [r·b, (r+1)·b) of the global batch: concatenating keeps the order.
        features.extend(
            np.asarray(f, np.float32) for f in strategy.experimental_local_results(replica_features)
        )
        labels.extend(
            np.asarray(y, np.int64) for y in strategy.experimental_local_results(replica_labels)
        )
    return np.concatenate(features), np.concatenate(labels)


def split_features(task, encoder, strategy=None):
    """`{"train": (x, y), "test": (x, y)}`: `extract_features` of the task's whole training split
    and of its evaluation split, the input of every frozen-feature protocol."""
    return {
        "train": extract_features(encoder, inputs.train_split_input(task), strategy),
        "test": extract_features(encoder, inputs.eval_input(task.eval_data), strategy),
    }
