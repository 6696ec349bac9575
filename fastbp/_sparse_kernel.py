"""Per-example SGD and prediction for CSR input: the first layer over the non-zeros only."""

import numpy as np
from numba import njit

from ._functions import (
    activate,
    activate_rows,
    example_loss,
    inline_options,
    jit_options,
    output_delta,
)
from ._kernels import (
    SMALLEST_SCALE,
    _backward_above_first_call,
    _copy,
    _example_views,
    _fold_scale,
    _forward_above_first_call,
    _forward_batch,
    _layer_block,
    _multiply,
    _update_layer,
)


def csr_arrays(X):
    """``(data, indices, indptr)`` of a CSR matrix, its index arrays viewed as unsigned.

    The kernels index with them. Numba wraps negative indices around (``a[-1]``), a
    test and a select on every access whose index it cannot prove non-negative: a
    loop from ``indptr[i]`` and the feature numbers of ``indices`` are such indices,
    and the test made the hashed-text linear epoch 1.5x slower. CSR indices are never
    negative, so the unsigned views (no copy) read the same numbers without it.
    """
    return (
        X.data,
        X.indices.view(X.indices.dtype.str.replace("i", "u")),
        X.indptr.view(X.indptr.dtype.str.replace("i", "u")),
    )


@njit(**inline_options)
def _sparse_first_layer_net(data, indices, start, stop, theta, network, scale, net):
    """First layer's net inputs ``b + scale * V x`` for one CSR row, into ``net``."""
    sizes, weight_offsets, bias_offsets = network[:3]
    n_in = sizes[0]
    w_start = weight_offsets[0]
    b_start = bias_offsets[0]
    for j in range(sizes[1]):
        weights = theta[w_start + j * n_in : w_start + (j + 1) * n_in]
        total = theta.dtype.type(0)
        for k in range(start, stop):
            total += weights[indices[k]] * data[k]
        net[j] = theta[b_start + j] + scale * total


