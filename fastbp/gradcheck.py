"""Analytic gradients against central finite differences, for any fastbp network."""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from . import _objective
from .model import fitted_network


@dataclass
class GradientCheck:
    """Result of :func:`check_gradients`.

    Attributes
    ----------
    analytic : ndarray
        Backpropagated gradient, flat in the model's parameter layout.
    numeric : ndarray
        Central finite-difference gradient, same layout.
    coef_errors : list of float
        Per layer, ``max |analytic - numeric| / max(max |analytic|, max |numeric|)``
        over the layer's weights (the denominator is at least 1e-6 times the largest
        entry of the whole gradient).
    intercept_errors : list of float
        The same over each layer's biases.
    """

    analytic: np.ndarray
    numeric: np.ndarray
    coef_errors: list
    intercept_errors: list

    @property
    def max_error(self):
        """The largest relative error of any layer's weights or biases."""
        return max(self.coef_errors + self.intercept_errors)


def _relative_error(analytic, numeric, floor):
    # ``floor`` keeps a layer whose gradient is exactly zero (an all-zero input row)
    # from dividing finite-difference round-off by zero.
    scale = max(np.max(np.abs(analytic)), np.max(np.abs(numeric)), floor)
    if scale == 0.0:
        return 0.0
    return float(np.max(np.abs(analytic - numeric)) / scale)


def check_gradients(estimator, X, y, *, sample_weight=None, epsilon=1e-6):
    """Compare a model's backpropagated gradient with central finite differences.

    The function differentiated is the training objective of one batch made of the
    rows given, at the estimator's current weights:
    ``J = (1/n) sum_i s_i E_i + alpha / (2n) ||W||^2``. Pass a single row for the
    per-example gradient of stochastic backpropagation. Everything is computed in
    float64, whatever the model's dtype.

    Parameters
    ----------
    estimator : FastBPClassifier or FastBPRegressor
        A fitted estimator (``partial_fit`` on a few rows is enough to initialise one).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), default=None
    epsilon : float, default=1e-6
        Step of the central differences
        ``(J(theta + eps e_k) - J(theta - eps e_k)) / (2 eps)``.

    Returns
    -------
    GradientCheck
        Per-layer relative errors and both gradients.

    Examples
    --------
    >>> import numpy as np
    >>> from fastbp import FastBPClassifier
    >>> from fastbp.gradcheck import check_gradients
    >>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); y = [0, 1, 1, 0]
    >>> clf = FastBPClassifier(hidden_layer_sizes=(3,), activation="tanh",
    ...                        max_iter=1, random_state=0).partial_fit(X, y, classes=[0, 1])
    >>> check_gradients(clf, X[:1], y[:1]).max_error < 1e-6
    True
    """
    model = fitted_network(estimator)
    network = model.network
    X, Y, sample_weight = model.objective_data(X, y, sample_weight)
    if sparse.issparse(X):
        X = X.toarray()  # finite differences are for small data: dense is fine
    theta = model.theta
    alpha = model.alpha

    analytic = _objective.gradient(network, theta, X, Y, sample_weight, alpha)
    numeric = np.empty_like(theta)
    probe = theta.copy()
    for k in range(theta.size):
        probe[k] = theta[k] + epsilon
        above = _objective.value(network, probe, X, Y, sample_weight, alpha)
        probe[k] = theta[k] - epsilon
        below = _objective.value(network, probe, X, Y, sample_weight, alpha)
        probe[k] = theta[k]
        numeric[k] = (above - below) / (2.0 * epsilon)

    layout = network.layout
    floor = 1e-6 * float(np.max(np.abs(analytic)))
    coef_errors, intercept_errors = [], []
    for layer in range(layout.n_weight_layers):
        coef_errors.append(
            _relative_error(
                layout.weights(analytic, layer), layout.weights(numeric, layer), floor
            )
        )
        intercept_errors.append(
            _relative_error(
                layout.biases(analytic, layer), layout.biases(numeric, layer), floor
            )
        )
    return GradientCheck(analytic, numeric, coef_errors, intercept_errors)
