"""Training and evaluation pipelines: sharding, batch shapes, determinism, eval ordering."""

import numpy as np
import tensorflow as tf

from tfssl.data import AugmentParams, ViewSpec, eval_dataset, from_numpy, make_dataset

SPEC = ViewSpec(num_global=2, global_size=16, num_local=1, local_size=8)
PARAMS = AugmentParams()


def _source(n=16):
    images = np.random.default_rng(0).integers(0, 256, (n, 20, 20, 3), dtype=np.uint8)
    return from_numpy(images, np.arange(n)), images


def test_input_context_shards_and_yields_per_replica_batches():
    source, _ = _source()
    seen = []
    for i in range(2):
        context = tf.distribute.InputContext(
            num_input_pipelines=2, input_pipeline_id=i, num_replicas_in_sync=2
        )
        ds = make_dataset(source, SPEC, PARAMS, 4, input_context=context, repeat=False)
        labels = []
        for batch in ds:
            assert [v.shape for v in batch["views"]] == [(4, 16, 16, 3)] * 2 + [(4, 8, 8, 3)]
            assert batch["label"].shape == (4,)
            labels.extend(batch["label"].numpy().tolist())
        assert len(labels) == 8
        seen.append(set(labels))
    assert not seen[0] & seen[1]
    assert seen[0] | seen[1] == set(range(16))


def test_views_are_fixed_by_the_seed_when_order_is_not_deterministic():
    """Non-deterministic order (the config default, for speed) may reorder elements, but each
    image's views are drawn from its own index-derived seed; the private thread pool is set."""
    source, _ = _source()
    spec = ViewSpec(num_global=1, global_size=8)

    def views_by_label(deterministic, threadpool_size=0):
        ds = make_dataset(
            source,
            spec,
            PARAMS,
            4,
            seed=3,
            shuffle_buffer=0,
            repeat=False,
            deterministic=deterministic,
            threadpool_size=threadpool_size,
        )
        return ds, {
            int(label): view.numpy()
            for batch in ds
            for label, view in zip(batch["label"], batch["views"][0])
        }

    fast, fast_views = views_by_label(False, threadpool_size=2)
    _, ordered_views = views_by_label(True)
    assert fast.options().deterministic is False
    assert fast.options().threading.private_threadpool_size == 2
    assert sorted(fast_views) == sorted(ordered_views) == list(range(16))
    for label, view in ordered_views.items():
        np.testing.assert_array_equal(fast_views[label], view)


def test_repeats_reshuffles_and_is_deterministic():
    source, _ = _source()
    spec = ViewSpec(num_global=1, global_size=8)

    def first_batches(seed):
        ds = make_dataset(source, spec, PARAMS, 8, seed=seed, deterministic=True)
        return [(b["views"][0].numpy(), b["label"].numpy()) for b in ds.take(6)]  # 3 epochs

    a, b, c = first_batches(1), first_batches(1), first_batches(2)
    for (va, la), (vb, lb) in zip(a, b):
        np.testing.assert_array_equal(va, vb)
        np.testing.assert_array_equal(la, lb)
    epochs = [np.concatenate([a[2 * e][1], a[2 * e + 1][1]]) for e in range(3)]
    assert all(sorted(epoch) == list(range(16)) for epoch in epochs)
    assert not np.array_equal(epochs[0], epochs[1])  # Reshuffled each epoch.
    assert not np.array_equal(a[0][1], c[0][1])


def test_distribute_datasets_from_function(two_replicas):
    source, _ = _source()
    dist = two_replicas.distribute_datasets_from_function(
        lambda ctx: make_dataset(source, SPEC, PARAMS, 3, input_context=ctx)
    )
    batch = next(iter(dist))
    per_replica = two_replicas.experimental_local_results(batch["views"][0])
    assert [t.shape for t in per_replica] == [(3, 16, 16, 3)] * 2


def test_eval_dataset_is_ordered_unaugmented_and_keeps_remainder():
    source, images = _source(10)
    batches = list(eval_dataset(source, 20, 4))
    assert [b["image"].shape[0] for b in batches] == [4, 4, 2]
    labels = np.concatenate([b["label"].numpy() for b in batches])
    np.testing.assert_array_equal(labels, np.arange(10))
    pixels = np.concatenate([b["image"].numpy() for b in batches])
    np.testing.assert_allclose(pixels, images / 255.0, atol=1e-6)  # Same size: untouched.
    resized = next(iter(eval_dataset(source, 12, 5)))["image"]
    assert resized.shape == (5, 12, 12, 3) and resized.dtype == tf.float32
