"""Semi-supervised data: the labeled split, FixMatch's weak augmentation and the zipped
labeled/unlabeled streams (coverage, no label leak, sharding, per-replica shapes, determinism)."""

import numpy as np
import pytest
import tensorflow as tf

from tfssl.data import from_numpy, labeled_split, semi_supervised_dataset, weak_augment

NUM_EXAMPLES, NUM_CLASSES, SIDE = 40, 4, 8


def _source():
    """40 flat 8×8 images whose pixel value is their index; label = index % 4."""
    index = np.arange(NUM_EXAMPLES)
    images = np.broadcast_to(index[:, None, None, None], (NUM_EXAMPLES, SIDE, SIDE, 3))
    return from_numpy(images.astype(np.uint8), index % NUM_CLASSES)


def _identity(image, seed):
    """A view that keeps the pixel values (0..255), so a view reveals its source index."""
    del seed
    return tf.cast(image, tf.float32)


def _values(images):
    """The constant value of each flat image in a batch [b, H, W, 3] -> int [b]."""
    images = np.asarray(images)
    assert (images == images[:, :1, :1, :1]).all()
    return images[:, 0, 0, 0].astype(int)


def _coords_image(height, width):
    """uint8 [H, W, 3] with red = row index and green = column index."""
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    return np.stack([rows, cols, np.zeros_like(rows)], axis=-1).astype(np.uint8)


def _reflect(k, n):
    """The source index read at position k of a REFLECT-padded axis of length n."""
    k = np.abs(k)
    return np.where(k >= n, 2 * (n - 1) - k, k)


def _shift_of(output, max_shift):
    """(dy, dx, flipped) such that `output` (of `weak_augment` on `_coords_image`) reads pixel
    (reflect(i + dy), reflect(j + dx)), mirrored left-right when flipped; None if none does."""
    height, width = output.shape[:2]
    coords = np.rint(np.asarray(output) * 255).astype(int)
    i, j = np.arange(height)[:, None], np.arange(width)[None, :]
    shifts = range(-max_shift, max_shift + 1)
    dys = [dy for dy in shifts if (coords[..., 0] == _reflect(i + dy, height)).all()]
    for flipped, cols in [(False, j), (True, width - 1 - j)]:
        dxs = [dx for dx in shifts if (coords[..., 1] == _reflect(cols + dx, width)).all()]
        if len(dys) == 1 and len(dxs) == 1:
            return dys[0], dxs[0], flipped
    return None


def _seed(s):
    return tf.constant([s, 7], tf.int64)


# --- labeled_split ---------------------------------------------------------------------------


def test_labeled_split_draws_n_per_class_without_duplicates():
    labels = np.random.default_rng(0).integers(0, 5, 300)
    indices = labeled_split(labels, 6, seed=1)
    assert indices.dtype == np.int64
    assert len(indices) == 30 and len(np.unique(indices)) == 30
    np.testing.assert_array_equal(indices, np.sort(indices))
    np.testing.assert_array_equal(np.bincount(labels[indices], minlength=5), [6] * 5)


def test_labeled_split_is_fixed_by_the_seed_and_takes_tensors():
    labels = np.random.default_rng(0).integers(0, 5, 300)
    a = labeled_split(labels, 6, seed=1)
    np.testing.assert_array_equal(a, labeled_split(labels, 6, seed=1))
    np.testing.assert_array_equal(a, labeled_split(tf.constant(labels), 6, seed=1))
    assert not np.array_equal(a, labeled_split(labels, 6, seed=2))


def test_labeled_split_names_the_short_class():
    labels = np.array([0] * 5 + [1] * 2 + [2] * 5)
    with pytest.raises(ValueError, match=r"class 1 has 2 examples.*num_per_class=3"):
        labeled_split(labels, 3)


# --- weak_augment ----------------------------------------------------------------------------


