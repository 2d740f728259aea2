"""The SimCLRv2 recipe's pieces: fine-tuning starts from the projection head's first layer with a
zero linear layer, and the distillation term is the soft cross-entropy at temperature τ."""

import numpy as np
import pytest
import tensorflow as tf

from tfssl import configs, registry_imports  # noqa: F401
from tfssl.semi.simclrv2 import finetune_stage_config, from_projection_head, pretrain_config
from tfssl.training.trainer import build_training_model


def tiny_config():
    config = configs.get_experiment("simclrv2_embedded")
    overrides = {
        "model": {"backbone": {"type": "tiny"}},
        "train_data": {"global_batch_size": 4, "shuffle_buffer": 64},
        "labeled": {"num_per_class": 2},
        "head_hidden_dim": 8,
        "distill_temperature": 0.5,
    }
    return configs.merge(config, {"task": overrides}).validate()


def test_stages_share_the_backbone_and_the_head_width():
    config = tiny_config()
    pretrain, finetune = pretrain_config(config), finetune_stage_config(config)
    assert pretrain.task.method == "simclr" and finetune.task.method == "supervised"
    assert pretrain.task.model.backbone.type == finetune.task.model.backbone.type == "tiny"
    head = pretrain.task.model.projection_head
    assert (head.num_layers, head.hidden_dim) == (3, 8)
    assert finetune.task.head_hidden_dim == 8
    assert finetune.task.labeled.num_per_class == 2
    assert pretrain.trainer.train_steps == 400 and finetune.trainer.train_steps == 1000
    assert pretrain.task.train_data.global_batch_size == 64  # `pretrain_batch_size`
    assert (
        pretrain.task.train_data.views
        == configs.get_experiment("simclr_embedded").task.train_data.views
    )


def test_zero_pretrain_batch_size_keeps_the_simclr_experiments_own():
    config = configs.merge(tiny_config(), {"task": {"pretrain_batch_size": 0}})
    assert pretrain_config(config).task.train_data.global_batch_size == 128


def test_negative_stage_settings_are_rejected_by_name():
    config = configs.merge(tiny_config(), {"task": {"pretrain_batch_size": -1}})
    with pytest.raises(configs.ConfigError, match="pretrain_batch_size must be >= 0"):
        config.validate()


def test_fine_tuning_starts_from_the_first_projection_layer():
    config = tiny_config()
    pretrained = build_training_model(pretrain_config(config), total_steps=1)
    finetune = build_training_model(finetune_stage_config(config), total_steps=1)
    from_projection_head(pretrained)(finetune)
    for a, b in zip(finetune.encoder.get_weights(), pretrained.encoder.get_weights()):
        np.testing.assert_array_equal(a, b)
    for layer in ("dense1", "bn1"):
        for a, b in zip(
            finetune.classifier.get_layer(layer).get_weights(),
            pretrained.projection_head.get_layer(layer).get_weights(),
        ):
            np.testing.assert_array_equal(a, b)
    assert all(not np.any(w) for w in finetune.classifier.get_layer("dense2").get_weights())
    for a, b in zip(finetune.ema_encoder.get_weights(), finetune.encoder.get_weights()):
        np.testing.assert_array_equal(a, b)  # the EMA restarts from the loaded weights


def test_distillation_term_is_the_soft_cross_entropy_at_temperature():
    model = build_training_model(tiny_config(), total_steps=1)
    rng = np.random.default_rng(0)
    labeled = {"image": rng.uniform(size=(4, 32, 32, 3)), "label": np.arange(4)}
    unlabeled = {"views": (rng.uniform(size=(8, 32, 32, 3)),), "index": np.arange(8)}
    data = tf.nest.map_structure(
        lambda a: tf.constant(a, tf.float32) if a.dtype == np.float64 else tf.constant(a),
        {"labeled": labeled, "unlabeled": unlabeled},
    )
    loss, logs = model.compute_batch_loss(data, training=False)
    images = np.concatenate([labeled["image"], unlabeled["views"][0]]).astype(np.float32)
    student = model.logits(tf.constant(images), training=False).numpy()[4:] / 0.5
    teacher = model.teacher_logits(tf.constant(unlabeled["views"][0], tf.float32)).numpy() / 0.5
    p_teacher = np.exp(teacher) / np.exp(teacher).sum(1, keepdims=True)
    log_student = student - np.log(np.exp(student).sum(1, keepdims=True))
    expected = -(p_teacher * log_student).sum(1).mean()
    assert float(logs["unsupervised_loss"]) == pytest.approx(expected, rel=1e-4)
    assert float(loss) == pytest.approx(expected, rel=1e-4)  # labeled_weight 0: distillation only
    assert not model.teacher_encoder.trainable and not model.teacher_classifier.trainable
