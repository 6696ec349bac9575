"""Mini-batch and full-batch kernels: chunks of examples through BLAS products.

A batch is processed in chunks of at most the buffers' capacity rows
(:class:`~fastbp._kernels.conventions.ChunkBuffers`); a chunk's activations and
deltas are ``(rows, n_units)`` layer blocks (:func:`layer_block`), so every layer's
forward product, weight gradient and back-propagated deltas is one matrix product.

The pieces (:func:`gather`, :func:`forward_batch`, :func:`accumulate_gradient`,
:func:`apply_batch_step`) run once per chunk or batch and are calls, compiled once
and shared by :func:`minibatch_epoch` and :func:`data_gradient`: inlined by Numba,
they were typed again inside each, seconds of each first compile (docs/architecture.md).
"""

import numpy as np
from numba import njit

from .._functions import (
    activate_rows,
    derivative,
    example_loss,
    inline_options,
    jit_options,
    output_delta,
)
from .conventions import weight_of
from .layers import copy
from .rows import count_rows, input_gradient, input_product, rows_between, select_rows
from .rules import begin_update, keeps_second, sgd_update, state_rows, step_weight

# scikit-learn's MLP raises ZeroDivisionError with the first sentence (np.average).
ZERO_WEIGHT_BATCH = (
    "Weights sum to zero, can't be normalized: every example of a mini-batch has "
    "sample_weight 0, so its mean gradient is undefined. Drop the examples of weight "
    "0 (they add nothing to the loss), or choose a batch_size for which every batch "
    "holds an example of positive weight."
)


@njit(**inline_options)
def layer_block(buffer, unit_offsets, layer, n_rows, n_units):
    """Contiguous ``(n_rows, n_units)`` block of layer ``layer`` in a chunk buffer."""
    capacity = buffer.shape[0] // unit_offsets[-1]
    start = capacity * unit_offsets[layer]
    return buffer[start : start + n_rows * n_units].reshape(n_rows, n_units)


@njit(**jit_options)
def forward_batch(inputs, theta, structure, activations):
    """Forward pass of a chunk of examples with BLAS; returns the output block.

    ``inputs`` are a dense ``(n_rows, n_features)`` array or
    :class:`~fastbp._kernels.conventions.SparseRows` (:mod:`fastbp._kernels.rows`).
    """
    sizes, weight_offsets, bias_offsets, unit_offsets, hidden_code, out_code = (
        structure.sizes,
        structure.weight_offsets,
        structure.bias_offsets,
        structure.unit_offsets,
        structure.hidden_code,
        structure.out_code,
    )
    n_rows = count_rows(inputs)
    n_layers = sizes.shape[0] - 1
    previous = layer_block(activations, unit_offsets, 0, n_rows, sizes[1])
    for layer in range(n_layers):
        n_in = sizes[layer]
        n_out = sizes[layer + 1]
        w_start = weight_offsets[layer]
        layer_weights = theta[w_start : w_start + n_out * n_in].reshape(n_out, n_in)
        biases = theta[bias_offsets[layer] : bias_offsets[layer] + n_out]
        net = layer_block(activations, unit_offsets, layer, n_rows, n_out)
        if layer == 0:
            input_product(inputs, layer_weights, net)
        else:
            np.dot(previous, layer_weights.T, net)
        for r in range(n_rows):
            for j in range(n_out):
                net[r, j] += biases[j]
        activate_rows(out_code if layer == n_layers - 1 else hidden_code, net)
        previous = net
    return previous


