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
:func:`state_rows`, :func:`step_weight`, :func:`keeps_second` and
:func:`begin_update`, which Numba resolves by the state's type when it compiles the
kernel (``numba.extending.overload``): one kernel source serves every optimiser, and
each compiled variant holds only its own rule. Their implementations are functions
of their own that LLVM inlines (``llvm_inline_options``), not Numba IR inlined at
each call site: the momentum and Adam first fits compiled 1-2.5 s faster so
(docs/architecture.md).
"""

import numpy as np
from numba import njit, types
from numba.extending import overload

from .._functions import jit_options, llvm_inline_options
from .conventions import Adam, AdamRule, Momentum, MomentumRule


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


@njit(error_model="numpy", **jit_options)
def adam_weight(w, m, v, rate, epsilon):
    """Adam's weight after the step: ``w <- w - rate * m / (sqrt(v) + epsilon)``,
    ``rate`` the bias-corrected step size of this update.

    ``error_model='numpy'``: Python's check for a zero divisor (never zero here)
    keeps LLVM from vectorising the loops this is inlined into (5.3x per weight).
    """
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
    """The optimiser's state for ``theta[start:stop]``: ``(first, second, rule)``,
    two slices (momentum: the velocity twice) and the scalars of its rule
    (:class:`~fastbp._kernels.conventions.MomentumRule` or ``AdamRule``).

    Callers unpack it outside their loops and pass :func:`step_weight` scalars only:
    an array (or the state itself) passed into an inlined call inside a loop costs
    reference counting per element, which keeps LLVM from vectorising the loop
    (Adam's step, 4096 weights: 5.1 ns per weight so, 2.4 ns with scalars).
    """
    raise NotImplementedError("only in compiled code")


@overload(state_rows, jit_options=llvm_inline_options)
def _state_rows(optimizer, start, stop):
    if _kind(optimizer) is Momentum:
        return lambda optimizer, start, stop: (
            optimizer.velocity[start:stop],
            optimizer.velocity[start:stop],
            MomentumRule(optimizer.mu, optimizer.keep, optimizer.lookahead),
        )
    if _kind(optimizer) is Adam:
        return lambda optimizer, start, stop: (
            optimizer.first[start:stop],
            optimizer.second[start:stop],
            AdamRule(
                optimizer.beta_1,
                optimizer.beta_2,
                optimizer.epsilon,
                optimizer.first.dtype.type(optimizer.rate[0]),
            ),
        )


def step_weight(rule, m, v, w, u):
    """A parameter's step by ``rule`` (from :func:`state_rows`), given its state
    ``m, v`` and its whole plain step ``u = g + (1 - decay) * w``: returns the new
    ``(w, m, v)`` for the caller to store (momentum: ``v`` is ``m``).

    ``u`` is the step times the learning rate for momentum, and for Adam (whose
    kernels step with learning rate 1) the gradient itself.
    """
    raise NotImplementedError("only in compiled code")


@overload(step_weight, jit_options=llvm_inline_options)
def _step_weight(rule, m, v, w, u):
    kind = getattr(rule, "instance_class", None)
    if kind is MomentumRule:

        def momentum_step(rule, m, v, w, u):
            m = momentum_velocity(m, u, rule.mu)
            return momentum_weight(w, m, u, rule.keep, rule.lookahead), m, m

        return momentum_step
    if kind is AdamRule:

        def adam_step(rule, m, v, w, u):
            m = adam_moment(m, u, rule.beta_1)
            v = adam_moment(v, u * u, rule.beta_2)
            return adam_weight(w, m, v, rule.rate, rule.epsilon), m, v

        return adam_step
    raise TypeError(f"not an update rule: {rule}")


def keeps_second(rule):
    """Whether the caller stores :func:`step_weight`'s ``v`` (Adam), or not
    (momentum: the second slice is the velocity again). A constant once compiled:
    the store of a rule that has none is compiled out, and with it the two aliased
    slices that made LLVM's vectorised loop fall back to scalar code (momentum
    epochs 1.5x slower)."""
    raise NotImplementedError("only in compiled code")


@overload(keeps_second, jit_options=llvm_inline_options)
def _keeps_second(rule):
    if getattr(rule, "instance_class", None) is AdamRule:
        return lambda rule: True
    return lambda rule: False


def begin_update(optimizer):
    """Start one update of every parameter (an example's, or a batch's): Adam counts
    it and sets its bias-corrected step size; the other rules have nothing to do."""
    raise NotImplementedError("only in compiled code")


@overload(begin_update, jit_options=llvm_inline_options)
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
