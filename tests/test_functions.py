import math

import numba
import numpy as np
import pytest
from numba import njit
from scipy.special import expit, softmax
from sklearn.metrics import log_loss

from fastbp import _functions as F


@njit(cache=False)
def run_activate(code, values):
    F.activate(code, values)
    return values


@njit(cache=False)
def run_derivative(code, outs):
    result = np.empty_like(outs)
    for i in range(outs.shape[0]):
        result[i] = F.derivative(code, outs[i])
    return result


@njit(cache=False)
def run_loss(loss_code, out_code, out, target):
    return F.example_loss(loss_code, out_code, out, target)


NET = np.array([-800.0, -3.0, -0.5, 0.0, 0.25, 2.0, 40.0])
EXPECTED = {
    "identity": NET,
    "logistic": expit(NET),
    "tanh": np.tanh(NET),
    "relu": np.maximum(NET, 0),
    "softmax": softmax(NET),
    "exp": np.exp(NET),
}


def expected(name, net):
    with np.errstate(over="ignore"):
        return {
            "identity": net, "logistic": expit(net), "tanh": np.tanh(net),
            "relu": np.maximum(net, 0), "softmax": softmax(net), "exp": np.exp(net),
        }[name]  # fmt: skip


# Narrow layers take the C library's exp, layers of VECTOR_UNITS or more _exp.exp.
WIDE = np.concatenate([NET, NET * 0.37, [1e-3, -709.0, 709.0, 745.5, -745.5]])


@pytest.mark.parametrize("net", [NET, WIDE], ids=["narrow", "wide"])
@pytest.mark.parametrize("name", list(F.ACTIVATIONS))
def test_activations(name, net):
    assert (len(net) >= F.VECTOR_UNITS) == (net is WIDE)
    values = net[2:] if name == "softmax" and net is WIDE else net  # no inf in a sum
    np.testing.assert_allclose(
        run_activate(F.ACTIVATIONS[name], values.copy()),
        expected(name, values),
        rtol=1e-14,
        atol=1e-300,
    )


@pytest.mark.parametrize("name", ["logistic", "tanh", "exp", "softmax"])
def test_wide_layers_keep_nan_and_inf_visible(name):
    net = np.linspace(-2.0, 2.0, 2 * F.VECTOR_UNITS)
    net[3] = np.nan
    out = run_activate(F.ACTIVATIONS[name], net.copy())
    assert np.isnan(out[3])
    net[3] = np.inf
    out = run_activate(F.ACTIVATIONS[name], net.copy())
    assert {"logistic": out[3] == 1.0, "tanh": out[3] == 1.0, "exp": out[3] == np.inf,
            "softmax": np.isnan(out).all()}[name]  # fmt: skip


@pytest.mark.parametrize("name", [*F.HIDDEN_ACTIVATIONS, "exp"])
def test_derivative_from_output_matches_numerical(name):
    net = np.array([-2.0, -0.3, 0.4, 1.7])
    code = F.ACTIVATIONS[name]
    eps = 1e-6
    numeric = (run_activate(code, net + eps) - run_activate(code, net - eps)) / (2 * eps)
    outs = run_activate(code, net.copy())
    np.testing.assert_allclose(run_derivative(code, outs), numeric, rtol=1e-8)


def test_losses_follow_sklearn_conventions():
    o = np.array([0.2, 0.7, 0.1])
    t = np.array([0.0, 1.0, 0.0])
    assert run_loss(F.SQUARED_ERROR, F.IDENTITY, o, t) == pytest.approx(
        0.5 * np.sum((t - o) ** 2)
    )
    assert run_loss(F.LOG_LOSS, F.SOFTMAX, o, t) == pytest.approx(-np.log(0.7))
    binary = sum(log_loss([ti], [oi], labels=[0, 1]) for oi, ti in zip(o, t))
    assert run_loss(F.LOG_LOSS, F.LOGISTIC, o, t) == pytest.approx(binary)
    # Half the Poisson deviance, as sklearn's (t log(t / o) is 0 at t = 0).
    from sklearn.neural_network._base import poisson_loss

    counts = np.array([0.0, 3.0, 1.0])
    assert run_loss(F.POISSON, F.EXP, o, counts) == pytest.approx(
        poisson_loss(counts[None], o[None]), rel=1e-14
    )
    # Saturated outputs are clipped: a large but finite loss.
    saturated = run_loss(F.LOG_LOSS, F.LOGISTIC, np.array([1.0]), np.array([0.0]))
    assert np.isfinite(saturated) and saturated > 30


def test_fastmath_keeps_nan_and_inf_visible():
    assert "nnan" not in F.FASTMATH and "ninf" not in F.FASTMATH
    out = run_activate(F.TANH, np.array([np.nan, np.inf]))
    assert np.isnan(out[0]) and out[1] == 1.0


@njit(cache=False)
def run_activate_rows(code, values):
    F.activate_rows(code, values)
    return values


