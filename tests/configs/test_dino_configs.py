import pytest

from tfssl import configs, methods
from tfssl.configs.base import ConfigError


def test_dino_imagenet_is_the_paper_setting_and_builds():
    config = configs.get_experiment("dino_imagenet").validate()
    task = config.task
    steps_per_epoch = 1281167 // 1024
    assert task.model.backbone.type == "vit_small" and task.model.backbone.patch_size == 16
    assert task.train_data.global_batch_size == 1024
    views = task.train_data.views
    assert (views.num_global, views.global_size, views.num_local, views.local_size) == (
        2,
        224,
        10,
        96,
    )
    assert task.optimizer.type == "adamw" and task.optimizer.weight_decay == 0.04
    assert task.learning_rate.base_learning_rate == 5e-4 and task.learning_rate.scaling == "linear"
    assert task.head.output_dim == 65536 and task.head.norm_last_layer
    assert (task.warmup_teacher_temp, task.teacher_temp) == (0.04, 0.07)
    assert task.warmup_teacher_temp_steps == 30 * steps_per_epoch
    assert task.freeze_last_layer_steps == steps_per_epoch
    assert task.base_momentum == 0.996 and task.clip_grad == 3.0
    assert config.trainer.train_steps == 100 * steps_per_epoch

    model = methods.build_model(task)
    assert model.encoder.feature_dim == 384
    # ViT-S/16 at 224 px: about 21.7M parameters without a classifier (DeiT-S / DINO ViT-S).
    assert model.encoder.count_params() == pytest.approx(21.67e6, rel=0.01)
    assert model.head.output_shape == (None, 65536)


def test_dino_rejects_a_single_global_crop():
    config = configs.get_experiment("dino_embedded")
    configs.merge(config, {"task": {"train_data": {"views": {"num_global": 1}}}})
    with pytest.raises(ConfigError, match="num_global"):
        config.validate()
