import numpy as np
import pytest
import tensorflow as tf

from tests.replicas import run_on_replicas
from tfssl.losses import dino, dino_center

B, K = 6, 5


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _numpy_dino(teacher, student, center, teacher_temp, student_temp):
    """Loop-by-loop reference: every (teacher i, student v ≠ i) pair, batch-mean cross-entropy."""
    losses = []
    for i, t in enumerate(teacher):
        p = _softmax((t - center) / teacher_temp)
        for v, s in enumerate(student):
            if v == i:
                continue
            log_q = np.log(_softmax(s / student_temp))
            losses.append(np.mean([-np.dot(p[b], log_q[b]) for b in range(len(t))]))
    return np.mean(losses)


def _logits(seed, views):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(B, K)).astype(np.float32) for _ in range(views)]


def test_dino_matches_numpy_with_local_crops():
    teacher, student = _logits(0, 2), _logits(1, 4)  # 2 global crops + 2 local crops
    center = np.random.default_rng(2).normal(size=(1, K)).astype(np.float32)
    expected = _numpy_dino(teacher, student, center, 0.04, 0.1)
    np.testing.assert_allclose(float(dino(teacher, student, center)), expected, rtol=1e-5)
    traced = tf.function(lambda t, s, c: dino(t, s, c, teacher_temp=0.07, student_temp=0.2))
    expected = _numpy_dino(teacher, student, center, 0.07, 0.2)
    np.testing.assert_allclose(float(traced(teacher, student, center)), expected, rtol=1e-5)


def test_dino_skips_same_crop_pairs():
    """Two crops only: the loss is the mean of CE(t0→s1) and CE(t1→s0), never t_i→s_i."""
    t = [np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])]
    s = [np.array([[2.0, 0.0]]), np.array([[0.0, 2.0]])]
    center = np.zeros([2])
    p0, p1 = _softmax(t[0] / 0.5)[0], _softmax(t[1] / 0.5)[0]
    log_s0, log_s1 = np.log(_softmax(s[0])[0]), np.log(_softmax(s[1])[0])
    expected = (-(p0 @ log_s1) - (p1 @ log_s0)) / 2
    np.testing.assert_allclose(float(dino(t, s, center, 0.5, 1.0)), expected, rtol=1e-6)


def test_dino_gradient_reaches_only_the_student():
    teacher = [tf.constant(x) for x in _logits(0, 2)]
    student = [tf.constant(x) for x in _logits(1, 2)]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(teacher + student)
        loss = dino(teacher, student, np.zeros([K], np.float32))
    assert all(g is None for g in tape.gradient(loss, teacher))
    assert all(float(tf.norm(g)) > 0 for g in tape.gradient(loss, student))


def test_dino_center_matches_numpy():
    teacher = _logits(3, 2)
    center = np.full([1, K], 0.5, np.float32)
    expected = 0.9 * center + 0.1 * np.concatenate(teacher).mean(axis=0, keepdims=True)
    new = dino_center(center, teacher)
    assert new.shape == (1, K)
    np.testing.assert_allclose(new.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("fn", ["dino", "dino_center"])
def test_two_replicas_equal_one_device_on_global_batch(two_replicas, fn):
    """The batch means of both functions span the global batch (replica rule)."""
    teacher, student = _logits(4, 2), _logits(5, 3)
    center = np.random.default_rng(6).normal(size=(1, K)).astype(np.float32)
    if fn == "dino":
        expected = dino(teacher, student, center).numpy()
        call = lambda t0, t1, s0, s1, s2: dino([t0, t1], [s0, s1, s2], center)  # noqa: E731
    else:
        expected = dino_center(center, teacher, momentum=0.7).numpy()
        call = lambda t0, t1, s0, s1, s2: dino_center(center, [t0, t1], momentum=0.7)  # noqa: E731
    outputs = run_on_replicas(two_replicas, call, *teacher, *student)
    assert len(outputs) == 2
    for output in outputs:
        np.testing.assert_allclose(output, expected, rtol=1e-5)
