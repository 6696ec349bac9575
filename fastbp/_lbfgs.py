"""The 'lbfgs' solver: scipy's L-BFGS-B on the full-batch loss the kernels compute."""

import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from ._objective import Objective


def minimize(network, theta, X, Y, sample_weight, *, alpha, divisor, max_iter,
             max_fun, tol, verbose, data_loss_scale=1.0):  # fmt: skip
    """Minimise the training objective from ``theta`` (updated in place) by L-BFGS-B.

    scikit-learn's options: at most ``max_iter`` iterations and ``max_fun`` loss
    evaluations, stopping when the largest gradient component is at most ``tol``
    (``gtol``). The objective is :class:`fastbp._objective.Objective` with
    ``divisor`` (rows, or the weight sum for scikit-learn's meaning) and
    ``data_loss_scale``; ``sample_weight`` None is unit weights. Warns as
    scikit-learn does when L-BFGS stops without converging.

    Returns
    -------
    n_iter : int
        Iterations run (at most ``max_iter``).
    loss : float
        The objective at the final theta.
    """
    objective = Objective(
        network, X, Y, sample_weight, alpha, divisor, theta.dtype, data_loss_scale
    )
    callback = None
    if verbose:
        # scipy >= 1.11 passes an OptimizeResult to a callback whose parameter has
        # this name.

        def callback(intermediate_result):
            callback.iteration += 1
            print(f"Iteration {callback.iteration}, loss = {intermediate_result.fun:.8f}")

        callback.iteration = 0
    result = scipy.optimize.minimize(
        objective,
        theta.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
    if result.status != 0:
        message = result.message
        if isinstance(message, bytes):
            message = message.decode("latin1")
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iteration(s) "
            f"(status={result.status}):\n{message}\n\nIncrease the number of "
            f"iterations (max_iter={max_iter}) or max_fun={max_fun}, or scale the data "
            "(e.g. StandardScaler).",
            ConvergenceWarning,
            stacklevel=4,
        )
    theta[:] = result.x
    return min(int(result.nit), max_iter), float(result.fun)