@njit(**jit_options)
def accumulate_gradient(inputs, targets, sample_weights, theta, structure, chunks, fresh):
    """Add ``sum_i s_i dE_i/dtheta`` of a chunk of examples to ``chunks.gradient``.

    With ``fresh``, the gradient is set to it instead (whatever it held): the
    weight-gradient products then go straight into it, without a pass through
    ``chunks.scratch``. Returns the chunk's ``sum_i s_i E_i``.
    """
    activations, deltas = chunks.activations, chunks.deltas
    scratch, gradient = chunks.scratch, chunks.gradient
    sizes, weight_offsets, bias_offsets, unit_offsets, hidden_code, out_code, loss_code = (
        structure
    )
    n_rows = count_rows(inputs)
    n_layers = sizes.shape[0] - 1
    out = forward_batch(inputs, theta, structure, activations)
    n_outputs = sizes[n_layers]
    out_delta = layer_block(deltas, unit_offsets, n_layers - 1, n_rows, n_outputs)
    data_loss = 0.0
    for r in range(n_rows):
        s = weight_of(sample_weights, r)
        data_loss += s * example_loss(loss_code, out_code, out[r], targets[r])
        output_delta(loss_code, out_code, out[r], targets[r], s, out_delta[r])
    for layer in range(n_layers - 1, -1, -1):
        n_in = sizes[layer]
        n_out = sizes[layer + 1]
        delta = layer_block(deltas, unit_offsets, layer, n_rows, n_out)
        w_start = weight_offsets[layer]
        b_start = bias_offsets[layer]
        weight_gradient = gradient[w_start : w_start + n_out * n_in].reshape(n_out, n_in)
        layer_scratch = scratch[: n_out * n_in].reshape(n_out, n_in)
        if layer == 0:
            input_gradient(delta, inputs, weight_gradient, layer_scratch, fresh)
        else:
            previous = layer_block(activations, unit_offsets, layer - 1, n_rows, n_in)
            input_gradient(delta, previous, weight_gradient, layer_scratch, fresh)
        if fresh:
            for j in range(n_out):
                gradient[b_start + j] = 0.0
        for r in range(n_rows):
            for j in range(n_out):
                gradient[b_start + j] += delta[r, j]
        if layer > 0:
            layer_weights = theta[w_start : w_start + n_out * n_in].reshape(n_out, n_in)
            dE_do = layer_block(deltas, unit_offsets, layer - 1, n_rows, n_in)
            np.dot(delta, layer_weights, dE_do)
            below = layer_block(activations, unit_offsets, layer - 1, n_rows, n_in)
            for r in range(n_rows):
                for i in range(n_in):
                    dE_do[r, i] *= derivative(hidden_code, below[r, i])
    return data_loss


@njit(**jit_options)
def gather(examples, order, start, stop, chunks):
    """The examples ``order[start:stop]`` as ``(inputs, Y, sample_weights)``.

    Consecutive rows (examples in order, ``shuffle=False``) are returned as views;
    other rows are copied into the chunk buffers (a CSR ``X``'s rows are read in
    place: :func:`fastbp._kernels.rows.select_rows`).
    """
    X, Y, sample_weights = examples
    n_rows = stop - start
    head = order[start]
    consecutive = True
    for r in range(n_rows):
        if order[start + r] != head + r:
            consecutive = False
            break
    inputs = select_rows(X, order, start, stop, consecutive, chunks.inputs)
    if consecutive:
        return inputs, Y[head : head + n_rows], sample_weights[head : head + n_rows]
    for r in range(n_rows):
        i = order[start + r]
        copy(chunks.targets[r], Y[i])
        chunks.sample_weights[r] = weight_of(sample_weights, i)
    return inputs, chunks.targets[:n_rows], chunks.sample_weights[:n_rows]


@njit(**jit_options)
def step_range(theta, gradient, start, stop, step_size, l2_step, optimizer):
    """Update ``theta[start:stop]`` by its summed ``gradient`` times ``step_size``
    (the batch's mean step) and the L2 step ``l2_step * theta`` (0 for biases).

    A call, not inlined: its two call sites (weights, biases) share one compiled
    update rule (an Adam first fit compiled in 8.4-8.8 s instead of 10.2 s).
    """
    if optimizer is None:
        decay = 1.0 - l2_step
        for k in range(start, stop):
            theta[k] = sgd_update(theta[k], decay, step_size * gradient[k])
    else:
        ms, vs, rule = state_rows(optimizer, start, stop)
        for k in range(stop - start):
            w = theta[start + k]
            u = step_size * gradient[start + k] + l2_step * w
            theta[start + k], ms[k], v = step_weight(rule, ms[k], vs[k], w, u)
            if keeps_second(rule):
                vs[k] = v


@njit(**jit_options)
def apply_batch_step(theta, structure, gradient, step_size, alpha, optimizer):
    """One update of every parameter by its summed ``gradient`` times ``step_size``,
    with L2 on the weights; returns ``alpha / 2 ||W||^2`` of the weights before it."""
    sizes, weight_offsets, bias_offsets = (
        structure.sizes,
        structure.weight_offsets,
        structure.bias_offsets,
    )
    begin_update(optimizer)
    l2_step = step_size * alpha
    penalty = 0.0
    for layer in range(sizes.shape[0] - 1):
        w_start = weight_offsets[layer]
        b_start = bias_offsets[layer]
        if alpha != 0.0:
            squared_norm = 0.0
            for k in range(w_start, b_start):
                squared_norm += theta[k] * theta[k]
            penalty += 0.5 * alpha * squared_norm
        step_range(theta, gradient, w_start, b_start, step_size, l2_step, optimizer)
        b_stop = b_start + sizes[layer + 1]
        step_range(theta, gradient, b_start, b_stop, step_size, 0.0, optimizer)
    return penalty


