"""Layer primitives: copies, one layer's forward product, one layer's fused update.

Every per-example kernel is built from these. All of them read the network from a
:class:`fastbp._kernels.conventions.Structure` and the parameters from the flat
vector ``theta`` (layer ``l``'s weights are a C-ordered ``(n_out, n_in)`` block at
``weight_offsets[l]``, its biases follow at ``bias_offsets[l]``).
"""

from numba import njit

from .._functions import inline_options, jit_options, llvm_inline_options
from .rules import keeps_second, sgd_update, state_rows, step_weight

# Rows of a weight block processed together: their deltas share one pass over the
# layer's inputs (and, going back, one read-modify-write of dE/do per input).
ROWS = 4


@njit(**inline_options)
def copy(target, source):
    """``target[:] = source`` for 1-D arrays, as a plain loop.

    Numba's own slice assignment costs seconds of compile time per signature (its
    broadcasting machinery); this loop costs none.
    """
    for i in range(source.shape[0]):
        target[i] = source[i]


@njit(**inline_options)
def multiply(values, factor):
    """``values *= factor`` for a 1-D array, as a plain loop (see :func:`copy`)."""
    for k in range(values.shape[0]):
        values[k] *= factor


@njit(**inline_options)
def dot_rows(theta, row, n_in, inputs, net, j, n_rows):
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


@njit(**llvm_inline_options)
def forward_layer(theta, structure, layer, inputs, outs):
    """Net inputs of layer ``layer`` (biases plus weighted inputs), into ``outs``.

    Inlined by LLVM, compiled once per signature (docs/architecture.md)."""
    sizes, weight_offsets, bias_offsets, unit_offsets = (
        structure.sizes,
        structure.weight_offsets,
        structure.bias_offsets,
        structure.unit_offsets,
    )
    n_in = sizes[layer]
    n_out = sizes[layer + 1]
    net = outs[unit_offsets[layer] : unit_offsets[layer + 1]]
    w_start = weight_offsets[layer]
    copy(net, theta[bias_offsets[layer] : bias_offsets[layer] + n_out])
    for j in range(0, n_out, ROWS):
        dot_rows(theta, w_start + j * n_in, n_in, inputs, net, j, min(ROWS, n_out - j))
    return net


