"""`tfssl.losses.fixmatch` against hand values (reference §7.8) and the replica rule with a
different number of confident rows on each replica."""

import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl import losses

# Weak probabilities at τ = 0.95 keep rows 0 and 3; the strong view's probabilities of those
# rows' pseudo-labels are 0.5 and 0.75.
WEAK = np.array([[0.96, 0.04], [0.94, 0.06], [0.10, 0.90], [0.02, 0.98]], np.float32)
STRONG = np.log(np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8], [0.25, 0.75]], np.float32))


def test_divides_by_every_unlabeled_row():
    loss, mask_rate = losses.fixmatch(np.log(WEAK), STRONG, threshold=0.95)
    # (−log 0.5 − log 0.75) / 4 rows; dividing by the 2 kept rows would give 0.490415.
    assert float(loss) == pytest.approx((np.log(2.0) + np.log(4.0 / 3.0)) / 4, rel=1e-5)
    assert float(mask_rate) == pytest.approx(0.5)


def test_threshold_is_inclusive_and_weak_side_has_no_gradient():
    weak = tf.constant(np.log([[0.5, 0.5], [0.2, 0.8]]), tf.float32)
    strong = tf.constant([[1.0, -1.0], [0.0, 2.0]], tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(weak)
        loss, mask_rate = losses.fixmatch(weak, strong, threshold=0.5)
    assert float(mask_rate) == 1.0  # max p = 0.5 passes τ = 0.5 (≥, as FixMatch)
    assert tape.gradient(loss, weak) is None


def test_two_replicas_with_different_mask_counts_equal_one_device(two_replicas):
    """Replica 0's rows are all confident, replica 1's only one of four: the loss and the mask
    rate are still the global-batch figures."""
    rng = np.random.default_rng(0)
    weak = np.zeros((8, 5), np.float32)
    weak[np.arange(8), rng.integers(0, 5, 8)] = [9, 9, 9, 9, 9, 1, 1, 1]  # p ≈ 0.9993 or ≈ 0.4
    strong = rng.normal(size=(8, 5)).astype(np.float32)
    one_device = [float(v) for v in losses.fixmatch(weak, strong)]
    for replica in run_on_replicas(two_replicas, losses.fixmatch, weak, strong):
        np.testing.assert_allclose(replica, one_device, rtol=1e-6)
    labels = weak.argmax(-1)
    ce = -np.log(np.exp(strong) / np.exp(strong).sum(-1, keepdims=True))[np.arange(8), labels]
    assert one_device[0] == pytest.approx(ce[:5].sum() / 8, rel=1e-5)
    assert one_device[1] == pytest.approx(5 / 8)
