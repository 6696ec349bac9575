"""Activations and losses: name -> integer code tables and their njit primitives.

Numba kernels cannot look functions up in a dict, so every activation and loss has an
integer code, and the primitives below dispatch on it. As in scikit-learn's
``neural_network/_base.py``, derivatives are written in terms of the activation's
*output* ``o``, so a kernel only needs to keep the outputs of the forward pass.
"""

import numpy as np
from numba import njit
from numba.extending import overload
from numba.np.numpy_support import as_dtype

from ._exp import exp, tanh

IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3
SOFTMAX = 4
EXP = 5

ACTIVATIONS = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "softmax": SOFTMAX,
    "exp": EXP,
}
HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")

SQUARED_ERROR = 0
LOG_LOSS = 1
POISSON = 2

LOSSES = {"squared_error": SQUARED_ERROR, "log_loss": LOG_LOSS, "poisson": POISSON}

# No ``nnan``/``ninf``: the divergence guard must see NaN and inf.
FASTMATH = set({"contract", "reassoc", "arcp", "nsz", "afn"})

# Units of a layer from which activate uses _exp's vectorised exp and tanh.
VECTOR_UNITS = 8

# Kernels are compiled lazily, on first use, and cached on disk.
jit_options = {"cache": True, "nogil": True, "fastmath": FASTMATH}
inline_options = {"cache": True, "nogil": True, "fastmath": FASTMATH, "inline": "always"}
# Functions that LLVM inlines into their callers: compiled once per signature, never
# called from Python, so without Numba's Python and C wrappers (docs/architecture.md).
llvm_inline_options = {
    **jit_options,
    "forceinline": True,
    "no_cpython_wrapper": True,
    "no_cfunc_wrapper": True,
}


def epsilon_of(values):
    """The machine epsilon of an array's dtype, a constant of that dtype once
    compiled: what ``np.finfo(values.dtype).eps`` gives, without compiling
    ``np.finfo`` (about 0.2 s of each kernel family's first compile)."""
    return values.dtype.type(np.finfo(values.dtype).eps)


@overload(epsilon_of, jit_options=llvm_inline_options)
def _epsilon_of(values):
    kind = as_dtype(values.dtype).type
    eps = float(np.finfo(kind).eps)
    return lambda values: kind(eps)


@njit(**llvm_inline_options)
def activate(code, values):
    """Apply the activation ``code`` to one example's net inputs ``values``, in place.

    Compiled once per signature and inlined by LLVM (``forceinline``): Numba's own
    inlining copied its IR into every caller for seconds of compile time, and a
    plain call measured slower on the delta rule (docs/architecture.md).
    """
    # A layer of VECTOR_UNITS or more: _exp's exp and tanh, and np.divide (no check
    # for a zero divisor, which keeps LLVM from vectorising the loop); fewer: the C
    # library's, faster one at a time (docs/architecture.md). Each loop is written
    # out for both: one loop choosing its function per unit left tanh and softmax
    # unvectorised (128 units: 6.8 and 4.5 ns a unit against 1.0 and 1.4).
    wide = values.shape[0] >= VECTOR_UNITS
    if code == LOGISTIC:
        if wide:
            for i in range(values.shape[0]):
                values[i] = np.divide(1.0, 1.0 + exp(-values[i]))
        else:
            for i in range(values.shape[0]):
                values[i] = 1.0 / (1.0 + np.exp(-values[i]))
    elif code == TANH:
        if wide:
            for i in range(values.shape[0]):
                values[i] = tanh(values[i])
        else:
            for i in range(values.shape[0]):
                values[i] = np.tanh(values[i])
    elif code == RELU:
        for i in range(values.shape[0]):
            if values[i] < 0.0:
                values[i] = 0.0
    elif code == EXP:
        if wide:
            for i in range(values.shape[0]):
                values[i] = exp(values[i])
        else:
            for i in range(values.shape[0]):
                values[i] = np.exp(values[i])
    elif code == SOFTMAX:
        largest = values[0]
        for i in range(1, values.shape[0]):
            largest = max(largest, values[i])
        total = 0.0
        if wide:
            for i in range(values.shape[0]):
                values[i] = exp(values[i] - largest)
                total += values[i]
            for i in range(values.shape[0]):
                values[i] = np.divide(values[i], total)
        else:
            for i in range(values.shape[0]):
                values[i] = np.exp(values[i] - largest)
                total += values[i]
            for i in range(values.shape[0]):
                values[i] /= total


@njit(**inline_options)
def activate_rows(code, values):
    """:func:`activate` on every row of a 2-D (examples x units) array."""
    for r in range(values.shape[0]):
        activate(code, values[r])


@njit(**inline_options)
def derivative(code, out):
    """f'(net) of an element-wise activation, written in terms of its output o = f(net)."""
    if code == LOGISTIC:
        return out * (1.0 - out)
    if code == TANH:
        return 1.0 - out * out
    if code == RELU:
        return 1.0 if out > 0.0 else 0.0
    if code == EXP:
        return out
    return 1.0


