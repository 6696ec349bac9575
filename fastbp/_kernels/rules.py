"""The update rules: how one parameter moves, given its step. One home for each.

Every kernel updates a parameter ``w`` through these functions, with the plain step
``g = learning_rate * dE/dw`` (for a batch, its mean) and the L2 term folded in as
``decay = 1 - learning_rate * alpha`` (biases: ``decay = 1``). They take and return
scalars only, so inlining them into a per-example loop costs nothing. The lazy decay
of the block and sparse kernels (:mod:`fastbp._kernels.lazy_decay`) is the SGD rule
in scaled coordinates.
"""

from numba import njit

from .._functions import inline_options


@njit(**inline_options)
def sgd_update(w, decay, g):
    """Plain SGD, the seed notes' rule with L2: ``w <- decay * w - g``."""
    return decay * w - g


@njit(**inline_options)
def momentum_update(w, m, u, mu, keep, lookahead):
    """Momentum SGD (scikit-learn's rules); returns ``(w, m)`` after the step.

    ``u = g + (1 - decay) * w`` is the whole plain step. The velocity becomes
    ``m <- mu * m - u`` and the weight ``w <- w + keep * m - lookahead * u``:
    ``keep = 1, lookahead = 0`` is classical momentum, ``keep = mu, lookahead = 1``
    Nesterov's (:class:`fastbp._kernels.conventions.Momentum`).
    """
    m = mu * m - u
    return w + keep * m - lookahead * u, m
