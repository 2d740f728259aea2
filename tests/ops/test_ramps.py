import numpy as np
import pytest
import tensorflow as tf

from tfssl.ops import sigmoid_rampup


@pytest.mark.parametrize(
    "step, expected", [(0, np.exp(-5.0)), (50, np.exp(-1.25)), (100, 1.0), (250, 1.0)]
)
def test_sigmoid_rampup_values(step, expected):
    assert float(sigmoid_rampup(step, 100)) == pytest.approx(expected, rel=1e-6)


def test_sigmoid_rampup_without_rampup_is_one_and_works_in_a_graph():
    assert float(sigmoid_rampup(0, 0)) == 1.0
    ramp = tf.function(lambda step: sigmoid_rampup(step, 10))
    assert float(ramp(tf.constant(5))) == pytest.approx(np.exp(-5 * 0.25), rel=1e-6)
