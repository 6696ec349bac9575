"""Models that leave fastbp (to_sklearn) and scikit-learn MLPs that come in."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.exceptions import ConvergenceWarning

import fastbp


def problem(kind, n=90, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    w = rng.normal(size=5)
    if kind == "binary":
        return X, np.where(X @ w > 0, "yes", "no")
    if kind == "multiclass":
        return X, np.digitize(X @ w, [-1.0, 0.0, 1.0])
    if kind == "multilabel":
        return X, (X[:, :3] > 0).astype(int)
    if kind == "regression":
        return X, np.column_stack([X @ w, np.tanh(X[:, 0])])
    return X, rng.poisson(np.exp(0.3 * X @ w / np.linalg.norm(w)))


def fitted(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def family(kind, fastbp_family):
    regression = kind in ("regression", "poisson")
    names = {
        ("FastBP", False): "FastBPClassifier",
        ("FastBP", True): "FastBPRegressor",
        ("MLP", False): "MLPClassifier",
        ("MLP", True): "MLPRegressor",
    }
    params = {"loss": "poisson"} if kind == "poisson" else {}
    return getattr(fastbp, names[fastbp_family, regression]), params


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fastbp_family", ["FastBP", "MLP"])
@pytest.mark.parametrize(
    "kind", ["binary", "multiclass", "multilabel", "regression", "poisson"]
)
def test_to_sklearn_predicts_as_fastbp(kind, fastbp_family, dtype):
    X, y = problem(kind)
    X = X.astype(dtype)
    cls, params = family(kind, fastbp_family)
    ours = fitted(
        cls(hidden_layer_sizes=(6, 4), max_iter=5, random_state=0, **params), X, y
    )
    theirs = ours.to_sklearn()
    assert type(theirs).__module__.startswith("sklearn.neural_network")
    assert theirs.coefs_[0].dtype == dtype
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    if hasattr(ours, "predict_proba"):
        np.testing.assert_allclose(
            theirs.predict_proba(X), ours.predict_proba(X), rtol=0, atol=tolerance
        )
        np.testing.assert_array_equal(theirs.predict(X), ours.predict(X))
    else:
        expected = ours.predict(X)
        np.testing.assert_allclose(
            theirs.predict(X), expected, rtol=tolerance, atol=tolerance
        )
    # A scikit-learn model through and through: it pickles and trains on.
    again = pickle.loads(pickle.dumps(theirs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again.partial_fit(X, y)
    assert np.all(np.isfinite(again.coefs_[0]))


def test_to_sklearn_refuses_what_sklearn_cannot_compute():
    X, y = problem("multiclass")
    ovr = fitted(fastbp.FastBPClassifier(out_activation="logistic", max_iter=2), X, y)
    with pytest.raises(ValueError, match="one-vs-rest 'logistic' outputs"):
        ovr.to_sklearn()
    with pytest.raises(Exception, match="not fitted"):
        fastbp.FastBPClassifier().to_sklearn()


@pytest.mark.parametrize("fastbp_family", ["FastBP", "MLP"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel", "poisson"])
def test_from_sklearn_predicts_as_sklearn_and_trains_on_alike(kind, fastbp_family):
    # Plain SGD has no optimiser state, so one more epoch on each side from the
    # same weights gives the same weights (scikit-learn's meaning of the batch:
    # the MLP family; per-example steps are the same in both at batch size 1).
    X, y = problem(kind)
    cls, params = family(kind, fastbp_family)
    sk_cls = (
        neural_network.MLPRegressor if kind == "poisson" else neural_network.MLPClassifier
    )
    settings = dict(
        hidden_layer_sizes=(6,), solver="sgd", momentum=0.0, batch_size=1,
        learning_rate_init=0.01, shuffle=False, max_iter=3, random_state=0,
    )  # fmt: skip
    theirs = fitted(sk_cls(**settings, **params), X, y)
    ours = cls.from_sklearn(theirs)
    assert ours.get_params()["hidden_layer_sizes"] == (6,)
    if hasattr(theirs, "predict_proba"):
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), 1e-12)
    if hasattr(theirs, "predict_proba"):
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    else:  # numbers: Poisson's exp differs by an ulp between NumPy and Numba on some CPUs
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    assert ours.loss_curve_ == theirs.loss_curve_
    assert ours.n_iter_ == theirs.n_iter_
    if kind == "multilabel":
        theirs.partial_fit(X, y)
        ours.partial_fit(X, y)
    else:
        classes = None if kind == "poisson" else np.unique(y)
        theirs.partial_fit(X, y, **({} if classes is None else {"classes": classes}))
        ours.partial_fit(X, y, **({} if classes is None else {"classes": classes}))
    for mine, reference in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


def test_from_sklearn_needs_the_matching_kind():
    X, y = problem("regression")
    regressor = fitted(neural_network.MLPRegressor(max_iter=2), X, y)
    with pytest.raises(TypeError, match="needs a fitted MLPClassifier"):
        fastbp.FastBPClassifier.from_sklearn(regressor)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_onnx_through_to_sklearn_equals_fastbp(kind):
    # The deployment path: fastbp -> to_sklearn -> skl2onnx -> ONNX Runtime.
    skl2onnx = pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    X, y = problem(kind, n=200)
    X = X.astype(np.float32)
    cls, _ = family(kind, "FastBP")
    model = fitted(cls(hidden_layer_sizes=(8,), max_iter=5, random_state=0), X, y)
    options = {"zipmap": False} if hasattr(model, "predict_proba") else None
    onx = skl2onnx.to_onnx(model.to_sklearn(), X[:1], options=options)
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    outputs = session.run(None, {session.get_inputs()[0].name: X})
    if hasattr(model, "predict_proba"):
        labels, proba = outputs
        np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-5)
        np.testing.assert_array_equal(labels, model.predict(X))
    else:
        expected = model.predict(X)
        np.testing.assert_allclose(
            outputs[0].reshape(expected.shape), expected, rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize(
    "estimator",
    [
        fastbp.FastBPClassifier(momentum=0.9, max_iter=3, random_state=0),
        fastbp.FastBPRegressor(solver="adam", max_iter=3, random_state=0),
        fastbp.MLPClassifier(max_iter=3, random_state=0),
        fastbp.MLPRegressor(solver="lbfgs", max_iter=3, random_state=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_skops_round_trip_trusts_the_estimator_class_only(estimator):
    # The fitted state is numpy arrays, numbers, strings, lists and dicts: skops
    # asks to trust the estimator's own class and nothing else.
    sio = pytest.importorskip("skops.io")
    kind = "multiclass" if estimator._is_classifier else "regression"
    X, y = problem(kind)
    model = fitted(estimator, X, y)
    data = sio.dumps(model)
    cls = type(model)
    assert sio.get_untrusted_types(data=data) == [f"{cls.__module__}.{cls.__name__}"]
    loaded = sio.loads(data, trusted=[f"{cls.__module__}.{cls.__name__}"])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    if model.solver != "lbfgs":  # the optimiser state goes on as it would have
        loaded.partial_fit(X, y)
        model.partial_fit(X, y)
        np.testing.assert_array_equal(loaded.coefs_[0], model.coefs_[0])
