"""Multi-view mapping: view sizes, independence across views and images, determinism."""

import numpy as np
import pytest

from tfssl.data import AugmentParams, ViewSpec, from_numpy, multiview

SPEC = ViewSpec(num_global=2, global_size=24, num_local=3, local_size=12)


def _identical_images(n=6):
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    return from_numpy(np.repeat(image[None], n, axis=0), np.arange(n))


def _collect(ds):
    return [(tuple(v.numpy() for v in e["views"]), int(e["label"])) for e in ds]


def test_global_and_local_view_sizes():
    elements = _collect(multiview(_identical_images(3), SPEC, AugmentParams()))
    assert [label for _, label in elements] == [0, 1, 2]
    for views, _ in elements:
        assert [v.shape for v in views] == [(24, 24, 3)] * 2 + [(12, 12, 3)] * 3
        assert all(v.dtype == np.float32 and v.min() >= 0 and v.max() <= 1 for v in views)


def test_views_and_images_get_independent_randomness():
    elements = _collect(multiview(_identical_images(), SPEC, AugmentParams()))
    for views, _ in elements:
        assert np.abs(views[0] - views[1]).mean() > 1e-3  # Two views of one image differ.
    first_views = [views[0] for views, _ in elements]  # Same image, different elements.
    for i in range(len(first_views)):
        for j in range(i + 1, len(first_views)):
            assert np.abs(first_views[i] - first_views[j]).mean() > 1e-3


def test_same_seed_same_output_and_seed_matters():
    params = AugmentParams(blur_prob=0.5, solarize_prob=0.2)
    spec = ViewSpec(num_global=1, global_size=16, num_local=1, local_size=8)
    a = _collect(multiview(_identical_images(), spec, params, seed=5))
    b = _collect(multiview(_identical_images(), spec, params, seed=5, deterministic=True))
    c = _collect(multiview(_identical_images(), spec, params, seed=6))
    for (va, _), (vb, _), (vc, _) in zip(a, b, c):
        for x, y in zip(va, vb):
            np.testing.assert_array_equal(x, y)
        assert np.abs(va[0] - vc[0]).mean() > 1e-3


def test_per_view_params():
    per_view = [AugmentParams(grayscale_prob=1.0), AugmentParams(grayscale_prob=0.0)]
    spec = ViewSpec(num_global=2, global_size=16)
    views, _ = _collect(multiview(_identical_images(1), spec, per_view))[0]
    np.testing.assert_allclose(views[0][..., 0], views[0][..., 1], atol=1e-6)
    with pytest.raises(ValueError, match="3 views"):
        multiview(_identical_images(1), ViewSpec(num_global=2, num_local=1), per_view)
