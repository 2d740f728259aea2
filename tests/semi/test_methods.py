"""The semi-supervised methods: a training step on 2 replicas (sync BN) equals one device on the
global batch, masked and averaged terms count over the global batch, and the hand values of the
ramps and of Temporal Ensembling's bias correction."""

import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import assert_same_after_step, one_and_two, step_both
from tfssl import configs, ops, results
from tfssl.semi.base import ramp
from tfssl.semi.fixmatch import align_distribution
from tfssl.semi.temporal_ensembling import bias_corrected_targets
from tfssl.training.trainer import build_training_model

METHODS = results.semi_supervised_methods()
LABELED = 4  # global labeled batch; the unlabeled batch is μ = 2 times that per view


def tiny_config(method, **task):
    """`<method>_embedded` on the tiny backbone with synchronised BN, plain SGD (Adam's first
    step, lr·sign(g), would magnify float noise) and 4 labeled images per step."""
    config = configs.get_experiment(f"{method}_embedded")
    overrides = {
        "model": {"backbone": {"type": "tiny", "sync_bn": True}},
        "train_data": {"global_batch_size": LABELED, "shuffle_buffer": 64},
        "labeled": {"num_per_class": 2, "unlabeled_ratio": 2},
        "optimizer": {"type": "sgd", "weight_decay": 0.0},
        "learning_rate": {"type": "constant", "base_learning_rate": 0.1, "warmup_steps": 0},
        "rampup_fraction": 0.0,
        **task,
    }
    return configs.merge(config, {"task": overrides, "trainer": {"train_steps": 10}}).validate()


def global_batch(model, seed=0):
    """One global batch shaped like the model's input, with distinct example indices."""
    rng = np.random.default_rng(seed)
    images = lambda n: rng.uniform(size=(n, 32, 32, 3))  # noqa: E731
    batch = {"labeled": {"image": images(LABELED), "label": np.arange(LABELED) % 10}}
    if model.unlabeled_views:
        unlabeled = LABELED * model.unlabeled_ratio
        batch["unlabeled"] = {
            "views": tuple(images(unlabeled) for _ in range(model.unlabeled_views)),
            "index": rng.permutation(50)[:unlabeled],
        }
    return batch


@pytest.mark.parametrize("method", METHODS)
def test_a_step_on_two_replicas_equals_one_device(method, two_replicas, float64_policy):
    """Loss, logged scalars and every weight after the step (EMA, BN statistics and per-example
    memory included) are the same on 2 replicas as on one device with the global batch."""
    one, two = one_and_two(tiny_config(method), two_replicas)
    one_logs, replica_logs = step_both(one, two, two_replicas, global_batch(one))
    assert_same_after_step(one, two, one_logs, replica_logs)
    if method == "mean_teacher":  # the teacher sees another view: the term is not zero
        assert one_logs["unsupervised_loss"] > 1e-6
    if method == "supervised":
        assert one_logs["unsupervised_loss"] == 0.0


def test_pseudo_label_mask_counts_over_the_global_batch(two_replicas, float64_policy):
    """A threshold that keeps more rows on one replica than on the other: the loss divides by
    every unlabeled row of the global batch, and mask_rate is the global share."""
    config = tiny_config("pseudo_label")
    one, two = one_and_two(config, two_replicas)
    batch = global_batch(one)
    probe = build_training_model(config, total_steps=10)
    probe.set_weights(one.get_weights())
    images = np.concatenate([batch["labeled"]["image"], batch["unlabeled"]["views"][0]])
    logits = probe.logits(tf.constant(images), training=True)[LABELED:]
    confidence = np.max(tf.nn.softmax(logits).numpy(), axis=1)  # [8]: rows 0-3 on replica 0
    order = np.sort(confidence)[::-1]
    for kept in range(1, len(order)):
        threshold = (order[kept - 1] + order[kept]) / 2
        on_first = int(np.sum(confidence[:4] > threshold))
        if on_first != kept - on_first:
            break
    one.threshold = two.threshold = float(threshold)
    one_logs, replica_logs = step_both(one, two, two_replicas, batch)
    assert one_logs["mask_rate"] == kept / 8
    assert_same_after_step(one, two, one_logs, replica_logs)


def test_fixmatch_alignment_and_pseudo_label_accuracy_on_two_replicas(two_replicas, float64_policy):
    """Distribution alignment's running marginal moves identically on 2 replicas and on one
    device; the pseudo-label accuracy is the global share of kept labels equal to the hidden
    ones (6 of 8 here, all kept at τ = 0)."""
    config = tiny_config(
        "fixmatch", distribution_alignment=True, alignment_momentum=0.5, threshold=0.0
    )
    one, two = one_and_two(config, two_replicas)
    batch = global_batch(one)
    probe = build_training_model(config, total_steps=10)
    probe.set_weights(one.get_weights())
    images = np.concatenate([batch["labeled"]["image"], *batch["unlabeled"]["views"]])
    weak = tf.nn.softmax(probe.logits(tf.constant(images), training=True)[LABELED:12]).numpy()
    aligned = align_distribution(weak, np.full(10, 0.1), np.full(10, 0.1)).numpy()
    hidden = np.zeros(50, np.int32)
    guesses = aligned.argmax(axis=1)
    hidden[batch["unlabeled"]["index"]] = guesses
    hidden[batch["unlabeled"]["index"][[2, 7]]] = (guesses[[2, 7]] + 1) % 10  # one per replica
    for model in (one, two):
        model.hidden_labels = tf.constant(hidden)
    one_logs, replica_logs = step_both(one, two, two_replicas, batch)
    assert one_logs["pseudo_label_acc"] == 6 / 8 and one_logs["mask_rate"] == 1.0
    np.testing.assert_allclose(
        one.prediction_marginal.numpy(), 0.05 + 0.5 * weak.mean(axis=0), rtol=1e-7
    )
    assert_same_after_step(one, two, one_logs, replica_logs)


