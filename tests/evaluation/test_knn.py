import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl.evaluation import knn_predict, knn_protocol
from tfssl.training.callbacks import KNNProbe


def _reference(train_x, train_y, test_x, num_classes, k, temperature):
    """Full similarity matrix, argsort and weighted votes in NumPy."""
    normalise = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
    similarity = normalise(test_x) @ normalise(train_x).T
    top = np.argsort(-similarity, axis=1)[:, :k]
    weights = np.exp(np.take_along_axis(similarity, top, axis=1) / temperature)
    votes = np.zeros((len(test_x), num_classes))
    for i in range(len(test_x)):
        np.add.at(votes[i], train_y[top[i]], weights[i])
    return votes.argmax(axis=1)


def _data(seed=0, n=300, m=53, d=12, classes=7):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, d))
    train_y = rng.integers(0, classes, n)
    test_y = rng.integers(0, classes, m)
    train_x = (centres[train_y] + rng.normal(size=(n, d))).astype(np.float32)
    test_x = (centres[test_y] + rng.normal(size=(m, d))).astype(np.float32)
    return train_x, train_y, test_x, test_y, classes


@pytest.mark.parametrize("k, temperature", [(1, 0.07), (20, 0.07), (50, 0.5)])
def test_matches_numpy_reference(k, temperature):
    train_x, train_y, test_x, test_y, classes = _data()
    predictions = knn_predict(
        train_x, train_y, test_x, classes, k=k, temperature=temperature
    ).numpy()
    np.testing.assert_array_equal(
        predictions, _reference(train_x, train_y, test_x, classes, k, temperature)
    )
    assert np.mean(predictions == test_y) > 0.5  # clustered data: far above 1/7 chance


@pytest.mark.parametrize(
    "query_chunk, bank_chunk", [(1, 300), (53, 7), (7, 13), (16, 64), (1000, 10000)]
)
def test_chunked_equals_one_chunk(query_chunk, bank_chunk):
    train_x, train_y, test_x, _, classes = _data(seed=1)
    whole = knn_predict(
        train_x, train_y, test_x, classes, k=25, query_chunk=10000, bank_chunk=10000
    )
    chunked = knn_predict(
        train_x, train_y, test_x, classes, k=25, query_chunk=query_chunk, bank_chunk=bank_chunk
    )
    np.testing.assert_array_equal(chunked.numpy(), whole.numpy())


def test_k_larger_than_bank_and_tf_function():
    train_x, train_y, test_x, _, classes = _data(seed=2, n=30)
    fn = tf.function(
        lambda a, b, c: knn_predict(a, b, c, classes, k=200, query_chunk=8, bank_chunk=7)
    )
    predictions = fn(tf.constant(train_x), tf.constant(train_y), tf.constant(test_x)).numpy()
    np.testing.assert_array_equal(
        predictions, _reference(train_x, train_y, test_x, classes, 30, 0.07)
    )


def test_replica_rule(two_replicas):
    """Each replica holds half the bank and half the queries; its predictions are its rows of
    the one-device predictions on the whole bank."""
    train_x, train_y, test_x, _, classes = _data(seed=3, n=200, m=40)
    expected = knn_predict(train_x, train_y, test_x, classes, k=20).numpy()
    outputs = run_on_replicas(
        two_replicas,
        lambda a, b, c: knn_predict(a, b, c, classes, k=20, bank_chunk=32),
        train_x,
        train_y,
        test_x,
    )
    np.testing.assert_array_equal(np.concatenate(outputs), expected)


def test_training_callback_reports_the_protocols_top1():
    """The `KNNProbe` callback and `eval.py --protocol=knn` are one probe: the callback's top-1
    is `knn_protocol`'s on the same encoder's features."""
    train_x, train_y, test_x, test_y, _ = _data(seed=4)
    keras.utils.set_random_seed(0)
    encoder = keras.Sequential([keras.Input((train_x.shape[1],)), keras.layers.Dense(6)])
    batches = lambda x, y: tf.data.Dataset.from_tensor_slices(  # noqa: E731
        {"image": x, "label": y}
    ).batch(64)
    callback = KNNProbe(lambda: batches(train_x, train_y), batches(test_x, test_y), k=15)
    callback.set_model(types.SimpleNamespace(evaluation_encoder=encoder))
    features = {
        "train": (encoder(train_x).numpy(), train_y),
        "test": (encoder(test_x).numpy(), test_y),
    }
    expected = knn_protocol(features, k=15)
    assert callback.probe() == pytest.approx(expected["top1"], abs=1e-12)
    assert expected["top1"] > 0.3  # 7 clustered classes, chance 1/7
