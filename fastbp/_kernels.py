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
    activate_rows,
    derivative,
    example_loss,
    inline_options,
    jit_options,
    output_delta,
)


@njit(**inline_options)
def _copy(target, source):
    """``target[:] = source`` for 1-D arrays, as a plain loop.

    Numba's own array-to-array slice assignment costs seconds of compile time per
    signature (its broadcasting machinery); this loop costs none.
    """
    for i in range(source.shape[0]):
        target[i] = source[i]


# Rows of a weight block processed together: their deltas share one pass over the
# layer's inputs (and, going back, one read-modify-write of dE/do per input).
ROWS = 4


@njit(**inline_options)
def _dot_rows(theta, row, n_in, inputs, net, j, n_rows):
    """``net[j + k] += W_k . inputs`` for the ``n_rows <= 4`` rows from ``theta[row]``."""
    zero = theta.dtype.type(0)
    if n_rows == ROWS:
        # One slice per row: LLVM vectorises slices, not offsets into one array.
        w0 = theta[row : row + n_in]
        w1 = theta[row + n_in : row + 2 * n_in]
        w2 = theta[row + 2 * n_in : row + 3 * n_in]
        w3 = theta[row + 3 * n_in : row + 4 * n_in]
        a0 = a1 = a2 = a3 = zero
        for i in range(n_in):
            v = inputs[i]
            a0 += w0[i] * v
            a1 += w1[i] * v
            a2 += w2[i] * v
            a3 += w3[i] * v
        net[j] += a0
        net[j + 1] += a1
        net[j + 2] += a2
        net[j + 3] += a3
    else:
        for k in range(n_rows):
            w = theta[row + k * n_in : row + (k + 1) * n_in]
            a = zero
            for i in range(n_in):
                a += w[i] * inputs[i]
            net[j + k] += a


@njit(**inline_options)
def _forward_layer(theta, network, layer, inputs, outs):
    """Net inputs of layer ``layer`` (biases plus weighted inputs), into ``outs``."""
    sizes, weight_offsets, bias_offsets, unit_offsets = network[:4]
    n_in = sizes[layer]
    n_out = sizes[layer + 1]
    net = outs[unit_offsets[layer] : unit_offsets[layer + 1]]
    w_start = weight_offsets[layer]
    _copy(net, theta[bias_offsets[layer] : bias_offsets[layer] + n_out])
    for j in range(0, n_out, ROWS):
        _dot_rows(theta, w_start + j * n_in, n_in, inputs, net, j, min(ROWS, n_out - j))
    return net


