"""Per-example SGD and prediction for CSR input: the first layer over the non-zeros only."""

import numpy as np
from numba import njit

from .._functions import activate, inline_options, jit_options, loss_sum, output_step
from . import lazy_decay
from .borrowed import borrowed
from .conventions import weight_of
from .layers import update_layer
from .rules import begin_update, sgd_update
from .step import (
    above_first_layer,
    backward_above_first_call,
    example_views,
    forward_above_first_call,
)


@njit(**inline_options)
def theta_first_layer_net(csr, start, stop, theta, structure, scale, net):
    """First layer's net inputs ``b + scale * V x`` for one CSR row, V in theta."""
    data, indices = csr.data, csr.indices
    sizes, weight_offsets, bias_offsets = (
        structure.sizes,
        structure.weight_offsets,
        structure.bias_offsets,
    )
    n_in = sizes[0]
    w_start = weight_offsets[0]
    b_start = bias_offsets[0]
    for j in range(sizes[1]):
        row = theta[w_start + j * n_in : w_start + (j + 1) * n_in]
        total = theta.dtype.type(0)
        for k in range(start, stop):
            total += row[indices[k]] * data[k]
        net[j] = theta[b_start + j] + scale * total


@njit(**jit_options)
def compact_features(indices, n_features):
    """Number the features that occur in ``indices``, in order of first occurrence.

    Returns ``(features, compact)``: ``features[c]`` is the ``c``-th distinct feature
    to occur, and ``compact[k]`` the number ``c`` of ``indices[k]`` (both uint32,
    unsigned as :func:`fastbp._kernels.conventions.csr` says why). A hashed bag of
    words uses a few of its ``2^18`` columns, scattered over them; numbered this
    way, the weights an epoch touches are adjacent, and the frequent words, which
    come first, share cache lines.
    """
    # 4 bytes per feature (half the time of 8 here: this table is read at random);
    # there are fewer than 2^32 - 1 features, or theta would not fit in memory.
    unnumbered = np.uint32(0xFFFFFFFF)
    number = np.full(n_features, unnumbered, dtype=np.uint32)
    compact = np.empty(indices.shape[0], dtype=np.uint32)
    features = np.empty(min(n_features, indices.shape[0]), dtype=np.uint32)
    count = np.uint32(0)
    for k in range(indices.shape[0]):
        feature = indices[k]
        c = number[feature]
        if c == unnumbered:
            c = count
            number[feature] = c
            features[c] = feature
            count += np.uint32(1)
        compact[k] = c
    return features[:count], compact


@njit(**inline_options)
def move_first_layer(theta, structure, feature_major, gather):
    """Copy the first layer's weights of the features into the feature-major copy
    (``gather``), or back into theta."""
    features, weights = feature_major
    sizes, weight_offsets = structure.sizes, structure.weight_offsets
    n_in = sizes[0]
    n_out = sizes[1]
    for j in range(n_out):
        row = weight_offsets[0] + j * n_in
        for c in range(features.shape[0]):
            if gather:
                weights[c * n_out + j] = theta[row + features[c]]
            else:
                theta[row + features[c]] = weights[c * n_out + j]


