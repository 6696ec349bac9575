"""fastbp.MLPClassifier / MLPRegressor against scikit-learn's, the oracle: the same
parameters and integer random_state give the same weights, losses and predictions."""

import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

import fastbp

RTOL = 1e-6  # on every weight, relative to the largest of its layer


def problem(kind, n=120, n_features=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    w = rng.normal(size=n_features)
    if kind == "binary":
        return X, np.where(X @ w > 0, "yes", "no")
    if kind == "multiclass":
        return X, np.digitize(X @ w, [-1.0, 0.0, 1.0])
    if kind == "multilabel":
        return X, (X[:, :3] + 0.3 * rng.normal(size=(n, 3)) > 0).astype(int)
    if kind == "regression":
        return X, np.column_stack([X @ w, np.tanh(X[:, 0])])
    return X, rng.poisson(np.exp(0.3 * X @ w / np.linalg.norm(w)))  # poisson


def pair(kind, **params):
    name = "MLPRegressor" if kind in ("regression", "poisson") else "MLPClassifier"
    if kind == "poisson":
        params["loss"] = "poisson"
    params = {"hidden_layer_sizes": (7, 5), "random_state": 0, **params}
    ours = getattr(fastbp, name)(**params)
    theirs = getattr(neural_network, name)(**params)
    return ours, theirs


def fitted(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


def assert_same_model(ours, theirs, X):
    for mine, reference in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_
    ):
        assert mine.shape == reference.shape
        scale = np.max(np.abs(reference))
        assert np.max(np.abs(mine - reference)) <= RTOL * scale
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.out_activation_ == theirs.out_activation_
    if hasattr(theirs, "loss_curve_"):
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
        assert ours.t_ == theirs.t_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    if hasattr(theirs, "predict_proba"):
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), 1e-6)
    else:
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6)


KINDS = ["binary", "multiclass", "multilabel", "regression", "poisson"]


@pytest.mark.parametrize("batch_size", [1, "auto"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", KINDS)
def test_stochastic_solvers_give_sklearns_model(kind, solver, batch_size):
    X, y = problem(kind)
    params = dict(solver=solver, batch_size=batch_size, max_iter=5)
    if solver == "sgd":
        params["learning_rate_init"] = 0.01
    ours, theirs = pair(kind, **params)
    assert_same_model(fitted(ours, X, y), fitted(theirs, X, y), X)


@pytest.mark.parametrize("kind", KINDS)
def test_lbfgs_gives_sklearns_iterates(kind):
    X, y = problem(kind)
    ours, theirs = pair(kind, solver="lbfgs", max_iter=15)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        ours.fit(X, y)
    assert_same_model(ours, fitted(theirs, X, y), X)
    assert not hasattr(ours, "partial_fit") and not hasattr(ours, "loss_curve_")


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam", batch_size=16),
        dict(solver="sgd", batch_size=16, learning_rate="invscaling", power_t=0.3),
        dict(solver="sgd", batch_size=1, learning_rate_init=0.01),
        dict(solver="adam", batch_size="auto", alpha=0.5),
    ],
)
@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_sample_weight_divides_each_batch_by_its_weight_sum(kind, params):
    # scikit-learn's meaning: a batch's gradient and L2 term over its weight sum;
    # with batch_size=1 and weights other than 1, fastbp runs its mini-batch kernel.
    X, y = problem(kind)
    weights = np.random.default_rng(1).uniform(0.2, 3.0, X.shape[0])
    ours, theirs = pair(kind, max_iter=4, **params)
    fitted(ours, X, y, sample_weight=weights)
    assert_same_model(ours, fitted(theirs, X, y, sample_weight=weights), X)