@njit(**jit_options)
def _update_weights(
    theta,
    w_start,
    n_out,
    n_in,
    inputs,
    delta,
    learning_rate,
    decay,
    squared,
    back,
    ahead,
    net,
    momentum,
):
    """SGD step of one layer's ``(n_out, n_in)`` weight block at ``theta[w_start]``.

    Each weight takes ``w_ji <- decay * w_ji - learning_rate * delta[j] * inputs[i]``,
    four rows per pass over the inputs. Optional parts, each ``None`` when unused
    (Numba compiles a variant per combination with the branch removed, so the inner
    loop stays one vectorised pass; one call per layer keeps call overhead out of
    small networks):

    - ``back``: first accumulate ``back[i] += sum_j w_ji delta_j`` with the old
      weights (the seed's hidden-node rule);
    - ``ahead``: accumulate the *next* example's net inputs
      ``net[j] += sum_i w_ji(new) ahead[i]``, so each row is read once per example;
    - ``squared``: add ``sum w_ji^2`` of the old weights to ``squared[0]`` (the L2
      term of the loss);
    - ``momentum``: ``(velocity, mu, keep, lookahead)``. With the plain step
      ``u = lr * (delta_j x_i + alpha w_ji)``, the velocity becomes ``m <- mu m - u``
      and the weight ``w <- w + keep m - lookahead u``: ``keep=1, lookahead=0`` is
      classical momentum, ``keep=mu, lookahead=1`` Nesterov's (scikit-learn's rules).
    """
    zero = theta.dtype.type(0)
    total = zero
    shrink = theta.dtype.type(1) - decay
    if momentum is not None:
        velocity, mu, keep, lookahead = momentum
    full = n_out - n_out % ROWS
    for j in range(0, full, ROWS):
        # One slice per row: LLVM vectorises slices, not offsets into one array.
        row = w_start + j * n_in
        w0s = theta[row : row + n_in]
        w1s = theta[row + n_in : row + 2 * n_in]
        w2s = theta[row + 2 * n_in : row + 3 * n_in]
        w3s = theta[row + 3 * n_in : row + 4 * n_in]
        if momentum is not None:
            m0s = velocity[row : row + n_in]
            m1s = velocity[row + n_in : row + 2 * n_in]
            m2s = velocity[row + 2 * n_in : row + 3 * n_in]
            m3s = velocity[row + 3 * n_in : row + 4 * n_in]
        d0 = delta[j]
        d1 = delta[j + 1]
        d2 = delta[j + 2]
        d3 = delta[j + 3]
        s0 = learning_rate * d0
        s1 = learning_rate * d1
        s2 = learning_rate * d2
        s3 = learning_rate * d3
        a0 = a1 = a2 = a3 = zero
        for i in range(n_in):
            v = inputs[i]
            w0 = w0s[i]
            w1 = w1s[i]
            w2 = w2s[i]
            w3 = w3s[i]
            if squared is not None:
                total += w0 * w0 + w1 * w1 + w2 * w2 + w3 * w3
            if back is not None:
                back[i] += w0 * d0 + w1 * d1 + w2 * d2 + w3 * d3
            if momentum is None:
                w0 = decay * w0 - s0 * v
                w1 = decay * w1 - s1 * v
                w2 = decay * w2 - s2 * v
                w3 = decay * w3 - s3 * v
            else:
                u0 = shrink * w0 + s0 * v
                u1 = shrink * w1 + s1 * v
                u2 = shrink * w2 + s2 * v
                u3 = shrink * w3 + s3 * v
                m0 = mu * m0s[i] - u0
                m1 = mu * m1s[i] - u1
                m2 = mu * m2s[i] - u2
                m3 = mu * m3s[i] - u3
                m0s[i] = m0
                m1s[i] = m1
                m2s[i] = m2
                m3s[i] = m3
                w0 = w0 + keep * m0 - lookahead * u0
                w1 = w1 + keep * m1 - lookahead * u1
                w2 = w2 + keep * m2 - lookahead * u2
                w3 = w3 + keep * m3 - lookahead * u3
            w0s[i] = w0
            w1s[i] = w1
            w2s[i] = w2
            w3s[i] = w3
            if ahead is not None:
                z = ahead[i]
                a0 += w0 * z
                a1 += w1 * z
                a2 += w2 * z
                a3 += w3 * z
        if ahead is not None:
            net[j] += a0
            net[j + 1] += a1
            net[j + 2] += a2
            net[j + 3] += a3
    for j in range(full, n_out):
        row = w_start + j * n_in
        ws = theta[row : row + n_in]
        if momentum is not None:
            ms = velocity[row : row + n_in]
        d = delta[j]
        s = learning_rate * d
        a = zero
        for i in range(n_in):
            w = ws[i]
            if squared is not None:
                total += w * w
            if back is not None:
                back[i] += w * d
            if momentum is None:
                w = decay * w - s * inputs[i]
            else:
                u = shrink * w + s * inputs[i]
                m = mu * ms[i] - u
                ms[i] = m
                w = w + keep * m - lookahead * u
            ws[i] = w
            if ahead is not None:
                a += w * ahead[i]
        if ahead is not None:
            net[j] += a
    if squared is not None:
        squared[0] += total


@njit(**inline_options)
def _update_layer(
    theta,
    network,
    layer,
    inputs,
    delta,
    learning_rate,
    decay,
    squared,
    back,
    ahead,
    net,
    momentum,
):
    """SGD step of one layer's weights and biases (see :func:`_update_weights`).

    With ``ahead``, ``net`` receives the next example's net inputs of this layer.
    """
    sizes, weight_offsets, bias_offsets = network[:3]
    n_in = sizes[layer]
    n_out = sizes[layer + 1]
    b_start = bias_offsets[layer]
    biases = theta[b_start : b_start + n_out]
    if momentum is None:
        for k in range(n_out):
            biases[k] -= learning_rate * delta[k]
    else:
        velocity, mu, keep, lookahead = momentum
        for k in range(n_out):
            u = learning_rate * delta[k]
            m = mu * velocity[b_start + k] - u
            velocity[b_start + k] = m
            biases[k] += keep * m - lookahead * u
    if ahead is not None:
        _copy(net, biases)
    _update_weights(
        theta,
        weight_offsets[layer],
        n_out,
        n_in,
        inputs,
        delta,
        learning_rate,
        decay,
        squared,
        back,
        ahead,
        net,
        momentum,
    )


