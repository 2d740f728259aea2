"""Lloyd's k-means with DeepCluster's empty-cluster rule, in TF ops so it runs on the accelerator
(faiss instead when it is installed, as the original DeepCluster does)."""

import logging

import numpy as np
import tensorflow as tf

from tfssl.ops import distributed


def _import_faiss():
    """faiss, or None where it is not installed (k-means then runs in TensorFlow).

    faiss' loader logs at INFO each CPU-specific build it tries and does not find (AVX512-SPR,
    AVX512, AVX2) before the one it loads; its logger is held at WARNING for the import only.
    """
    loader_logger = logging.getLogger("faiss.loader")
    level = loader_logger.level
    loader_logger.setLevel(logging.WARNING)
    try:
        import faiss
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    finally:
        loader_logger.setLevel(level)
    return faiss


faiss = _import_faiss()

# Distances are computed for at most this many (point, centroid) pairs at a time.
MAX_DISTANCE_ELEMENTS = 1 << 24


def _assign(x, centroids):
    """Nearest centroid of every row of x, in chunks of rows so no [N, k] matrix is built.

    Returns:
      (assignments int32 [N], squared distances float32 [N]).
    """
    n, d = tf.shape(x)[0], tf.shape(x)[1]
    k = tf.shape(centroids)[0]
    rows = tf.clip_by_value(MAX_DISTANCE_ELEMENTS // k, 1, tf.maximum(n, 1))
    num_chunks = (n + rows - 1) // rows
    padded = tf.pad(x, [[0, num_chunks * rows - n], [0, 0]])
    chunks = tf.reshape(padded, [num_chunks, rows, d])  # [C, r, D]
    centroid_norms = tf.reduce_sum(tf.square(centroids), axis=1)  # [k]

    def nearest(chunk):
        distances = (
            tf.reduce_sum(tf.square(chunk), axis=1, keepdims=True)
            - 2.0 * tf.matmul(chunk, centroids, transpose_b=True)
            + centroid_norms
        )  # [r, k]
        return tf.argmin(distances, axis=1, output_type=tf.int32), tf.reduce_min(distances, axis=1)

    labels, distances = tf.map_fn(
        nearest, chunks, fn_output_signature=(tf.int32, tf.float32), parallel_iterations=1
    )  # [C, r] each
    return tf.reshape(labels, [-1])[:n], tf.maximum(tf.reshape(distances, [-1])[:n], 0.0)


def _means(x, assignments, k, previous):
    """Cluster means (a cluster without points keeps its previous centroid)."""
    sums = tf.math.unsorted_segment_sum(x, assignments, k)
    counts = tf.math.unsorted_segment_sum(tf.ones_like(assignments, tf.float32), assignments, k)
    return tf.where(counts[:, None] > 0, sums / tf.maximum(counts, 1.0)[:, None], previous)


def _fill_empty(x, assignments, k, seed):
    """DeepCluster's rule, repeated until no cluster is empty: an empty cluster j takes over part
    of a randomly chosen cluster m with at least 2 points. m's centroid is perturbed in opposite
    directions along a random direction u into two centroids, and m's points are split between
    them at the median of their projection on u (so both halves are non-empty).

    Requires k <= N. Returns assignments int32 [N] with every cluster in [0, k) non-empty.
    """
    n = tf.shape(x)[0]

    def has_empty(step, labels):
        counts = tf.math.bincount(labels, minlength=k, maxlength=k)
        return tf.reduce_any(counts == 0)

    def fill_one(step, labels):
        step_seed = tf.random.experimental.stateless_fold_in(seed, step)
        pick_seed, direction_seed = tf.unstack(tf.random.experimental.stateless_split(step_seed, 2))
        counts = tf.math.bincount(labels, minlength=k, maxlength=k)
        empty = tf.argmin(counts, output_type=tf.int32)
        splittable = tf.where(counts >= 2, 0.0, -np.inf)[None]  # [1, k] logits
        donor = tf.random.stateless_categorical(splittable, 1, pick_seed, dtype=tf.int32)[0, 0]
        direction = tf.random.stateless_normal([tf.shape(x)[1], 1], direction_seed)
        projection = tf.reshape(tf.matmul(x, direction), [-1])  # [N]
        members = tf.equal(labels, donor)
        projection = tf.where(members, projection, -np.inf)
        order = tf.argsort(projection, direction="DESCENDING", stable=True)
        rank = tf.scatter_nd(order[:, None], tf.range(n), [n])  # rank of each point by projection
        moved = members & (rank < counts[donor] // 2)
        return step + 1, tf.where(moved, empty, labels)

    _, assignments = tf.while_loop(has_empty, fill_one, (tf.constant(0), assignments))
    return assignments


def _kmeans_plus_plus(x, k, seed):
    """Greedy k-means++ seeding (as scikit-learn): each next centroid is the best, by the sum of
    squared distances it leaves, of 2 + ⌊ln k⌋ candidates sampled with probability ∝ squared
    distance to the nearest centroid chosen so far."""
    n = tf.shape(x)[0]
    candidates = 2 + int(np.log(k))
    first_seed, rest_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    first = tf.random.stateless_uniform([], first_seed, 0, n, dtype=tf.int32)
    centroids = tf.TensorArray(tf.float32, size=k, element_shape=x.shape[1:]).write(0, x[first])
    nearest = tf.reduce_sum(tf.square(x - x[first]), axis=1)  # [N]

    def body(i, centroids, nearest):
        logits = tf.math.log(tf.maximum(nearest, 1e-30))[None]  # [1, N]
        step_seed = tf.random.experimental.stateless_fold_in(rest_seed, i)
        index = tf.random.stateless_categorical(logits, candidates, step_seed, dtype=tf.int32)[0]
        distances = tf.reduce_sum(
            tf.square(x[None] - tf.gather(x, index)[:, None]), axis=2
        )  # [L, N]
        potentials = tf.reduce_sum(tf.minimum(nearest[None], distances), axis=1)  # [L]
        best = tf.argmin(potentials, output_type=tf.int32)
        nearest = tf.minimum(nearest, distances[best])
        return i + 1, centroids.write(i, x[index[best]]), nearest

    _, centroids, _ = tf.while_loop(lambda i, *_: i < k, body, (tf.constant(1), centroids, nearest))
    return centroids.stack()


def _seeds(seed):
    """Stateless seeds of the k-means++ seeding and of the empty-cluster re-seeding."""
    pair = tf.stack([tf.cast(seed, tf.int64), tf.constant(0x6B6D, tf.int64)])
    return tf.unstack(tf.random.experimental.stateless_split(pair, 2))


@tf.function(reduce_retracing=True)
def _lloyd(x, k, iterations, seed):
    init_seed, fill_seed = _seeds(seed)
    centroids = _kmeans_plus_plus(x, k, init_seed)
    assignments = tf.zeros([tf.shape(x)[0]], tf.int32)
    for i in tf.range(iterations):
        assignments, _ = _assign(x, centroids)
        assignments = _fill_empty(
            x, assignments, k, tf.random.experimental.stateless_fold_in(fill_seed, i)
        )
        centroids = _means(x, assignments, k, centroids)
    return centroids, assignments


def _faiss_kmeans(x, k, iterations, seed):
    """faiss' k-means on every point (no sub-sampling) from the same k-means++ seeding, then the
    same empty-cluster rule on its final assignment."""
    init_seed, fill_seed = _seeds(seed)
    x = tf.constant(np.ascontiguousarray(x, np.float32))
    init = tf.function(_kmeans_plus_plus, reduce_retracing=True)(x, k, init_seed)
    clustering = faiss.Kmeans(
        x.shape[1],
        k,
        niter=iterations,
        seed=seed,
        min_points_per_centroid=1,
        max_points_per_centroid=10_000_000,
        verbose=False,
    )
    clustering.train(x.numpy(), init_centroids=np.ascontiguousarray(init.numpy()))
    _, labels = clustering.index.search(x.numpy(), 1)
    labels = _fill_empty(x, tf.constant(labels[:, 0], tf.int32), k, fill_seed)
    return _means(x, labels, k, tf.constant(clustering.centroids)), labels


def kmeans(x, k, iterations=20, seed=0, use_faiss=None):
    """Lloyd's k-means on [N, D] with greedy k-means++ seeding; no cluster is left empty.

    Distances are computed in chunks of at most `MAX_DISTANCE_ELEMENTS` pairs, so memory stays
    O(N·D + k·D). Called in a replica context with R > 1 replicas, the rows of every replica are
    gathered, clustered as one global batch, and each replica gets its own rows' assignments.

    Args:
      x: float [N, D] features, N >= k.
      k: number of clusters.
      iterations: Lloyd iterations.
      seed: int seed of the seeding and of the empty-cluster re-seeding.
      use_faiss: None uses faiss when it is installed and the call is eager with one replica;
        False forces the TF implementation.

    Returns:
      (centroids float32 [k, D], assignments int32 [N]).
    """
    x = tf.cast(tf.convert_to_tensor(x), tf.float32)
    if x.shape[0] is not None and x.shape[0] * distributed.num_replicas() < k:
        raise ValueError(f"k-means needs at least k={k} points, got {x.shape[0]}")
    local_rows = tf.shape(x)[0]
    x = distributed.all_gather(x)  # [R·n, D]
    if use_faiss is None:
        use_faiss = faiss is not None and tf.executing_eagerly() and distributed.num_replicas() == 1
    if use_faiss:
        centroids, assignments = _faiss_kmeans(x.numpy(), k, iterations, seed)
    else:
        centroids, assignments = _lloyd(x, k, tf.constant(iterations), seed)
    offset = distributed.global_offset(local_rows)
    return centroids, assignments[offset : offset + local_rows]


def hierarchical_kmeans(x, num_super, num_sub, iterations=20, seed=0, use_faiss=None):
    """DeeperCluster's two-level k-means: `num_super` clusters of all rows, then `num_sub`
    clusters of the rows inside each (fewer when a super-cluster holds fewer rows). Runs eagerly.

    Args:
      x: float [N, D] features, N >= num_super.
      num_super: m, the number of super-clusters.
      num_sub: k, the number of sub-clusters per super-cluster.
      iterations, seed, use_faiss: as `kmeans`; super-cluster s is split with seed + 1 + s.

    Returns:
      (super_assignments int32 [N] in [0, m), sub_assignments int32 [N] in [0, k)), every
      (super, sub) pair that occurs holding at least one row.
    """
    x = tf.cast(tf.convert_to_tensor(x), tf.float32)
    _, super_assignments = kmeans(x, num_super, iterations, seed, use_faiss)
    super_assignments = super_assignments.numpy()
    sub_assignments = np.zeros_like(super_assignments)
    for s in range(num_super):
        members = np.flatnonzero(super_assignments == s)
        k = min(num_sub, len(members))
        if k > 1:
            _, sub = kmeans(tf.gather(x, members), k, iterations, seed + 1 + s, use_faiss)
            sub_assignments[members] = sub.numpy()
    return super_assignments, sub_assignments
