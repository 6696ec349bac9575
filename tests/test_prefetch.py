"""The software prefetch of the per-example kernel (fastbp/_kernels/prefetch.py)."""

import platform

import numba
import numpy as np
import pytest
from numba import njit

from fastbp._kernels.prefetch import prefetch


@njit
def _sum_with_prefetch(X, weights, order):
    total = 0.0
    for position in range(order.shape[0]):
        ahead = order[min(position + 2, order.shape[0] - 1)]
        prefetch(X, (ahead, 0))
        prefetch(weights, (ahead,))
        i = order[position]
        total += X[i, 0] * weights[i]
    return total


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_prefetch_is_emitted_and_changes_nothing(rng, dtype):
    X = rng.normal(size=(50, 3)).astype(dtype)
    weights = rng.random(50).astype(dtype)
    order = rng.permutation(50)
    expected = sum(float(X[i, 0]) * float(weights[i]) for i in order)
    assert _sum_with_prefetch(X, weights, order) == pytest.approx(expected, rel=1e-5)
    asm = _sum_with_prefetch.inspect_asm(_sum_with_prefetch.signatures[-1])
    if platform.machine() in ("x86_64", "AMD64"):
        assert "prefetcht0" in asm
    elif platform.machine() in ("aarch64", "arm64"):
        assert "prfm" in asm


def test_prefetch_needs_one_index_per_dimension():
    @njit
    def wrong(X):
        prefetch(X, (0,))

    with pytest.raises(numba.core.errors.TypingError):
        wrong(np.zeros((2, 2)))