@njit(**inline_options)
def _example_views(network, outs, deltas):
    """``(first layer's nets, output layer's outputs, output deltas)`` views."""
    sizes, _, _, unit_offsets = network[:4]
    n_layers = sizes.shape[0] - 1
    return (
        outs[unit_offsets[0] : unit_offsets[1]],
        outs[unit_offsets[n_layers - 1] : unit_offsets[n_layers]],
        deltas[unit_offsets[n_layers - 1] : unit_offsets[n_layers]],
    )


@njit(**inline_options)
def _forward_above_first(theta, network, outs):
    """Forward pass through the layers above the first, given its activated outputs."""
    sizes, _, _, unit_offsets, hidden_code, out_code = network[:6]
    n_layers = sizes.shape[0] - 1
    for layer in range(1, n_layers):
        inputs = outs[unit_offsets[layer - 1] : unit_offsets[layer]]
        net = _forward_layer(theta, network, layer, inputs, outs)
        activate(out_code if layer == n_layers - 1 else hidden_code, net)


@njit(**inline_options)
def _backward_above_first(
    theta, network, outs, deltas, learning_rate, decay, squared, momentum
):
    """Back-propagate and update from the last layer down to the second.

    Given the output deltas in ``deltas``: updates each layer's weights (adding
    their old squared norm to ``squared``) and ends with the first layer's deltas
    in ``deltas``. The first layer's update is the caller's.
    """
    sizes, _, _, unit_offsets, hidden_code = network[:5]
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers - 1, 0, -1):
        inputs = outs[unit_offsets[layer - 1] : unit_offsets[layer]]
        back = deltas[unit_offsets[layer - 1] : unit_offsets[layer]]
        back[:] = 0.0
        delta = deltas[unit_offsets[layer] : unit_offsets[layer + 1]]
        _update_layer(
            theta,
            network,
            layer,
            inputs,
            delta,
            learning_rate,
            decay,
            squared,
            back,
            None,
            None,
            momentum,
        )
        for k in range(back.shape[0]):
            back[k] *= derivative(hidden_code, inputs[k])


@njit(**inline_options)
def _above_first_layer(
    theta,
    network,
    outs,
    deltas,
    views,
    target,
    weight,
    learning_rate,
    decay,
    squared,
    momentum,
):
    """One example's step above the first layer's weights; returns its weighted loss.

    Given the first layer's net inputs in ``outs``: activates them, runs the forward
    pass through the other layers, computes the output delta, and from the last
    layer down to the second back-propagates the deltas and updates the weights
    (adding their old squared norm to ``squared``), ending with the first layer's
    deltas in ``deltas``. The first layer's update is the caller's. ``views`` are
    :func:`_example_views`, made once per epoch: slicing them here, once per example,
    costs reference counting.

    :func:`fastbp._block_kernel.block_sgd_epoch` inlines it.
    :func:`fastbp._sparse_kernel.sparse_sgd_epoch` writes the output layer's part
    itself and calls :data:`_forward_above_first_call` and
    :data:`_backward_above_first_call` for networks with hidden layers only: Numba
    rebinds each argument of an inlined function with an atomic reference-count
    increment and decrement, which cost the sparse linear epoch (150-200 ns per
    example in all) about half its time; the block kernel, at several microseconds
    per example, measured 0.94x (float64) and 0.97x (float32) with the calls
    instead (15 and 21 interleaved rounds on 784-128-10). :func:`sgd_epoch` keeps
    the same step written inline: a version of it calling this helper measured
    slower, best of 15 interleaved rounds 255 against 179 ns per example on workload
    D and 449 against 369 on A (the same results to 1e-10). ``tests/test_sparse.py``
    and ``tests/test_kernels.py`` hold all three to the same results (1e-10).
    """
    sizes, _, _, _, hidden_code, out_code, loss_code = network
    n_layers = sizes.shape[0] - 1
    first_net, out, out_delta = views
    activate(out_code if n_layers == 1 else hidden_code, first_net)
    _forward_above_first(theta, network, outs)
    loss = weight * example_loss(loss_code, out_code, out, target)
    output_delta(loss_code, out_code, out, target, weight, out_delta)
    _backward_above_first(
        theta, network, outs, deltas, learning_rate, decay, squared, momentum
    )
    return loss


