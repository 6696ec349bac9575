"""Activations and losses: name -> integer code tables and their njit primitives.

Numba kernels cannot look functions up in a dict, so every activation and loss has an
integer code, and the primitives below dispatch on it. As in scikit-learn's
``neural_network/_base.py``, derivatives are written in terms of the activation's
*output* ``o``, so a kernel only needs to keep the outputs of the forward pass.
"""

import numpy as np
from numba import njit

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

# Kernels are compiled lazily, on first use, and cached on disk.
jit_options = {"cache": True, "nogil": True, "fastmath": FASTMATH}
inline_options = {"cache": True, "nogil": True, "fastmath": FASTMATH, "inline": "always"}


@njit(**inline_options)
def activate(code, values):
    """Apply the activation ``code`` to one example's net inputs ``values``, in place.

    Inlined: as a call, it measured slower on the delta rule once it grew the exp
    branch (docs/architecture.md).
    """
    if code == LOGISTIC:
        for i in range(values.shape[0]):
            values[i] = 1.0 / (1.0 + np.exp(-values[i]))
    elif code == TANH:
        for i in range(values.shape[0]):
            values[i] = np.tanh(values[i])
    elif code == RELU:
        for i in range(values.shape[0]):
            if values[i] < 0.0:
                values[i] = 0.0
    elif code == EXP:
        for i in range(values.shape[0]):
            values[i] = np.exp(values[i])
    elif code == SOFTMAX:
        largest = values[0]
        for i in range(1, values.shape[0]):
            largest = max(largest, values[i])
        total = 0.0
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
def example_loss(loss_code, out_code, out, target):
    """Loss of one example: ``0.5 * sum (t - o)^2``, the (binary) cross-entropy, or
    half the Poisson deviance ``sum t log(t / o) - t + o``.

    Probabilities are clipped to ``[eps, 1 - eps]`` of their dtype, as scikit-learn
    does, so a saturated output gives a large finite loss rather than inf.
    """
    total = 0.0
    if loss_code == SQUARED_ERROR:
        for k in range(out.shape[0]):
            diff = target[k] - out[k]
            total += 0.5 * diff * diff
        return total
    if loss_code == LOG_LOSS:
        eps = np.finfo(out.dtype).eps
        for k in range(out.shape[0]):
            o = min(max(out[k], eps), 1.0 - eps)
            if target[k] != 0.0:
                total -= target[k] * np.log(o)
            if out_code == LOGISTIC and target[k] != 1.0:
                total -= (1.0 - target[k]) * np.log(1.0 - o)
        return total
    for k in range(out.shape[0]):  # POISSON
        if target[k] != 0.0:  # t log(t / o) is 0 at t = 0 (scipy's xlogy)
            total += target[k] * np.log(target[k] / out[k])
        total += out[k] - target[k]
    return total


# A running product of likelihoods is folded into the loss sum (one log) before it
# could leave float64's normal range: each factor is at least float32's eps.
SMALLEST_LIKELIHOOD = 1e-250


@njit(**inline_options)
def add_example_loss(loss_code, out_code, out, target, weight, losses):
    """One example's weighted loss added to the running ``losses``, a pair
    ``(total, likelihood)`` that starts at ``(0.0, 1.0)``.

    The loss so far is ``total - log(likelihood)`` (:func:`loss_sum`): a log-loss
    example with 0/1 targets and unit weight multiplies its clipped probabilities
    into ``likelihood`` (float64), so a log is taken once per many examples, not
    once per example (docs/architecture.md); any other example adds ``weight *
    example_loss`` to ``total``. Returns the new pair.
    """
    total, likelihood = losses
    if loss_code == LOG_LOSS and weight == 1.0 and _zero_or_one(target):
        eps = np.finfo(out.dtype).eps
        for k in range(out.shape[0]):
            o = min(max(out[k], eps), 1.0 - eps)  # example_loss's clip
            if out_code == LOGISTIC:
                likelihood *= o if target[k] == 1.0 else 1.0 - o
            elif target[k] == 1.0:
                likelihood *= o
            if likelihood < SMALLEST_LIKELIHOOD:
                total -= np.log(likelihood)
                likelihood = 1.0
        return total, likelihood
    return total + weight * example_loss(loss_code, out_code, out, target), likelihood


@njit(**inline_options)
def _zero_or_one(target):
    """True if every target of an example is 0 or 1."""
    for k in range(target.shape[0]):
        if target[k] != 0.0 and target[k] != 1.0:
            return False
    return True


@njit(**inline_options)
def loss_sum(losses):
    """The summed loss of a running ``(total, likelihood)`` (:func:`add_example_loss`)."""
    total, likelihood = losses
    return total - np.log(likelihood)


@njit(**inline_options)
def output_delta(loss_code, out_code, out, target, weight, delta):
    """dE/dnet at the output layer, times the example's weight, into ``delta``.

    Squared error gives the seed's ``-(t - o) f'(net)``. Cross-entropy paired with its
    canonical output (logistic for binary, softmax for categorical) gives ``o - t``:
    the ``1 / (o (1 - o))`` of dE/do cancels f'(net). So does the Poisson deviance
    with its exp output: ``dE/do = 1 - t / o`` times ``f'(net) = o``.
    """
    if loss_code == SQUARED_ERROR:
        for k in range(out.shape[0]):
            delta[k] = weight * (out[k] - target[k]) * derivative(out_code, out[k])
    else:
        for k in range(out.shape[0]):
            delta[k] = weight * (out[k] - target[k])
