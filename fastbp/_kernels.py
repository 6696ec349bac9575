"""Numba kernels: forward pass, fused backward pass and update, whole epochs per call.

Every kernel takes the flat parameter vector ``theta`` and ``network``, the tuple
:attr:`fastbp._network.Network.structure`: the layout arrays (``sizes``,
``weight_offsets``, ``bias_offsets``, ``unit_offsets``) and the integer codes
(``hidden_code``, ``out_code``, ``loss_code``) of :mod:`fastbp._functions`.
All buffers are allocated by the caller, once per fit: nothing is allocated inside an
epoch.

Loss convention (scikit-learn's): a batch ``B`` minimises
``(1/|B|) sum_{i in B} s_i E_i + alpha / (2 |B|) ||W||^2`` where ``s_i`` is the
example's sample weight and ``W`` the weights (biases are not penalised). With
``|B| = 1`` each example's step is ``lr * (s_i dE_i/dw + alpha w)``.
"""

import numpy as np
from numba import njit

from ._functions import (
    activate,
    derivative,
    example_loss,
    inline_options,
    jit_options,
    output_delta,
)


@njit(**inline_options)
def _forward_example(x, theta, network, outs):
    """Forward pass of one example: every non-input layer's outputs into ``outs``."""
    sizes, weight_offsets, bias_offsets, unit_offsets = network[:4]
    hidden_code = network[4]
    out_code = network[5]
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers):
        n_in = sizes[layer]
        n_out = sizes[layer + 1]
        if layer == 0:
            inputs = x
        else:
            inputs = outs[unit_offsets[layer - 1] : unit_offsets[layer]]
        net = outs[unit_offsets[layer] : unit_offsets[layer + 1]]
        w_start = weight_offsets[layer]
        b_start = bias_offsets[layer]
        for j in range(n_out):
            row = theta[w_start + j * n_in : w_start + (j + 1) * n_in]
            total = theta[b_start + j]
            for i in range(n_in):
                total += row[i] * inputs[i]
            net[j] = total
        activate(out_code if layer == n_layers - 1 else hidden_code, net)


@njit(**inline_options)
def _backward_update(x, theta, network, learning_rate, alpha, outs, deltas):
    """Fused backward pass and SGD step for one example whose output deltas are set.

    For each unit ``j`` one pass over its weight row both accumulates
    ``dE/do_i += w_ji * delta_j`` with the *old* weight (the seed's hidden-node rule)
    and applies ``w_ji -= lr * (delta_j * o_i + alpha * w_ji)``. Returns the squared
    norm of the weights before the step when ``alpha != 0`` (for the penalty term of
    the loss), else 0.
    """
    sizes, weight_offsets, bias_offsets, unit_offsets = network[:4]
    hidden_code = network[4]
    n_layers = sizes.shape[0] - 1
    decay = 1.0 - learning_rate * alpha
    squared_norm = 0.0
    for layer in range(n_layers - 1, -1, -1):
        n_in = sizes[layer]
        n_out = sizes[layer + 1]
        delta = deltas[unit_offsets[layer] : unit_offsets[layer + 1]]
        w_start = weight_offsets[layer]
        b_start = bias_offsets[layer]
        if layer == 0:
            inputs = x
        else:
            inputs = outs[unit_offsets[layer - 1] : unit_offsets[layer]]
            back = deltas[unit_offsets[layer - 1] : unit_offsets[layer]]
            back[:] = 0.0
        for j in range(n_out):
            d = delta[j]
            step = learning_rate * d
            row = theta[w_start + j * n_in : w_start + (j + 1) * n_in]
            if layer > 0:
                if alpha != 0.0:
                    for i in range(n_in):
                        w = row[i]
                        squared_norm += w * w
                        back[i] += w * d
                        row[i] = decay * w - step * inputs[i]
                else:
                    for i in range(n_in):
                        w = row[i]
                        back[i] += w * d
                        row[i] = w - step * inputs[i]
            else:
                if alpha != 0.0:
                    for i in range(n_in):
                        w = row[i]
                        squared_norm += w * w
                        row[i] = decay * w - step * inputs[i]
                else:
                    for i in range(n_in):
                        row[i] -= step * inputs[i]
            theta[b_start + j] -= step
        if layer > 0:
            for i in range(n_in):
                back[i] *= derivative(hidden_code, inputs[i])
    return squared_norm