def test_align_distribution_hand_values():
    """p · p(y) / p̄, renormalised: [0.5, 0.5] · [0.5, 0.5] / [0.8, 0.2] → [0.2, 0.8]."""
    aligned = align_distribution(
        tf.constant([[0.5, 0.5]]), tf.constant([0.8, 0.2]), tf.constant([0.5, 0.5])
    )
    np.testing.assert_allclose(aligned, [[0.2, 0.8]], rtol=1e-6)


def test_temporal_ensembling_targets_count_per_example_over_the_global_batch(
    two_replicas, float64_policy
):
    """Rows with a target on one replica only: the squared error is averaged over every row of
    the global batch, and both replicas write the same ensemble rows and counts."""
    one, two = one_and_two(tiny_config("temporal_ensembling"), two_replicas)
    batch = global_batch(one)
    index = batch["unlabeled"]["index"]
    values = np.random.default_rng(1).dirichlet(np.ones(10), size=one.ensemble.num_examples)
    counts = np.zeros(one.ensemble.num_examples, np.int32)
    counts[index[:3]] = [1, 2, 3]  # three targets on replica 0, none on replica 1
    for model in (one, two):
        model.ensemble.assign(values * 0.5)
        model.ensemble.counts.assign(counts)
    one_logs, replica_logs = step_both(one, two, two_replicas, batch)
    assert one_logs["target_rate"] == 3 / 8 and one_logs["unsupervised_loss"] > 0
    assert_same_after_step(one, two, one_logs, replica_logs)
    np.testing.assert_array_equal(one.ensemble.counts.numpy()[index], counts[index] + 1)


def test_bias_correction_recovers_constant_predictions_and_weights_recent_ones():
    """Z/(1 − α^t) of an EMA started at zero: constant predictions come back exactly, and after
    three updates at α = 0.6 the target weighs them (1 − α)α^(t−k)/(1 − α^t)."""
    memory = ops.ExampleMemory(2, (3,), momentum=0.6, count_updates=True)
    constant = np.array([[0.2, 0.3, 0.5]], np.float32)
    z = np.eye(3, dtype=np.float32)  # z_k = e_k: the target's entries are the weights
    for k in range(3):
        memory.update([0], constant)
        memory.update([1], z[k : k + 1])
        targets = bias_corrected_targets(memory.lookup([0, 1]), memory.counts.numpy(), 0.6)
        np.testing.assert_allclose(targets[0], constant[0], rtol=1e-6)
    np.testing.assert_allclose(targets[1], [0.183673, 0.306122, 0.510204], atol=1e-6)
    np.testing.assert_array_equal(bias_corrected_targets(tf.ones([1, 3]), [0], 0.6), [[0, 0, 0]])


@pytest.mark.parametrize(
    "kind, step, expected",
    [
        ("linear", 30, 0.3),
        ("linear", 500, 1.0),
        ("sigmoid", 50, 0.2865048),  # exp(−5·0.5²)
        ("sigmoid", 100, 1.0),
        ("none", 0, 1.0),
    ],
)
def test_ramps(kind, step, expected):
    np.testing.assert_allclose(float(ramp(kind, step, 100)), expected, rtol=1e-6)


def test_label_fraction_scales_the_pi_model_weight():
    """Laine & Aila's w_max·M/N: 10 classes × 10 labels over the 11,504 training images."""
    config = configs.get_experiment("pi_model_embedded")
    configs.merge(config, {"task": {"scale_by_label_fraction": True, "unsup_weight": 100.0}})
    model = build_training_model(config, total_steps=10)
    np.testing.assert_allclose(model.labeled_share, 100 / 11504)
    model.optimizer.iterations.assign(10)
    np.testing.assert_allclose(float(model.ramp_weight()), 100 * 100 / 11504, rtol=1e-6)


def test_s4l_exemplar_step_on_two_replicas_equals_one_device(two_replicas, float64_policy):
    """S4L-Exemplar's triplet term gathers every copy: 2 replicas equal one device."""
    one, two = one_and_two(tiny_config("s4l", pretext="exemplar", num_copies=2), two_replicas)
    one_logs, replica_logs = step_both(one, two, two_replicas, global_batch(one))
    assert one_logs["unsupervised_loss"] > 0
    assert_same_after_step(one, two, one_logs, replica_logs)
