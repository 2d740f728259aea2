"""IIC: a step on 2 replicas equals one device (the joint is the global batch's), and the
cluster head read by evaluation is the sub-head with the lowest running loss."""

import numpy as np
import tensorflow as tf

from tests.methods.tiny_configs import replica_task, tiny_experiment
from tests.replicas import assert_same_after_step, one_and_two, step_both
from tfssl.training.trainer import build_training_model

GLOBAL_BATCH = 8


def tiny_config():
    """iic_embedded for the replica tests: 3 clusters, 6 overclusters, 2 sub-heads, batch 8."""
    task = {
        **replica_task(GLOBAL_BATCH),
        "num_clusters": 3,
        "num_overclusters": 6,
        "num_subheads": 2,
    }
    return tiny_experiment("iic_embedded", task, {"train_steps": 4})


def batch(seed=0):
    rng = np.random.default_rng(seed)
    views = tuple(rng.uniform(size=(GLOBAL_BATCH, 32, 32, 3)) for _ in range(2))
    return {"views": views, "index": np.arange(GLOBAL_BATCH, dtype=np.int64)}


def test_a_step_on_two_replicas_equals_one_device(two_replicas, float64_policy):
    one, two = one_and_two(tiny_config(), two_replicas, total_steps=4)
    one_logs, replica_logs = step_both(one, two, two_replicas, batch())
    assert one_logs["cluster_loss"] < 0 and one_logs["overcluster_loss"] < 0  # −I ≤ 0
    assert_same_after_step(one, two, one_logs, replica_logs)


def test_cluster_logits_read_the_sub_head_with_the_lowest_running_loss():
    model = build_training_model(tiny_config(), total_steps=4)
    features = tf.random.stateless_normal([5, model.encoder.output_shape[-1]], [1, 2])
    all_logits = tf.reshape(model.cluster_head(features), [5, 2, 3]).numpy()
    model.subhead_losses.assign([-0.2, -0.9])
    np.testing.assert_allclose(model.cluster_logits(features), all_logits[:, 1], rtol=1e-6)
    model.subhead_losses.assign([-0.9, -0.2])
    np.testing.assert_allclose(model.cluster_logits(features), all_logits[:, 0], rtol=1e-6)