@njit(**jit_options)
def sgd_epoch(
    X, Y, order, sample_weight, theta, network, learning_rate, alpha, outs, deltas
):
    """One epoch of per-example SGD over ``X[order]``, updating ``theta`` in place.

    Returns
    -------
    data_loss : float
        ``sum_i s_i E_i`` over the epoch, each with the weights it was seen with.
    penalty : float
        ``sum_i alpha / 2 ||W_i||^2``, the L2 term of every one-example batch.
    """
    sizes = network[0]
    unit_offsets = network[3]
    out_code = network[5]
    loss_code = network[6]
    n_layers = sizes.shape[0] - 1
    out_start = unit_offsets[n_layers - 1]
    out_stop = unit_offsets[n_layers]
    out = outs[out_start:out_stop]
    out_delta = deltas[out_start:out_stop]
    data_loss = 0.0
    penalty = 0.0
    for position in range(order.shape[0]):
        i = order[position]
        x = X[i]
        target = Y[i]
        weight = sample_weight[i]
        _forward_example(x, theta, network, outs)
        data_loss += weight * example_loss(loss_code, out_code, out, target)
        output_delta(loss_code, out_code, out, target, weight, out_delta)
        penalty += (
            0.5
            * alpha
            * _backward_update(x, theta, network, learning_rate, alpha, outs, deltas)
        )
    return data_loss, penalty


@njit(**inline_options)
def _layer_block(buffer, unit_offsets, layer, n_rows, n_units):
    """Contiguous ``(n_rows, n_units)`` block of layer ``layer`` in a chunk buffer."""
    capacity = buffer.shape[0] // unit_offsets[-1]
    start = capacity * unit_offsets[layer]
    return buffer[start : start + n_rows * n_units].reshape(n_rows, n_units)


@njit(**inline_options)
def _forward_batch(inputs, theta, network, activations):
    """Forward pass of a chunk of examples with BLAS; returns the output block."""
    sizes, weight_offsets, bias_offsets, unit_offsets = network[:4]
    hidden_code = network[4]
    out_code = network[5]
    n_rows = inputs.shape[0]
    n_layers = sizes.shape[0] - 1
    previous = inputs
    for layer in range(n_layers):
        n_in = sizes[layer]
        n_out = sizes[layer + 1]
        w_start = weight_offsets[layer]
        weights = theta[w_start : w_start + n_out * n_in].reshape(n_out, n_in)
        biases = theta[bias_offsets[layer] : bias_offsets[layer] + n_out]
        net = _layer_block(activations, unit_offsets, layer, n_rows, n_out)
        np.dot(previous, weights.T, net)
        for r in range(n_rows):
            for j in range(n_out):
                net[r, j] += biases[j]
        activate(out_code if layer == n_layers - 1 else hidden_code, net)
        previous = net
    return previous


@njit(**inline_options)
def _accumulate_gradient(
    inputs, targets, weights, theta, network, activations, deltas, scratch, gradient
):
    """Add ``sum_i s_i dE_i/dtheta`` of a chunk of examples to ``gradient``.

    Returns the chunk's ``sum_i s_i E_i``.
    """
    sizes, weight_offsets, bias_offsets, unit_offsets = network[:4]
    hidden_code = network[4]
    out_code = network[5]
    loss_code = network[6]
    n_rows = inputs.shape[0]
    n_layers = sizes.shape[0] - 1
    out = _forward_batch(inputs, theta, network, activations)
    n_outputs = sizes[n_layers]
    out_delta = _layer_block(deltas, unit_offsets, n_layers - 1, n_rows, n_outputs)
    data_loss = 0.0
    for r in range(n_rows):
        data_loss += weights[r] * example_loss(loss_code, out_code, out[r], targets[r])
        output_delta(loss_code, out_code, out[r], targets[r], weights[r], out_delta[r])
    for layer in range(n_layers - 1, -1, -1):
        n_in = sizes[layer]
        n_out = sizes[layer + 1]
        delta = _layer_block(deltas, unit_offsets, layer, n_rows, n_out)
        if layer == 0:
            previous = inputs
        else:
            previous = _layer_block(activations, unit_offsets, layer - 1, n_rows, n_in)
        w_start = weight_offsets[layer]
        b_start = bias_offsets[layer]
        weight_gradient = scratch[: n_out * n_in].reshape(n_out, n_in)
        np.dot(delta.T, previous, weight_gradient)
        block = gradient[w_start : w_start + n_out * n_in]
        flat = scratch[: n_out * n_in]
        for k in range(n_out * n_in):
            block[k] += flat[k]
        for r in range(n_rows):
            for j in range(n_out):
                gradient[b_start + j] += delta[r, j]
        if layer > 0:
            layer_weights = theta[w_start : w_start + n_out * n_in].reshape(n_out, n_in)
            back = _layer_block(deltas, unit_offsets, layer - 1, n_rows, n_in)
            np.dot(delta, layer_weights, back)
            for r in range(n_rows):
                for i in range(n_in):
                    back[r, i] *= derivative(hidden_code, previous[r, i])
    return data_loss