@pytest.mark.parametrize("batch_size", [1, 16])
def test_equal_sample_weights_other_than_one(batch_size):
    # Weights of 2 everywhere: per batch, scikit-learn divides by their sum, so the
    # L2 term's share halves; not the same as no weights at all.
    X, y = problem("binary")
    weights = np.full(X.shape[0], 2.0)
    ours, theirs = pair("binary", solver="sgd", batch_size=batch_size, max_iter=3,
                        alpha=0.1, learning_rate_init=0.01)  # fmt: skip
    fitted(ours, X, y, sample_weight=weights)
    assert_same_model(ours, fitted(theirs, X, y, sample_weight=weights), X)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_early_stopping_splits_and_restores_as_sklearn(kind):
    # The same held-out examples (binary y stratified), validation scores, stop and
    # restored best weights; n_iter_no_change small so that it does stop.
    X, y = problem(kind, n=200)
    params = dict(early_stopping=True, n_iter_no_change=2, max_iter=60, tol=0.02)
    ours, theirs = pair(kind, learning_rate_init=0.01, **params)
    fitted(ours, X, y)
    fitted(theirs, X, y)
    assert theirs.n_iter_ < 60  # it stopped early
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_and_warm_start_continue_as_sklearn(solver):
    # The optimiser state carries across partial_fit calls; a warm fit restarts it.
    X, y = problem("multiclass")
    ours, theirs = pair("multiclass", solver=solver, batch_size=10)
    for model in (ours, theirs):
        for start in (0, 40, 80):
            model.partial_fit(
                X[start : start + 40], y[start : start + 40], classes=[0, 1, 2, 3]
            )
    assert_same_model(ours, theirs, X)
    for model in (ours, theirs):
        model.set_params(warm_start=True, max_iter=3)
        fitted(model, X, y)
    assert_same_model(ours, theirs, X)


def test_float32_stays_float32_and_near_sklearn():
    X, y = problem("multiclass")
    X = X.astype(np.float32)
    ours, theirs = pair("multiclass", max_iter=5)
    fitted(ours, X, y)
    fitted(theirs, X, y)
    assert ours.coefs_[0].dtype == theirs.coefs_[0].dtype == np.float32
    for mine, reference in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(mine, reference, atol=1e-4 * np.abs(reference).max())


def test_signatures_and_defaults_are_sklearns():
    import inspect

    for name in ("MLPClassifier", "MLPRegressor"):
        ours = inspect.signature(getattr(fastbp, name)).parameters
        theirs = inspect.signature(getattr(neural_network, name)).parameters
        assert list(ours)[: len(theirs)] == list(theirs)
        assert list(ours)[len(theirs) :] == ["n_jobs"]
        for key, parameter in theirs.items():
            assert ours[key].default == parameter.default, key
            assert ours[key].kind == parameter.kind, key
    partial = inspect.signature(fastbp.MLPClassifier.partial_fit).parameters
    assert list(partial) == ["self", "X", "y", "sample_weight", "classes"]
    assert clone(fastbp.MLPClassifier(alpha=0.5)).get_params()["alpha"] == 0.5


def test_verbose_prints_sklearns_lines(capsys):
    X, y = problem("binary")
    ours, theirs = pair("binary", max_iter=3, verbose=True)
    fitted(theirs, X, y)
    expected = capsys.readouterr().out
    fitted(ours, X, y)
    assert capsys.readouterr().out == expected


@pytest.mark.parametrize("kind", ["binary", "regression"])
@pytest.mark.parametrize("batch_size", [1, 10])
def test_a_batch_whose_weights_sum_to_zero_raises_sklearns_error(kind, batch_size):
    # scikit-learn divides a batch's gradient by its weight sum and raises
    # ZeroDivisionError when it is zero; so does fastbp, saying what to change, and a
    # fitted model is left as it was.
    X, y = problem(kind, n=40)
    weights = np.ones(X.shape[0])
    weights[10:20] = 0.0
    ours, theirs = pair(kind, solver="sgd", batch_size=batch_size, shuffle=False,
                        max_iter=2)  # fmt: skip
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero"):
        fitted(theirs, X, y, sample_weight=weights)
    fitted(ours, X, y)
    before = [a.copy() for a in ours.coefs_ + ours.intercepts_]
    with pytest.raises(
        ZeroDivisionError, match=r"Weights sum to zero.*sample_weight.*batch_size"
    ):
        fitted(ours, X, y, sample_weight=weights)
    for kept, now in zip(before, ours.coefs_ + ours.intercepts_):
        np.testing.assert_array_equal(kept, now)
    assert ours.predict(X).shape[0] == X.shape[0]
