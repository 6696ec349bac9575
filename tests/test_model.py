"""fitted_network: the one accessor through which the tools read a fitted model."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from fastbp import FastBPClassifier, FastBPRegressor, fitted_network

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_fitted_network_reads_the_model_as_training_sees_it():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    clf = FastBPClassifier((5,), alpha=0.01, learning_rate="adaptive", max_iter=4)
    clf.fit(X, y, sample_weight=np.linspace(0.5, 1.5, 40))
    model = fitted_network(clf)
    assert model.layout.sizes == (3, 5, 3)
    assert model.theta.dtype == np.float64 and model.theta.shape == (model.layout.size,)
    # The weights as coefs_ / intercepts_ show them, in float64.
    for coef, intercept, layer in zip(clf.coefs_, clf.intercepts_, range(2)):
        np.testing.assert_array_equal(model.layout.weights(model.theta, layer), coef.T)
        np.testing.assert_array_equal(model.layout.biases(model.theta, layer), intercept)
    assert model.alpha == 0.01
    assert model.learning_rate == clf._progress.learning_rate
    # A copy: changing it leaves the model as it was.
    before = clf.predict_proba(X)
    model.theta[:] = 0.0
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    # The data as training sees it: float64 X, one-hot targets, the weights given.
    X64, Y, weights = model.objective_data(X, y, np.full(40, 2.0))
    assert X64.dtype == Y.dtype == weights.dtype == np.float64
    np.testing.assert_array_equal(Y, np.eye(3)[y])
    np.testing.assert_array_equal(weights, 2.0)


def test_fitted_network_refuses_an_unfitted_estimator():
    with pytest.raises(NotFittedError, match="not fitted"):
        fitted_network(FastBPRegressor())


def test_fitted_network_of_a_regressor_encodes_y_as_columns():
    X = np.linspace(-1, 1, 20).reshape(-1, 1)
    model = fitted_network(FastBPRegressor((3,), max_iter=2).fit(X, X.ravel()))
    assert model.layout.sizes == (1, 3, 1) and model.theta.shape == (10,)
    _, Y, weights = model.objective_data(X, X.ravel())
    assert Y.shape == (20, 1) and np.all(weights == 1.0)
