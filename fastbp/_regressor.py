"""FastBPRegressor: the regressor face of the kernels."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import column_or_1d

from ._base import _BaseFastBP
from ._docs import COMMON_DOC
from ._functions import HIDDEN_ACTIVATIONS


class FastBPRegressor(RegressorMixin, _BaseFastBP):
    (
        """Multilayer perceptron regressor trained by per-example backpropagation.

    A drop-in replacement for ``sklearn.neural_network.MLPRegressor(solver='sgd')``
    with squared error ``E = 1/2 sum_j (t_j - o_j)^2`` per example, or half the
    Poisson deviance ``E = sum_j t_j log(t_j / o_j) - t_j + o_j`` for counts and
    rates (``loss='poisson'``, as scikit-learn's, with exp outputs: a log link);
    multi-output y is supported.

    loss : {'squared_error', 'poisson'}, default='squared_error'
        'poisson' needs ``y >= 0``; its output deltas are ``o - t``, as the
        classifier's log-loss ones.
    out_activation : {'auto', 'identity', 'exp', 'logistic', 'tanh', 'relu'}, \
default='auto'
        Output transfer function: 'auto' is 'exp' for ``loss='poisson'`` (the only
        output it accepts) and 'identity' otherwise; other outputs bound the
        predictions.
    """
        + COMMON_DOC
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from fastbp import FastBPRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = FastBPRegressor(hidden_layer_sizes=(16,), random_state=0).fit(X, X.ravel())
    >>> reg.score(X, X.ravel()) > 0.9
    True
    """
    )

    _is_classifier = False

    _parameter_constraints = {
        **_BaseFastBP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
        "out_activation": [StrOptions({"auto", "exp", *HIDDEN_ACTIVATIONS})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="squared_error",
        out_activation="auto",
        alpha=0.0001,
        batch_size=1,
        learning_rate_init=0.0001,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        n_iter_no_change=10,
        momentum=0.0,
        nesterovs_momentum=True,
        learning_rate="constant",
        power_t=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_jobs=1,
        solver="sgd",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            loss=loss,
            out_activation=out_activation,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            n_iter_no_change=n_iter_no_change,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            learning_rate=learning_rate,
            power_t=power_t,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_jobs=n_jobs,
            solver=solver,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            max_fun=max_fun,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on (X, y) for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an example's loss gradient is multiplied by its
            weight (the L2 term is not).

        Returns
        -------
        self : FastBPRegressor
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_BaseFastBP._stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch over (X, y), continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : FastBPRegressor
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode_targets(self, y, first_pass, incremental, classes):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative, which is not allowed for "
                "loss='poisson': the Poisson deviance is defined for y >= 0. Use "
                "loss='squared_error' for targets that can be negative."
            )
        if first_pass:
            self._y_is_1d = y.ndim == 1
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _output_activation(self, n_outputs):
        if self.out_activation == "auto":
            return "exp" if self.loss == "poisson" else "identity"
        if self.loss == "poisson" and self.out_activation != "exp":
            raise ValueError(
                f"loss='poisson' needs out_activation='exp' (or 'auto'), got "
                f"{self.out_activation!r}: the Poisson deviance needs positive "
                "predictions, which the exp output (a log link) gives."
            )
        return self.out_activation

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._decode(self._forward(X))

    def _decode(self, outputs):
        """Network outputs -> predictions shaped like the y seen in fit."""
        return outputs.ravel() if self._y_is_1d else outputs
