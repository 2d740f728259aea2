"""Deterministic class-balanced label subsets for semi-supervised fine-tuning (SimCLR's 1% /
10% protocol)."""

import numpy as np


def class_balanced_subset(labels, fraction, seed=0):
    """Indices of round(fraction·N) labelled examples, spread over classes in proportion to
    their size (largest remainder, at least one per class), drawn with a fixed seed.

    Returns:
      sorted int64 indices into `labels`.
    """
    labels = np.asarray(labels)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"label fraction {fraction} is not in (0, 1]")
    classes, counts = np.unique(labels, return_counts=True)
    total = max(len(classes), int(round(fraction * len(labels))))
    exact = counts * total / len(labels)
    quota = np.maximum(np.floor(exact).astype(np.int64), 1)
    for i in np.argsort(-(exact - np.floor(exact)), kind="stable")[: max(0, total - quota.sum())]:
        quota[i] += 1
    rng = np.random.default_rng(seed)
    chosen = [
        rng.permutation(np.flatnonzero(labels == c))[: min(q, n)]
        for c, q, n in zip(classes, quota, counts)
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)