# The same two functions compiled as calls, not inlined (see _above_first_layer).
_forward_above_first_call = njit(**jit_options)(_forward_above_first.py_func)
_backward_above_first_call = njit(**jit_options)(_backward_above_first.py_func)


@njit(**jit_options)
def sgd_epoch(
    X,
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
    rows,
    momentum,
):
    """One epoch of per-example SGD over ``X[order]``, updating ``theta`` in place.

    Each example: forward pass, output delta, then from the last layer down one fused
    pass over each layer's weights (:func:`_update_weights`) that back-propagates the
    deltas with the old weights, applies the step and, in the first layer, already
    computes the next example's net inputs with the new weights.

    ``learning_rate`` and ``decay = 1 - learning_rate * alpha`` come in theta's dtype,
    so float32 models compute in float32 throughout. ``rows`` is a 64-byte aligned
    ``(2, >= n_features)`` buffer: the current and the next example are copied there,
    so the inner loops read aligned inputs whatever X's alignment. ``momentum`` is
    None (plain SGD) or ``(velocity, mu, keep, lookahead)`` (see
    :func:`_update_weights`).

    Returns
    -------
    data_loss : float
        ``sum_i s_i E_i`` over the epoch, each with the weights it was seen with.
    penalty : float
        ``sum_i alpha / 2 ||W_i||^2``, the L2 term of every one-example batch.
    """
    sizes, _, _, unit_offsets, hidden_code, out_code, loss_code = network
    n_layers = sizes.shape[0] - 1
    out_start = unit_offsets[n_layers - 1]
    out_stop = unit_offsets[n_layers]
    out = outs[out_start:out_stop]
    out_delta = deltas[out_start:out_stop]
    first_net = outs[unit_offsets[0] : unit_offsets[1]]
    first_delta = deltas[unit_offsets[0] : unit_offsets[1]]
    squared = np.zeros(1) if alpha != 0.0 else None
    data_loss = 0.0
    penalty = 0.0
    n_features = sizes[0]
    n_examples = order.shape[0]
    if n_examples > 0:
        _copy(rows[0], X[order[0]])
    for position in range(n_examples):
        i = order[position]
        x = rows[position % 2, :n_features]
        target = Y[i]
        weight = sample_weight[i]
        # Forward. The first layer's net inputs were computed by the previous
        # example's update pass, except at the start of the epoch.
        if position == 0:
            _forward_layer(theta, network, 0, x, outs)
        activate(out_code if n_layers == 1 else hidden_code, first_net)
        for layer in range(1, n_layers):
            inputs = outs[unit_offsets[layer - 1] : unit_offsets[layer]]
            net = _forward_layer(theta, network, layer, inputs, outs)
            activate(out_code if layer == n_layers - 1 else hidden_code, net)
        data_loss += weight * example_loss(loss_code, out_code, out, target)
        output_delta(loss_code, out_code, out, target, weight, out_delta)

        # Backward and update, last layer first.
        if squared is not None:
            squared[0] = 0.0
        for layer in range(n_layers - 1, 0, -1):
            inputs = outs[unit_offsets[layer - 1] : unit_offsets[layer]]
            back = deltas[unit_offsets[layer - 1] : unit_offsets[layer]]
            back[:] = 0.0
            delta = deltas[unit_offsets[layer] : unit_offsets[layer + 1]]
            _update_layer(
                theta,
                network,
                layer,
                inputs,
                delta,
                learning_rate,
                decay,
                squared,
                back,
                None,
                None,
                momentum,
            )
            for k in range(back.shape[0]):
                back[k] *= derivative(hidden_code, inputs[k])
        # The first layer's pass also computes the next example's net inputs. After
        # the last example it computes them for a stale row, into a buffer nobody
        # reads before the next epoch recomputes it (one code path, not two).
        ahead = rows[(position + 1) % 2, :n_features]
        if position + 1 < n_examples:
            _copy(ahead, X[order[position + 1]])
        _update_layer(
            theta,
            network,
            0,
            x,
            first_delta,
            learning_rate,
            decay,
            squared,
            None,
            ahead,
            first_net,
            momentum,
        )
        if squared is not None:
            penalty += 0.5 * alpha * squared[0]
    return data_loss, penalty


