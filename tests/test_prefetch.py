"""The software prefetch of the per-example kernels (fastbp/_kernels/prefetch.py)."""

import platform

import numba
import numpy as np
import pytest
from numba import njit

from fastbp._kernels.prefetch import prefetch_example, prefetch_example_far, prefetch_item


@njit
def _weighted_sum(X, Y, sample_weights, order):
    total = 0.0
    for position in range(order.shape[0]):
        last = order.shape[0] - 1
        prefetch_example_far(X, Y, sample_weights, order[min(position + 4, last)])
        prefetch_example(X, Y, sample_weights, order[min(position + 2, last)])
        i = order[position]
        total += X[i, -1] * Y[i, 0] * sample_weights[i]
    return total


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_features", [1, 100])
def test_prefetch_is_emitted_and_changes_nothing(rng, dtype, n_features):
    X = rng.normal(size=(50, n_features)).astype(dtype)
    Y = rng.normal(size=(50, 2)).astype(dtype)
    weights = rng.random(50).astype(dtype)
    order = rng.permutation(50)
    expected = sum(float(X[i, -1]) * float(Y[i, 0]) * float(weights[i]) for i in order)
    assert _weighted_sum(X, Y, weights, order) == pytest.approx(expected, rel=1e-5)
    asm = _weighted_sum.inspect_asm(_weighted_sum.signatures[-1])
    if platform.machine() in ("x86_64", "AMD64"):
        assert "prefetcht0" in asm  # into the L1
        assert "prefetcht1" in asm  # into the L2, not the L1
    elif platform.machine() in ("aarch64", "arm64"):
        assert "prfm" in asm


@pytest.mark.parametrize("prefetch", [prefetch_example, prefetch_example_far])
def test_prefetch_takes_two_2d_arrays_and_a_1d_one(prefetch):
    @njit
    def wrong(X):
        prefetch(X, X, X, 0)

    with pytest.raises(numba.core.errors.TypingError):
        wrong(np.zeros((2, 2)))


def test_the_shuffle_requests_each_partners_line():
    # The shuffle draws each swap's partner ahead and requests its line
    # (fastbp/_kernels/shuffle.py): the request must be in its machine code.
    from fastbp._kernels.shuffle import draws_of, shuffle

    fresh = njit(shuffle.py_func)  # a kernel loaded from the cache has no asm
    generator = np.random.default_rng(0)  # alive while its draws are used
    fresh(np.arange(300, dtype=np.int64), draws_of(generator))
    asm = fresh.inspect_asm(fresh.signatures[0])
    if platform.machine() in ("x86_64", "AMD64"):
        assert "prefetcht0" in asm
    elif platform.machine() in ("aarch64", "arm64"):
        assert "prfm" in asm


def test_prefetch_item_takes_a_1d_array_and_an_index():
    @njit
    def wrong(X):
        prefetch_item(X, 0)

    with pytest.raises(numba.core.errors.TypingError):
        wrong(np.zeros((2, 2)))
