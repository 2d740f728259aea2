"""Weighted k-nearest-neighbour classification of features (the NPID / DINO kNN protocol),
chunked over queries and over the bank so that no [N_test, N_train] matrix is ever held."""

import tensorflow as tf

from tfssl.ops import distributed


def _top_k_over_bank(queries, bank, bank_labels, k, bank_chunk):
    """Cosine top-k of `queries` [q, D] against `bank` [N, D], merged chunk by chunk.

    Returns:
      (similarities [q, k], labels [q, k]); slots beyond N hold -inf similarity (zero weight).
    """
    num_queries, num_bank = tf.shape(queries)[0], tf.shape(bank)[0]
    best_sims = tf.fill([num_queries, k], tf.constant(-float("inf"), queries.dtype))
    best_labels = tf.zeros([num_queries, k], bank_labels.dtype)

    def body(start, best_sims, best_labels):
        sims = tf.matmul(queries, bank[start : start + bank_chunk], transpose_b=True)  # [q, c]
        labels = tf.broadcast_to(bank_labels[None, start : start + bank_chunk], tf.shape(sims))
        # Earlier bank rows come first, so ties resolve as in one unchunked top_k.
        sims, index = tf.math.top_k(tf.concat([best_sims, sims], axis=1), k=k)  # [q, k]
        labels = tf.gather(tf.concat([best_labels, labels], axis=1), index, batch_dims=1)
        return start + bank_chunk, sims, labels

    _, best_sims, best_labels = tf.while_loop(
        lambda start, *_: start < num_bank, body, (tf.constant(0), best_sims, best_labels)
    )
    return best_sims, best_labels


def knn_predict(
    train_features,
    train_labels,
    test_features,
    num_classes,
    k=200,
    temperature=0.07,
    query_chunk=256,
    bank_chunk=65536,
):
    """Weighted kNN: each test feature's k most cosine-similar train features vote for their
    label with weight exp(sim / temperature); returns the argmax of the summed votes.

    In a replica context the bank (train features and labels) is the concatenation of every
    replica's rows and the test rows are this replica's, so R replicas predict what one device
    predicts on the global arrays.

    Args:
      train_features: [N, D] bank features (L2-normalised here).
      train_labels: [N] int labels in [0, num_classes).
      test_features: [M, D] query features (L2-normalised here).
      num_classes: number of classes C.
      k: neighbours per query.
      temperature: vote temperature T.
      query_chunk: queries scored at once; bank_chunk: bank rows scored at once.

    Returns:
      int64 [M] predicted labels.
    """
    bank = tf.math.l2_normalize(distributed.all_gather(tf.cast(train_features, tf.float32)), axis=1)
    bank_labels = distributed.all_gather(tf.cast(train_labels, tf.int64))
    queries = tf.math.l2_normalize(tf.cast(test_features, tf.float32), axis=1)
    num_queries = tf.shape(queries)[0]
    padded = tf.pad(queries, [[0, -num_queries % query_chunk], [0, 0]])
    chunks = tf.reshape(padded, [-1, query_chunk, tf.shape(queries)[1]])  # [chunks, query_chunk, D]

    def predict(chunk):
        sims, labels = _top_k_over_bank(chunk, bank, bank_labels, k, bank_chunk)  # [query_chunk, k]
        weights = tf.exp(sims / temperature)  # exp(-inf) = 0 for empty slots
        votes = tf.reduce_sum(
            tf.one_hot(labels, num_classes) * weights[..., None], axis=1
        )  # [query_chunk, C]
        return tf.argmax(votes, axis=1)

    predictions = tf.map_fn(predict, chunks, fn_output_signature=tf.int64)  # [chunks, query_chunk]
    return tf.reshape(predictions, [-1])[:num_queries]
