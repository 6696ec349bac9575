"""The update rules: how one parameter moves, given its step. One home for each.

Every kernel updates a parameter ``w`` through these functions, with the plain step
``g = learning_rate * dE/dw`` (for a batch, its mean) and the L2 term folded in as
``decay = 1 - learning_rate * alpha`` (biases: ``decay = 1``). They take and return
scalars only, so inlining them into a per-example loop costs nothing. The lazy decay
of the block and sparse kernels (:mod:`fastbp._kernels.lazy_decay`) is the SGD rule
in scaled coordinates.
"""

from numba import njit

from .._functions import jit_options


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
