import numpy as np
import pytest
import tensorflow as tf

from tfssl import configs, losses
from tfssl.training.trainer import build_training_model

GLOBAL_BATCH = 8


def _config(**task):
    """dino_embedded with the tiny backbone, a small head, 2 global 32 px + 2 local 16 px crops."""
    config = configs.get_experiment("dino_embedded")
    overrides = {
        "model": {"backbone": {"type": "tiny"}},
        "head": {"output_dim": 16, "hidden_dim": 16, "bottleneck_dim": 8},
        "train_data": {"global_batch_size": GLOBAL_BATCH, "views": {"num_local": 2}},
        "learning_rate": {"type": "constant", "base_learning_rate": 0.01, "warmup_steps": 0},
    }
    configs.merge(config, {"task": overrides})
    return configs.merge(config, {"task": task}).validate()


def _views(seed):
    rng = np.random.default_rng(seed)
    sizes = [32, 32, 16, 16]
    return tuple(rng.uniform(size=(GLOBAL_BATCH, s, s, 3)).astype(np.float32) for s in sizes)


def _dataset(strategy, views):
    """Replica r receives rows r·b … (r+1)·b − 1 of the global batch `views`."""
    replicas = strategy.num_replicas_in_sync
    rows = GLOBAL_BATCH // replicas

    def per_replica(r):
        batch = {"views": tuple(v[r * rows : (r + 1) * rows] for v in views)}
        return tf.data.Dataset.from_tensors(batch)

    dataset = per_replica(0)
    for r in range(1, replicas):
        dataset = dataset.concatenate(per_replica(r))
    return strategy.distribute_datasets_from_function(lambda _: dataset.repeat())


def _model(strategy, config, total_steps):
    with strategy.scope():
        return build_training_model(config, total_steps=total_steps)


def _values(variables):
    return [np.array(v.numpy()) for v in variables]


def _teacher_outputs_per_replica(model, views, replicas=2):
    """The teacher logits of the global crops as `replicas` replicas compute them: each sees its
    rows of both global crops in one batch (its own BN statistics)."""
    rows = GLOBAL_BATCH // replicas
    parts = []
    for r in range(replicas):
        batch = np.concatenate([v[r * rows : (r + 1) * rows] for v in views[:2]])  # [2·b, H, W, 3]
        out = model.teacher_head(model.teacher_encoder(batch, training=True), training=True)
        parts.append(np.split(out.numpy(), 2))
    return [np.concatenate([p[i] for p in parts]) for i in range(2)]


def test_two_fit_steps_on_two_replicas(two_replicas):
    """After each step: teacher = τ·old teacher + (1 − τ)·new student, and the centre moved as
    `dino_center` on the global batch; the collapse monitors are logged."""
    config = _config(base_momentum=0.9, center_momentum=0.7)
    model = _model(two_replicas, config, total_steps=4)
    teacher = [t for t, _ in model.teacher.pairs]
    student = [o for _, o in model.teacher.pairs]
    for t, s in zip(_values(teacher), _values(student)):
        np.testing.assert_array_equal(t, s)  # the teacher starts as a copy
    views = _views(0)
    dataset = _dataset(two_replicas, views)
    for step in range(2):
        old_teacher, old_center = _values(teacher), model.center.numpy()
        expected_center = losses.dino_center(
            old_center, _teacher_outputs_per_replica(model, views), 0.7
        ).numpy()
        history = model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0).history
        tau = float(model.teacher.momentum(step, model.total_steps))
        assert tau == pytest.approx(0.9 + 0.1 * (1 - np.cos(np.pi * step / 3)) / 2)
        for old, new_t, new_s in zip(old_teacher, _values(teacher), _values(student)):
            np.testing.assert_allclose(new_t, tau * old + (1 - tau) * new_s, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(model.center.numpy(), expected_center, rtol=1e-4, atol=1e-6)
    assert np.isfinite(history["loss"][0]) and history["embedding_std"][0] > 0.01
    assert 0 < history["teacher_entropy"][0] <= np.log(16) + 1e-4
    assert int(model.optimizer.iterations.numpy()) == 2


def test_last_layer_frozen_then_trained():
    config = _config(
        freeze_last_layer_steps=2,
        head={"norm_last_layer": True},
        optimizer={"type": "adam", "weight_decay": 0.0},
    )
    model = _model(tf.distribute.get_strategy(), config, total_steps=3)
    last = model.head.get_layer("last")
    before = _values(last.weights)
    mlp_before = _values(model.head.get_layer("mlp").weights)
    dataset = tf.data.Dataset.from_tensors({"views": _views(2)}).repeat()
    model.fit(dataset, steps_per_epoch=2, epochs=1, verbose=0)
    for b, a in zip(before, _values(last.weights)):
        np.testing.assert_array_equal(a, b)
    mlp_after = _values(model.head.get_layer("mlp").weights)
    assert any(np.abs(a - b).max() > 0 for a, b in zip(mlp_before, mlp_after))
    model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0)  # step 2: no longer frozen
    assert np.abs(last.direction.numpy() - before[0]).max() > 0
    np.testing.assert_array_equal(last.magnitude.numpy(), 1.0)  # norm_last_layer: g fixed to 1


def test_gradient_clipping_bounds_each_variable_norm():
    config = _config(clip_grad=1e-3)
    model = _model(tf.distribute.get_strategy(), config, total_steps=1)
    big = [tf.fill(v.shape, 10.0) for v in model.trainable_variables]
    clipped = model.transform_gradients(big, model.trainable_variables)
    norms = [float(tf.norm(g)) for g in clipped]
    np.testing.assert_allclose(norms, 1e-3, rtol=1e-5)


def test_teacher_temperature_warms_up_linearly():
    config = _config(warmup_teacher_temp=0.04, teacher_temp=0.07, warmup_teacher_temp_steps=10)
    model = _model(tf.distribute.get_strategy(), config, total_steps=20)
    temps = [float(model.teacher_temperature(s)) for s in (0, 5, 10, 15)]
    np.testing.assert_allclose(temps, [0.04, 0.055, 0.07, 0.07], rtol=1e-6)


def test_bn_head_with_sync_bn_gives_the_one_device_loss_on_two_replicas(two_replicas):
    """With `use_bn` and sync BN, every BN (backbones and heads) normalises over the global
    batch, so the first step's loss on 2 replicas equals the one on 1 device."""
    config = _config(model={"backbone": {"sync_bn": True}}, head={"use_bn": True})
    views = _views(3)
    losses_by_count = []
    for strategy in (tf.distribute.get_strategy(), two_replicas):
        tf.keras.utils.set_random_seed(0)
        model = _model(strategy, config, total_steps=2)
        history = model.fit(_dataset(strategy, views), steps_per_epoch=1, epochs=1, verbose=0)
        losses_by_count.append(history.history["loss"][0])
    assert np.isfinite(losses_by_count[0])
    np.testing.assert_allclose(losses_by_count[1], losses_by_count[0], rtol=1e-5)