@njit(**inline_options)
def unit_loss(loss_code, out_code, o, t, eps):
    """One output unit's loss: ``0.5 (t - o)^2``, its cross-entropy term ``-t log o``
    (and ``-(1 - t) log(1 - o)`` for a logistic unit), or its half Poisson deviance
    ``t log(t / o) - t + o``.

    Probabilities are clipped to ``[eps, 1 - eps]`` (``eps`` of their dtype), as
    scikit-learn does, so a saturated output gives a large finite loss rather than inf.
    """
    if loss_code == SQUARED_ERROR:
        diff = t - o
        return 0.5 * diff * diff
    if loss_code == LOG_LOSS:
        clipped = min(max(o, eps), 1.0 - eps)
        term = 0.0
        if t != 0.0:
            term -= t * np.log(clipped)
        if out_code == LOGISTIC and t != 1.0:
            term -= (1.0 - t) * np.log(1.0 - clipped)
        return term
    term = o - t  # POISSON
    if t != 0.0:  # t log(t / o) is 0 at t = 0 (scipy's xlogy)
        term += t * np.log(t / o)
    return term


@njit(**inline_options)
def example_loss(loss_code, out_code, out, target):
    """Loss of one example: the sum of its output units' :func:`unit_loss`."""
    eps = epsilon_of(out)
    total = 0.0
    for k in range(out.shape[0]):
        total += unit_loss(loss_code, out_code, out[k], target[k], eps)
    return total


# A running product of likelihoods is folded into the loss sum (one log) before it
# could leave float64's normal range: each factor is at least float32's eps.
SMALLEST_LIKELIHOOD = 1e-250


@njit(**inline_options)
def add_unit_loss(loss_code, out_code, o, t, weight, losses, eps):
    """One output unit's weighted loss added to the running ``losses``, a pair
    ``(total, likelihood)`` that starts at ``(0.0, 1.0)``.

    The loss so far is ``total - log(likelihood)`` (:func:`loss_sum`): a log-loss
    unit with a 0/1 target and unit weight multiplies its clipped probability into
    ``likelihood`` (float64), so a log is taken once per many examples, not once per
    example (docs/architecture.md); any other adds ``weight * unit_loss`` to
    ``total``. Returns the new pair.
    """
    total, likelihood = losses
    if loss_code == LOG_LOSS and weight == 1.0 and (t == 0.0 or t == 1.0):
        clipped = min(max(o, eps), 1.0 - eps)  # unit_loss's clip
        if out_code == LOGISTIC:
            likelihood *= clipped if t == 1.0 else 1.0 - clipped
        elif t == 1.0:
            likelihood *= clipped
        if likelihood < SMALLEST_LIKELIHOOD:
            total -= np.log(likelihood)
            likelihood = 1.0
        return total, likelihood
    return total + weight * unit_loss(loss_code, out_code, o, t, eps), likelihood


@njit(**inline_options)
def loss_sum(losses):
    """The summed loss of a running ``(total, likelihood)`` (:func:`add_unit_loss`)."""
    total, likelihood = losses
    return total - np.log(likelihood)


@njit(**inline_options)
def unit_delta(loss_code, out_code, o, t, weight):
    """dE/dnet of one output unit, times the example's weight.

    Squared error gives the seed's ``-(t - o) f'(net)``. Cross-entropy paired with its
    canonical output (logistic for binary, softmax for categorical) gives ``o - t``:
    the ``1 / (o (1 - o))`` of dE/do cancels f'(net). So does the Poisson deviance
    with its exp output: ``dE/do = 1 - t / o`` times ``f'(net) = o``.
    """
    if loss_code == SQUARED_ERROR:
        return weight * (o - t) * derivative(out_code, o)
    return weight * (o - t)


@njit(**inline_options)
def output_delta(loss_code, out_code, out, target, weight, delta):
    """dE/dnet of every output unit (:func:`unit_delta`), into ``delta``."""
    for k in range(out.shape[0]):
        delta[k] = unit_delta(loss_code, out_code, out[k], target[k], weight)


@njit(**llvm_inline_options)
def output_step(loss_code, out_code, out, target, weight, delta, losses):
    """The output layer's part of one example's step, given its outputs ``out``:
    writes each unit's :func:`unit_delta` into ``delta`` and returns the running
    ``losses`` with each unit's loss added (:func:`add_unit_loss`).

    One loop over the units for both: separate loops for the loss and the deltas
    (and a first one checking the targets) took 1.25x-1.3x as long per example on
    workloads A and B, 1.03x on D (docs/architecture.md). Inlined by LLVM, as
    :func:`activate`.
    """
    eps = epsilon_of(out)
    for k in range(out.shape[0]):
        o = out[k]
        t = target[k]
        delta[k] = unit_delta(loss_code, out_code, o, t, weight)
        losses = add_unit_loss(loss_code, out_code, o, t, weight, losses, eps)
    return losses
