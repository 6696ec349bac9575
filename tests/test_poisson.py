"""loss='poisson' for the regressor: half the Poisson deviance with exp outputs."""

import numpy as np
import pytest
from sklearn.metrics import d2_tweedie_score
from sklearn.neural_network import MLPRegressor

from fastbp import FastBPRegressor
from fastbp.gradcheck import check_gradients

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def counts():
    """Counts whose log-rate is linear in X (a Poisson GLM's data)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 4))
    rate = np.exp(0.5 + X @ np.array([0.6, -0.4, 0.3, 0.0]))
    return X, rng.poisson(rate).astype(float), rate


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_poisson_regressor_learns_the_rate(counts, seed):
    X, y, rate = counts
    reg = FastBPRegressor(
        (8,), loss="poisson", learning_rate_init=0.01, max_iter=30, random_state=seed
    ).fit(X, y)
    assert reg.out_activation_ == "exp"
    assert np.all(reg.predict(X) > 0)
    # Deviance explained (D^2 of the Poisson deviance; predicting the mean scores 0)
    # near what the true rate explains.
    best = d2_tweedie_score(y, rate, power=1)
    assert d2_tweedie_score(y, reg.predict(X), power=1) > 0.85 * best


@pytest.mark.parametrize("loss", ["poisson", "squared_error"])
def test_per_example_epoch_equals_sklearns(counts, loss):
    # From the same weights, one epoch of per-example SGD in order: scikit-learn's
    # MLPRegressor and fastbp take the same steps and report the same loss.
    X, y, _ = counts
    params = dict(
        hidden_layer_sizes=(5,), activation="tanh", loss=loss, alpha=1e-3,
        batch_size=1, learning_rate_init=0.01, shuffle=False, momentum=0.0,
    )  # fmt: skip
    theirs = MLPRegressor(solver="sgd", random_state=0, **params)
    theirs.partial_fit(X[:5], y[:5])  # allocates the weights
    ours = FastBPRegressor(**params).partial_fit(X[:5], y[:5])
    ours.coefs_ = theirs.coefs_
    ours.intercepts_ = theirs.intercepts_
    theirs.partial_fit(X, y)
    ours.partial_fit(X, y)
    for mine, sklearns in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_
    ):
        np.testing.assert_allclose(mine, sklearns, rtol=1e-10, atol=1e-12)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-10)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)


def test_poisson_gradients_match_finite_differences(counts):
    X, y, _ = counts
    reg = FastBPRegressor((4, 3), loss="poisson", alpha=0.01, max_iter=2).fit(X, y)
    assert check_gradients(reg, X[:20], y[:20]).max_error < 1e-6


def test_negative_targets_are_refused_and_the_model_kept(counts):
    X, y, _ = counts
    reg = FastBPRegressor((4,), loss="poisson", max_iter=2).fit(X, y)
    before = reg.coefs_[0].copy()
    with pytest.raises(
        ValueError, match="negative, which is not allowed for loss='poisson'"
    ):
        reg.partial_fit(X, y - 1.0)
    np.testing.assert_array_equal(reg.coefs_[0], before)
    assert reg.n_iter_ == 2


def test_poisson_needs_the_exp_output(counts):
    X, y, _ = counts
    with pytest.raises(ValueError, match="loss='poisson' needs out_activation='exp'"):
        FastBPRegressor(loss="poisson", out_activation="identity").fit(X, y)
    # exp is allowed with squared error too.
    reg = FastBPRegressor((4,), out_activation="exp", max_iter=2).fit(X, y)
    assert reg.out_activation_ == "exp"
