"""The batch-hard soft-margin triplet loss against a NumPy reference and the replica rule."""

import numpy as np
import pytest

from tests.replicas import run_on_replicas
from tfssl.losses.triplet import batch_hard_triplet


def numpy_batch_hard(embeddings, ids):
    z = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    d = np.sqrt(np.maximum(((z[:, None] - z[None]) ** 2).sum(-1), 1e-12))
    losses = []
    for i in range(len(z)):
        same = ids == ids[i]
        positives = same.copy()
        positives[i] = False
        hardest_positive = d[i][positives].max() if positives.any() else 0.0
        hardest_negative = d[i][~same].min() if (~same).any() else d[i].max()
        losses.append(np.log1p(np.exp(hardest_positive - hardest_negative)))
    return np.mean(losses)


def test_hand_values_on_the_unit_circle():
    """Copies of image A at 0° and 90°, of image B at 180° and 200°; a chord of θ is 2·sin(θ/2).
    Hardest positive / negative per anchor: A0 √2 / chord 160°, A1 √2 / √2, B0 chord 20° / √2,
    B1 chord 20° / chord 110°."""
    angles = np.deg2rad([0.0, 90.0, 180.0, 200.0])
    z = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    chord = lambda degrees: 2 * np.sin(np.deg2rad(degrees) / 2)  # noqa: E731
    softplus = lambda x: np.log1p(np.exp(x))  # noqa: E731
    expected = np.mean(
        [
            softplus(np.sqrt(2) - chord(160)),
            softplus(0.0),
            softplus(chord(20) - np.sqrt(2)),
            softplus(chord(20) - chord(110)),
        ]
    )
    assert float(batch_hard_triplet(z, np.array([0, 0, 1, 1]))) == pytest.approx(expected, rel=1e-5)


def test_random_batch_matches_numpy_and_two_replicas_equal_one_device(two_replicas):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(8, 5)).astype(np.float32)
    ids = np.array([3, 1, 3, 2, 1, 2, 7, 3])  # image 7 has no other copy
    one_device = float(batch_hard_triplet(z, ids))
    assert one_device == pytest.approx(numpy_batch_hard(z.astype(np.float64), ids), rel=1e-5)
    for replica in run_on_replicas(two_replicas, batch_hard_triplet, z, ids):
        assert float(replica) == pytest.approx(one_device, rel=1e-6)