def test_weak_augment_hand_computed_shift_with_reflected_border():
    """8×8, translate 0.25: padding 2; a seed that shifts by dy = +2 rows, dx = -2 columns
    reads rows 2..7 then the reflected 6, 5, and columns reflected 2, 1 then 0..5."""
    image = _coords_image(8, 8)
    for s in range(400):
        out = np.rint(weak_augment(image, _seed(s), translate=0.25).numpy() * 255).astype(int)
        if list(out[:2, 0, 0]) == [2, 3] and list(out[0, :2, 1]) == [2, 1]:
            break
    else:
        pytest.fail("no seed in 0..399 shifts by (+2, -2)")
    np.testing.assert_array_equal(out[:, 0, 0], [2, 3, 4, 5, 6, 7, 6, 5])
    np.testing.assert_array_equal(out[0, :, 1], [2, 1, 0, 1, 2, 3, 4, 5])
    assert (out[..., 0] == out[:, :1, 0]).all() and (out[..., 1] == out[:1, :, 1]).all()


def test_weak_augment_shifts_within_the_bound_and_never_flips_digits():
    """32×32, translate 0.125: every output is the input shifted by at most 4 px each way with
    reflected borders, never mirrored; over 200 seeds the shifts reach both bounds."""
    image = _coords_image(32, 32)
    shifts = [_shift_of(weak_augment(image, _seed(s)).numpy(), 6) for s in range(200)]
    assert None not in shifts
    dys, dxs, flips = zip(*shifts)
    assert not any(flips)
    assert min(dys) == min(dxs) == -4 and max(dys) == max(dxs) == 4


def test_weak_augment_flips_about_half_and_keeps_the_shift():
    image = _coords_image(32, 32)
    flipped = 0
    for s in range(200):
        dy, dx, flips = _shift_of(weak_augment(image, _seed(s), flip=True).numpy(), 4)
        assert (dy, dx, False) == _shift_of(weak_augment(image, _seed(s)).numpy(), 4)
        flipped += flips
    assert 70 <= flipped <= 130


def test_weak_augment_scales_uint8_and_float_alike():
    image = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    from_uint8 = weak_augment(image, _seed(3), flip=True)
    from_float = weak_augment(image.astype(np.float32) / 255, _seed(3), flip=True)
    assert from_uint8.dtype == tf.float32 and from_uint8.shape == (12, 10, 3)
    np.testing.assert_allclose(from_uint8, from_float, atol=1e-6)
    assert 0.0 <= float(tf.reduce_min(from_uint8)) and float(tf.reduce_max(from_uint8)) <= 1.0


# --- semi_supervised_dataset -----------------------------------------------------------------


def _dataset(seed=0, views=(_identity,), labeled_view=_identity, context=None, lb=4, ub=8):
    source = _source()
    labeled = labeled_split(np.arange(NUM_EXAMPLES) % NUM_CLASSES, 2, seed=0)
    ds = semi_supervised_dataset(
        source, labeled, lb, ub, views, seed=seed, labeled_view=labeled_view, input_context=context
    )
    return ds, labeled


def test_element_spec_has_no_label_in_the_unlabeled_stream():
    ds, _ = _dataset(views=(weak_augment, weak_augment), labeled_view=None)
    spec = ds.element_spec
    assert set(spec) == {"labeled", "unlabeled"}
    assert set(spec["unlabeled"]) == {"views", "index"}
    assert spec["labeled"]["image"].shape == (4, SIDE, SIDE, 3)
    assert spec["labeled"]["image"].dtype == tf.float32
    assert spec["labeled"]["label"].shape == (4,) and spec["labeled"]["label"].dtype == tf.int64
    assert [v.shape for v in spec["unlabeled"]["views"]] == [(8, SIDE, SIDE, 3)] * 2
    assert spec["unlabeled"]["index"].dtype == tf.int64


def test_labeled_stream_holds_the_labeled_examples_once_per_epoch():
    ds, labeled = _dataset()
    batches = [b["labeled"] for b in ds.take(6)]  # 3 epochs of 8 labeled examples
    values = np.concatenate([_values(b["image"]) for b in batches])
    labels = np.concatenate([b["label"].numpy() for b in batches])
    np.testing.assert_array_equal(labels, values % NUM_CLASSES)
    for epoch in values.reshape(3, 8):
        np.testing.assert_array_equal(np.sort(epoch), labeled)
    assert not np.array_equal(values[:8], values[8:16])  # reshuffled each epoch