@pytest.mark.parametrize("name", list(F.ACTIVATIONS))
def test_activate_rows_applies_to_each_row(name):
    rows = run_activate_rows(F.ACTIVATIONS[name], np.vstack([NET, NET[::-1]]))
    np.testing.assert_allclose(rows[0], EXPECTED[name], rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(rows[1], EXPECTED[name][::-1], rtol=1e-14, atol=1e-300)


@njit(cache=False)
def run_output_steps(loss_code, out_code, outs, targets, weights):
    """The running loss of output_step over every example, and its deltas."""
    losses = (0.0, 1.0)
    deltas = np.empty_like(outs)
    for i in range(outs.shape[0]):
        losses = F.output_step(
            loss_code, out_code, outs[i], targets[i], weights[i], deltas[i], losses
        )
    return F.loss_sum(losses), deltas


def run_loss_sum(loss_code, out_code, outs, targets, weights):
    return run_output_steps(loss_code, out_code, outs, targets, weights)[0]


@njit(cache=False)
def run_loss_terms(loss_code, out_code, outs, targets, weights):
    terms = np.empty(outs.shape[0])
    for i in range(outs.shape[0]):
        terms[i] = weights[i] * F.example_loss(loss_code, out_code, outs[i], targets[i])
    return terms


def loss_cases(rng, n, dtype):
    """(name, loss code, out code, outs, targets, weights) the kernels meet."""
    logits = rng.normal(scale=6.0, size=(n, 3))
    binary = expit(logits[:, :1])
    binary[:3] = [[0.0], [1.0], [1e-300]]  # saturated: clipped to [eps, 1 - eps]
    labels = rng.integers(0, 2, size=(n, 3)).astype(float)
    one_hot = np.eye(3)[rng.integers(0, 3, n)]
    ones = np.ones(n)
    weights = rng.uniform(0.0, 3.0, n)
    weights[::2] = 1.0
    soft = rng.uniform(size=(n, 1))
    soft[::3] = np.round(soft[::3])
    counts = rng.poisson(2.0, size=(n, 3)).astype(float)
    cases = [
        ("binary", F.LOG_LOSS, F.LOGISTIC, binary, labels[:, :1], ones),
        ("multilabel", F.LOG_LOSS, F.LOGISTIC, expit(logits), labels, ones),
        ("softmax", F.LOG_LOSS, F.SOFTMAX, softmax(logits, axis=1), one_hot, ones),
        ("weighted", F.LOG_LOSS, F.SOFTMAX, softmax(logits, axis=1), one_hot, weights),
        ("soft targets", F.LOG_LOSS, F.LOGISTIC, binary, soft, weights),
        ("squared error", F.SQUARED_ERROR, F.IDENTITY, logits, labels, weights),
        ("poisson", F.POISSON, F.EXP, np.exp(logits), counts, weights),
    ]
    return [
        (name, loss, out, o.astype(dtype), t.astype(dtype), s.astype(dtype))
        for name, loss, out, o, t, s in cases
    ]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_running_loss_sum_equals_the_sum_of_example_losses(dtype):
    # 5,000 examples: the log-loss's running likelihood falls below
    # SMALLEST_LIKELIHOOD and is folded into the total several times.
    rng = np.random.default_rng(3)
    for name, loss, out, o, t, s in loss_cases(rng, 5000, dtype):
        terms = run_loss_terms(loss, out, o, t, s)
        assert np.all(np.isfinite(terms)), name
        assert run_loss_sum(loss, out, o, t, s) == pytest.approx(
            math.fsum(terms), rel=1e-12 if dtype == np.float64 else 1e-6
        ), name
    # The fold happened: the binary case alone loses far more than
    # -log(SMALLEST_LIKELIHOOD) nats.
    name, loss, out, o, t, s = loss_cases(rng, 5000, dtype)[0]
    assert run_loss_sum(loss, out, o, t, s) > 5 * -np.log(F.SMALLEST_LIKELIHOOD)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_output_step_writes_the_weighted_output_deltas(dtype):
    # dE/dnet times the weight: (o - t) f'(net) for squared error, o - t for each
    # loss with its canonical output (the 1 / f'(net) of dE/do cancels).
    rng = np.random.default_rng(4)
    for name, loss, out, o, t, s in loss_cases(rng, 50, dtype):
        slope = o * (1.0 - o) if out == F.LOGISTIC else np.ones_like(o)
        if loss != F.SQUARED_ERROR:
            slope = np.ones_like(o)
        expected = s[:, None] * (o - t) * slope
        deltas = run_output_steps(loss, out, o, t, s)[1]
        np.testing.assert_allclose(deltas, expected, rtol=1e-6, err_msg=name)


@njit(cache=False)
def run_epsilon(values):
    return F.epsilon_of(values)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_epsilon_of_is_finfo_eps_in_the_arrays_dtype(dtype):
    values = np.zeros(3, dtype=dtype)
    eps = run_epsilon(values)  # boxed as a Python float: check the compiled type
    assert eps == np.finfo(dtype).eps
    kind = numba.from_dtype(values.dtype)
    (signature,) = [s for s in run_epsilon.nopython_signatures if s.args[0].dtype == kind]
    assert signature.return_type == kind
    assert F.epsilon_of(values) == eps and type(F.epsilon_of(values)) is dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_loss_clips_at_the_dtypes_epsilon(dtype):
    # A certain wrong answer costs -log(eps) of the outputs' dtype, as sklearn's log_loss.
    out = np.array([0.0], dtype=dtype)
    target = np.array([1.0], dtype=dtype)
    loss = run_loss(F.LOSSES["log_loss"], F.ACTIVATIONS["logistic"], out, target)
    assert loss == pytest.approx(-np.log(np.finfo(dtype).eps), rel=1e-6)
