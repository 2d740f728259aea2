import keras
import numpy as np
import pytest
import tensorflow as tf

import tfssl.configs.swav  # noqa: F401
import tfssl.methods.swav  # noqa: F401
from tfssl import configs
from tfssl.training.trainer import build_training_model

GLOBAL_BATCH, PROTOTYPES = 8, 6


def tiny_swav_config(**overrides):
    """swav_embedded with a tiny backbone, 2×32 + 2×16 crops and 8-image batches."""
    config = configs.get_experiment("swav_embedded")
    configs.merge(
        config,
        {
            "task": {
                "num_prototypes": PROTOTYPES,
                "freeze_prototypes_steps": 0,
                "queue_length": 0,
                "model": {
                    "backbone": {"type": "tiny", "sync_bn": True},
                    "projection_head": {"hidden_dim": 16, "output_dim": 8},
                },
                "train_data": {"global_batch_size": GLOBAL_BATCH, "views": {"num_local": 2}},
                "optimizer": {"type": "lars", "weight_decay": 1e-4},
                "learning_rate": {
                    "type": "constant",
                    "base_learning_rate": 0.5,
                    "scaling": "none",
                    "warmup_steps": 0,
                },
            },
            "trainer": {"train_steps": 2},
        },
    )
    return configs.merge(config, overrides).validate()


def _views(seed, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [
        rng.uniform(size=(GLOBAL_BATCH, size, size, 3)).astype(dtype) for size in (32, 32, 16, 16)
    ]


@pytest.fixture
def float64_policy():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_dtype_policy(previous)


def _fit(strategy, config, steps, views, initial_weights=None):
    """`steps` fit steps under `strategy`, every step on the global batch `views`."""
    rows = GLOBAL_BATCH // strategy.num_replicas_in_sync
    with strategy.scope():
        model = build_training_model(config, total_steps=steps)
    if initial_weights is not None:
        model.set_weights(initial_weights)

    # Replica r receives the r-th element of the distributed dataset: rows r·b … (r+1)·b − 1.
    slices = [
        tf.data.Dataset.from_tensors({"views": tuple(v[r * rows : (r + 1) * rows] for v in views)})
        for r in range(strategy.num_replicas_in_sync)
    ]
    dataset = slices[0]
    for extra in slices[1:]:
        dataset = dataset.concatenate(extra)
    distributed = strategy.distribute_datasets_from_function(lambda _: dataset.repeat())
    model.fit(distributed, steps_per_epoch=steps, epochs=1, verbose=0)
    return model


def _prototype_norms(model):
    return np.linalg.norm(model.prototypes.kernel.numpy(), axis=0)


def test_prototypes_frozen_during_first_steps():
    """Frozen for 2 steps: unchanged despite LARS weight decay; the encoder still moves."""
    config = tiny_swav_config(task={"freeze_prototypes_steps": 2})
    model = build_training_model(config, total_steps=2)
    initial = model.get_weights()
    kernel = model.prototypes.kernel.numpy().copy()
    encoder = [w.numpy().copy() for w in model.encoder.trainable_weights]
    trained = _fit(tf.distribute.get_strategy(), config, 2, _views(1), initial)
    np.testing.assert_allclose(trained.prototypes.kernel.numpy(), kernel, atol=1e-6)
    weights = trained.encoder.trainable_weights
    assert max(np.abs(w.numpy() - w0).max() for w, w0 in zip(weights, encoder)) > 1e-4


def test_two_replicas_with_queue_equal_one_device(two_replicas, float64_policy):
    """Two fit steps with an 8-row queue switched on at step 0: step 1 fills it, step 2 uses it
    (each replica scoring its half). In float64, 2 replicas apply the same updates as 1 device."""
    config = tiny_swav_config(task={"queue_length": GLOBAL_BATCH, "queue_start_step": 0})
    with tf.distribute.get_strategy().scope():
        reference = build_training_model(config, total_steps=2)
    initial = [w.copy() for w in reference.get_weights()]
    np.testing.assert_allclose(_prototype_norms(reference), 1.0, rtol=1e-12)  # unit from the start
    views = _views(2, np.float64)
    one = _fit(tf.distribute.get_strategy(), config, 2, views, initial)
    two = _fit(two_replicas, config, 2, views, initial)
    assert int(one.queues[0].filled.numpy()) == GLOBAL_BATCH
    moved = 0
    for w0, w1, w2 in zip(initial, one.get_weights(), two.get_weights()):
        scale = np.abs(w1 - w0).max()
        np.testing.assert_allclose(w2, w1, rtol=0, atol=1e-7 * scale + 1e-12)
        moved += scale > 0
    assert moved > len(initial) // 2
    np.testing.assert_allclose(_prototype_norms(two), 1.0, rtol=1e-12)  # renormalised each step
    assert np.abs(two.prototypes.kernel.numpy() - reference.prototypes.kernel.numpy()).max() > 1e-4


def test_queue_changes_the_loss_once_full():
    """With the queue in use, the codes (hence the loss) differ from the batch-only loss."""
    config = tiny_swav_config(task={"queue_length": 16, "queue_start_step": 0})
    model = build_training_model(config, total_steps=4)
    views = [tf.constant(v) for v in _views(3)]
    model.queues[0].enqueue(tf.math.l2_normalize(tf.random.normal([16, 8], seed=1), axis=-1))
    model.queues[1].enqueue(tf.math.l2_normalize(tf.random.normal([16, 8], seed=2), axis=-1))
    with_queue, _ = model.compute_pretext_loss(views, training=True)
    without_queue, _ = model.compute_pretext_loss(views, training=False)
    assert abs(float(with_queue) - float(without_queue)) > 1e-4


def test_checkpoint_holds_the_queues(tmp_path):
    """A resumed run gets its queues back: they are in the model's checkpoint."""
    config = tiny_swav_config(task={"queue_length": 16, "queue_start_step": 0})
    model = build_training_model(config, total_steps=4)
    keys = tf.math.l2_normalize(tf.random.normal([16, 8], seed=1), axis=-1)
    model.queues[1].enqueue(keys)
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    restored = build_training_model(config, total_steps=4)
    tf.train.Checkpoint(model=restored).restore(path).assert_existing_objects_matched()
    np.testing.assert_array_equal(restored.queues[1].values.numpy(), keys.numpy())
    assert int(restored.queues[1].filled) == 16 and int(restored.queues[0].filled) == 0