@njit(**jit_options)
def compact_features(indices, n_features):
    """Number the features that occur in ``indices``, in order of first occurrence.

    Returns ``(features, compact)``: ``features[c]`` is the ``c``-th distinct feature
    to occur, and ``compact[k]`` the number ``c`` of ``indices[k]`` (both uint32,
    unsigned for the reason :func:`csr_arrays` gives). A hashed bag of words uses a
    few of its ``2^18`` columns, scattered over them; numbered this way, the weights
    an epoch touches are adjacent, and the frequent words, which come first, share
    cache lines.
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
def _move_first_layer(theta, network, features, weights, gather):
    """Copy the first layer's weights of ``features`` into ``weights`` (feature-major:
    ``weights[c * n_units + j]`` is unit ``j``'s weight of ``features[c]``), or back
    into theta (``gather`` False).
    """
    sizes, weight_offsets = network[:2]
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
def sparse_sgd_epoch(
    data,
    indices,
    indptr,
    Y,
    order,
    sample_weight,
    theta,
    network,
    learning_rate,
    decay,
    alpha,
    outs,
    deltas,
    dense_row,
    momentum,
    features,
    weights,
):
    """:func:`fastbp._kernels.sgd_epoch` for CSR input ``(data, indices, indptr)``.

    The same updates. The first layer touches only the example's non-zero features:
    its forward product and its weight update loop over them. The L2 decay every
    first-layer weight takes per example is applied lazily: the block is held as
    ``scale * V``, each step multiplies ``scale`` by ``decay`` and updates V only at
    the non-zero features (by ``step / scale``), and ``||V||^2`` is kept up to date
    the same way for the loss's L2 term. Without momentum an example thus costs
    O(nnz x first hidden layer + the layers above), whatever the number of features.

    Without momentum, ``indices`` are the :func:`compact_features` numbers of the
    features, ``features`` maps them back, and the epoch runs on ``weights``, a
    feature-major copy of the first layer's weights of those features only
    (``len(features) x n_units``), made at the start and copied back at the end.
    The weights an epoch touches are then adjacent, and a feature's weights to all
    hidden units too: an example reads and writes ``nnz`` short contiguous runs
    instead of ``nnz x n_units`` words scattered over the whole first layer (1.6x
    on the linear epoch of hashed text with 2^18 columns, and no pass over the
    unused columns' weights but the L2 decay's).

    With momentum every first-layer velocity moves on every example, so there is no
    sparse update: ``indices`` are the feature numbers, ``features`` and
    ``weights`` are None, the row is scattered into ``dense_row`` (zeros,
    ``n_features`` long, left zero on return) and the dense step
    (:func:`fastbp._kernels._update_layer`) runs on theta.
    Returns ``(data_loss, penalty)`` as ``sgd_epoch``.
    """
    sizes, weight_offsets, bias_offsets, unit_offsets, hidden_code, out_code, loss_code = (
        network
    )
    n_layers = sizes.shape[0] - 1
    n_in = sizes[0]
    n_out = sizes[1]
    # Unsigned, as the indices (see csr_arrays): feature-major offsets stay unsigned.
    width = np.uint64(n_out)
    w_start = weight_offsets[0]
    b_start = bias_offsets[0]
    first_net, out, out_delta = _example_views(network, outs, deltas)
    first_delta = deltas[unit_offsets[0] : unit_offsets[1]]
    squared = np.zeros(1) if alpha != 0.0 else None
    one = theta.dtype.type(1)
    scale = one
    norm = 0.0  # ||V||^2 of the first layer's block, while alpha > 0
    if alpha != 0.0:
        for k in range(w_start, w_start + n_in * n_out):
            norm += theta[k] * theta[k]
    if weights is not None:
        _move_first_layer(theta, network, features, weights, True)
    data_loss = 0.0
    penalty = 0.0
    for position in range(order.shape[0]):
        i = order[position]
        start = indptr[i]
        stop = indptr[i + 1]
        if weights is None:
            _sparse_first_layer_net(
                data, indices, start, stop, theta, network, scale, first_net
            )
        elif n_out == 1:
            total = theta.dtype.type(0)
            for k in range(start, stop):
                total += weights[indices[k]] * data[k]
            first_net[0] = theta[b_start] + scale * total
        else:
            for j in range(n_out):
                first_net[j] = 0.0
            for k in range(start, stop):
                row = indices[k] * width
                x = data[k]
                for j in range(width):
                    first_net[j] += weights[row + j] * x
            for j in range(n_out):
                first_net[j] = theta[b_start + j] + scale * first_net[j]
        if squared is not None:
            squared[0] = 0.0
        # The step above the first layer (see _kernels._above_first_layer).
        weight = sample_weight[i]
        target = Y[i]
        activate(out_code if n_layers == 1 else hidden_code, first_net)
        if n_layers > 1:
            _forward_above_first_call(theta, network, outs)
        data_loss += weight * example_loss(loss_code, out_code, out, target)
        output_delta(loss_code, out_code, out, target, weight, out_delta)
        if n_layers > 1:
            _backward_above_first_call(
                theta, network, outs, deltas, learning_rate, decay, squared, momentum
            )
        if weights is None:
            for k in range(start, stop):
                dense_row[indices[k]] += data[k]
            _update_layer(
                theta,
                network,
                0,
                dense_row,
                first_delta,
                learning_rate,
                decay,
                squared,
                None,
                None,
                None,
                momentum,
            )
            for k in range(start, stop):
                dense_row[indices[k]] = 0.0
        else:
            if squared is not None:
                squared[0] += scale * scale * norm
            for j in range(n_out):
                theta[b_start + j] -= learning_rate * first_delta[j]
            scale *= decay
            if n_out == 1:
                step = learning_rate * first_delta[0] / scale
                if alpha == 0.0:
                    for k in range(start, stop):
                        weights[indices[k]] -= step * data[k]
                else:
                    for k in range(start, stop):
                        old = weights[indices[k]]
                        new = old - step * data[k]
                        weights[indices[k]] = new
                        norm += new * new - old * old
            else:
                step = learning_rate / scale
                for k in range(start, stop):
                    row = indices[k] * width
                    factor = step * data[k]
                    if alpha == 0.0:
                        for j in range(width):
                            weights[row + j] -= factor * first_delta[j]
                    else:
                        for j in range(width):
                            old = weights[row + j]
                            new = old - factor * first_delta[j]
                            weights[row + j] = new
                            norm += new * new - old * old
            if scale < SMALLEST_SCALE:
                # The weights of the features outside this epoch decay too.
                _multiply(weights, scale)
                _fold_scale(theta, network, scale)
                norm *= scale * scale
                scale = one
        if squared is not None:
            penalty += 0.5 * alpha * squared[0]
    if weights is not None:
        if scale != one:
            _multiply(weights, scale)
            _fold_scale(theta, network, scale)
        _move_first_layer(theta, network, features, weights, False)
    return data_loss, penalty


@njit(**jit_options)
def sparse_predict_outputs(data, indices, indptr, theta, network, activations, result):
    """:func:`fastbp._kernels.predict_outputs` for CSR input (first layer: non-zeros)."""
    sizes, _, _, unit_offsets, hidden_code, out_code = network[:6]
    n_layers = sizes.shape[0] - 1
    capacity = activations.shape[0] // unit_offsets[-1]
    n_rows_all = indptr.shape[0] - 1
    one = theta.dtype.type(1)
    for start in range(0, n_rows_all, capacity):
        stop = min(start + capacity, n_rows_all)
        first = _layer_block(activations, unit_offsets, 0, stop - start, sizes[1])
        for r in range(stop - start):
            _sparse_first_layer_net(
                data, indices, indptr[start + r], indptr[start + r + 1], theta, network,
                one, first[r],
            )  # fmt: skip
        activate_rows(out_code if n_layers == 1 else hidden_code, first)
        out = _forward_batch(first, theta, network, activations, 1)
        for r in range(stop - start):
            _copy(result[start + r], out[r])
