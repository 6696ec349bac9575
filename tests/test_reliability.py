"""Reliability: thread-safe prediction, and a fuzzer over shapes, dtypes and modes."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import HIDDEN, LOSS_OUTPUTS, make_problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastbp import FastBPClassifier, reference
from fastbp._functions import ACTIVATIONS
from fastbp._trainers import make_trainer, optimizer_state


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_predict_from_four_threads_matches_serial():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 20))
    y = rng.integers(0, 4, 3000)
    model = FastBPClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0).fit(X, y)
    chunks = np.array_split(X, 12)
    serial = [model.predict_proba(chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(model.predict_proba, chunks))
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is not a lottery
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    n_hidden=st.integers(0, 3),
    width=st.integers(1, 9),
    n_in=st.integers(1, 9),
    n_samples=st.integers(1, 30),
    hidden=st.sampled_from(HIDDEN),
    pair=st.sampled_from(LOSS_OUTPUTS),
    batch_size=st.integers(1, 12),
    dtype=st.sampled_from([np.float64, np.float32]),
    alpha=st.sampled_from([0.0, 1e-3]),
    rule=st.sampled_from(["sgd", "momentum", "adam"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_fuzz_kernels_match_reference(
    n_hidden, width, n_in, n_samples, hidden, pair, batch_size, dtype, alpha, rule, seed
):
    # Adam with an epsilon of 1e-3: with 1e-8 its first step is sign(g) * lr, and the
    # sign of a gradient that is zero but for rounding differs between float32 and
    # float64.
    momentum = 0.5 if rule == "momentum" else 0.0
    rng = np.random.default_rng(seed)
    loss, out = pair
    n_out = max(2, width % 4 + 1) if out == "softmax" else width % 3 + 1
    sizes = (n_in, *[width] * n_hidden, n_out)
    network, theta, X, Y, sample_weight = make_problem(
        rng, sizes, hidden, loss, out, n_samples=n_samples, dtype=dtype
    )
    order = rng.permutation(n_samples).astype(np.int64)
    names = {code: name for name, code in ACTIVATIONS.items()}
    layout = network.layout
    params = [
        (
            layout.weights(theta, k).astype(np.float64),
            layout.biases(theta, k).astype(np.float64),
        )
        for k in range(layout.n_weight_layers)
    ]
    velocity_ref = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    adam = None
    if rule == "adam":
        zeros = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
        adam = {"t": 0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-3, "m": zeros,
                "v": [(W.copy(), b.copy()) for W, b in zeros]}  # fmt: skip
    expected, _, _ = reference.epoch(
        params,
        X.astype(np.float64),
        Y.astype(np.float64),
        order,
        sample_weight.astype(np.float64),
        hidden,
        names[network.out_code],
        loss,
        0.01,
        alpha,
        batch_size,
        momentum=momentum,
        nesterov=True,
        velocity=velocity_ref,
        adam=adam,
    )
    trained = theta.copy()
    state = optimizer_state(
        "adam" if rule == "adam" else "sgd", trained, momentum=momentum, nesterov=True,
        epsilon=1e-3, learning_rate=0.01,
    )  # fmt: skip
    loss_value = make_trainer(
        network, trained, X, Y, sample_weight, batch_size, 0.01, alpha, state
    )(order)
    assert np.isfinite(loss_value)
    flat = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in expected])
    scale = np.max(np.abs(flat))
    tolerance = 1e-10 if dtype == np.float64 else 1e-4
    assert np.max(np.abs(trained - flat)) <= tolerance * scale + (
        0 if dtype == np.float64 else 1e-6
    )
