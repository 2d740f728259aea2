import numpy as np
import tensorflow as tf

from tests.ops.test_sinkhorn import numpy_sinkhorn
from tests.replicas import run_on_replicas
from tfssl import losses

BATCH, PROTOTYPES = 8, 6


def _log_softmax(x):
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def numpy_swav(high, low, temperature=0.1, epsilon=0.05, iterations=3, queues=None):
    """The SwAV paper's loop: codes per high-res crop, CE against every other crop's softmax."""
    crops = high + low
    total = 0.0
    for i, scores in enumerate(high):
        if queues is not None:
            codes = numpy_sinkhorn(np.concatenate([scores, queues[i]]), epsilon, iterations)
            q = codes[: len(scores)]
        else:
            q = numpy_sinkhorn(scores, epsilon, iterations)
        subloss = 0.0
        for v, other in enumerate(crops):
            if v != i:
                subloss -= np.mean(np.sum(q * _log_softmax(other / temperature), axis=1))
        total += subloss / (len(crops) - 1)
    return total / len(high)


def _crops(count, seed, rows=BATCH):
    rng = np.random.default_rng(seed)
    # Cosine scores between unit projections and unit prototypes lie in [-1, 1].
    shape = (rows, PROTOTYPES)
    return [rng.uniform(-1.0, 1.0, size=shape).astype(np.float32) for _ in range(count)]


def test_two_high_res_three_low_res_matches_numpy():
    high, low = _crops(2, seed=0), _crops(3, seed=1)
    loss = losses.swav(high, low, temperature=0.1, epsilon=0.05, sinkhorn_iterations=3)
    np.testing.assert_allclose(float(loss), numpy_swav(high, low), rtol=1e-5)


def test_codes_on_batch_and_queue_used_for_batch_only():
    high, low = _crops(2, seed=2), _crops(3, seed=3)
    queues = _crops(2, seed=4, rows=16)
    loss = losses.swav(high, low, queue_scores=queues)
    expected = numpy_swav(high, low, queues=queues)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    # The queue changes the codes, so a loss that ignored it would differ.
    assert abs(expected - numpy_swav(high, low)) > 1e-3


def test_no_gradient_through_codes():
    """The gradient is that of Σ CE with fixed codes: only the predicting softmaxes carry it."""
    high = [tf.Variable(s) for s in _crops(2, seed=5)]
    with tf.GradientTape() as tape:
        loss = losses.swav(high, [], temperature=0.5)
    gradients = tape.gradient(loss, high)
    codes = [numpy_sinkhorn(s.numpy()) for s in high]
    for v in range(2):
        probs = np.exp(_log_softmax(high[v].numpy() / 0.5))
        expected = (probs - codes[1 - v]) / (0.5 * BATCH * 2)
        np.testing.assert_allclose(gradients[v].numpy(), expected, rtol=1e-4, atol=1e-7)


def test_two_replicas_equal_one_device(two_replicas):
    """Replica r holds rows of every crop and its slice of each queue: same global loss."""
    high, low = _crops(2, seed=6), _crops(2, seed=7)
    queues = _crops(2, seed=8, rows=10)
    expected = float(losses.swav(high, low, queue_scores=queues))

    def per_replica(h0, h1, l0, l1, q0, q1):
        return losses.swav([h0, h1], [l0, l1], queue_scores=[q0, q1])

    outputs = run_on_replicas(two_replicas, per_replica, *high, *low, *queues)
    np.testing.assert_allclose(outputs, [expected, expected], rtol=1e-5)
