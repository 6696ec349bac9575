"""fastbp._exp: the activations' vectorisable exp and tanh, held to the C library's."""

import numpy as np
import pytest
from numba import njit

from fastbp._exp import OVERFLOW, exp, tanh


@njit(cache=False)
def each(function, x):
    """``function`` (an njit function) of every element of ``x``."""
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = function(x[i])
    return out


def exp_all(x):
    return each(exp, x)


def tanh_all(x):
    return each(tanh, x)


def ulps(mine, reference):
    return np.abs(mine - reference) / np.spacing(np.abs(reference))


def test_exp_is_within_one_ulp_of_numpys_over_its_whole_range():
    rng = np.random.default_rng(0)
    x = np.concatenate([
        rng.uniform(-708.0, OVERFLOW, 200_000),
        rng.normal(size=200_000) * 4,
        rng.uniform(-1e-8, 1e-8, 1_000),
        np.arange(-1022, 1024) * np.log(2),  # reduction boundaries: r near 0
        (np.arange(-1022, 1023) + 0.5) * np.log(2),  # r near +-ln(2)/2
    ])  # fmt: skip
    reference = np.exp(x)
    assert ulps(exp_all(x), reference).max() <= 1.0


def test_exp_overflows_underflows_and_carries_nan_as_numpy_does():
    x = np.array([OVERFLOW, 709.79, 800.0, np.inf, -745.1, -745.2, -800.0, -np.inf,
                  np.nan, 0.0, -0.0])  # fmt: skip
    with np.errstate(over="ignore"):
        reference = np.exp(x)
    mine = exp_all(x)
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(reference))
    assert np.isnan(mine[8])
    assert ulps(mine[:1], reference[:1]).max() <= 1.0  # the largest finite results
    assert mine[1] == mine[2] == mine[3] == np.inf
    assert mine[4] == reference[4] == 5e-324  # gradual underflow, to the smallest
    assert mine[5] == mine[6] == mine[7] == 0.0
    assert mine[9] == mine[10] == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_widens_a_float32_argument(dtype):
    x = np.linspace(-80.0, 80.0, 1001).astype(dtype)
    reference = np.exp(x.astype(np.float64))
    assert ulps(exp_all(x), reference).max() <= 1.0


def test_exp_keeps_its_accuracy_inside_a_fast_math_kernel():
    # The kernels are compiled with reassociation allowed, which could undo the
    # two-part reduction were exp lowered with the kernel's flags.
    from fastbp import _functions as F

    @njit(cache=False, fastmath=F.FASTMATH)
    def activate(code, values):
        F.activate(code, values)
        return values

    rng = np.random.default_rng(1)
    x = np.concatenate([
        rng.uniform(-708.0, 709.0, 100_000),
        rng.normal(size=100_000) * 4,
        np.arange(-1021, 1023) * np.log(2),
    ])  # fmt: skip
    assert len(x) >= F.VECTOR_UNITS  # the vectorised branch
    assert ulps(activate(F.ACTIVATIONS["exp"], x.copy()), np.exp(x)).max() <= 1.0


def test_tanh_is_within_three_ulp_of_numpys_and_keeps_signs_and_specials():
    rng = np.random.default_rng(2)
    x = np.concatenate([
        rng.normal(size=200_000) * 2,
        rng.uniform(-0.4, 0.4, 100_000),  # around the switch at |2x| = ln(2) / 2
        rng.uniform(-1e-6, 1e-6, 1_000),
        rng.uniform(-30.0, 30.0, 50_000),
        [1e-300, -1e-300, 5e-324],
    ])  # fmt: skip
    reference = np.tanh(x)
    assert ulps(tanh_all(x), reference).max() <= 3.0
    specials = np.array([0.0, -0.0, 19.0, 400.0, -400.0, np.inf, -np.inf, np.nan])
    mine = tanh_all(specials)
    np.testing.assert_array_equal(mine, np.tanh(specials))
    assert np.signbit(mine[1]) and not np.signbit(mine[0])


def test_tanh_keeps_its_accuracy_inside_a_fast_math_kernel():
    from fastbp import _functions as F

    @njit(cache=False, fastmath=F.FASTMATH)
    def activate(code, values):
        F.activate(code, values)
        return values

    x = np.random.default_rng(3).normal(size=100_000) * 2
    assert ulps(activate(F.ACTIVATIONS["tanh"], x.copy()), np.tanh(x)).max() <= 3.0
