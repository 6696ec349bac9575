import numpy as np
import pytest

from fastbp._functions import LOGISTIC, RELU
from fastbp._network import Layout, init_theta


def test_layout_offsets_and_views():
    layout = Layout((3, 4, 2))
    assert layout.size == 3 * 4 + 4 + 4 * 2 + 2
    assert layout.weight_offsets.tolist() == [0, 16]
    assert layout.bias_offsets.tolist() == [12, 24]
    assert layout.unit_offsets.tolist() == [0, 4, 6]
    theta = np.arange(layout.size, dtype=float)
    assert layout.weights(theta, 1).shape == (2, 4)
    coefs = layout.coefs(theta)
    assert [c.shape for c in coefs] == [(3, 4), (4, 2)]
    coefs[1][0, 1] = -1.0  # W[j=1, i=0] of layer 1
    assert theta[16 + 1 * 4 + 0] == -1.0
    assert layout.weight_mask().sum() == 3 * 4 + 4 * 2


def test_layout_rejects_empty_layers():
    with pytest.raises(ValueError, match="at least two layers"):
        Layout((3,))
    with pytest.raises(ValueError, match=">= 1 unit"):
        Layout((3, 0, 1))


@pytest.mark.parametrize("code,factor", [(LOGISTIC, 2.0), (RELU, 6.0)])
def test_glorot_bounds(code, factor):
    layout = Layout((50, 30, 10))
    theta = init_theta(layout, np.float32, np.random.default_rng(0), code)
    assert theta.dtype == np.float32
    for layer, (fan_in, fan_out) in enumerate([(50, 30), (30, 10)]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        weights = layout.weights(theta, layer)
        assert np.abs(weights).max() <= bound
        assert np.abs(weights).max() > 0.9 * bound


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_init_draws_the_uniform_stream_layer_by_layer(dtype):
    # Weights, then biases, of each layer in turn, as rng.uniform draws them (float64
    # draws in place, float32 rounds the float64 draws): a seed gives the same model
    # whatever the dtype, up to rounding.
    layout = Layout((6, 5, 3))
    theta = init_theta(layout, dtype, np.random.default_rng(4), RELU)
    rng = np.random.default_rng(4)
    for layer, (fan_in, fan_out) in enumerate([(6, 5), (5, 3)]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        weights = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(dtype)
        biases = rng.uniform(-bound, bound, fan_out).astype(dtype)
        np.testing.assert_array_equal(layout.weights(theta, layer), weights)
        np.testing.assert_array_equal(layout.biases(theta, layer), biases)
