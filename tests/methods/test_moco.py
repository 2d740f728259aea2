import numpy as np
import pytest
import tensorflow as tf

from tests.methods.tiny_configs import tiny_experiment, tiny_task
from tfssl import configs, methods
from tfssl.training.trainer import build_training_model

GLOBAL_BATCH = 8
QUEUE = 24


def tiny_moco_config(version=2, **task):
    """mocov{1,2}_embedded with a tiny backbone, batch 8, a constant rate and a 24-key queue;
    `task` merged last."""
    moco = {"queue_size": QUEUE, "shuffle_bn_splits": 1, "learning_rate": {"type": "constant"}}
    return tiny_experiment(
        f"mocov{version}_embedded",
        tiny_task(GLOBAL_BATCH, projector=True),
        {"train_steps": 2},
        {"task": moco},
        {"task": task},
    )


def _views(seed):
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(size=(GLOBAL_BATCH, 32, 32, 3)).astype(np.float32) for _ in range(2))


def _fit(model, strategy, views, steps):
    """`steps` fit steps on the global batch `views`; replica r gets rows r·b … (r+1)·b − 1."""
    replicas = strategy.num_replicas_in_sync
    rows = GLOBAL_BATCH // replicas
    dataset = None
    for replica in range(replicas):
        part = tf.data.Dataset.from_tensors(
            {"views": tuple(v[replica * rows : (replica + 1) * rows] for v in views)}
        )
        dataset = part if dataset is None else dataset.concatenate(part)
    distributed = strategy.distribute_datasets_from_function(lambda _: dataset.repeat())
    return model.fit(distributed, steps_per_epoch=steps, epochs=1, verbose=0).history


def _pair_values(model):
    return [(t.numpy().copy(), o.numpy().copy()) for t, o in model.teacher.pairs]


def test_key_encoder_starts_as_a_copy_and_is_not_trained():
    model = build_training_model(tiny_moco_config(), total_steps=2)
    assert len(model.teacher.pairs) == len(model.encoder.trainable_weights) + len(
        model.projection_head.trainable_weights
    )
    for target, online in _pair_values(model):
        np.testing.assert_array_equal(target, online)
    trainable = {id(v) for v in model.trainable_variables}
    assert not any(id(v) in trainable for v in model.key_encoder.weights + model.key_head.weights)
    rows = model.queue.values.numpy()
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, rtol=1e-5)


def test_two_replica_steps_match_one_device_and_update_the_key_encoder(two_replicas):
    """2 replicas × 1 BN group each = 1 device × 2 sub-batches: the same loss and the same global
    batch of keys written to the queue on every replica; after the step the key encoder is
    m·old + (1 − m)·online; a second step stays finite."""
    views = _views(0)
    one = build_training_model(tiny_moco_config(shuffle_bn_splits=2), total_steps=2)
    initial = [w.copy() for w in one.get_weights()]
    initial_queue = one.queue.values.numpy().copy()
    one_history = _fit(one, tf.distribute.get_strategy(), views, steps=1)

    config = tiny_moco_config(shuffle_bn_splits=1)
    with two_replicas.scope():
        model = build_training_model(config, total_steps=2)
    model.set_weights(initial)
    before = _pair_values(model)
    history = _fit(model, two_replicas, views, steps=1)

    assert history["loss"][0] == pytest.approx(one_history["loss"][0], rel=1e-5)
    expected_keys = one.queue.ordered().numpy()[-GLOBAL_BATCH:]
    assert not np.allclose(expected_keys, initial_queue[:GLOBAL_BATCH])
    for values in two_replicas.experimental_local_results(model.queue.values):
        np.testing.assert_allclose(values.numpy()[:GLOBAL_BATCH], expected_keys, atol=1e-5)
        np.testing.assert_array_equal(values.numpy()[GLOBAL_BATCH:], initial_queue[GLOBAL_BATCH:])

    momentum, moved = config.task.momentum, 0
    for (target_old, online_old), (target_new, online_new) in zip(before, _pair_values(model)):
        expected = momentum * target_old + (1 - momentum) * online_new
        np.testing.assert_allclose(target_new, expected, rtol=1e-5, atol=1e-6)
        moved += not np.allclose(online_new, online_old)
    assert moved > len(before) // 2  # the optimizer really moved the query encoder

    history.update(_fit(model, two_replicas, views, steps=1))
    assert all(np.isfinite(history["loss"])) and 0.0 <= history["contrastive_acc"][0] <= 1.0
    assert history["embedding_std"][0] > 0.0
    assert int(model.queue.pointer.numpy()) == 2 * GLOBAL_BATCH % QUEUE


def test_symmetric_loss_enqueues_both_views_keys():
    model = build_training_model(tiny_moco_config(symmetric=True), total_steps=1)
    history = _fit(model, tf.distribute.get_strategy(), _views(2), steps=1)
    assert np.isfinite(history["loss"][0])
    assert int(model.queue.pointer.numpy()) == 2 * GLOBAL_BATCH


def test_embedded_v1_and_v2_differ_in_head_and_blur_only():
    # Both standardise each image and use T=0.07 (v2's 0.2 left it under random init there).
    v1, v2 = (configs.get_experiment(f"mocov{v}_embedded").task for v in (1, 2))
    assert v1.temperature == v2.temperature == 0.07
    assert v1.model.backbone.standardize_input and v2.model.backbone.standardize_input
    assert v1.model.projection_head.num_layers == 1 and v2.model.projection_head.num_layers == 2
    assert v1.train_data.augmentation.blur_prob == 0.0 < v2.train_data.augmentation.blur_prob
    v1_model = methods.build_model(tiny_moco_config(version=1).task)
    assert len(v1_model.projection_head.layers) == 1  # one linear layer


@pytest.mark.parametrize("version,temperature,schedule", [(1, 0.07, "step"), (2, 0.2, "cosine")])
def test_imagenet_configs_follow_the_papers(version, temperature, schedule):
    config = configs.get_experiment(f"mocov{version}_imagenet").validate()
    task = config.task
    assert task.model.backbone.type == "resnet50" and task.train_data.global_batch_size == 256
    assert (task.queue_size, task.momentum, task.temperature) == (65536, 0.999, temperature)
    assert task.optimizer.type == "sgd" and task.optimizer.weight_decay == 1e-4
    assert task.learning_rate.base_learning_rate == 0.03 and task.learning_rate.type == schedule
    assert config.trainer.train_steps == 200 * (1281167 // 256)