@njit(**inline_options)
def _gather(X, Y, sample_weight, order, start, stop, inputs, targets, weights):
    """Copy the rows ``order[start:stop]`` into the chunk buffers."""
    for r in range(stop - start):
        i = order[start + r]
        inputs[r] = X[i]
        targets[r] = Y[i]
        weights[r] = sample_weight[i]


@njit(**jit_options)
def minibatch_epoch(
    X,
    Y,
    order,
    sample_weight,
    theta,
    network,
    learning_rate,
    alpha,
    batch_size,
    inputs,
    targets,
    weights,
    activations,
    deltas,
    scratch,
    gradient,
):
    """One epoch of mini-batch gradient descent over ``X[order]`` (``theta`` in place).

    Each batch of ``batch_size`` examples (the last one may be smaller) is processed
    in chunks of ``inputs.shape[0]`` rows whose gradients are summed; one update per
    batch applies the batch's mean gradient. ``batch_size >= len(order)`` is the true
    gradient. Returns ``(data_loss, penalty)`` as :func:`sgd_epoch`; the penalty adds
    ``alpha / 2 ||W||^2`` once per batch (``|B|`` examples times ``alpha / (2 |B|)``).
    """
    sizes = network[0]
    weight_offsets = network[1]
    bias_offsets = network[2]
    n_examples = order.shape[0]
    n_layers = sizes.shape[0] - 1
    capacity = inputs.shape[0]
    data_loss = 0.0
    penalty = 0.0
    for batch_start in range(0, n_examples, batch_size):
        batch_stop = min(batch_start + batch_size, n_examples)
        gradient[:] = 0.0
        for start in range(batch_start, batch_stop, capacity):
            stop = min(start + capacity, batch_stop)
            n_rows = stop - start
            _gather(X, Y, sample_weight, order, start, stop, inputs, targets, weights)
            data_loss += _accumulate_gradient(
                inputs[:n_rows],
                targets[:n_rows],
                weights[:n_rows],
                theta,
                network,
                activations,
                deltas,
                scratch,
                gradient,
            )
        step = learning_rate / (batch_stop - batch_start)
        decay = 1.0 - step * alpha
        for layer in range(n_layers):
            w_start = weight_offsets[layer]
            b_start = bias_offsets[layer]
            if alpha != 0.0:
                squared_norm = 0.0
                for k in range(w_start, b_start):
                    squared_norm += theta[k] * theta[k]
                penalty += 0.5 * alpha * squared_norm
            for k in range(w_start, b_start):
                theta[k] = decay * theta[k] - step * gradient[k]
            for k in range(b_start, b_start + sizes[layer + 1]):
                theta[k] -= step * gradient[k]
    return data_loss, penalty


@njit(**jit_options)
def data_gradient(
    X, Y, sample_weight, theta, network, activations, deltas, scratch, gradient
):
    """``gradient = sum_i s_i dE_i/dtheta`` over the rows of ``X``; returns ``sum s_i E_i``.

    ``X``, ``Y`` and ``sample_weight`` are processed in chunks of the buffers' capacity.
    """
    unit_offsets = network[3]
    capacity = activations.shape[0] // unit_offsets[-1]
    gradient[:] = 0.0
    data_loss = 0.0
    for start in range(0, X.shape[0], capacity):
        stop = min(start + capacity, X.shape[0])
        data_loss += _accumulate_gradient(
            X[start:stop],
            Y[start:stop],
            sample_weight[start:stop],
            theta,
            network,
            activations,
            deltas,
            scratch,
            gradient,
        )
    return data_loss


@njit(**jit_options)
def predict_outputs(X, theta, network, activations, result):
    """Network outputs for every row of ``X`` into ``result`` (chunked, BLAS)."""
    unit_offsets = network[3]
    capacity = activations.shape[0] // unit_offsets[-1]
    for start in range(0, X.shape[0], capacity):
        stop = min(start + capacity, X.shape[0])
        out = _forward_batch(X[start:stop], theta, network, activations)
        result[start:stop] = out


@njit(**jit_options)
def weighted_loss_sum(outputs, Y, sample_weight, loss_code, out_code):
    """``sum_i s_i E_i`` for network outputs already computed by :func:`predict_outputs`."""
    total = 0.0
    for r in range(outputs.shape[0]):
        total += sample_weight[r] * example_loss(loss_code, out_code, outputs[r], Y[r])
    return total
