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
        np.testing.assert_allclose(t, b + 0.1, rtol=1e-6, atol=1e-6)
    assert float(teacher.momentum(10, 11)) == 1.0
    assert float(EMATeacher([online], [_dense("t2")], 0.99).momentum(5, 11)) == np.float32(0.99)


def _dense_bn(name):
    import keras

    return keras.Sequential(
        [keras.Input([3]), keras.layers.Dense(2), keras.layers.BatchNormalization()], name=name
    )


def test_warmup_schedule_gives_the_running_mean_then_the_fixed_decay():
    """Mean Teacher's α_t = min(1 − 1/(t + 1), α): the target is the exact mean of the initial
    weights and the weights after each step, until 1/(t + 1) drops below 1 − α."""
    from tfssl.ops import EMATeacher

    online, target = _dense("mt_online"), _dense("mt_target")
    teacher = EMATeacher([online], [target], base_momentum=0.75, schedule="warmup")
    teacher.copy_online()
    history = [online.get_weights()[0]]
    rng = np.random.default_rng(0)
    for step in range(3):  # τ = 1/2, 2/3, then min(3/4, 0.75)
        online.set_weights([rng.normal(size=w.shape).astype("float32") for w in online.weights])
        history.append(online.get_weights()[0])
        teacher.update(step=step, total_steps=10)
        np.testing.assert_allclose(
            target.get_weights()[0], np.mean(history, axis=0), rtol=1e-5, atol=1e-6
        )
    np.testing.assert_allclose(float(teacher.momentum(9, 10)), 0.75)


def test_copy_statistics_moves_bn_statistics_verbatim():
    """With `copy_statistics` the targets' BN moving statistics are the online model's after
    each update (FixMatch's EMA evaluation); without it they are left alone."""
    from tfssl.ops import EMATeacher

    online = _dense_bn("stat_online")
    copied, kept = _dense_bn("stat_copied"), _dense_bn("stat_kept")
    with_stats = EMATeacher([online], [copied], 0.5, copy_statistics=True)
    without = EMATeacher([online], [kept], 0.5)
    assert len(with_stats.statistics) == 2 and not without.statistics
    online(np.ones([4, 3], "float32") * np.arange(4)[:, None], training=True)
    with_stats.update(0, 10)
    without.update(0, 10)
    bn_online, bn_copied, bn_kept = (m.layers[-1] for m in (online, copied, kept))
    np.testing.assert_array_equal(bn_copied.moving_mean.numpy(), bn_online.moving_mean.numpy())
    np.testing.assert_array_equal(bn_kept.moving_mean.numpy(), np.zeros(2, "float32"))
    assert np.abs(bn_online.moving_mean.numpy()).sum() > 0