@njit(**jit_options)
def update_parameters(
    theta, w_start, n_out, n_in, inputs, delta, step, squared, dE_do, ahead, net, optimizer
):
    """One step of a layer's ``(n_out, n_in)`` weights at ``theta[w_start]`` and the
    ``n_out`` biases after them.

    Each weight takes the step ``g = learning_rate * delta[j] * inputs[i]`` by
    :func:`fastbp._kernels.rules.sgd_update` (with ``step.decay``) or, with an
    ``optimizer`` state (:class:`~fastbp._kernels.conventions.Momentum` or
    ``Adam``), :func:`~fastbp._kernels.rules.step_weight`; four rows per pass over
    the inputs. Optional parts, each ``None`` when unused (Numba
    compiles a variant per combination with the branch removed, so the inner loop
    stays one vectorised pass; one call per layer keeps call overhead out of small
    networks):

    - ``dE_do``: first accumulate ``dE_do[i] += sum_j w_ji delta_j`` with the old
      weights (the seed's hidden-node rule);
    - ``ahead``: accumulate the *next* example's net inputs
      ``net[j] += sum_i w_ji(new) ahead[i]``, so each row is read once per example;
    - ``squared``: add ``sum w_ji^2`` of the old weights to ``squared[0]`` (the L2
      term of the loss).
    """
    learning_rate, decay = step.learning_rate, step.decay
    zero = theta.dtype.type(0)
    total = zero
    l2_step = step.l2_step
    # The biases (no L2), here rather than in the inlined update_layer: compiled once
    # per variant, not at every inlined call site (docs/architecture.md).
    b_start = w_start + n_out * n_in
    biases = theta[b_start : b_start + n_out]
    if optimizer is None:
        one = theta.dtype.type(1)
        for k in range(n_out):
            biases[k] = sgd_update(biases[k], one, learning_rate * delta[k])
    else:
        # The layer's state in one call: each call returns views (a reference count
        # pair), which a small network's step feels (docs/architecture.md).
        firsts, seconds, rule = state_rows(optimizer, w_start, b_start + n_out)
        ms = firsts[b_start - w_start :]
        vs = seconds[b_start - w_start :]
        for k in range(n_out):
            u = learning_rate * delta[k]
            biases[k], ms[k], second = step_weight(rule, ms[k], vs[k], biases[k], u)
            if keeps_second(rule):
                vs[k] = second
    if ahead is not None:
        copy(net, biases)
    full = n_out - n_out % ROWS
    for j in range(0, full, ROWS):
        # One slice per row: LLVM vectorises slices, not offsets into one array.
        row = w_start + j * n_in
        w0s = theta[row : row + n_in]
        w1s = theta[row + n_in : row + 2 * n_in]
        w2s = theta[row + 2 * n_in : row + 3 * n_in]
        w3s = theta[row + 3 * n_in : row + 4 * n_in]
        if optimizer is not None:
            at = j * n_in
            m0s = firsts[at : at + n_in]
            m1s = firsts[at + n_in : at + 2 * n_in]
            m2s = firsts[at + 2 * n_in : at + 3 * n_in]
            m3s = firsts[at + 3 * n_in : at + 4 * n_in]
            v0s = seconds[at : at + n_in]
            v1s = seconds[at + n_in : at + 2 * n_in]
            v2s = seconds[at + 2 * n_in : at + 3 * n_in]
            v3s = seconds[at + 3 * n_in : at + 4 * n_in]
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
            if dE_do is not None:
                dE_do[i] += w0 * d0 + w1 * d1 + w2 * d2 + w3 * d3
            if optimizer is None:
                w0 = sgd_update(w0, decay, s0 * v)
                w1 = sgd_update(w1, decay, s1 * v)
                w2 = sgd_update(w2, decay, s2 * v)
                w3 = sgd_update(w3, decay, s3 * v)
            else:
                w0, m0s[i], v0 = step_weight(
                    rule, m0s[i], v0s[i], w0, l2_step * w0 + s0 * v
                )
                w1, m1s[i], v1 = step_weight(
                    rule, m1s[i], v1s[i], w1, l2_step * w1 + s1 * v
                )
                w2, m2s[i], v2 = step_weight(
                    rule, m2s[i], v2s[i], w2, l2_step * w2 + s2 * v
                )
                w3, m3s[i], v3 = step_weight(
                    rule, m3s[i], v3s[i], w3, l2_step * w3 + s3 * v
                )
                if keeps_second(rule):
                    v0s[i] = v0
                    v1s[i] = v1
                    v2s[i] = v2
                    v3s[i] = v3
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
        if optimizer is not None:
            ms = firsts[j * n_in : (j + 1) * n_in]
            vs = seconds[j * n_in : (j + 1) * n_in]
        d = delta[j]
        s = learning_rate * d
        a = zero
        for i in range(n_in):
            w = ws[i]
            if squared is not None:
                total += w * w
            if dE_do is not None:
                dE_do[i] += w * d
            if optimizer is None:
                w = sgd_update(w, decay, s * inputs[i])
            else:
                u = l2_step * w + s * inputs[i]
                w, ms[i], second = step_weight(rule, ms[i], vs[i], w, u)
                if keeps_second(rule):
                    vs[i] = second
            ws[i] = w
            if ahead is not None:
                a += w * ahead[i]
        if ahead is not None:
            net[j] += a
    if squared is not None:
        squared[0] += total


# The same function for plain SGD only (called with ``optimizer=None``, the rules'
# branches are pruned before typing), inlined by LLVM: a call costs a small network's
# step more than a third, Numba's IR inlining a second of compile (docs/architecture.md).
sgd_parameters = njit(**llvm_inline_options)(update_parameters.py_func)


@njit(**llvm_inline_options)
def sgd_one_unit(theta, w_start, n_in, inputs, delta, step, squared, ahead, net):
    """:func:`sgd_parameters` of a one-unit first layer (the delta rule's), with the
    next example's net input ``ahead`` into ``net[0]``: the same arithmetic, its
    bias and sums in scalars (a deliberate copy, measured: docs/architecture.md).

    ``delta`` is the unit's ``dE/dnet``; ``squared``, if not None, receives the old
    weights' ``sum w^2``.
    """
    g = step.learning_rate * delta
    b_start = w_start + n_in
    bias = sgd_update(theta[b_start], theta.dtype.type(1), g)
    theta[b_start] = bias
    ws = theta[w_start:b_start]
    decay = step.decay
    zero = theta.dtype.type(0)
    a = zero
    if squared is None:
        for i in range(n_in):
            w = sgd_update(ws[i], decay, g * inputs[i])
            ws[i] = w
            a += w * ahead[i]
    else:
        total = zero
        for i in range(n_in):
            w = ws[i]
            total += w * w
            w = sgd_update(w, decay, g * inputs[i])
            ws[i] = w
            a += w * ahead[i]
        squared[0] += total
    net[0] = bias + a


@njit(**inline_options)
def update_layer(
    theta, structure, layer, inputs, delta, step, squared, dE_do, ahead, net, optimizer
):
    """One step of layer ``layer``'s weights and biases (:func:`update_parameters`).

    With ``ahead``, ``net`` receives the next example's net inputs of this layer.
    """
    sizes, weight_offsets = structure.sizes, structure.weight_offsets
    update_parameters(
        theta, weight_offsets[layer], sizes[layer + 1], sizes[layer], inputs, delta,
        step, squared, dE_do, ahead, net, optimizer,
    )  # fmt: skip
