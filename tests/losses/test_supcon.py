import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import split_rows
from tfssl import losses

UNEVEN_ROWS = (5, 3)  # replica 0 holds global rows 0..4, replica 1 rows 5..7


def supcon_reference(features, labels, temperature, base_temperature):
    """Khosla et al.'s L_out written out anchor by anchor, in float64 (0 for no positive)."""
    features = np.asarray(features, np.float64)
    batch, views, _ = features.shape
    z = features.reshape(batch * views, -1)  # row i·V + v: view v of sample i
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    row_labels = np.repeat(np.arange(batch) if labels is None else np.asarray(labels), views)
    logits = z @ z.T / temperature
    total = 0.0
    for i in range(len(z)):
        others = [a for a in range(len(z)) if a != i]
        log_denominator = np.log(np.sum(np.exp(logits[i, others])))
        positives = [p for p in others if row_labels[p] == row_labels[i]]
        if positives:
            log_probs = [logits[i, p] - log_denominator for p in positives]
            total += -(temperature / base_temperature) * np.mean(log_probs)
    return total / len(z)


def _features(batch, views, dim=6, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, views, dim)).astype(np.float32)


@pytest.mark.parametrize("views", [2, 3])
@pytest.mark.parametrize("temperature,base_temperature", [(0.07, 0.07), (0.1, 0.07), (0.5, 1.0)])
def test_supcon_matches_numpy_l_out(views, temperature, base_temperature):
    features = _features(8, views)
    labels = np.array([0, 1, 0, 2, 1, 1, 2, 0])
    expected = supcon_reference(features, labels, temperature, base_temperature)
    loss = losses.supcon(features, labels, temperature, base_temperature)
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_supcon_hand_value_orthogonal_two_classes():
    # Unit orthogonal features, classes {0, 1} and {2, 3}, one view: each anchor has one
    # positive at logit 0 among three others at logit 0, so loss = (T/T_base)·log 3.
    features = np.eye(4, dtype=np.float32)[:, None, :]
    loss = losses.supcon(features, [0, 0, 1, 1], temperature=0.1, base_temperature=0.05)
    assert float(loss) == pytest.approx(2.0 * np.log(3.0), rel=1e-6)


def test_supcon_distinct_labels_two_views_equals_nt_xent():
    features = _features(8, 2, seed=1)
    for temperature in (0.1, 0.5):
        supcon = losses.supcon(features, np.arange(8) * 3, temperature, temperature)
        nt_xent = losses.nt_xent(features[:, 0], features[:, 1], temperature=temperature)
        assert float(supcon) == pytest.approx(float(nt_xent), abs=1e-5)


def test_supcon_labels_none_equals_distinct_labels():
    features = _features(6, 3, seed=2)
    with_labels = losses.supcon(features, np.array([5, 1, 9, 0, 7, 3]), 0.2, 0.07)
    without = losses.supcon(features, None, 0.2, 0.07)
    assert float(without) == pytest.approx(float(with_labels), rel=1e-6)
    assert float(without) == pytest.approx(supcon_reference(features, None, 0.2, 0.07), rel=1e-5)


def test_supcon_anchor_without_positive_counts_as_zero():
    # One view; the third sample's label is unique, so its anchor has no positive.
    features = _features(3, 1, seed=3)
    loss = float(losses.supcon(features, [4, 4, 8], 0.1, 0.1))
    assert np.isfinite(loss)
    assert loss == pytest.approx(supcon_reference(features, [4, 4, 8], 0.1, 0.1), rel=1e-5)


def test_supcon_tf_function_half_precision_input_computes_in_float32():
    features = _features(4, 2, seed=4)
    labels = np.array([1, 0, 1, 0])
    loss = tf.function(losses.supcon)(tf.constant(features, tf.float16), tf.constant(labels))
    assert loss.dtype == tf.float32
    expected = supcon_reference(features.astype(np.float16), labels, 0.07, 0.07)
    assert float(loss) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("with_labels", [True, False])
def test_supcon_two_replicas_uneven_split_equals_one_device(two_replicas, with_labels):
    """5 + 3 rows: anchors are found by global row, so no replica masks the wrong diagonal (an
    offset of replica_id × local batch would put replica 1's self-columns at rows 3..5)."""
    features = _features(sum(UNEVEN_ROWS), 2, seed=5)
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1]) if with_labels else np.arange(8)

    def fn(f, y):
        return losses.supcon(f, y if with_labels else None, 0.1, 0.07)

    expected = float(fn(tf.constant(features), tf.constant(labels)))
    outputs = two_replicas.run(
        tf.function(fn), args=tuple(split_rows(two_replicas, UNEVEN_ROWS, features, labels))
    )
    values = [float(v) for v in two_replicas.experimental_local_results(outputs)]
    assert len(values) == 2
    for value in values:
        assert value == pytest.approx(expected, rel=1e-6)
    assert expected == pytest.approx(
        supcon_reference(features, labels if with_labels else None, 0.1, 0.07), rel=1e-5
    )


def test_supcon_gradient_two_replicas_uneven_split_equals_one_device(two_replicas):
    """Summed per-replica gradients of loss / R equal the one-device gradient."""
    features = _features(sum(UNEVEN_ROWS), 3, seed=6)
    labels = np.array([2, 1, 2, 0, 1, 0, 0, 2])

    def grad_fn(f, y):
        with tf.GradientTape() as tape:
            tape.watch(f)
            replicas = tf.distribute.get_replica_context().num_replicas_in_sync
            loss = losses.supcon(f, y, 0.1, 0.07) / replicas
        return tape.gradient(loss, f)

    expected = grad_fn(tf.constant(features), tf.constant(labels)).numpy()
    outputs = two_replicas.run(
        tf.function(grad_fn), args=tuple(split_rows(two_replicas, UNEVEN_ROWS, features, labels))
    )
    gradients = [g.numpy() for g in two_replicas.experimental_local_results(outputs)]
    assert [len(g) for g in gradients] == list(UNEVEN_ROWS)
    np.testing.assert_allclose(np.concatenate(gradients), expected, rtol=1e-5, atol=1e-7)
