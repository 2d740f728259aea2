"""The model contract's update phases: a tiny generator/discriminator pair, each phase with its own
optimizer, applies the same update on 1 and on 2 replicas, and a resumed run restores both
optimizers' state."""

from dataclasses import dataclass

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfssl import configs, optim
from tfssl.configs.registry import register_task
from tfssl.methods import OptimizerGroup, SelfSupervisedModel, UpdatePhase, register_method
from tfssl.ops import distributed
from tfssl.training import train
from tfssl.training.trainer import build_training_model, checkpoint_manager

GLOBAL_BATCH = 8
SIZE = 8


def _flat_dense(units, name):
    return keras.Sequential(
        [keras.Input([SIZE, SIZE, 3]), keras.layers.Flatten(), keras.layers.Dense(units)], name=name
    )


@register_method("test_tiny_gan")
class TinyGAN(SelfSupervisedModel):
    """An encoder-decoder generator reconstructs the first view; a discriminator tells its
    reconstructions from real views. The discriminator phase runs first with its own (Adam)
    optimizer; the main phase trains the generator against it."""

    metric_names = ("discriminator_loss",)
    components = ("encoder", "decoder", "discriminator")

    def __init__(self, encoder, decoder, discriminator, **kwargs):
        super().__init__(encoder, **kwargs)
        self.decoder = decoder
        self.discriminator = discriminator

    @classmethod
    def components_from_config(cls, task_config):
        decoder = keras.Sequential(
            [
                keras.Input([4]),
                keras.layers.Dense(SIZE * SIZE * 3),
                keras.layers.Reshape([SIZE, SIZE, 3]),
            ],
            name="decoder",
        )
        return {
            "encoder": _flat_dense(4, "encoder"),
            "decoder": decoder,
            "discriminator": _flat_dense(1, "discriminator"),
        }

    def _fake(self, real, training):
        return self.decoder(self.encoder(real, training=training), training=training)

    def discriminator_loss(self, data, training):
        real = data["views"][0]
        fake = tf.stop_gradient(self._fake(real, training))
        logits = self.discriminator(tf.concat([real, fake], 0), training=training)[:, 0]
        labels = tf.concat([tf.ones(tf.shape(real)[:1]), tf.zeros(tf.shape(real)[:1])], 0)
        loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        return distributed.global_mean(loss), {}

    def compute_batch_loss(self, data, training):
        real = data["views"][0]
        fake = self._fake(real, training)
        logits = self.discriminator(fake, training=training)[:, 0]
        fooled = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(logits), logits=logits)
        error = tf.reduce_mean(tf.square(fake - real), axis=[1, 2, 3])
        return distributed.global_mean(error + 0.1 * fooled), {}

    def update_phases(self):
        discriminator = OptimizerGroup(
            "discriminator",
            lambda: self.discriminator.trainable_variables,
            optimizer={"type": "adam", "weight_decay": 0.0},
            learning_rate={"base_learning_rate": 0.01},
        )
        generator = OptimizerGroup(
            "main", lambda: self.encoder.trainable_variables + self.decoder.trainable_variables
        )
        return [
            UpdatePhase("discriminator", self.discriminator_loss, (discriminator,)),
            UpdatePhase("main", self.compute_batch_loss, (generator,)),
        ]


@register_task("test_tiny_gan")
@dataclass
class TinyGANTaskConfig(configs.TaskConfig):
    method: str = "test_tiny_gan"


def _config(**trainer):
    config = configs.ExperimentConfig(task=TinyGANTaskConfig())
    configs.merge(
        config,
        {
            "task": {
                "train_data": {
                    "global_batch_size": GLOBAL_BATCH,
                    "shuffle_buffer": 64,
                    "image_size": SIZE,
                    "views": {"num_global": 1, "global_size": SIZE},
                },
                "optimizer": {"type": "sgd", "weight_decay": 0.0},
                "learning_rate": {"type": "constant", "base_learning_rate": 0.1, "scaling": "none"},
            },
            "trainer": {"train_steps": 2, "checkpoint_interval": 1, "log_interval": 1, **trainer},
        },
    )
    return config.validate()


def _one_step(strategy, initial_weights, images):
    replicas = strategy.num_replicas_in_sync
    rows = GLOBAL_BATCH // replicas
    with strategy.scope():
        model = build_training_model(_config(), total_steps=1)
    model.set_weights(initial_weights)
    dataset = None
    for replica in range(replicas):
        part = tf.data.Dataset.from_tensors(
            {"views": (images[replica * rows : (replica + 1) * rows],)}
        )
        dataset = part if dataset is None else dataset.concatenate(part)
    model.fit(
        strategy.distribute_datasets_from_function(lambda _: dataset.repeat()),
        steps_per_epoch=1,
        epochs=1,
        verbose=0,
    )
    return model


def test_two_phases_build_two_optimizers():
    model = build_training_model(_config(), total_steps=1)
    assert set(model.group_optimizers) == {"discriminator"}
    assert isinstance(model.group_optimizers["discriminator"], keras.optimizers.Adam)
    assert isinstance(model.optimizer, optim.SGD)
    assert float(model.group_optimizers["discriminator"].learning_rate) == pytest.approx(0.01)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)


def test_two_phase_step_on_two_replicas_equals_one_device(two_replicas):
    keras.utils.set_random_seed(0)
    reference = build_training_model(_config(), total_steps=1)
    initial = [w.copy() for w in reference.get_weights()]
    images = np.random.default_rng(0).uniform(size=(GLOBAL_BATCH, SIZE, SIZE, 3)).astype(np.float32)
    one = _one_step(tf.distribute.get_strategy(), initial, images)
    two = _one_step(two_replicas, initial, images)
    for name, w0, w1, w2 in zip(
        [v.path for v in one.weights], initial, one.get_weights(), two.get_weights()
    ):
        scale = np.abs(w1 - w0).max()
        assert scale > 0, f"{name} did not move"
        np.testing.assert_allclose(w2 - w0, w1 - w0, atol=1e-5 * scale + 1e-8, err_msg=name)
    # Both optimizers took exactly one step on both strategies.
    for model in (one, two):
        assert int(model.optimizer.iterations.numpy()) == 1
        assert int(model.group_optimizers["discriminator"].iterations.numpy()) == 1


def test_resumed_run_restores_both_optimizers(tmp_path):
    model, history = train(_config(), str(tmp_path))
    assert "discriminator_loss" in history[-1] and int(model.optimizer.iterations.numpy()) == 2
    adam = model.group_optimizers["discriminator"]
    saved = [v.numpy().copy() for v in adam.variables]  # iteration, learning rate, m and v slots
    saved_main = [v.numpy().copy() for v in model.optimizer.variables]
    assert len(saved) > 2 and all(np.abs(value).max() > 0 for value in saved[2:])

    resumed = build_training_model(_config(), total_steps=2)
    manager = checkpoint_manager(resumed, str(tmp_path))
    manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    restored = resumed.group_optimizers["discriminator"]
    assert int(restored.iterations.numpy()) == 2 and int(resumed.optimizer.iterations.numpy()) == 2
    for variable, value in zip(restored.variables, saved, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)
    for variable, value in zip(resumed.optimizer.variables, saved_main, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)

    # Training on from the checkpoint continues at step 2 with both optimizers.
    model, _ = train(_config(train_steps=3), str(tmp_path))
    assert int(model.optimizer.iterations.numpy()) == 3
    assert int(model.group_optimizers["discriminator"].iterations.numpy()) == 3
