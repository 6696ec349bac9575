"""The update rules: how one parameter moves, given its step. One home for each.

Every kernel updates a parameter ``w`` through these functions, with the plain step
``g = learning_rate * dE/dw`` (for a batch, its mean) and the L2 term folded in as
``decay = 1 - learning_rate * alpha`` (biases: ``decay = 1``). They take and return
scalars only, so inlining them into a per-example loop costs nothing. The lazy decay
of the block and sparse kernels (:mod:`fastbp._kernels.lazy_decay`) is the SGD rule
in scaled coordinates.

A kernel's ``optimizer`` argument is None (plain SGD, :func:`sgd_update`), a
:class:`~fastbp._kernels.conventions.Momentum` or an
:class:`~fastbp._kernels.conventions.Adam`. Kernels call the optimiser through
:func:`state_rows`, :func:`step_weight` and :func:`begin_update`, which Numba
resolves by the state's type when it compiles the kernel (``numba.extending.
overload``): one kernel source serves every optimiser, and each compiled variant
holds only its own rule.
"""

import numpy as np
from numba import njit, types
from numba.extending import overload

from .._functions import jit_options
from .conventions import Adam, Momentum


@njit(**jit_options)
def sgd_update(w, decay, g):
    """Plain SGD, the seed notes' rule with L2: ``w <- decay * w - g``."""
    return decay * w - g


@njit(**jit_options)
def momentum_velocity(m, u, mu):
    """Momentum SGD's velocity after the step: ``m <- mu * m - u``.

    ``u = g + (1 - decay) * w`` is the whole plain step.
    """
    return mu * m - u


@njit(**jit_options)
def momentum_weight(w, m, u, keep, lookahead):
    """Momentum SGD's weight after the step, given the new velocity ``m``:
    ``w <- w + keep * m - lookahead * u`` (scikit-learn's rules: ``keep = 1,
    lookahead = 0`` is classical momentum, ``keep = mu, lookahead = 1`` Nesterov's;
    :class:`fastbp._kernels.conventions.Momentum`)."""
    return w + keep * m - lookahead * u


@njit(**jit_options)
def adam_moment(moment, value, beta):
    """Adam's moving mean: ``moment <- beta * moment + (1 - beta) * value`` (for the
    second moment, ``value = g ** 2``)."""
    return beta * moment + (1.0 - beta) * value


@njit(**jit_options)
def adam_weight(w, m, v, rate, epsilon):
    """Adam's weight after the step: ``w <- w - rate * m / (sqrt(v) + epsilon)``,
    ``rate`` the bias-corrected step size of this update."""
    return w + -rate * m / (np.sqrt(v) + epsilon)


@njit(**jit_options)
def adam_rate(learning_rate, beta_1, beta_2, t):
    """The step size of update ``t`` (from 1) with Adam's bias correction,
    ``learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)`` (float64)."""
    return learning_rate * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)


def _kind(optimizer):
    """Momentum, Adam or None: the optimiser a Numba type stands for."""
    if isinstance(optimizer, types.NoneType):
        return None
    kind = getattr(optimizer, "instance_class", None)
    if kind not in (Momentum, Adam):
        raise TypeError(f"not an optimiser state: {optimizer}")
    return kind


def state_rows(optimizer, start, stop):
    """The optimiser's per-parameter state for ``theta[start:stop]``, as slices."""
    raise NotImplementedError("only in compiled code")


@overload(state_rows, inline="always")
def _state_rows(optimizer, start, stop):
    if _kind(optimizer) is Momentum:
        return lambda optimizer, start, stop: (
            optimizer.velocity[start:stop],
            optimizer.velocity[start:stop],
        )
    if _kind(optimizer) is Adam:
        return lambda optimizer, start, stop: (
            optimizer.first[start:stop],
            optimizer.second[start:stop],
        )


def step_weight(optimizer, rows, i, w, u):
    """Parameter ``i`` of ``rows`` (:func:`state_rows`) after its plain step ``u``:
    returns the new weight and updates the state in place.

    The implementations index ``rows[0][i]``: an inlined overload that unpacks a
    tuple argument (``first, second = rows``) and assigns into the unpacked arrays
    loses the writes in Numba 0.68 (docs/architecture.md, "Numba rules").

    ``u`` is the whole plain step, ``g + (1 - decay) * w``: for momentum the step
    times the learning rate, for Adam (whose kernels step with learning rate 1) the
    gradient itself.
    """
    raise NotImplementedError("only in compiled code")


@overload(step_weight, inline="always")
def _step_weight(optimizer, rows, i, w, u):
    if _kind(optimizer) is Momentum:

        def momentum_step(optimizer, rows, i, w, u):
            m = momentum_velocity(rows[0][i], u, optimizer.mu)
            rows[0][i] = m
            return momentum_weight(w, m, u, optimizer.keep, optimizer.lookahead)

        return momentum_step
    if _kind(optimizer) is Adam:

        def adam_step(optimizer, rows, i, w, u):
            m = adam_moment(rows[0][i], u, optimizer.beta_1)
            v = adam_moment(rows[1][i], u * u, optimizer.beta_2)
            rows[0][i] = m
            rows[1][i] = v
            return adam_weight(w, m, v, optimizer.rate[0], optimizer.epsilon)

        return adam_step


def begin_update(optimizer):
    """Start one update of every parameter (an example's, or a batch's): Adam counts
    it and sets its bias-corrected step size; the other rules have nothing to do."""
    raise NotImplementedError("only in compiled code")


@overload(begin_update, inline="always")
def _begin_update(optimizer):
    if _kind(optimizer) is Adam:

        def adam_begin(optimizer):
            t = optimizer.updates[0] + 1
            optimizer.updates[0] = t
            optimizer.rate[0] = adam_rate(
                optimizer.learning_rate, optimizer.beta_1, optimizer.beta_2, t
            )

        return adam_begin
    return lambda optimizer: None
