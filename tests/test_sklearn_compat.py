"""scikit-learn citizenship: the estimator checks, and the tools users combine us with."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastbp import FastBPClassifier, FastBPRegressor, MLPClassifier, MLPRegressor

SAMPLE_WEIGHT_REASON = (
    "per-example SGD is not equivalent to repeating rows: an example of weight 2 takes "
    "one step of twice the size, a repeated row two steps (as for sklearn's SGD "
    "estimators)"
)


PARTIAL_FIT_EARLY_STOPPING_REASON = (
    "partial_fit refuses early_stopping=True on purpose (scikit-learn #25693): one batch "
    "has no held-out set to stop on, so these checks' partial_fit calls raise"
)


TOO_SMALL_TO_SPLIT_REASON = (
    "the check fits 10 examples; validation_fraction=0.1 holds out one, too few for an "
    "R^2 validation score, so fit raises a clear error (as scikit-learn's MLPRegressor)"
)


def expected_failed_checks(estimator):
    failures = {}
    if not estimator._by_weight and estimator.solver != "lbfgs":
        # scikit-learn's meaning (MLPClassifier, MLPRegressor) and the true
        # gradient of L-BFGS pass these checks.
        failures = {
            "check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_REASON,
            "check_sample_weight_equivalence_on_sparse_data": SAMPLE_WEIGHT_REASON,
        }
    if estimator.get_params().get("early_stopping"):
        for check in (
            "check_fit_score_takes_y",
            "check_n_features_in_after_fitting",
            "check_estimators_partial_fit_n_features",
        ):
            failures[check] = PARTIAL_FIT_EARLY_STOPPING_REASON
        if not isinstance(estimator, FastBPClassifier):
            for check in (
                "check_estimators_nan_inf",
                "check_regressors_no_decision_function",
                "check_fit2d_1feature",
            ):
                failures[check] = TOO_SMALL_TO_SPLIT_REASON
    return failures


class Float32Classifier(FastBPClassifier):
    """Converts every X to float32, so the checks run the float32 kernels."""

    _input_dtype = np.float32


class Float32Regressor(FastBPRegressor):
    """Converts every X to float32, so the checks run the float32 kernels."""

    _input_dtype = np.float32


ESTIMATORS = [
    FastBPClassifier(),
    FastBPRegressor(),
    Float32Classifier(),
    Float32Regressor(),
    FastBPClassifier(momentum=0.9),
    # Momentum mu multiplies the steady-state step by 1 / (1 - mu): a tenth of the
    # default rate keeps the effective step of the default regressor, which the
    # checks' unscaled targets need (at 10x it diverges on some random seeds).
    FastBPRegressor(momentum=0.9, learning_rate_init=1e-5),
    FastBPClassifier(early_stopping=True),
    FastBPRegressor(early_stopping=True),
    FastBPClassifier(solver="adam", batch_size="auto"),
    FastBPRegressor(solver="lbfgs"),
    MLPClassifier(),
    MLPRegressor(),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def small_classifier(**params):
    return FastBPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0, **params)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_in_grid_search(iris):
    X, y = iris
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", small_classifier())])
    search = GridSearchCV(
        pipe,
        {"mlp__hidden_layer_sizes": [(4,), (8,)], "mlp__learning_rate_init": [0.01, 0.03]},
        cv=3,
    )
    search.fit(X, y)
    assert set(search.best_params_) == {
        "mlp__hidden_layer_sizes",
        "mlp__learning_rate_init",
    }
    assert search.best_score_ > 0.85
    assert search.score(X, y) > 0.85


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_cross_val_score_and_clone(iris):
    X, y = iris
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", small_classifier())])
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8
    fitted = clone(pipe).fit(X, y)
    again = clone(fitted)
    assert not hasattr(again.named_steps["mlp"], "coefs_")
    assert again.get_params()["mlp__hidden_layer_sizes"] == (8,)
    np.testing.assert_array_equal(again.fit(X, y).predict(X), fitted.predict(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pickle_and_joblib_round_trips(iris, tmp_path, dtype):
    X, y = iris
    X = StandardScaler().fit_transform(X).astype(dtype)
    clf = small_classifier().fit(X, y)
    expected = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    # coefs_ are still views of the restored model's parameter vector.
    restored.coefs_[0][0, 0] += 1.0
    assert not np.array_equal(restored.predict_proba(X), expected)

    path = tmp_path / "model.joblib"
    joblib.dump(clf, path)
    for mmap_mode in (None, "r"):
        loaded = joblib.load(path, mmap_mode=mmap_mode)
        np.testing.assert_array_equal(loaded.predict_proba(X), expected)
        loaded.partial_fit(X, y)
        assert loaded.coefs_[0].dtype == dtype
        assert not np.array_equal(loaded.predict_proba(X), expected)
