"""SupCon: the batch loss against the NumPy L_out reference on the model's projections, the
labels the few-label form reads, a step on 2 replicas equal to one device, and (slow) the
embedded run far above random init."""

import numpy as np
import pytest
import tensorflow as tf

from tests.losses.test_supcon import supcon_reference
from tests.methods.quality_helpers import train_and_probe
from tests.methods.tiny_configs import replica_task, tiny_experiment
from tests.replicas import assert_step_matches_one_device
from tfssl import configs, data, registry_imports  # noqa: F401
from tfssl.training.trainer import build_training_model

GLOBAL_BATCH = 4
LABELS = np.array([3, 1, 3, -18], np.int64)  # rows 0 and 2 share a class; -18: its own class


def tiny_config(**task):
    """supcon_embedded for the replica tests: the tiny projector, batch 4; each entry of `task`
    replaces that task field's tiny settings whole."""
    task = {**replica_task(GLOBAL_BATCH, projector=True), **task}
    return tiny_experiment("supcon_embedded", task, {"train_steps": 4})


def batch(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "views": tuple(rng.uniform(size=(GLOBAL_BATCH, 32, 32, 3)) for _ in range(2)),
        "label": LABELS,
        "index": np.array([5, 17, 2, 17], np.int64),
    }


def test_batch_loss_is_l_out_of_the_stacked_projections(float64_policy):
    model = build_training_model(tiny_config(), total_steps=4)
    data_batch = batch()
    projections = [
        model.projection_head(model.encoder(tf.constant(v))).numpy() for v in data_batch["views"]
    ]
    features = np.stack(projections, axis=1)  # [b, 2, D]
    expected = supcon_reference(features, LABELS, model.temperature, model.base_temperature)
    loss, _ = model.compute_batch_loss(
        tf.nest.map_structure(tf.constant, data_batch), training=False
    )
    np.testing.assert_allclose(float(loss), expected, rtol=1e-7)


def test_few_label_stream_keeps_the_split_s_labels_and_gives_the_rest_classes_of_their_own():
    """500 labels per class (of about 1150): a batch of 64 holds both kinds of rows."""
    config = tiny_config(num_per_class=500, train_data={"global_batch_size": 64, "cache": False})
    model = build_training_model(config, total_steps=4)
    labels = data.load_embedded("train")[1]
    labeled = set(data.labeled_split(labels, 500, seed=config.runtime.seed).tolist())
    input_fn = model.build_inputs(config.task.train_data, config.runtime.seed)
    element = next(iter(input_fn(tf.distribute.InputContext())))
    index, read = element["index"].numpy(), element["label"].numpy()
    expected = [labels[i] if i in labeled else -1 - i for i in index]
    np.testing.assert_array_equal(read, expected)
    assert 0 < np.sum(read >= 0) < len(read)


def test_a_step_on_two_replicas_equals_one_device(two_replicas, float64_policy):
    assert_step_matches_one_device(tiny_config(), two_replicas, batch())


@pytest.mark.slow
def test_default_supcon_embedded_beats_random_init_by_thirty_points(tmp_path):
    """Seed 0: SupCon's probe 94.7% against random init's 41.2% (the same network trained by
    cross-entropy on the same labels: 98.2%)."""
    config = configs.get_experiment("supcon_embedded").validate()
    _, _, trained, baseline = train_and_probe(config, str(tmp_path))
    print(f"linear probe top-1: SupCon {trained:.3f}, random init {baseline:.3f}")
    assert trained >= baseline + 0.30