@njit(**jit_options)
def sparse_sgd_epoch(examples, order, theta, structure, step, buffers, feature_major):
    """Plain ``sgd_epoch`` for CSR rows (``examples.X`` a :class:`CSR`).

    The same updates. The first layer touches only the example's non-zero features:
    its forward product and its weight update loop over them, and its L2 decay is
    lazy (:mod:`fastbp._kernels.lazy_decay`), so an example costs O(nnz x first
    hidden layer + the layers above), whatever the number of features. The epoch
    runs on ``feature_major`` (:class:`FeatureMajor`), a feature-major copy of the
    first layer's by_feature of the features that occur (``X.indices`` hold their
    :func:`compact_features` numbers), made at the start and copied back at the
    end: the by_feature an epoch touches are adjacent, and an example reads and writes
    ``nnz`` short contiguous runs instead of ``nnz x n_units`` scattered words.
    ``buffers`` are :class:`ExampleBuffers` (``dense_row`` unused). Returns
    ``(data_loss, penalty)`` as ``sgd_epoch``.
    """
    # Views without reference counts: the per-example slices take none.
    theta = borrowed(theta)
    structure = borrowed(structure)
    buffers = borrowed(buffers)
    feature_major = borrowed(feature_major)
    X, Y, sample_weights = borrowed(examples)
    data, indices, indptr = X
    outs, deltas = buffers.outs, buffers.deltas
    by_feature = feature_major.weights
    learning_rate, decay, alpha = step.learning_rate, step.decay, step.alpha
    sizes, _, bias_offsets, unit_offsets, hidden_code, out_code, loss_code = structure
    n_layers = sizes.shape[0] - 1
    n_out = sizes[1]
    # Unsigned, as the indices (see conventions.csr): offsets stay unsigned.
    width = np.uint64(n_out)
    b_start = bias_offsets[0]
    first_net, out, out_delta = example_views(structure, outs, deltas)
    first_delta = deltas[unit_offsets[0] : unit_offsets[1]]
    squared = buffers.squared if alpha != 0.0 else None
    one = theta.dtype.type(1)
    scale, norm = lazy_decay.start(theta, structure, alpha)
    move_first_layer(theta, structure, feature_major, True)
    losses = (0.0, 1.0)  # (total, likelihood): _functions.add_unit_loss
    penalty = 0.0
    for position in range(order.shape[0]):
        i = order[position]
        start = indptr[i]
        stop = indptr[i + 1]
        if n_out == 1:
            # One unit: its sum in a register (measured, docs/architecture.md).
            total = theta.dtype.type(0)
            for k in range(start, stop):
                total += by_feature[indices[k]] * data[k]
            first_net[0] = theta[b_start] + scale * total
        else:
            for j in range(n_out):
                first_net[j] = 0.0
            for k in range(start, stop):
                row = indices[k] * width
                x = data[k]
                for j in range(width):
                    first_net[j] += by_feature[row + j] * x
            for j in range(n_out):
                first_net[j] = theta[b_start + j] + scale * first_net[j]
        if squared is not None:
            squared[0] = scale * scale * norm
        # The step above the first layer, as calls (see step.py).
        weight = weight_of(sample_weights, i)
        target = Y[i]
        activate(out_code if n_layers == 1 else hidden_code, first_net)
        if n_layers > 1:
            forward_above_first_call(theta, structure, outs)
        losses = output_step(loss_code, out_code, out, target, weight, out_delta, losses)
        if n_layers > 1:
            backward_above_first_call(theta, structure, outs, deltas, step, squared, None)
        for j in range(n_out):
            theta[b_start + j] = sgd_update(
                theta[b_start + j], one, learning_rate * first_delta[j]
            )
        scale *= decay
        g_scale = learning_rate / scale
        if n_out == 1:
            # One unit, as in the forward product: no loop over units, and
            # ||V||^2 only where it is used (measured, docs/architecture.md).
            g = g_scale * first_delta[0]
            if squared is None:
                for k in range(start, stop):
                    by_feature[indices[k]] -= g * data[k]
            else:
                for k in range(start, stop):
                    c = indices[k]
                    old = by_feature[c]
                    new = old - g * data[k]
                    by_feature[c] = new
                    norm += new * new - old * old
        else:
            for k in range(start, stop):
                row = indices[k] * width
                factor = g_scale * data[k]
                for j in range(width):
                    old = by_feature[row + j]
                    new = old - factor * first_delta[j]
                    by_feature[row + j] = new
                    norm += new * new - old * old  # unused without L2: no branch
        if scale < lazy_decay.SMALLEST_SCALE:
            # The by_feature of the features outside this epoch decay too.
            scale, norm = lazy_decay.fold(theta, structure, scale, norm, by_feature)
        if squared is not None:
            penalty += 0.5 * alpha * squared[0]
    if scale != one:
        lazy_decay.fold(theta, structure, scale, norm, by_feature)
    move_first_layer(theta, structure, feature_major, False)
    return loss_sum(losses), penalty


@njit(**jit_options)
def sparse_optimizer_epoch(examples, order, theta, structure, step, buffers, optimizer):
    """``sgd_epoch`` with an optimiser state (momentum, Adam) for CSR rows
    (``examples.X`` a :class:`CSR`).

    Every first-layer state moves on every example, so there is no sparse
    update: only the forward product reads the non-zeros; the row is scattered
    into ``buffers.dense_row`` (zeros, left zero on return) and the dense step
    runs on theta. Returns ``(data_loss, penalty)`` as ``sgd_epoch``.
    """
    # Views without reference counts: the per-example slices take none.
    theta = borrowed(theta)
    structure = borrowed(structure)
    optimizer = borrowed(optimizer)
    X, Y, sample_weights = borrowed(examples)
    data, indices, indptr = X
    outs, deltas, dense_row, squared_sum = borrowed(buffers)
    sizes, unit_offsets = structure.sizes, structure.unit_offsets
    views = example_views(structure, outs, deltas)
    first_net, _, _ = views
    first_delta = deltas[unit_offsets[0] : unit_offsets[1]]
    dense_row = dense_row[: sizes[0]]
    squared = squared_sum if step.alpha != 0.0 else None
    one = theta.dtype.type(1)
    losses = (0.0, 1.0)  # (total, likelihood): _functions.add_unit_loss
    penalty = 0.0
    for i in order:
        start, stop = indptr[i], indptr[i + 1]
        theta_first_layer_net(X, start, stop, theta, structure, one, first_net)
        begin_update(optimizer)
        if squared is not None:
            squared[0] = 0.0
        losses = above_first_layer(
            theta, structure, outs, deltas, views, Y[i], weight_of(sample_weights, i),
            step, squared, optimizer, losses,
        )  # fmt: skip
        for k in range(start, stop):
            dense_row[indices[k]] += data[k]
        update_layer(
            theta, structure, 0, dense_row, first_delta, step, squared, None, None, None,
            optimizer,
        )  # fmt: skip
        for k in range(start, stop):
            dense_row[indices[k]] = 0.0
        if squared is not None:
            penalty += 0.5 * step.alpha * squared[0]
    return loss_sum(losses), penalty