# The sparse and block kernels keep the first layer's weights as ``scale * V`` so
# that the L2 decay of all of them costs one multiplication; once the scale falls
# below this, it is folded into V (one pass over the block) to keep V's precision.
SMALLEST_SCALE = 1e-6


@njit(**inline_options)
def _multiply(values, factor):
    """``values *= factor`` for a 1-D array, as a plain loop (see :func:`_copy`)."""
    for k in range(values.shape[0]):
        values[k] *= factor


@njit(**inline_options)
def _fold_scale(theta, network, scale):
    """``V <- scale * V`` over the first layer's weight block (then the scale is 1)."""
    sizes, weight_offsets = network[:2]
    _multiply(theta[weight_offsets[0] : weight_offsets[0] + sizes[0] * sizes[1]], scale)


@njit(**jit_options)
def explain_example(x, target, weight, theta, network, learning_rate, decay, record):
    """One per-example SGD step of ``theta`` (in place) that records its quantities.

    The same primitives as :func:`sgd_epoch` (``_forward_layer``, ``activate``,
    ``output_delta``, ``derivative``, ``_update_layer``), unfused, so that
    :mod:`fastbp.explain` can show every intermediate of the step the kernels take.
    ``record`` is ``(nets, outs, slopes, deltas)``, each ``n_units`` long in the
    layer layout of ``unit_offsets``: net inputs, outputs ``f(net)``, ``f'(net)``
    and ``dE/dnet``. Returns the example's weighted loss.
    """
    nets, outs, slopes, deltas = record
    sizes, _, _, unit_offsets, hidden_code, out_code, loss_code = network
    n_layers = sizes.shape[0] - 1
    inputs = x
    for layer in range(n_layers):
        net = _forward_layer(theta, network, layer, inputs, outs)
        code = out_code if layer == n_layers - 1 else hidden_code
        for k in range(net.shape[0]):
            nets[unit_offsets[layer] + k] = net[k]
        activate(code, net)
        for k in range(net.shape[0]):
            slopes[unit_offsets[layer] + k] = derivative(code, net[k])
        inputs = net
    out = outs[unit_offsets[n_layers - 1] : unit_offsets[n_layers]]
    loss = weight * example_loss(loss_code, out_code, out, target)
    output_delta(
        loss_code, out_code, out, target, weight,
        deltas[unit_offsets[n_layers - 1] : unit_offsets[n_layers]],
    )  # fmt: skip
    for layer in range(n_layers - 1, -1, -1):
        delta = deltas[unit_offsets[layer] : unit_offsets[layer + 1]]
        if layer == 0:
            _update_layer(
                theta, network, 0, x, delta, learning_rate, decay, None, None, None,
                None, None,
            )  # fmt: skip
        else:
            inputs = outs[unit_offsets[layer - 1] : unit_offsets[layer]]
            back = deltas[unit_offsets[layer - 1] : unit_offsets[layer]]
            back[:] = 0.0
            _update_layer(
                theta, network, layer, inputs, delta, learning_rate, decay, None, back,
                None, None, None,
            )  # fmt: skip
            for k in range(back.shape[0]):
                back[k] *= derivative(hidden_code, inputs[k])
    return loss


@njit(**inline_options)
def _layer_block(buffer, unit_offsets, layer, n_rows, n_units):
    """Contiguous ``(n_rows, n_units)`` block of layer ``layer`` in a chunk buffer."""
    capacity = buffer.shape[0] // unit_offsets[-1]
    start = capacity * unit_offsets[layer]
    return buffer[start : start + n_rows * n_units].reshape(n_rows, n_units)