@njit(**jit_options)
def minibatch_epoch(
    examples, order, theta, structure, learning_rate, alpha, batch_size, chunks,
    optimizer, by_weight,
):  # fmt: skip
    """One epoch of mini-batch gradient descent over ``examples`` in ``order``.

    Each batch of ``batch_size`` examples (the last one may be smaller) is processed
    in chunks of the buffers' capacity whose gradients are summed; one update per
    batch applies the batch's mean gradient (:func:`apply_batch_step`), by the rule
    of ``optimizer`` (None: plain SGD; else a state of :mod:`fastbp._kernels.rules`).
    ``batch_size >= len(order)`` is the true gradient. Returns
    ``(data_loss, penalty)`` as ``sgd_epoch``; the penalty adds
    ``alpha / 2 ||W||^2`` once per batch (``|B|`` examples times
    ``alpha / (2 |B|)``).

    With ``by_weight``, a batch's gradient and L2 term are divided by the sum of its
    sample weights instead of its size (scikit-learn's MLP), and its loss terms are
    scaled by ``|B| / sum_B s_i`` so that they add up to scikit-learn's
    ``loss_curve_`` (which divides their sum by the number of examples).
    """
    n_examples = order.shape[0]
    capacity = chunks.inputs.shape[0]
    data_loss = 0.0
    penalty = 0.0
    for batch_start in range(0, n_examples, batch_size):
        batch_stop = min(batch_start + batch_size, n_examples)
        batch_loss = 0.0
        weight_sum = 0.0
        for start in range(batch_start, batch_stop, capacity):
            stop = min(start + capacity, batch_stop)
            inputs, targets, sample_weights = gather(examples, order, start, stop, chunks)
            batch_loss += accumulate_gradient(
                inputs, targets, sample_weights, theta, structure, chunks,
                start == batch_start,
            )  # fmt: skip
            if by_weight:
                for r in range(stop - start):
                    weight_sum += weight_of(sample_weights, r)
        n_batch = batch_stop - batch_start
        divisor = weight_sum if by_weight else n_batch
        if divisor == 0.0:
            raise ZeroDivisionError(ZERO_WEIGHT_BATCH)
        batch_penalty = apply_batch_step(
            theta, structure, chunks.gradient, learning_rate / divisor, alpha, optimizer
        )
        scale = n_batch / divisor if by_weight else 1.0
        data_loss += scale * batch_loss
        penalty += scale * batch_penalty
    return data_loss, penalty


@njit(**jit_options)
def data_gradient(examples, theta, structure, chunks):
    """``chunks.gradient = sum_i s_i dE_i/dtheta`` over all the examples (X dense or
    a CSR), in chunks of the buffers' capacity; returns ``sum s_i E_i``."""
    X, Y, sample_weights = examples
    n_rows = count_rows(X)
    capacity = chunks.activations.shape[0] // structure.unit_offsets[-1]
    chunks.gradient[:] = 0.0  # if X has no rows
    data_loss = 0.0
    for start in range(0, n_rows, capacity):
        stop = min(start + capacity, n_rows)
        inputs = rows_between(X, start, stop)
        data_loss += accumulate_gradient(
            inputs, Y[start:stop], sample_weights[start:stop], theta, structure,
            chunks, start == 0,
        )  # fmt: skip
    return data_loss


@njit(**jit_options)
def predict_outputs(X, theta, structure, activations, result):
    """Network outputs for every row of ``X`` (dense or a CSR) into ``result``
    (chunked, BLAS)."""
    n_rows = count_rows(X)
    capacity = activations.shape[0] // structure.unit_offsets[-1]
    for start in range(0, n_rows, capacity):
        stop = min(start + capacity, n_rows)
        inputs = rows_between(X, start, stop)
        out = forward_batch(inputs, theta, structure, activations)
        for r in range(stop - start):
            copy(result[start + r], out[r])


@njit(**jit_options)
def weighted_loss_sum(outputs, Y, sample_weights, loss_code, out_code):
    """``sum_i s_i E_i`` for network outputs already computed by :func:`predict_outputs`."""
    total = 0.0
    for r in range(outputs.shape[0]):
        loss = example_loss(loss_code, out_code, outputs[r], Y[r])
        total += weight_of(sample_weights, r) * loss
    return total
