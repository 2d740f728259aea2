import numpy as np
import pytest

from tfssl.data import load_embedded
from tfssl.evaluation import class_balanced_subset


@pytest.mark.parametrize("fraction", [0.01, 0.1, 1.0])
def test_exact_fraction_class_balanced_and_deterministic(fraction):
    _, labels = load_embedded("train")
    subset = class_balanced_subset(labels, fraction, seed=0)
    assert len(subset) == round(fraction * len(labels))  # 115, 1150, 11504
    assert len(np.unique(subset)) == len(subset)
    per_class, class_sizes = np.bincount(labels[subset]), np.bincount(labels)
    np.testing.assert_allclose(per_class, fraction * class_sizes, atol=1.0)  # proportional to ±1
    np.testing.assert_array_equal(subset, class_balanced_subset(labels, fraction, seed=0))
    if fraction < 1.0:
        assert not np.array_equal(subset, class_balanced_subset(labels, fraction, seed=1))


def test_every_class_gets_a_label_and_bad_fraction_fails():
    labels = np.array([0] * 95 + [1] * 5)
    assert np.bincount(labels[class_balanced_subset(labels, 0.01)]).tolist() == [1, 1]
    with pytest.raises(ValueError):
        class_balanced_subset(labels, 0.0)