def test_unlabeled_stream_covers_every_index_once_per_epoch():
    ds, _ = _dataset()
    batches = [b["unlabeled"] for b in ds.take(10)]  # 2 epochs of 40 at μb = 8
    indices = np.concatenate([b["index"].numpy() for b in batches])
    np.testing.assert_array_equal(np.sort(indices[:40]), np.arange(40))
    np.testing.assert_array_equal(np.sort(indices[40:]), np.arange(40))
    assert not np.array_equal(indices[:40], indices[40:])
    np.testing.assert_array_equal(
        np.concatenate([_values(b["views"][0]) for b in batches]), indices
    )


def test_views_of_an_image_get_their_own_seeds():
    images = np.broadcast_to(_coords_image(SIDE, SIDE), (NUM_EXAMPLES, SIDE, SIDE, 3))
    source = from_numpy(images, np.zeros(NUM_EXAMPLES))
    ds = semi_supervised_dataset(source, [0, 1], 2, 8, (weak_augment, weak_augment))
    views = next(iter(ds))["unlabeled"]["views"]
    shifts = [[_shift_of(view.numpy(), 1) for view in batch] for batch in views]  # [2][8]
    assert all(shift is not None for batch in shifts for shift in batch)
    assert len(set(shifts[0] + shifts[1])) > 3  # 9 possible shifts
    assert sum(a != b for a, b in zip(*shifts)) >= 4


def test_same_seed_gives_identical_batches():
    def batches(seed):
        ds, _ = _dataset(seed, views=(weak_augment, weak_augment), labeled_view=None)
        return [tf.nest.map_structure(np.asarray, b) for b in ds.take(3)]

    a, b, c = batches(1), batches(1), batches(2)
    tf.nest.map_structure(np.testing.assert_array_equal, a, b)
    assert not np.array_equal(a[0]["unlabeled"]["index"], c[0]["unlabeled"]["index"])
    assert not np.array_equal(a[0]["labeled"]["image"], c[0]["labeled"]["image"])


def test_input_pipelines_shard_unlabeled_and_keep_every_labeled_example():
    indices, labeled_orders = [], []
    for pipeline in range(2):
        context = tf.distribute.InputContext(
            num_input_pipelines=2, input_pipeline_id=pipeline, num_replicas_in_sync=2
        )
        ds, labeled = _dataset(context=context, lb=8, ub=4)
        batches = list(ds.take(5))  # one epoch of the 20-image shard
        indices.append(np.concatenate([b["unlabeled"]["index"].numpy() for b in batches]))
        labeled_orders.append(_values(batches[0]["labeled"]["image"]))
        np.testing.assert_array_equal(np.sort(labeled_orders[-1]), labeled)
    np.testing.assert_array_equal(np.sort(indices[0]), np.arange(0, 40, 2))
    np.testing.assert_array_equal(np.sort(indices[1]), np.arange(1, 40, 2))
    assert not np.array_equal(*labeled_orders)  # the pipelines do not repeat each other


def test_per_replica_batches_under_distribute_datasets_from_function(two_replicas):
    def dataset_fn(context):
        ds, _ = _dataset(
            views=(weak_augment, weak_augment),
            labeled_view=None,
            context=context,
            lb=context.get_per_replica_batch_size(8),
            ub=context.get_per_replica_batch_size(16),
        )
        return ds

    batch = next(iter(two_replicas.distribute_datasets_from_function(dataset_fn)))
    local = two_replicas.experimental_local_results
    assert [x.shape for x in local(batch["labeled"]["image"])] == [(4, SIDE, SIDE, 3)] * 2
    assert [x.shape for x in local(batch["labeled"]["label"])] == [(4,)] * 2
    for view in batch["unlabeled"]["views"]:
        assert [x.shape for x in local(view)] == [(8, SIDE, SIDE, 3)] * 2
    assert [x.shape for x in local(batch["unlabeled"]["index"])] == [(8,)] * 2
