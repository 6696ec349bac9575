"""scikit-learn's MLP behaviours that an SGD-only trainer must share.

The ideas of scikit-learn's ``neural_network/tests/test_mlp.py`` that apply to
per-example SGD, written for fastbp (L-BFGS, Adam and Poisson tests have no
counterpart). Where fastbp deliberately differs, the test says how.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import fastbp
from fastbp import FastBPClassifier, FastBPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits_binary():
    X, y = load_digits(n_class=2, return_X_y=True)
    return X[:100] / 16.0, y[:100]


def test_larger_alpha_gives_smaller_weights(digits_binary):
    X, y = digits_binary
    sums = []
    for alpha in (0.0, 0.1):
        clf = FastBPClassifier(
            hidden_layer_sizes=10, alpha=alpha, max_iter=30, random_state=1
        )
        clf.fit(X, y)
        sums.append([np.abs(c).sum() for c in clf.coefs_])
    assert (np.array(sums[0]) > np.array(sums[1])).all()


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_learning_rate_after_warm_starts(schedule):
    X = [[3.0, 2.0], [1.0, 6.0], [5.0, 6.0], [-2.0, -4.0]]
    y = [1, 1, 1, 0]
    clf = FastBPClassifier(
        hidden_layer_sizes=4,
        learning_rate=schedule,
        max_iter=1,
        power_t=0.25,
        warm_start=True,
    )
    clf.fit(X, y)
    clf.fit(X, y)
    # Each fit starts at learning_rate_init; invscaling then follows the examples seen
    # over both fits (t_ = 8), as scikit-learn's optimiser does.
    expected = 0.01 if schedule == "constant" else 0.01 / (8 + 1) ** 0.25
    assert clf.t_ == 8
    assert clf._progress.learning_rate == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
@pytest.mark.parametrize("batch_size", [1, "full"])
@pytest.mark.parametrize(
    "controls",
    [
        {},
        {"momentum": 0.9},
        {"momentum": 0.5, "nesterovs_momentum": False},
        {"learning_rate": "invscaling"},
    ],
)
def test_partial_fit_epochs_equal_fit_epochs(iris, cls, batch_size, controls):
    X, y = iris
    if cls is FastBPRegressor:
        y = X[:, 0] - 0.5 * X[:, 1]
        X = X[:, 1:]
    params = {
        "hidden_layer_sizes": (6,),
        "batch_size": batch_size,
        "shuffle": False,
        "random_state": 1,
        "learning_rate_init": 0.01,
        "n_iter_no_change": np.inf,
        **controls,
    }
    fitted = cls(max_iter=12, **params).fit(X, y)
    online = cls(**params)
    for _ in range(12):
        if cls is FastBPClassifier:
            online.partial_fit(X, y, classes=np.unique(y))
        else:
            online.partial_fit(X, y)
    # The same epochs, so the same weights, bit for bit (velocity and step size carry
    # over between partial_fit calls as they do between epochs).
    np.testing.assert_array_equal(online._theta, fitted._theta)
    np.testing.assert_array_equal(online.loss_curve_, fitted.loss_curve_)
    assert online.n_iter_ == fitted.n_iter_ == 12 and online.t_ == fitted.t_


def test_partial_fit_with_declared_string_classes():
    clf = FastBPClassifier(random_state=0)
    clf.partial_fit([[1.0], [2.0], [3.0]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    clf.partial_fit([[4.0]], ["d"])
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c", "d"])
    assert clf.predict_proba([[1.0]]).shape == (1, 4)
    assert set(clf.predict([[1.0], [4.0]])) <= {"a", "b", "c", "d"}


def test_huge_inputs_diverge_with_a_clear_error():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    reg = FastBPRegressor()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(fastbp.TrainingDiverged, match=r"epoch 1:.*scale X"):
            reg.fit(X, y)
    assert not hasattr(reg, "coefs_")  # nothing finite was trained: still unfitted


def test_large_tol_stops_before_max_iter(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = FastBPClassifier(max_iter=3000, tol=0.5, random_state=0).fit(X, y)
    assert clf.n_iter_ < 3000


def test_infinite_n_iter_no_change_runs_max_iter(digits_binary):
    X, y = digits_binary
    clf = FastBPClassifier(
        hidden_layer_sizes=5, tol=1e9, n_iter_no_change=np.inf, max_iter=40
    )
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        clf.fit(X, y)
    assert clf.n_iter_ == 40
    # Every epoch after the first failed to beat the best loss by tol.
    assert clf._progress.no_improvement_count == 39


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
def test_early_stopping_records_one_score_per_epoch(iris, cls):
    X, y = iris
    model = cls(early_stopping=True, random_state=0, max_iter=300, learning_rate_init=0.01)
    model.fit(X, y)
    assert len(model.validation_scores_) == len(model.validation_loss_curve_)
    assert len(model.validation_scores_) == model.n_iter_ == len(model.loss_curve_)
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_loss_ is None
    # Stopped on the rule: no gain of tol for more than n_iter_no_change epochs.
    assert model.n_iter_ < 300
    best = int(np.argmax(model.validation_scores_))
    assert model.n_iter_ - 1 - best > model.n_iter_no_change


def test_early_stopping_with_string_labels(iris):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = FastBPClassifier(early_stopping=True, random_state=0, max_iter=50).fit(X, labels)
    assert clf.score(X, labels) > 0.8
    assert set(clf.predict(X)) <= set(labels)


def test_early_stopping_falls_back_to_a_plain_split_for_rare_classes():
    # scikit-learn raises when a class has one member (its split is always
    # stratified); fastbp stratifies when it can and otherwise splits plainly.
    X = [[1.0, 2.0], [2.0, 3.0], [3.0, 4.0], [4.0, 5.0]]
    y = [0, 0, 0, 1]
    clf = FastBPClassifier(early_stopping=True, validation_fraction=0.25, random_state=0)
    clf.fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_


def test_regressor_refuses_a_single_validation_example():
    X, y = make_regression(n_samples=2, n_features=5, random_state=0)
    with pytest.raises(ValueError, match="too few for an R\\^2 validation score"):
        FastBPRegressor(early_stopping=True, random_state=0).fit(X, y)


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
def test_warm_start_with_early_stopping_extends_the_validation_record(iris, cls):
    X, y = iris
    model = cls(max_iter=10, random_state=0, warm_start=True, early_stopping=True)
    model.fit(X, y)
    first = list(model.validation_scores_)
    model.set_params(max_iter=20)
    model.fit(X, y)
    assert model.validation_scores_[: len(first)] == first
    assert len(model.validation_scores_) > len(first)
    assert len(model.validation_scores_) == len(model.loss_curve_)
    assert model.best_validation_score_ == max(model.validation_scores_)


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
def test_warm_start_runs_and_warns_at_each_max_iter(iris, cls):
    # scikit-learn #24764: a warm start must stop at max_iter, and say so.
    X, y = iris
    model = cls(warm_start=True, max_iter=10, n_iter_no_change=np.inf, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert model.n_iter_ == 10
    model.set_params(max_iter=20)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert model.n_iter_ == 20 and len(model.loss_curve_) == 30


def test_warm_start_classes(iris):
    X, y = iris
    clf = FastBPClassifier(
        hidden_layer_sizes=2, warm_start=True, random_state=42, max_iter=3
    )
    clf.fit(X, y)
    clf.fit(X[y < 2], y[y < 2])  # a subset of the classes is fine (scikit-learn refuses)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    with pytest.raises(ValueError, match=r"not seen before.*warm_start=False"):
        clf.fit(X, np.where(y == 2, 3, y))


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
def test_unit_sample_weight_equals_none_with_early_stopping(cls):
    X, y = make_regression(n_samples=100, n_features=2, n_informative=2, random_state=42)
    X = StandardScaler().fit_transform(X)
    y = y / y.std() if cls is FastBPRegressor else (y > 0)
    params = {"hidden_layer_sizes": 10, "early_stopping": True, "batch_size": 10}
    params |= {"learning_rate_init": 0.01, "random_state": 42}
    weighted = cls(**params).fit(X, y, sample_weight=np.ones_like(y, dtype=float))
    plain = cls(**params).fit(X, y)
    np.testing.assert_array_equal(weighted.predict(X), plain.predict(X))
    assert weighted.validation_scores_ == plain.validation_scores_


UNIT_WEIGHT_FITS = {
    "per-example SGD": (FastBPClassifier, {}),
    "per-example momentum": (FastBPClassifier, {"momentum": 0.9}),
    "per-example adam, sparse X": (FastBPClassifier, {"solver": "adam", "sparse": True}),
    "mini-batch, early stopping": (
        FastBPRegressor,
        {"batch_size": 16, "early_stopping": True},
    ),
    "sklearn's adam": (fastbp.MLPClassifier, {}),
    "sklearn's sgd, early stopping": (
        fastbp.MLPClassifier,
        {"solver": "sgd", "early_stopping": True},
    ),
    "sklearn's lbfgs": (fastbp.MLPClassifier, {"solver": "lbfgs"}),
    "lbfgs regressor": (fastbp.MLPRegressor, {"solver": "lbfgs"}),
}


@pytest.mark.parametrize("case", UNIT_WEIGHT_FITS)
def test_no_sample_weight_fits_as_weights_of_one(case):
    # No sample_weight means unit weights with no array behind them (the kernels read an
    # empty one as 1): every solver must train exactly as with weights of one.
    cls, params = UNIT_WEIGHT_FITS[case]
    params = dict(params)
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16.0, y[:300]
    if params.pop("sparse", False):
        from scipy import sparse

        X = sparse.csr_matrix(X)
    if cls in (FastBPRegressor, fastbp.MLPRegressor):
        y = y / 9.0
    params |= {"hidden_layer_sizes": (8,), "max_iter": 4, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = cls(**params).fit(X, y)
        ones = cls(**params).fit(X, y, sample_weight=np.ones(X.shape[0]))
    for a, b in zip(plain.coefs_ + plain.intercepts_, ones.coefs_ + ones.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert getattr(plain, "loss_curve_", None) == getattr(ones, "loss_curve_", None)
    assert plain.loss_ == ones.loss_


@pytest.mark.parametrize("n_samples", [150, 450])
def test_auto_batch_size_is_sklearns(n_samples):
    # 'auto' is min(200, n_samples): the same updates as that integer batch size.
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(n_samples, 3)), rng.integers(0, 2, n_samples)
    params = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0, tol=0.0)
    auto = FastBPClassifier(batch_size="auto", **params).fit(X, y)
    fixed = FastBPClassifier(batch_size=min(200, n_samples), **params).fit(X, y)
    np.testing.assert_array_equal(auto.coefs_[0], fixed.coefs_[0])
    assert auto.loss_curve_ == fixed.loss_curve_
