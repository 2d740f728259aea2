"""Asymmetric per-view recipes (BYOL, DINO) from `blur_probs` / `solarize_probs`."""

import pytest

from tfssl import configs, data, registry_imports  # noqa: F401
from tfssl.configs.base import ConfigError
from tfssl.data.inputs import view_augment_params


def test_dino_imagenet_views_get_the_papers_blur_and_solarisation():
    params = view_augment_params(configs.get_experiment("dino_imagenet").task.train_data)
    assert len(params) == 12  # 2 global + 10 local crops
    assert [p.blur_prob for p in params[:3]] == [1.0, 0.1, 0.5]
    assert [p.solarize_prob for p in params[:3]] == [0.0, 0.2, 0.0]
    assert all(p == params[2] for p in params[2:])  # every local crop alike
    assert params[0].color_jitter_strength == 0.5 and params[0].flip


def test_byol_imagenet_is_asymmetric_and_simclr_symmetric():
    byol = view_augment_params(configs.get_experiment("byol_imagenet").task.train_data)
    assert [(p.blur_prob, p.solarize_prob) for p in byol] == [(1.0, 0.0), (0.1, 0.2)]
    simclr = view_augment_params(configs.get_experiment("simclr_embedded").task.train_data)
    assert isinstance(simclr, data.AugmentParams)


def test_wrong_number_of_per_view_values_names_the_field():
    config = configs.get_experiment("byol_embedded")
    configs.merge(
        config, {"task": {"train_data": {"augmentation": {"blur_probs": [1.0, 0.1, 0.5]}}}}
    )
    with pytest.raises(ConfigError, match=r"augmentation\.blur_probs needs 2 values"):
        config.validate()
