"""The inputs of a chunk of examples, dense or sparse: what the mini-batch kernels
do with them, resolved by type when Numba compiles a kernel.

A chunk's inputs are a C-contiguous ``(n_rows, n_features)`` array, or
:class:`~fastbp._kernels.conventions.SparseRows` (some rows of a CSR matrix, read in
place: X is never densified). Only the first layer sees them: its forward product
(:func:`input_product`) and its weight gradient (:func:`input_gradient`); every
other layer works on dense activations. As :mod:`fastbp._kernels.rules`, these are
``numba.extending.overload`` functions, one kernel source for both kinds of input.
"""

import numpy as np
from numba import types
from numba.extending import overload

from .conventions import CSR, SparseRows


def _is_sparse(inputs):
    """Whether a Numba type is SparseRows (else: a dense array)."""
    return getattr(inputs, "instance_class", None) is SparseRows


def _is_csr(X):
    return getattr(X, "instance_class", None) is CSR


def count_rows(inputs):
    """Rows of a chunk's inputs (or of a whole dense or CSR ``X``)."""
    raise NotImplementedError("only in compiled code")


@overload(count_rows, inline="always")
def _count_rows(inputs):
    if _is_sparse(inputs):
        return lambda inputs: inputs.rows.shape[0]
    if _is_csr(inputs):
        return lambda inputs: inputs.indptr.shape[0] - 1
    if isinstance(inputs, types.Array):
        return lambda inputs: inputs.shape[0]


def select_rows(X, order, start, stop, consecutive, buffer):
    """The inputs of the examples ``order[start:stop]``: for a dense ``X``, a view
    if they are ``consecutive`` rows, else a copy into ``buffer``; for a CSR ``X``,
    :class:`SparseRows` (no copy)."""
    raise NotImplementedError("only in compiled code")


@overload(select_rows, inline="always")
def _select_rows(X, order, start, stop, consecutive, buffer):
    if _is_csr(X):
        return lambda X, order, start, stop, consecutive, buffer: SparseRows(
            X, order[start:stop]
        )

    def dense_rows(X, order, start, stop, consecutive, buffer):
        n_rows = stop - start
        if consecutive:
            head = order[start]
            return X[head : head + n_rows]
        for r in range(n_rows):
            source = X[order[start + r]]
            target = buffer[r]
            for f in range(source.shape[0]):
                target[f] = source[f]
        return buffer[:n_rows]

    return dense_rows


def rows_between(X, start, stop):
    """The inputs of rows ``start:stop`` of a whole dense or CSR ``X``: a view, or
    :class:`SparseRows` (its ``stop - start`` row numbers are the one allocation)."""
    raise NotImplementedError("only in compiled code")


@overload(rows_between, inline="always")
def _rows_between(X, start, stop):
    if _is_csr(X):
        return lambda X, start, stop: SparseRows(X, np.arange(start, stop))
    return lambda X, start, stop: X[start:stop]


def input_product(inputs, weights, net):
    """``net = inputs @ weights.T``: the first layer's products, ``weights`` its
    ``(n_out, n_in)`` block and ``net`` an ``(n_rows, n_out)`` array."""
    raise NotImplementedError("only in compiled code")


@overload(input_product)
def _input_product(inputs, weights, net):
    if _is_sparse(inputs):

        def sparse_product(inputs, weights, net):
            data, indices, indptr = inputs.X
            for r in range(net.shape[0]):
                for j in range(net.shape[1]):
                    net[r, j] = 0.0
            for r in range(inputs.rows.shape[0]):
                i = inputs.rows[r]
                for k in range(indptr[i], indptr[i + 1]):
                    column = weights[:, indices[k]]
                    x = data[k]
                    for j in range(net.shape[1]):
                        net[r, j] += x * column[j]

        return sparse_product
    return lambda inputs, weights, net: np.dot(inputs, weights.T, net)


def input_gradient(delta, inputs, gradient, scratch, fresh):
    """Add ``delta.T @ inputs`` to a layer's ``(n_out, n_in)`` weight ``gradient``
    (set it to that with ``fresh``); dense inputs go through ``scratch`` (same
    shape) unless ``fresh``. Every layer's weight gradient goes through it (the first
    layer's inputs dense or sparse, the others' dense); a call of its own, not
    inlined, so that it is compiled once per kind of input."""
    raise NotImplementedError("only in compiled code")


@overload(input_gradient)
def _input_gradient(delta, inputs, gradient, scratch, fresh):
    if _is_sparse(inputs):

        def sparse_gradient(delta, inputs, gradient, scratch, fresh):
            data, indices, indptr = inputs.X
            if fresh:
                for j in range(gradient.shape[0]):
                    for f in range(gradient.shape[1]):
                        gradient[j, f] = 0.0
            for r in range(inputs.rows.shape[0]):
                i = inputs.rows[r]
                for k in range(indptr[i], indptr[i + 1]):
                    column = gradient[:, indices[k]]
                    x = data[k]
                    for j in range(delta.shape[1]):
                        column[j] += delta[r, j] * x

        return sparse_gradient

    def dense_gradient(delta, inputs, gradient, scratch, fresh):
        if fresh:
            np.dot(delta.T, inputs, gradient)
        else:
            np.dot(delta.T, inputs, scratch)
            flat, added = gradient.reshape(gradient.size), scratch.reshape(scratch.size)
            for k in range(flat.shape[0]):
                flat[k] += added[k]

    return dense_gradient
