"""A fitted estimator's network, as fastbp's tools read it: one documented accessor.

:mod:`fastbp.landscape`, :mod:`fastbp.gradcheck` and :mod:`fastbp.explain` reach a
fitted model only through :func:`fitted_network`; so can any tool of your own.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FittedNetwork:
    """What a fitted FastBPClassifier or FastBPRegressor has learned, and how.

    Attributes
    ----------
    network : fastbp._network.Network
        The layer layout (``network.layout``: sizes, and where each layer's weights
        and biases live in ``theta``) and the activation and loss codes.
    theta : ndarray
        A float64 copy of the flat parameter vector (changing it changes nothing).
    alpha : float
        The L2 penalty of the training objective.
    learning_rate : float
        The step size the estimator's next epoch would take.
    """

    network: object
    theta: np.ndarray
    alpha: float
    learning_rate: float
    _estimator: object

    @property
    def layout(self):
        """``network.layout``: sizes and offsets of the layers in ``theta``."""
        return self.network.layout

    def objective_data(self, X, y, sample_weight=None):
        """``(X, Y, weights)`` in float64 as training sees them.

        ``X`` validated against the fitted features (dense or CSR), ``y`` encoded as
        the output targets, and the example weights (``sample_weight``, times
        ``class_weight`` for a classifier): what the training objective
        (:mod:`fastbp._objective`) is evaluated on.
        """
        return self._estimator._objective_data(X, y, sample_weight)


def fitted_network(estimator):
    """The fitted network of a fastbp estimator.

    Parameters
    ----------
    estimator : fitted FastBPClassifier or FastBPRegressor

    Returns
    -------
    FittedNetwork

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator has not been fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from fastbp import FastBPRegressor, fitted_network
    >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
    >>> model = fitted_network(FastBPRegressor((3,), max_iter=2).fit(X, X.ravel()))
    >>> model.layout.sizes, model.theta.shape
    ((1, 3, 1), (10,))
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    network, theta = estimator._fitted_model()
    return FittedNetwork(
        network=network,
        theta=theta.astype(np.float64),
        alpha=float(estimator.alpha),
        learning_rate=float(estimator._progress.learning_rate),
        _estimator=estimator,
    )
