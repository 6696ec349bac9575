"""Backpropagated gradients against central finite differences."""

from functools import partial

import numpy as np
import pytest
from conftest import HIDDEN, LOSS_OUTPUTS, make_problem

from fastbp import FastBPClassifier, FastBPRegressor, _objective, reference
from fastbp._functions import ACTIVATIONS
from fastbp.gradcheck import check_gradients


def numeric_gradient(function, theta, *args, epsilon=1e-6):
    """Central differences of ``function(theta, *args)``."""
    result = np.empty_like(theta)
    probe = theta.copy()
    for k in range(theta.size):
        probe[k] = theta[k] + epsilon
        above = function(probe, *args)
        probe[k] = theta[k] - epsilon
        below = function(probe, *args)
        probe[k] = theta[k]
        result[k] = (above - below) / (2 * epsilon)
    return result


@pytest.mark.parametrize("loss,out", LOSS_OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_kernel_gradient_matches_finite_differences(rng, hidden, loss, out):
    for n_hidden in range(4):
        n_out = 3 if out == "softmax" else 2
        sizes = (3, *[4] * n_hidden, n_out)
        network, theta, X, Y, sample_weight = make_problem(
            rng, sizes, hidden, loss, out, n_samples=1
        )
        data = (X, Y, sample_weight, 0.01)
        analytic = _objective.gradient(network, theta, *data)
        numeric = numeric_gradient(partial(_objective.value, network), theta, *data)
        np.testing.assert_allclose(
            analytic, numeric, rtol=1e-5, atol=1e-7 * np.abs(numeric).max()
        )


@pytest.mark.parametrize("loss,out", LOSS_OUTPUTS)
def test_reference_gradient_matches_finite_differences(rng, loss, out):
    n_out = 3 if out == "softmax" else 2
    network, theta, X, Y, _ = make_problem(
        rng, (3, 5, 4, n_out), "tanh", loss, out, n_samples=1
    )
    layout = network.layout
    names = {code: name for name, code in ACTIVATIONS.items()}

    def params(t):
        return [
            (layout.weights(t, k), layout.biases(t, k))
            for k in range(layout.n_weight_layers)
        ]

    grads, _ = reference.gradients(
        params(theta), X[0], Y[0], "tanh", names[network.out_code], loss
    )
    analytic = np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in grads])
    numeric = numeric_gradient(
        lambda t: reference.loss(
            loss,
            names[network.out_code],
            reference.forward(params(t), X[0], "tanh", names[network.out_code])[-1],
            Y[0],
        ),
        theta,
    )
    np.testing.assert_allclose(
        analytic, numeric, rtol=1e-5, atol=1e-7 * np.abs(numeric).max()
    )


@pytest.mark.parametrize("activation", HIDDEN)
def test_check_gradients_on_estimators(activation):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 4))
    y = rng.integers(0, 3, 12)
    clf = FastBPClassifier(
        hidden_layer_sizes=(5, 3), activation=activation, alpha=0.1, random_state=0
    ).partial_fit(X, y, classes=[0, 1, 2])
    result = check_gradients(clf, X[:1], y[:1])
    assert len(result.coef_errors) == len(result.intercept_errors) == 3
    assert result.max_error < 1e-6
    reg = FastBPRegressor(
        hidden_layer_sizes=(6,), activation=activation, random_state=0
    ).partial_fit(X, X[:, :2])
    assert check_gradients(reg, X, X[:, :2], sample_weight=np.arange(12.0)).max_error < 1e-6


def test_check_gradients_detects_a_wrong_gradient(monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 3))
    reg = FastBPRegressor(
        hidden_layer_sizes=(4,), activation="tanh", random_state=0
    ).partial_fit(X, X[:, 0])
    right = _objective.gradient
    monkeypatch.setattr(_objective, "gradient", lambda *a: 1.01 * right(*a))
    assert check_gradients(reg, X[:1], X[:1, 0]).max_error > 1e-3


def test_check_gradients_of_float32_model_runs_in_float64():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, 3)).astype(np.float32)
    clf = FastBPClassifier(hidden_layer_sizes=(4,), random_state=0).partial_fit(
        X, [0, 1] * 3, classes=[0, 1]
    )
    assert clf.coefs_[0].dtype == np.float32
    result = check_gradients(clf, X[:2], [0, 1])
    assert result.analytic.dtype == np.float64
    assert result.max_error < 1e-6
