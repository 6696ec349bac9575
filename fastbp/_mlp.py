"""MLPClassifier and MLPRegressor: scikit-learn's MLP, trained by fastbp's kernels.

A literal import swap for ``sklearn.neural_network``: the same constructor
signatures and defaults, methods, fitted attributes, meanings, and (given an integer
``random_state``) the same numbers. They are fastbp estimators with
:class:`_SklearnRules` where fastbp's own estimators differ from scikit-learn's.
"""

from numbers import Integral
from types import SimpleNamespace

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if

from ._base import _BaseFastBP
from ._classifier import FastBPClassifier
from ._early_stopping import sklearn_validation_split
from ._kernels.conventions import Adam
from ._network import init_theta_sklearn
from ._regressor import FastBPRegressor
from ._training import TrainingDiverged


class _SklearnRules:
    """scikit-learn's rules where fastbp's own estimators have others."""

    _by_weight = True  # a batch's gradient divided by its weight sum
    _verbose_lines = "sklearn"
    out_activation = "auto"  # not a parameter of scikit-learn's MLP

    def _generator(self):
        # A RandomState made from random_state on every call, as scikit-learn's
        # _fit: the same draws in the same order (weights, split, shuffles).
        return check_random_state(self.random_state)

    def _initial_theta(self, layout, dtype, rng):
        return init_theta_sklearn(layout, dtype, rng, self._network.hidden_code)

    def _validation_split(self, X, y, Y, sample_weight, rng):
        return sklearn_validation_split(self, X, y, Y, sample_weight, rng)

    def _data_loss_scale(self, n_outputs):
        # scikit-learn's squared error averages over the outputs.
        return 1.0 / n_outputs if self.loss == "squared_error" else 1.0

    def _progress_of_call(self, incremental):
        # scikit-learn keeps the plateau count across warm-started fits.
        count = self._progress.no_improvement_count
        progress = super()._progress_of_call(incremental)
        progress.no_improvement_count = count
        return progress

    def _commit(self, theta, optimizer, progress, epochs, incremental):
        super()._commit(theta, optimizer, progress, epochs, incremental)
        self.n_iter_ = epochs  # scikit-learn counts the epochs of this call only

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        try:
            return super()._fit(X, y, sample_weight, incremental, classes)
        except TrainingDiverged as error:
            raise TrainingDiverged(
                "Solver produced non-finite parameter weights. The input data may "
                f"contain large values and need to be preprocessed. ({error})",
                error.kept_epochs,
            ) from None

    # scikit-learn's private state, as far as code (its own tests among it) reads it.

    @property
    def _no_improvement_count(self):
        return self._fitted_progress().no_improvement_count

    @property
    def _optimizer(self):
        """The optimiser's current ``learning_rate`` (Adam's: its last update's)."""
        state = self.__dict__.get("_optimizer_state")
        if isinstance(state, Adam) and state.updates[0] > 0:
            return SimpleNamespace(learning_rate=float(state.rate[0]))
        return SimpleNamespace(learning_rate=self._fitted_progress().learning_rate)

    def _fitted_progress(self):
        self._fitted_model()  # AttributeError if unfitted
        return self._progress


_SKLEARN_CONSTRAINTS = {
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")]
}

_SHARED_DOC = """
    Parameters and attributes are scikit-learn's (see
    ``sklearn.neural_network.{name}``), with its defaults: ``solver='adam'``,
    ``batch_size='auto'`` (``min(200, n_samples)``), ``learning_rate_init=0.001``,
    ``momentum=0.9``. Given an integer ``random_state``, a fit draws the same initial
    weights, validation split and shuffles as scikit-learn's, and trains by the same
    rules (sample weights divide each batch's gradient by its weight sum), so
    ``coefs_``, ``intercepts_`` and ``loss_curve_`` agree with scikit-learn's to
    rounding. One more parameter, fastbp's:

    n_jobs : int or None, default=1
        Threads of per-example SGD or Adam (``batch_size=1``): more than 1 runs
        Hogwild! (not bit-reproducible). Mini-batches ignore it.
"""


class MLPClassifier(_SklearnRules, FastBPClassifier):
    __doc__ = (
        """scikit-learn's ``MLPClassifier``, trained by fastbp's Numba kernels.
"""
        + _SHARED_DOC.format(name="MLPClassifier")
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastbp import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(max_iter=30, random_state=0).fit(X / 16, y)
    >>> clf.score(X / 16, y) > 0.95
    True
    """
    )

    _parameter_constraints = {
        **FastBPClassifier._parameter_constraints,
        **_SKLEARN_CONSTRAINTS,
    }
    loss = "log_loss"  # not parameters of scikit-learn's MLPClassifier
    class_weight = None
    _min_classes = 1

    def _encode_targets(self, y, first_pass, incremental, classes):
        if not first_pass and not self._multilabel:
            found = np.unique(y)
            if self.warm_start and set(found) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in "
                    f"the previous call to fit. Previously got {self.classes_}, `y` "
                    f"has {found}"
                )
        return super()._encode_targets(y, first_pass, incremental, classes)

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        n_jobs=1,
    ):
        _set_params(self, locals())

    @available_if(_BaseFastBP._stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single iteration over the given data
        (scikit-learn's ``partial_fit``, its argument order).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array of shape (n_classes,), default=None
            Every class, required on the first call.

        Returns
        -------
        self : MLPClassifier
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)


class MLPRegressor(_SklearnRules, FastBPRegressor):
    __doc__ = (
        """scikit-learn's ``MLPRegressor``, trained by fastbp's Numba kernels.
"""
        + _SHARED_DOC.format(name="MLPRegressor")
        + """
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from fastbp import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1, random_state=0)
    >>> reg = MLPRegressor(max_iter=500, random_state=0).fit(X, y / 100)
    >>> reg.score(X, y / 100) > 0.9
    True
    """
    )

    _parameter_constraints = {
        **FastBPRegressor._parameter_constraints,
        **_SKLEARN_CONSTRAINTS,
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        n_jobs=1,
    ):
        _set_params(self, locals())


def _set_params(estimator, arguments):
    """Store a constructor's arguments as they are (scikit-learn's convention)."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)
