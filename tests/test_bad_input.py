"""Bad input gets a clear error, and a failed call leaves a fitted model as it was."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

import fastbp
from fastbp import FastBPClassifier, FastBPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3))
Y_CLASS = RNG.integers(0, 3, 40)
Y_REG = X @ [1.0, -2.0, 0.5]


def fitted(cls=FastBPClassifier, **params):
    params = {"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0, **params}
    y = Y_CLASS if cls is FastBPClassifier else Y_REG
    return cls(**params).fit(X, y)


def state(est):
    """Everything a model is: its parameter vector and fitted attributes."""
    return {
        k: (v.copy() if isinstance(v, np.ndarray) else v)
        for k, v in vars(est).items()
        if k.endswith("_") or k == "_theta"
    }


def assert_unchanged(est, before, X_check=X):
    after = state(est)
    assert after.keys() == before.keys()
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[key], value)
        else:
            assert after[key] == value, key
    est.predict(X_check)  # still usable


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X_or_y(cls, bad):
    est = fitted(cls)
    before = state(est)
    X_bad = X.copy()
    X_bad[3, 1] = bad
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        est.fit(X_bad, Y_CLASS if cls is FastBPClassifier else Y_REG)
    assert_unchanged(est, before)
    with pytest.raises(ValueError, match="Input X contains"):
        est.predict(X_bad)
    y_bad = (Y_CLASS if cls is FastBPClassifier else Y_REG).astype(float)
    y_bad[0] = bad
    with pytest.raises(ValueError, match="Input y contains"):
        est.fit(X, y_bad)
    assert_unchanged(est, before)


PARTIAL_FIT_MODELS = {
    "per-example": lambda cls: cls(hidden_layer_sizes=(5,), random_state=0),
    "momentum, relu": lambda cls: cls(
        hidden_layer_sizes=(5,), momentum=0.9, activation="relu", random_state=0
    ),
    "no hidden layer": lambda cls: cls(hidden_layer_sizes=(), random_state=0),
    "mini-batch": lambda cls: cls(hidden_layer_sizes=(5,), batch_size=8, random_state=0),
    "MLP adam": lambda cls: getattr(fastbp, cls.__name__.replace("FastBP", "MLP"))(
        hidden_layer_sizes=(5,), random_state=0
    ),
}


def non_finite_X(layout, bad):
    """``(X, sample_weight)`` with ``bad`` in row 7 of X, as ``layout`` (dense,
    float32, csr, or dense with row 7 weighted 0)."""
    from scipy import sparse

    X_bad = X.astype(np.float32) if layout == "float32" else X.copy()
    X_bad[7, 2] = bad
    if layout == "csr":
        X_bad = sparse.csr_matrix(X_bad)
    weights = np.ones(len(X))
    if layout == "zero weight":
        weights[7] = 0.0
    return X_bad, weights


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
@pytest.mark.parametrize("model", list(PARTIAL_FIT_MODELS))
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("layout", ["dense", "float32", "csr", "zero weight"])
def test_partial_fit_refuses_non_finite_X_as_sklearn_does(cls, model, bad, layout):
    # partial_fit leaves X's finiteness to the weights the kernels write (a value
    # read in X makes them non-finite): the same error must come out, model intact.
    y = Y_CLASS if cls is FastBPClassifier else Y_REG
    est = PARTIAL_FIT_MODELS[model](cls)
    first = {"classes": [0, 1, 2]} if cls is FastBPClassifier else {}
    est.partial_fit(X, y, **first)
    before = state(est)
    X_bad, weights = non_finite_X(layout, bad)
    with pytest.raises(ValueError, match=r"^Input X contains (NaN|infinity)"):
        est.partial_fit(X_bad, y, sample_weight=weights)
    assert_unchanged(est, before)
    # A first call with non-finite X leaves an unfitted model unfitted.
    new = PARTIAL_FIT_MODELS[model](cls)
    with pytest.raises(ValueError, match=r"^Input X contains (NaN|infinity)"):
        new.partial_fit(X_bad, y, **first)
    assert not hasattr(new, "n_iter_")


FIT_MODELS = {
    **PARTIAL_FIT_MODELS,
    "block kernel": lambda cls: cls(hidden_layer_sizes=(3000,), random_state=0),
    "two threads": lambda cls: cls(hidden_layer_sizes=(5,), n_jobs=2, random_state=0),
    "early stopping": lambda cls: cls(
        hidden_layer_sizes=(5,), early_stopping=True, random_state=0
    ),
    "lbfgs": lambda cls: cls(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0),
}


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
@pytest.mark.parametrize("model", list(FIT_MODELS))
@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("layout", ["dense", "float32", "csr", "zero weight"])
def test_fit_refuses_non_finite_X_as_sklearn_does(cls, model, bad, layout):
    # fit leaves X's finiteness to the kernels too when it trains on every row
    # (not with early stopping's held-out rows, nor L-BFGS): the same error must
    # come out of every kernel family, the fitted model intact.
    y = Y_CLASS if cls is FastBPClassifier else Y_REG
    est = FIT_MODELS[model](cls).set_params(max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # early stopping's tiny validation set
        est.fit(X, y)
    before = state(est)
    X_bad, weights = non_finite_X(layout, bad)
    with pytest.raises(ValueError, match=r"^Input X contains (NaN|infinity)"):
        est.fit(X_bad, y, sample_weight=weights)
    assert_unchanged(est, before)
    new = FIT_MODELS[model](cls)
    with pytest.raises(ValueError, match=r"^Input X contains (NaN|infinity)"):
        new.fit(X_bad, y)
    assert not hasattr(new, "n_iter_")


def test_fit_defers_the_finiteness_pass_only_where_every_row_trains():
    est = FastBPClassifier()
    assert est._finiteness_deferred(incremental=False)
    assert not est.set_params(early_stopping=True)._finiteness_deferred(False)
    assert est._finiteness_deferred(incremental=True)
    assert not est.set_params(solver="lbfgs")._finiteness_deferred(False)


def test_partial_fit_reports_non_finite_X_before_unknown_labels():
    # scikit-learn checks X before y's labels; so does the deferred check.
    est = FastBPClassifier(hidden_layer_sizes=(5,), random_state=0)
    est.partial_fit(X, Y_CLASS, classes=[0, 1, 2])
    X_bad = X.copy()
    X_bad[0, 0] = np.nan
    y_bad = Y_CLASS.copy()
    y_bad[0] = 7
    with pytest.raises(ValueError, match=r"^Input X contains NaN"):
        est.partial_fit(X_bad, y_bad)


def test_partial_fit_non_finite_message_is_sklearns():
    from sklearn.neural_network import MLPClassifier as SklearnMLP

    X_bad = X.copy()
    X_bad[5, 0] = np.inf
    messages = []
    for cls in (SklearnMLP, fastbp.MLPClassifier):
        est = cls(hidden_layer_sizes=(5,), random_state=0)
        est.partial_fit(X, Y_CLASS, classes=[0, 1, 2])
        with pytest.raises(ValueError) as info:
            est.partial_fit(X_bad, Y_CLASS)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
def test_shapes(cls):
    est = fitted(cls)
    before = state(est)
    y = Y_CLASS if cls is FastBPClassifier else Y_REG
    with pytest.raises(ValueError, match="0 sample"):
        est.fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="Expected 2D array"):
        est.fit(X[:, 0], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X, y[:-1])
    assert_unchanged(est, before)
    with pytest.raises(ValueError, match=r"X has 2 features, but .* expecting 3"):
        est.predict(X[:, :2])
    with pytest.raises(ValueError, match=r"X has 2 features, but .* expecting 3"):
        est.partial_fit(X[:, :2], y)
    assert_unchanged(est, before)


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
def test_unfitted(cls):
    est = cls()
    for method in ("predict", "score"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(est, method)(X, *([Y_REG] if method == "score" else []))
    with pytest.raises(AttributeError, match="not fitted yet"):
        _ = est.coefs_
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize(
    "params",
    [
        {"hidden_layer_sizes": (5, 0)},
        {"hidden_layer_sizes": -3},
        {"hidden_layer_sizes": (2.5,)},
        {"activation": "softmax"},
        {"alpha": -1.0},
        {"batch_size": 0},
        {"batch_size": "half"},  # "auto" and "full" are the names it takes
        {"learning_rate_init": 0.0},
        {"max_iter": 0},
        {"tol": -1.0},
        {"n_iter_no_change": 0},
        {"loss": "hinge"},
        {"out_activation": "sigmoid"},
        {"momentum": 1.5},
        {"learning_rate": "optimal"},
        {"power_t": -1.0},
        {"nesterovs_momentum": "yes"},
        {"validation_fraction": 1.0},
        {"verbose_interval": 3},
    ],
)
def test_invalid_hyper_parameters(params):
    est = fitted()
    before = state(est)
    if "verbose_interval" in params:  # unknown: a TypeError, not ignored
        with pytest.raises(TypeError, match="verbose_interval"):
            FastBPClassifier(**params)
        return
    est.set_params(**params)
    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        est.fit(X, Y_CLASS)
    assert_unchanged(est, before)


def test_regressor_rejects_classifier_options():
    with pytest.raises(InvalidParameterError, match="loss"):
        FastBPRegressor(loss="log_loss").fit(X, Y_REG)
    with pytest.raises(InvalidParameterError, match="out_activation"):
        FastBPRegressor(out_activation="softmax").fit(X, Y_REG)


def test_softmax_needs_multiclass_log_loss():
    with pytest.raises(ValueError, match="softmax"):
        FastBPClassifier(out_activation="softmax").fit(X, Y_CLASS > 0)
    with pytest.raises(ValueError, match="softmax"):
        FastBPClassifier(out_activation="softmax", loss="squared_error").fit(X, Y_CLASS)


def test_single_class_and_continuous_targets():
    est = fitted()
    before = state(est)
    with pytest.raises(ValueError, match="only one class"):
        est.fit(X, np.zeros(40))
    with pytest.raises(ValueError, match="only one class"):
        FastBPClassifier().partial_fit(X, np.zeros(40), classes=[0])
    with pytest.raises(ValueError, match="Unknown label type"):
        est.fit(X, Y_REG)
    assert_unchanged(est, before)


def test_partial_fit_unknown_classes_keeps_model():
    est = FastBPClassifier(hidden_layer_sizes=(4,), random_state=0)
    est.partial_fit(X, Y_CLASS, classes=[0, 1, 2])
    before = state(est)
    with pytest.raises(ValueError, match=r"not seen before: array\(\[5\]\)"):
        est.partial_fit(X[:4], [0, 1, 2, 5])
    assert_unchanged(est, before)


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
def test_sample_weight_errors(cls):
    est = fitted(cls)
    before = state(est)
    y = Y_CLASS if cls is FastBPClassifier else Y_REG
    with pytest.raises(ValueError, match=r"sample_weight.shape"):
        est.fit(X, y, sample_weight=np.ones(39))
    with pytest.raises(ValueError, match=r"(zero for every example|at least one non-zero)"):
        est.fit(X, y, sample_weight=np.zeros(40))
    with pytest.raises(ValueError, match=r"[Nn]egative"):
        est.fit(X, y, sample_weight=-np.ones(40))
    assert_unchanged(est, before)


def test_complex_and_object_data():
    est = fitted()
    before = state(est)
    with pytest.raises(ValueError, match=r"[Cc]omplex"):
        est.fit(X + 1j, Y_CLASS)
    X_object = X.astype(object)
    X_object[0, 0] = "a string"
    with pytest.raises(ValueError, match="could not convert"):
        est.fit(X_object, Y_CLASS)
    assert_unchanged(est, before)
    # Object arrays of numbers are fine.
    est.predict(X.astype(object))


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
@pytest.mark.parametrize("batch_size", [1, 8])
def test_divergence_is_an_error_and_keeps_the_old_model(cls, batch_size):
    est = fitted(cls, batch_size=batch_size)
    before = state(est)
    y = Y_CLASS if cls is FastBPClassifier else Y_REG * 1e150
    est.set_params(learning_rate_init=1e200, warm_start=True)
    with pytest.raises(ValueError, match=r"diverged.*smaller learning_rate_init.*scale X"):
        est.fit(X * 1e150, y)
    assert_unchanged(est, before)
    with pytest.raises(ValueError, match="diverged"):
        est.partial_fit(X * 1e150, y)
    assert_unchanged(est, before)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_divergence_after_finite_epochs_keeps_the_last_finite_one(momentum):
    # Full-batch gradient descent with a step far beyond 2/curvature: the loss grows
    # geometrically, stays finite for many epochs, then overflows.
    params = {
        "hidden_layer_sizes": (),
        "batch_size": "full",
        "learning_rate_init": 30.0,
        "max_iter": 1000,
        "n_iter_no_change": 10**6,
        "momentum": momentum,
        "random_state": 0,
    }
    X_scaled = (X - X.mean(0)) / X.std(0)
    est = FastBPRegressor(**params)
    with pytest.raises(fastbp.TrainingDiverged, match=r"diverged in epoch \d+.*keeps"):
        est.fit(X_scaled, Y_REG)
    kept = est.n_iter_
    assert kept > 5 and len(est.loss_curve_) == kept
    assert np.isfinite(est.loss_curve_).all() and est.loss_ == est.loss_curve_[-1]
    # What it keeps is exactly the fit stopped after the last finite epoch.
    stopped = FastBPRegressor(**{**params, "max_iter": kept}).fit(X_scaled, Y_REG)
    np.testing.assert_array_equal(est._theta, stopped._theta)
    np.testing.assert_array_equal(est.loss_curve_, stopped.loss_curve_)
    if momentum:
        np.testing.assert_array_equal(
            est._optimizer_state.velocity, stopped._optimizer_state.velocity
        )
    assert np.isfinite(est.predict(X_scaled)).all()


def test_non_finite_validation_score_is_recorded_as_nan():
    # scikit-learn #29504: overflowing validation predictions crashed its scorer. A
    # huge example overflows the output: in the training split it diverges training
    # (with early stopping: stopped with a warning, best weights kept); in the
    # validation split it makes that epoch's score NaN.
    outcomes = set()
    for index in range(6):
        X_outlier = X.copy()
        X_outlier[index] = 1e308
        est = FastBPRegressor(
            hidden_layer_sizes=(),
            early_stopping=True,
            validation_fraction=0.5,
            max_iter=15,
            random_state=0,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X_outlier, Y_REG)
        assert all(isinstance(s, float) for s in est.validation_scores_)
        assert np.isnan(est.validation_scores_[-1])
        assert np.isfinite(est.predict(X)).all()
        if any("diverged" in str(w.message) for w in caught):
            outcomes.add("diverged")
            assert not np.isfinite(est.loss_curve_[-1])
            continue
        outcomes.add("nan")
        assert len(est.validation_scores_) == 11  # NaN never improves: stops at 10+1
        assert all(np.isnan(s) for s in est.validation_scores_)
        assert not np.isfinite(est.validation_loss_curve_).any()
        assert est.best_validation_score_ == -np.inf
    assert outcomes == {"diverged", "nan"}


@pytest.mark.parametrize("estimator", [FastBPRegressor, fastbp.MLPRegressor])
def test_diverging_training_with_early_stopping_returns_the_best_epoch(estimator):
    # scikit-learn #29504 as its users met it: iris, identity units, a step of 1.
    X_iris, y_iris = load_iris(return_X_y=True)
    est = estimator(
        hidden_layer_sizes=(100,), activation="identity", solver="sgd",
        learning_rate_init=1.0, max_iter=20, early_stopping=True, random_state=0,
    )  # fmt: skip
    with pytest.warns(ConvergenceWarning, match="diverged in epoch"):
        est.fit(X_iris, y_iris)
    assert np.isnan(est.validation_scores_[-1])
    assert isinstance(est.validation_scores_[-1], float)
    assert len(est.validation_scores_) == len(est.loss_curve_) < 20
    assert np.isfinite(est.predict(X_iris)).all()
    assert np.all(np.isfinite(est.coefs_[0]))


def test_keyboard_interrupt_in_fit_restores_model(monkeypatch):
    est = fitted()
    before = state(est)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("fastbp._base.train", interrupted)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, Y_CLASS)
    assert_unchanged(est, before)


@pytest.mark.parametrize(
    "change",
    [{"hidden_layer_sizes": (6,)}, {"activation": "tanh"}, {"loss": "squared_error"}],
)
def test_warm_start_with_another_network_is_refused(change):
    est = fitted(warm_start=True)
    before = state(est)
    est.set_params(**change)
    with pytest.raises(ValueError, match="needs the same network"):
        est.fit(X, Y_CLASS)
    with pytest.raises(ValueError, match="needs the same network"):
        est.partial_fit(X, Y_CLASS)
    assert_unchanged(est, before)


def test_divergence_from_a_too_large_alpha_names_alpha():
    # learning_rate_init * alpha = 3: every update multiplies the weights by -2.
    X = np.random.default_rng(0).normal(size=(300, 5))
    y = (X[:, 0] > 0).astype(int)
    model = FastBPClassifier(hidden_layer_sizes=(4,), alpha=300.0, max_iter=20)
    with pytest.raises(fastbp.TrainingDiverged) as error:
        model.fit(X, y)
    message = str(error.value)
    assert "alpha=300.0 is too large" in message and "below 100" in message
    with pytest.warns(ConvergenceWarning, match="alpha=300.0 is too large"):
        model.set_params(early_stopping=True).fit(X, y)
    # A step size too large on its own is still blamed on the step size.
    with pytest.raises(fastbp.TrainingDiverged, match="smaller learning_rate_init"):
        FastBPRegressor(learning_rate_init=10.0, max_iter=50).fit(X, 1e3 * X[:, 0])


@pytest.mark.parametrize("cls", [FastBPClassifier, fastbp.MLPClassifier])
def test_early_stopping_without_a_validation_fraction_names_it(cls):
    X = np.random.default_rng(0).normal(size=(100, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(ValueError, match="validation_fraction=0 holds out none"):
        cls(early_stopping=True, validation_fraction=0.0).fit(X, y)
