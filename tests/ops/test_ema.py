import numpy as np
import tensorflow as tf

from tfssl.ops import cosine_momentum, ema_update


def test_ema_update_mixes_target_and_online():
    target = [tf.Variable([1.0, 2.0]), tf.Variable([[3.0]])]
    online = [tf.Variable([3.0, -2.0]), tf.Variable([[1.0]])]
    tf.function(lambda: ema_update(target, online, 0.9))()
    np.testing.assert_allclose(target[0].numpy(), [0.9 * 1 + 0.1 * 3, 0.9 * 2 + 0.1 * -2], rtol=1e-6)
    np.testing.assert_allclose(target[1].numpy(), [[0.9 * 3 + 0.1 * 1]], rtol=1e-6)


def test_ema_update_on_two_replicas_updates_every_copy(two_replicas):
    with two_replicas.scope():
        target = tf.Variable([1.0, 2.0])
        online = tf.Variable([3.0, 4.0])
    two_replicas.run(tf.function(lambda: ema_update([target], [online], 0.5)))
    for value in two_replicas.experimental_local_results(target):
        np.testing.assert_allclose(value.numpy(), [2.0, 3.0])


def test_cosine_momentum_runs_from_base_to_one():
    assert float(cosine_momentum(0, 100, 0.996)) == np.float32(0.996)
    assert float(cosine_momentum(100, 100, 0.996)) == 1.0
    np.testing.assert_allclose(float(cosine_momentum(50, 100, 0.996)), 0.998, rtol=1e-6)