@njit(**inline_options)
def _forward_batch(inputs, theta, network, activations, first=0):
    """Forward pass of a chunk of examples with BLAS; returns the output block.

    ``inputs`` are the inputs of layer ``first`` (the outputs of the layer below it).
    """
    sizes, weight_offsets, bias_offsets, unit_offsets = network[:4]
    hidden_code = network[4]
    out_code = network[5]
    n_rows = inputs.shape[0]
    n_layers = sizes.shape[0] - 1
    previous = inputs
    for layer in range(first, n_layers):
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
        activate_rows(out_code if layer == n_layers - 1 else hidden_code, net)
        previous = net
    return previous


@njit(**inline_options)
def _accumulate_gradient(
    inputs, targets, weights, theta, network, activations, deltas, scratch, gradient, fresh
):
    """Add ``sum_i s_i dE_i/dtheta`` of a chunk of examples to ``gradient``.

    With ``fresh``, ``gradient`` is set to it instead (whatever it held): the
    weight-gradient products then go straight into ``gradient``, without a pass
    through ``scratch``. Returns the chunk's ``sum_i s_i E_i``.
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
        block = gradient[w_start : w_start + n_out * n_in]
        if fresh:
            np.dot(delta.T, previous, block.reshape(n_out, n_in))
            for j in range(n_out):
                gradient[b_start + j] = 0.0
        else:
            np.dot(delta.T, previous, scratch[: n_out * n_in].reshape(n_out, n_in))
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
    """The rows ``order[start:stop]`` of X, Y and sample_weight, as C-contiguous arrays.

    Consecutive rows (examples in order, ``shuffle=False``) are returned as views;
    other rows are copied into the chunk buffers.
    """
    n_rows = stop - start
    first = order[start]
    consecutive = True
    for r in range(n_rows):
        if order[start + r] != first + r:
            consecutive = False
            break
    if consecutive:
        last = first + n_rows
        return X[first:last], Y[first:last], sample_weight[first:last]
    for r in range(n_rows):
        i = order[start + r]
        _copy(inputs[r], X[i])
        _copy(targets[r], Y[i])
        weights[r] = sample_weight[i]
    return inputs[:n_rows], targets[:n_rows], weights[:n_rows]


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
    momentum,
):
    """One epoch of mini-batch gradient descent over ``X[order]`` (``theta`` in place).

    Each batch of ``batch_size`` examples (the last one may be smaller) is processed
    in chunks of ``inputs.shape[0]`` rows whose gradients are summed; one update per
    batch applies the batch's mean gradient. ``batch_size >= len(order)`` is the true
    gradient. Returns ``(data_loss, penalty)`` as :func:`sgd_epoch`; the penalty adds
    ``alpha / 2 ||W||^2`` once per batch (``|B|`` examples times ``alpha / (2 |B|)``).
    ``momentum`` is None or ``(velocity, mu, keep, lookahead)`` as in
    :func:`_update_weights`, applied to the batch's mean step.
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
        for start in range(batch_start, batch_stop, capacity):
            stop = min(start + capacity, batch_stop)
            rows, row_targets, row_weights = _gather(
                X, Y, sample_weight, order, start, stop, inputs, targets, weights
            )
            data_loss += _accumulate_gradient(
                rows,
                row_targets,
                row_weights,
                theta,
                network,
                activations,
                deltas,
                scratch,
                gradient,
                start == batch_start,
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
            if momentum is None:
                for k in range(w_start, b_start):
                    theta[k] = decay * theta[k] - step * gradient[k]
                for k in range(b_start, b_start + sizes[layer + 1]):
                    theta[k] -= step * gradient[k]
            else:
                velocity, mu, keep, lookahead = momentum
                for k in range(w_start, b_start + sizes[layer + 1]):
                    u = step * gradient[k]
                    if k < b_start:
                        u += (1.0 - decay) * theta[k]
                    m = mu * velocity[k] - u
                    velocity[k] = m
                    theta[k] += keep * m - lookahead * u
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
    gradient[:] = 0.0  # if X has no rows
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
            start == 0,
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
        for r in range(stop - start):
            _copy(result[start + r], out[r])


@njit(**jit_options)
def weighted_loss_sum(outputs, Y, sample_weight, loss_code, out_code):
    """``sum_i s_i E_i`` for network outputs already computed by :func:`predict_outputs`."""
    total = 0.0
    for r in range(outputs.shape[0]):
        total += sample_weight[r] * example_loss(loss_code, out_code, outputs[r], Y[r])
    return total
