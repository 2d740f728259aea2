"""Clustering scores of predicted cluster ids against class labels (as DeepCluster and IIC
report them): NMI, adjusted Rand index and Hungarian-matched accuracy, all from one contingency
table of the global batch."""

import tensorflow as tf
from scipy.optimize import linear_sum_assignment

from tfssl.ops import distributed


def contingency_table(y_true, y_pred):
    """float64 [classes, clusters] counts of the global batch (labels of any int values)."""
    y_true = distributed.all_gather(tf.reshape(tf.cast(y_true, tf.int64), [-1]))
    y_pred = distributed.all_gather(tf.reshape(tf.cast(y_pred, tf.int64), [-1]))
    classes, class_index = tf.unique(y_true)
    clusters, cluster_index = tf.unique(y_pred)
    num_classes, num_clusters = tf.size(classes), tf.size(clusters)
    cells = class_index * num_clusters + cluster_index  # [N] flat cell of each sample
    counts = tf.math.unsorted_segment_sum(
        tf.ones_like(cells, tf.float64), cells, num_classes * num_clusters
    )
    return tf.reshape(counts, [num_classes, num_clusters])


def _entropy(counts, total):
    p = counts / total
    return -tf.reduce_sum(tf.where(p > 0, p * tf.math.log(tf.where(p > 0, p, 1.0)), 0.0))


def nmi(y_true, y_pred):
    """Normalised mutual information I(A;B) / sqrt(H(A)·H(B)); 1 when both labelings are a
    single block, 0 when exactly one is."""
    table = contingency_table(y_true, y_pred)
    total = tf.reduce_sum(table)
    rows, cols = tf.reduce_sum(table, axis=1), tf.reduce_sum(table, axis=0)
    expected = rows[:, None] * cols[None, :]  # a_i·b_j
    ratio = tf.where(table > 0, total * table / expected, 1.0)
    mutual_information = tf.reduce_sum(table / total * tf.math.log(ratio))
    normaliser = tf.sqrt(_entropy(rows, total) * _entropy(cols, total))
    trivial = tf.logical_and(tf.size(rows) == 1, tf.size(cols) == 1)
    score = tf.where(
        normaliser > 0, mutual_information / tf.where(normaliser > 0, normaliser, 1.0), 0.0
    )
    return tf.where(trivial, tf.constant(1.0, tf.float64), score)


def ari(y_true, y_pred):
    """Adjusted Rand index (Hubert & Arabie): pair agreement corrected for chance; 1 when the
    expected and maximal indices coincide (both labelings trivial)."""
    table = contingency_table(y_true, y_pred)
    pairs = lambda n: n * (n - 1.0) / 2.0  # noqa: E731
    index = tf.reduce_sum(pairs(table))
    rows = tf.reduce_sum(pairs(tf.reduce_sum(table, axis=1)))
    cols = tf.reduce_sum(pairs(tf.reduce_sum(table, axis=0)))
    expected = rows * cols / pairs(tf.reduce_sum(table))
    maximum = (rows + cols) / 2.0
    denominator = maximum - expected
    safe = tf.where(denominator != 0, denominator, 1.0)
    return tf.where(denominator != 0, (index - expected) / safe, tf.constant(1.0, tf.float64))


def clustering_accuracy(y_true, y_pred):
    """Accuracy after the best one-to-one mapping of clusters to classes (Hungarian algorithm
    on the contingency table); unmatched clusters count as errors."""
    table = contingency_table(y_true, y_pred)

    def matched(counts):
        rows, cols = linear_sum_assignment(-counts)
        return counts[rows, cols].sum()

    correct = tf.numpy_function(matched, [table], tf.float64, stateful=False)
    return tf.reshape(correct, []) / tf.reduce_sum(table)
