import numpy as np
import tensorflow as tf

from tfssl.ops import cosine_momentum, ema_update


def test_ema_update_mixes_target_and_online():
    target = [tf.Variable([1.0, 2.0]), tf.Variable([[3.0]])]
    online = [tf.Variable([3.0, -2.0]), tf.Variable([[1.0]])]
    tf.function(lambda: ema_update(target, online, 0.9))()
    np.testing.assert_allclose(
        target[0].numpy(), [0.9 * 1 + 0.1 * 3, 0.9 * 2 + 0.1 * -2], rtol=1e-6
    )
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


def _dense(name):
    import keras

    return keras.Sequential([keras.Input([3]), keras.layers.Dense(2)], name=name)


def test_ema_teacher_freezes_copies_and_follows_the_cosine_schedule():
    from tfssl.ops import EMATeacher

    online, target = _dense("online"), _dense("target")
    teacher = EMATeacher([online], [target], base_momentum=0.9, schedule="cosine")
    assert not target.trainable_weights and len(teacher.pairs) == 2
    teacher.copy_online()
    for t, o in teacher.pairs:
        np.testing.assert_array_equal(t.numpy(), o.numpy())
    before = target.get_weights()
    online.set_weights([w + 1.0 for w in online.get_weights()])
    teacher.update(step=0, total_steps=11)  # τ = 0.9 at the first step
    for b, t in zip(before, target.get_weights()):
        np.testing.assert_allclose(t, b + 0.1, rtol=1e-6)
    assert float(teacher.momentum(10, 11)) == 1.0
    assert float(EMATeacher([online], [_dense("t2")], 0.99).momentum(5, 11)) == np.float32(0.99)
