"""fastbp._exp.exp: the activations' vectorisable exp, held to the C library's."""

import numpy as np
import pytest
from numba import njit

from fastbp._exp import OVERFLOW, exp


@njit(cache=False)
def exp_all(x):
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = exp(x[i])
    return out


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
