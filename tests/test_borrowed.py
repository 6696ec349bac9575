"""Borrowed arrays (fastbp/_kernels/borrowed.py): the kernels' views without
reference counts."""

import re

import numpy as np
import pytest
from numba import njit

from fastbp import FastBPClassifier
from fastbp._functions import jit_options
from fastbp._kernels import dense
from fastbp._kernels.borrowed import borrowed
from fastbp._kernels.conventions import CSR, Examples


@njit
def _scale_rows(examples, factor):
    """Scales every row of X through views of the borrowed arrays; returns the
    weighted sum of the targets read through them."""
    X, Y, weights = borrowed(examples)
    total = 0.0
    for i in range(X.shape[0]):
        row = X[i]
        for j in range(row.shape[0]):
            row[j] *= factor
        total += Y[i, 0] * weights[i]
    return total


@njit
def _csr_sum(examples, optimizer):
    (data, indices, indptr), _, _ = borrowed(examples)
    nothing = borrowed(optimizer)
    total = 0.0
    for i in range(indptr.shape[0] - 1):
        for k in range(indptr[i], indptr[i + 1]):
            total += data[k] * indices[k]
    return total, nothing is None


def _own_ir(dispatcher):
    """The optimised LLVM IR of the dispatcher's last signature: its own function, not
    the Python wrapper Numba adds (which takes and releases the arguments)."""
    ir = dispatcher.inspect_llvm(dispatcher.signatures[-1])
    name = dispatcher.py_func.__qualname__.split(".")[-1]
    own = []
    for part in ir.split("\ndefine ")[1:]:
        symbol = re.search(r"@([^\s(]+)\(", part).group(1)
        if name in symbol and not symbol.startswith(("_ZN7cpython", "cfunc.")):
            own.append(part)
    (function,) = own
    return function


def _fresh_ir(kernel):
    """:func:`_own_ir` of ``kernel``'s last signature compiled anew: a kernel loaded
    from the disk cache has no IR to show."""
    fresh = njit(**{**jit_options, "cache": False})(kernel.py_func)
    fresh.compile(kernel.signatures[-1])
    return _own_ir(fresh)


def test_borrowed_views_read_and_write_the_owners_memory(rng):
    X = rng.normal(size=(5, 3))
    Y = rng.normal(size=(5, 1))
    weights = rng.random(5)
    expected_X = 2 * X
    total = _scale_rows(Examples(X, Y, weights), 2.0)
    np.testing.assert_array_equal(X, expected_X)
    assert total == pytest.approx(float(Y[:, 0] @ weights))


def test_borrowed_passes_nested_tuples_and_none_through(rng):
    data = rng.random(6)
    indices = np.array([0, 2, 1, 3, 0, 1], dtype=np.uint32)
    indptr = np.array([0, 2, 4, 6])
    examples = Examples(CSR(data, indices, indptr), np.zeros((3, 1)), np.ones(3))
    total, was_none = _csr_sum(examples, None)
    assert total == pytest.approx(float(data @ indices))
    assert was_none


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_the_dense_kernels_count_no_references_per_example(rng, momentum):
    X = rng.normal(size=(40, 3))
    y = X[:, 0] > 0
    FastBPClassifier(hidden_layer_sizes=(4,), momentum=momentum, max_iter=1).fit(X, y)
    kernel = dense.optimizer_epoch if momentum else dense.sgd_epoch
    ir = _fresh_ir(kernel)
    # Before borrowing: 39 reference-count call sites in sgd_epoch (per-example
    # slices of theta, X, Y and the buffers); now only `order`, at entry and exit.
    assert ir.count("@NRT_incref(") <= 1
    assert ir.count("@NRT_decref(") <= 1
