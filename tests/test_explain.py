"""explain_step: every number checked against the kernel's step and the seed's rules."""

import numpy as np
import pytest
from scipy.special import expit

from fastbp import FastBPClassifier, FastBPRegressor
from fastbp.explain import explain_step
from fastbp.reference import f

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])

CASES = [
    # the seed's XOR net: sigmoid units, squared error
    (FastBPClassifier, {"hidden_layer_sizes": (2,), "activation": "logistic",
                        "loss": "squared_error"}, "xor"),
    (FastBPClassifier, {"hidden_layer_sizes": (4, 3), "activation": "tanh"}, "three"),
    (FastBPRegressor, {"hidden_layer_sizes": (3,), "activation": "relu"}, "values"),
]  # fmt: skip


def problem(kind):
    rng = np.random.default_rng(0)
    if kind == "xor":
        return XOR_X, XOR_Y
    X = rng.normal(size=(30, 4))
    if kind == "three":
        return X, rng.integers(0, 3, 30)
    return X, np.column_stack([X[:, 0], X[:, 1] - X[:, 2]])


@pytest.mark.parametrize("cls,params,kind", CASES)
def test_explained_step_is_the_kernels_step(cls, params, kind):
    X, y = problem(kind)
    model = cls(alpha=0.01, max_iter=3, random_state=0, learning_rate_init=0.1, **params)
    model.fit(X, y)
    theta = model._theta.copy()
    result = explain_step(model, X[1], y[1])
    np.testing.assert_array_equal(model._theta, theta)  # the model is not changed
    # The same step by training: partial_fit on that one example.
    trained = model.__class__(**model.get_params()).set_params(shuffle=False)
    trained.__dict__.update({k: v for k, v in vars(model).items() if k != "_theta"})
    trained._theta = theta.copy()
    trained.partial_fit(X[1:2], y[1:2])
    for after, expected in zip(result.coefs_after, trained.coefs_):
        np.testing.assert_allclose(after, expected, rtol=0, atol=1e-12)
    for after, expected in zip(result.intercepts_after, trained.intercepts_):
        np.testing.assert_allclose(after, expected, rtol=0, atol=1e-12)
    assert result.loss == pytest.approx(trained.loss_curve_[-1] - model.alpha / 2 * sum(
        float(np.sum(c * c)) for c in model.coefs_), rel=1e-10)  # fmt: skip


@pytest.mark.parametrize("cls,params,kind", CASES)
def test_explained_quantities_follow_the_seed_notes(cls, params, kind):
    X, y = problem(kind)
    model = cls(alpha=0.01, max_iter=3, random_state=0, learning_rate_init=0.1, **params)
    model.fit(X, y)
    result = explain_step(model, X[2], y[2])
    lr, alpha = result.learning_rate, result.alpha
    assert len(result.layers) == len(model.coefs_)
    np.testing.assert_array_equal(result.layers[0].inputs, X[2])
    for k, step in enumerate(result.layers):
        # net_j = b_j + sum_i w_ji o_i and o_j = f(net_j)
        np.testing.assert_allclose(
            step.net, step.inputs @ step.coef_before + step.intercept_before, rtol=1e-12
        )
        if step.activation != "softmax":
            np.testing.assert_allclose(step.out, f(step.activation, step.net), rtol=1e-12)
        if k + 1 < len(result.layers):
            np.testing.assert_array_equal(result.layers[k + 1].inputs, step.out)
        # dE/dw_ji = delta_j o_i; w <- w - lr (dE/dw + alpha w); b <- b - lr delta
        np.testing.assert_allclose(step.coef_gradient, np.outer(step.inputs, step.delta))
        np.testing.assert_allclose(
            step.coef_after,
            step.coef_before - lr * (step.coef_gradient + alpha * step.coef_before),
            rtol=0,
            atol=1e-12,
        )
        np.testing.assert_allclose(
            step.intercept_after, step.intercept_before - lr * step.delta, atol=1e-12
        )
    # Hidden deltas: f'(net_j) sum_k w_kj delta_k with the old weights w_kj.
    for below, above in zip(result.layers[:-1], result.layers[1:]):
        np.testing.assert_allclose(
            below.delta, below.slope * (above.coef_before @ above.delta), rtol=1e-12
        )
    out = result.layers[-1]
    if result.loss_name == "squared_error":
        np.testing.assert_allclose(
            out.delta, -(result.target - out.out) * out.slope, rtol=1e-12
        )
    else:
        np.testing.assert_allclose(out.delta, out.out - result.target, rtol=1e-12)


def test_xor_step_by_hand():
    # The seed's network, one step computed here by hand from its weights.
    model = FastBPClassifier(
        hidden_layer_sizes=(2,), activation="logistic", loss="squared_error",
        learning_rate_init=0.5, alpha=0.0, max_iter=1, random_state=0,
    ).fit(XOR_X, XOR_Y)  # fmt: skip
    (W1, W2), (b1, b2) = model.coefs_, model.intercepts_
    x, t = XOR_X[1], 1.0
    h = expit(x @ W1 + b1)
    o = expit(h @ W2 + b2)
    delta_out = -(t - o) * o * (1 - o)
    delta_hidden = h * (1 - h) * (W2 @ delta_out)
    result = explain_step(model, x, 1)
    np.testing.assert_allclose(result.layers[1].delta, delta_out, rtol=1e-12)
    np.testing.assert_allclose(result.layers[0].delta, delta_hidden, rtol=1e-12)
    np.testing.assert_allclose(
        result.coefs_after[0], W1 - 0.5 * np.outer(x, delta_hidden), atol=1e-12
    )
    assert result.loss == pytest.approx(0.5 * float((t - o[0]) ** 2), rel=1e-12)
    text = str(result)
    for piece in ("Forward pass", "net_j = b_j + sum_i w_ji o_i", "o_j = f(net_j)",
                  "delta_j = -(t_j - o_j) f'(net_j)", "sum_k w_kj delta_k",
                  "dE/dw_ji = delta_j o_i", "weights after"):  # fmt: skip
        assert piece in text
    assert f"{result.loss:.8g}" in text


def test_unfitted_and_sparse_examples():
    from scipy.sparse import csr_matrix
    from sklearn.exceptions import NotFittedError

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(NotFittedError):
        explain_step(FastBPClassifier(hidden_layer_sizes=(3,)), X[0], y[0])
    model = FastBPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    model.fit(X, y)
    dense = explain_step(model, X[0], y[0])
    for row in (csr_matrix(X[:1]), csr_matrix(X)[0], X[:1]):
        step = explain_step(model, row, y[0])
        assert step.loss == dense.loss
        for ours, theirs in zip(step.coefs_after, dense.coefs_after):
            np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match="one example"):
        explain_step(model, X[:2], y[0])
