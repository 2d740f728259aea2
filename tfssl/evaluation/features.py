"""Frozen-encoder feature extraction."""

import numpy as np


def extract_features(encoder, dataset):
    """Runs `encoder` (inference mode) over a dataset of `{"image", "label"}` batches.

    Returns:
      (features float32 [N, D], labels int64 [N]) as NumPy arrays, in dataset order.
    """
    features, labels = [], []
    for batch in dataset:
        features.append(np.asarray(encoder(batch["image"], training=False), np.float32))
        labels.append(np.asarray(batch["label"], np.int64))
    return np.concatenate(features), np.concatenate(labels)
