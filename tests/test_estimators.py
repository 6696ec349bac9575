"""Behaviour of FastBPClassifier / FastBPRegressor as a user sees it."""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from fastbp import FastBPClassifier, FastBPRegressor, _base, reference

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


@pytest.fixture(scope="module")
def blobs():
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=80, n_features=5, n_targets=2, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


def small(cls, **params):
    defaults = {"hidden_layer_sizes": (8,), "max_iter": 20, "random_state": 0}
    return cls(**{**defaults, **params})


# -- the seed's network ---------------------------------------------------------------


def test_seed_xor_network_learns_xor():
    # 2-2-1 logistic units, squared error, per-example SGD: the notes' setting.
    clf = FastBPClassifier(
        hidden_layer_sizes=(2,),
        activation="logistic",
        loss="squared_error",
        learning_rate_init=2.0,
        alpha=0.0,
        max_iter=3000,
        tol=0.0,
        n_iter_no_change=3000,
        random_state=3,
    ).fit(XOR_X, XOR_Y)
    assert clf.out_activation_ == "logistic"
    assert [c.shape for c in clf.coefs_] == [(2, 2), (2, 1)]
    np.testing.assert_array_equal(clf.predict(XOR_X), XOR_Y)
    assert clf.loss_ < 0.02


@pytest.mark.parametrize("batch_size", [1, 3, "full"])
def test_fit_with_set_weights_equals_reference_epoch(batch_size):
    # Exact initial weights through coefs_/intercepts_, then one warm-started epoch.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3))
    y = rng.integers(0, 2, 10)
    clf = FastBPClassifier(
        hidden_layer_sizes=(4,),
        activation="tanh",
        alpha=0.01,
        batch_size=batch_size,
        learning_rate_init=0.1,
        max_iter=1,
        shuffle=False,
        warm_start=True,
    ).fit(X, y)
    W1, b1 = rng.normal(size=(3, 4)), rng.normal(size=4)
    W2, b2 = rng.normal(size=(4, 1)), rng.normal(size=1)
    clf.coefs_ = [W1, W2]
    clf.intercepts_[0][:] = b1
    clf.intercepts_[1][:] = b2
    clf.fit(X, y)
    params, _, _ = reference.epoch(
        [(W1.T, b1), (W2.T, b2)],
        X,
        y.reshape(-1, 1).astype(float),
        np.arange(10),
        np.ones(10),
        "tanh",
        "logistic",
        "log_loss",
        0.1,
        0.01,
        10 if batch_size == "full" else batch_size,
    )
    for coef, intercept, (W, b) in zip(clf.coefs_, clf.intercepts_, params):
        np.testing.assert_allclose(coef, W.T, rtol=1e-12)
        np.testing.assert_allclose(intercept, b, rtol=1e-12)


# -- fitted attributes ----------------------------------------------------------------


def test_fitted_attributes(blobs):
    X, y = blobs
    clf = small(FastBPClassifier, hidden_layer_sizes=(7, 5)).fit(X, y)
    assert clf.n_layers_ == 4
    assert clf.n_outputs_ == 3
    assert clf.out_activation_ == "softmax"
    assert clf.n_features_in_ == 6
    assert [c.shape for c in clf.coefs_] == [(6, 7), (7, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (3,)]
    assert len(clf.loss_curve_) == clf.n_iter_ <= 20
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.t_ == clf.n_iter_ * len(X)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


def test_coefs_are_views_of_the_model(blobs):
    X, y = blobs
    clf = small(FastBPClassifier).fit(X, y)
    before = clf.predict_proba(X)
    clf.coefs_[1][:] = 0.0
    clf.intercepts_[1][:] = 0.0
    np.testing.assert_allclose(clf.predict_proba(X), 1 / 3)
    assert not np.allclose(before, 1 / 3)
    with pytest.raises(ValueError, match="shapes"):
        clf.coefs_ = [np.zeros((2, 2))]


def test_no_hidden_layer_is_the_delta_rule(blobs):
    X, y = blobs
    clf = small(FastBPClassifier, hidden_layer_sizes=()).fit(X, y > 0)
    assert clf.n_layers_ == 2 and clf.coefs_[0].shape == (6, 1)
    assert clf.score(X, y > 0) > 0.7


def test_loss_reported_as_mean_with_penalty():
    # One epoch of batch gradient descent: loss_ is the mean loss at the initial
    # weights plus alpha/(2n)||W||^2, sklearn's convention.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30)
    reg = FastBPRegressor(
        hidden_layer_sizes=(5,), alpha=0.3, batch_size="full", max_iter=1, random_state=0
    )
    initial = clone(reg).set_params(learning_rate_init=1e-300).fit(X, y)
    expected = 0.5 * np.mean((initial.predict(X) - y) ** 2) + 0.15 * sum(
        np.sum(c**2) for c in initial.coefs_
    ) / len(X)
    assert reg.fit(X, y).loss_ == pytest.approx(expected, rel=1e-9)


# -- determinism ----------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 16])
def test_same_random_state_gives_identical_weights(blobs, batch_size):
    X, y = blobs
    a = small(FastBPClassifier, batch_size=batch_size).fit(X, y)
    b = small(FastBPClassifier, batch_size=batch_size).fit(X, y)
    c = clone(a).fit(X, y)
    for first, second, third in zip(a.coefs_, b.coefs_, c.coefs_):
        np.testing.assert_array_equal(first, second)
        np.testing.assert_array_equal(first, third)


BLOCK_FIT = """
import sys
import numpy as np
from sklearn.datasets import load_digits
from fastbp import FastBPClassifier
X, y = load_digits(return_X_y=True)
model = FastBPClassifier(hidden_layer_sizes=(160,), max_iter=2, random_state=0)
model.fit(X[:600] / 16, y[:600])  # 64 x 160 first-layer weights: the block kernel
np.save(sys.argv[1], np.concatenate([c.ravel() for c in model.coefs_]))
"""


@pytest.mark.slow
def test_same_weights_whether_the_kernels_were_compiled_or_loaded(tmp_path):
    # A fit in a fresh environment (compiling the kernels) and the same fit later
    # (loading them from the cache) must agree bit for bit. The block kernel calls its
    # pass over the first layer, and the JIT resolves that call to the first copy of
    # the pass loaded in the process: the pass's own, or the kernel's re-optimised one,
    # which rounds differently (up to 3e-15 apart, docs/architecture.md).
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    weights = []
    for run in ("compiled", "loaded"):
        path = tmp_path / f"{run}.npy"
        done = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", BLOCK_FIT, str(path)],
            env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        weights.append(np.load(path))
    np.testing.assert_array_equal(weights[0], weights[1])


def test_shuffle_changes_the_path(blobs):
    X, y = blobs
    a = small(FastBPClassifier, shuffle=True).fit(X, y)
    b = small(FastBPClassifier, shuffle=False).fit(X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


# -- dtypes and data forms ------------------------------------------------------------


def test_float32_in_float32_model(blobs):
    X, y = blobs
    clf = small(FastBPClassifier).fit(X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float64
    reference64 = small(FastBPClassifier).fit(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(X), reference64.predict_proba(X), rtol=1e-2, atol=1e-3
    )


def test_string_labels_and_dataframe_feature_names(blobs):
    X, y = blobs
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    clf = small(FastBPClassifier).fit(frame, labels)
    assert list(clf.feature_names_in_) == list(frame.columns)
    assert set(clf.predict(frame)) <= set(labels)
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(frame.to_numpy())
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(frame.rename(columns={"f0": "other"}))


def test_probabilities(blobs):
    X, y = blobs
    for loss, out in [
        ("log_loss", "auto"),
        ("log_loss", "logistic"),
        ("squared_error", "auto"),
    ]:
        clf = small(FastBPClassifier, loss=loss, out_activation=out).fit(X, y)
        proba = clf.predict_proba(X)
        assert proba.shape == (len(X), 3)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
        np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
    binary = small(FastBPClassifier).fit(X, y == 1)
    assert binary.n_outputs_ == 1
    proba = binary.predict_proba(X)
    np.testing.assert_array_equal(binary.predict(X), proba[:, 1] > 0.5)


def test_multilabel(blobs):
    X, y = blobs
    Y = np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
    clf = small(FastBPClassifier, max_iter=60).fit(X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.predict(X).shape == Y.shape
    assert clf.predict_proba(X).shape == Y.shape
    assert clf.score(X, Y) > 0.5
    # partial_fit accepts multilabel y without classes (sklearn's #12505).
    online = small(FastBPClassifier)
    for start in range(0, 120, 40):
        online.partial_fit(X[start : start + 40], Y[start : start + 40])
    assert online.predict(X).shape == Y.shape


def test_regressor_single_and_multi_output(regression):
    X, Y = regression
    multi = small(FastBPRegressor, learning_rate_init=0.01, max_iter=100).fit(X, Y)
    assert multi.predict(X).shape == (80, 2)
    assert multi.score(X, Y) > 0.9
    single = small(FastBPRegressor, learning_rate_init=0.01).fit(X, Y[:, 0])
    assert single.predict(X).shape == (80,)
    assert single.out_activation_ == "identity"
    bounded = small(FastBPRegressor, out_activation="logistic").fit(X, Y[:, 0] > 0)
    assert 0 < bounded.predict(X).min() and bounded.predict(X).max() < 1


@pytest.mark.parametrize("batch_size", [1, 32, "full"])
def test_digits_trains_in_every_batch_mode(batch_size):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    lr = {1: 0.01, 32: 0.1, "full": 0.5}[batch_size]
    clf = FastBPClassifier(
        hidden_layer_sizes=(32,),
        batch_size=batch_size,
        learning_rate_init=lr,
        max_iter=40 if batch_size == "full" else 10,
        random_state=0,
    ).fit(X[:1200], y[:1200])
    # Held-out accuracy after 10 epochs is 0.88-0.91 over seeds with batches of 32
    # (chance: 0.1), so the bar leaves room for the seed's draws.
    assert clf.score(X[1200:], y[1200:]) > (0.6 if batch_size == "full" else 0.85)


def test_sample_weight_scales_the_step():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20, 3))
    y = rng.normal(size=20)
    params = {"hidden_layer_sizes": (4,), "alpha": 0.0, "max_iter": 1, "shuffle": False}
    doubled = FastBPRegressor(learning_rate_init=0.02, random_state=0, **params).fit(
        X, y, sample_weight=np.full(20, 2.0)
    )
    double_rate = FastBPRegressor(learning_rate_init=0.04, random_state=0, **params).fit(
        X, y
    )
    for a, b in zip(doubled.coefs_, double_rate.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    ones = FastBPRegressor(random_state=0, **params).fit(X, y, sample_weight=np.ones(20))
    none = FastBPRegressor(random_state=0, **params).fit(X, y)
    np.testing.assert_array_equal(ones.coefs_[0], none.coefs_[0])


# -- stopping, warnings, verbose, partial_fit -----------------------------------------


def test_convergence_warning_only_when_max_iter_reached(blobs):
    X, y = blobs
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        small(FastBPClassifier, max_iter=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = small(FastBPClassifier, max_iter=500, tol=1.0, n_iter_no_change=2).fit(X, y)
    # Epoch 1 sets the best loss; no later epoch beats it by tol=1, and the third
    # such epoch (more than n_iter_no_change=2) stops training.
    assert clf.n_iter_ == 4


def test_verbose_prints_loss_and_throughput(blobs, capsys):
    X, y = blobs
    small(FastBPClassifier, max_iter=2, verbose=True).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Epoch 1, loss = ")
    # Epoch 1 gives its rate, or says it compiled or loaded the kernels.
    assert "examples/s, " in lines[0] or " the kernels (" in lines[0]
    assert lines[1].startswith("Epoch 2, loss = ") and "examples/s, " in lines[1]
    assert lines[1].endswith(" s")
    small(FastBPClassifier, max_iter=1, verbose=True, early_stopping=True).fit(X, y)
    line = capsys.readouterr().out.strip().splitlines()[0]
    assert "validation score = " in line and "validation loss = " in line


FIRST_VERBOSE_FIT = """
import numpy as np
from fastbp import FastBPClassifier
X = np.random.default_rng(0).normal(size=(2000, 3))
FastBPClassifier(hidden_layer_sizes=(3,), max_iter=2, verbose=1).fit(X, X[:, 0] > 0)
"""


def test_first_verbose_line_says_it_includes_the_compile(tmp_path):
    # With an empty JIT cache (a new machine), epoch 1's time is mostly compiling:
    # the line says so instead of reporting a meaningless examples/s.
    import os
    import subprocess
    import sys

    # The JIT's kernels, not the build from install (fastbp._ahead), which compile.
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), FASTBP_AHEAD="0")
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", FIRST_VERBOSE_FIT],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    first, second = done.stdout.strip().splitlines()
    assert "compiling the kernels" in first and "examples/s" not in first
    assert "examples/s" in second and "compiling" not in second


@pytest.mark.parametrize("batch_size", [1, "1, blocks", 7])
def test_verbose_2_reports_progress_within_epochs_with_the_same_updates(
    blobs, capsys, monkeypatch, batch_size
):
    if batch_size == "1, blocks":  # the block kernel, on calls of any size
        monkeypatch.setattr("fastbp._trainers.BLOCK_MIN_WEIGHTS", 0)
        batch_size = 1
    X, y = blobs
    quiet = small(FastBPClassifier, max_iter=3, batch_size=batch_size).fit(X, y)
    capsys.readouterr()
    # Calls of 16 examples at first, then shrinking (no call is fast enough for a
    # zero-second budget): many reports per epoch, each of whole batches.
    monkeypatch.setattr("fastbp._trainers.FIRST_REPORT_EXAMPLES", 16)
    monkeypatch.setattr("fastbp._trainers.REPORT_SECONDS", 0.0)
    loud = small(FastBPClassifier, max_iter=3, batch_size=batch_size, verbose=2).fit(X, y)
    out = capsys.readouterr().out
    reports = [part for part in out.split("\r") if part.startswith("Epoch 1 [")]
    done = [int(r.split("] ")[1].split("/")[0]) for r in reports]
    assert len(done) > 5 and done[-1] == len(X) and done == sorted(done)
    assert all(d % batch_size == 0 for d in done[:-1])
    assert reports[-1].rstrip().endswith("/s") and "[" + "#" * 19 + "]" in reports[-1]
    # What stays on screen: each epoch's line overwrites its progress line.
    shown = [line.split("\r")[-1] for line in out.split("\n") if line]
    epochs = [line.split(", loss = ")[0] for line in shown]
    assert epochs == ["Epoch 1", "Epoch 2", "Epoch 3"]
    if batch_size == 1:
        np.testing.assert_allclose(loud._theta, quiet._theta, rtol=0, atol=1e-12)
    else:
        np.testing.assert_array_equal(loud._theta, quiet._theta)
    np.testing.assert_allclose(loud.loss_curve_, quiet.loss_curve_, rtol=1e-12)


def test_warm_start_runs_max_iter_epochs_again(blobs):
    X, y = blobs
    clf = small(FastBPClassifier, max_iter=4, tol=0.0, warm_start=True).fit(X, y)
    first = clf.coefs_[0].copy()
    clf.fit(X, y)
    assert clf.n_iter_ == 4 and len(clf.loss_curve_) == 8 and clf.t_ == 8 * len(X)
    assert not np.array_equal(first, clf.coefs_[0])
    cold = small(FastBPClassifier, max_iter=4, tol=0.0).fit(X, y)
    np.testing.assert_array_equal(cold.coefs_[0], first)


def test_partial_fit(blobs):
    X, y = blobs
    clf = small(FastBPClassifier)
    # Class 2 is absent from the first batch but declared.
    first = y != 2
    clf.partial_fit(X[first], y[first], classes=[0, 1, 2])
    assert clf.n_iter_ == 1 and clf.n_outputs_ == 3
    for _ in range(15):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 16 and len(clf.loss_curve_) == 16
    assert clf.loss_curve_[-1] < 0.8 * clf.loss_curve_[1]
    fitted = small(FastBPClassifier, max_iter=16, tol=0.0).fit(X, y)
    assert clf.score(X, y) > fitted.score(X, y) - 0.1
    with pytest.raises(ValueError, match="not seen before"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="classes must be passed"):
        small(FastBPClassifier).partial_fit(X, y)
    with pytest.raises(ValueError, match="not the same"):
        clf.partial_fit(X, y, classes=[0, 1])


def test_regressor_partial_fit(regression):
    X, Y = regression
    reg = small(FastBPRegressor, learning_rate_init=0.01)
    for _ in range(30):
        reg.partial_fit(X, Y)
    assert reg.n_iter_ == 30 and reg.score(X, Y) > 0.8
    with pytest.raises(ValueError, match="outputs"):
        reg.partial_fit(X, Y[:, 0])


def test_import_compiles_nothing():
    # Every kernel module, imported as fastbp and its tools import them.
    code = (
        "import importlib, pkgutil, fastbp, fastbp._kernels as k, fastbp.explain;"
        "mods = [importlib.import_module(f'fastbp._kernels.{m.name}')"
        " for m in pkgutil.iter_modules(k.__path__)];"
        "print(len(mods), sum(len(getattr(m, n).signatures) for m in mods for n in dir(m)"
        " if hasattr(getattr(m, n), 'signatures')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    n_modules, n_signatures = map(int, out.stdout.split())
    assert n_modules >= 9 and n_signatures == 0


def test_a_fit_imports_no_scikit_learn_module_it_does_not_use():
    # scikit-learn's MLP (for to_sklearn), splitter and metrics (for early stopping)
    # are imported where used: importing them cost every first fit ~40 ms.
    code = (
        "import sys, numpy as np; from fastbp import FastBPClassifier;"
        "X = np.random.default_rng(0).random((30, 2));"
        "FastBPClassifier(hidden_layer_sizes=(3,), max_iter=2).fit(X, X[:, 0] > 0.5);"
        "print(sorted(m for m in sys.modules if m.startswith(('sklearn.neural_network',"
        " 'sklearn.model_selection', 'sklearn.metrics'))))"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_fit_and_partial_fit_follow_the_reference(nesterov):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(12, 3))
    y = rng.integers(0, 2, 12)
    params = dict(
        hidden_layer_sizes=(4,),
        activation="tanh",
        alpha=0.01,
        learning_rate_init=0.1,
        momentum=0.9,
        nesterovs_momentum=nesterov,
        shuffle=False,
        tol=0.0,
        random_state=0,
    )
    fitted = FastBPClassifier(max_iter=3, **params).fit(X, y)
    online = FastBPClassifier(max_iter=3, **params)
    for _ in range(3):  # the velocity persists across partial_fit calls
        online.partial_fit(X, y, classes=[0, 1])
    start = FastBPClassifier(max_iter=1, **params).set_params(learning_rate_init=1e-300)
    start.fit(X, y)  # the same initial weights (same random_state), barely moved
    weights = [(c.T.copy(), b.copy()) for c, b in zip(start.coefs_, start.intercepts_)]
    velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in weights]
    for _ in range(3):
        weights, _, _ = reference.epoch(
            weights,
            X,
            y.reshape(-1, 1).astype(float),
            np.arange(12),
            np.ones(12),
            "tanh",
            "logistic",
            "log_loss",
            0.1,
            0.01,
            1,
            momentum=0.9,
            nesterov=nesterov,
            velocity=velocity,
        )
    for model in (fitted, online):
        for coef, (W, _) in zip(model.coefs_, weights):
            np.testing.assert_allclose(coef, W.T, rtol=1e-9, atol=1e-12)
    # A new fit starts from rest: refitting gives the same weights again.
    again = FastBPClassifier(max_iter=3, **params).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(again.coefs_[0], fitted.coefs_[0])


def reference_run(start, X, y, rates, alpha=0.0):
    """The weights after one reference epoch per entry of ``rates`` (batch size 1)."""
    weights = [(c.T.copy(), b.copy()) for c, b in zip(start.coefs_, start.intercepts_)]
    for rate in rates:
        weights, _, _ = reference.epoch(
            weights,
            X,
            y.reshape(-1, 1).astype(float),
            np.arange(len(X)),
            np.ones(len(X)),
            "tanh",
            "logistic",
            "log_loss",
            rate,
            alpha,
            1,
        )
    return weights


SCHEDULE_PARAMS = dict(
    hidden_layer_sizes=(3,), activation="tanh", alpha=0.0, shuffle=False, random_state=0
)


def initial_model(X, y):
    """A model holding the initial weights every fit below starts from."""
    return FastBPClassifier(max_iter=1, learning_rate_init=1e-300, **SCHEDULE_PARAMS).fit(
        X, y
    )


def test_invscaling_schedule_follows_sklearns_rule():
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 2, 10)
    model = FastBPClassifier(
        learning_rate="invscaling",
        power_t=0.5,
        max_iter=3,
        tol=0.0,
        learning_rate_init=0.5,
        **SCHEDULE_PARAMS,
    ).fit(X, y)
    rates = [0.5, 0.5 / 11**0.5, 0.5 / 21**0.5]  # after 10 and 20 examples seen
    for coef, (W, _) in zip(model.coefs_, reference_run(initial_model(X, y), X, y, rates)):
        np.testing.assert_allclose(coef, W.T, rtol=1e-10)


def test_adaptive_schedule_divides_by_five_on_plateaus_then_stops():
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 2, 10)
    # tol so large that no epoch counts as an improvement: with n_iter_no_change=1
    # every second epoch after the first ends a plateau.
    params = dict(learning_rate="adaptive", tol=1e9, n_iter_no_change=1, **SCHEDULE_PARAMS)
    model = FastBPClassifier(max_iter=6, learning_rate_init=0.3, **params).fit(X, y)
    rates = [0.3, 0.3, 0.3, 0.06, 0.06, 0.012]
    for coef, (W, _) in zip(model.coefs_, reference_run(initial_model(X, y), X, y, rates)):
        np.testing.assert_allclose(coef, W.T, rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        stopped = FastBPClassifier(max_iter=100, learning_rate_init=1e-5, **params).fit(
            X, y
        )
    assert stopped.n_iter_ == 7  # 1e-5 -> 2e-6 -> 4e-7, which is <= 1e-6: stop


def test_constant_schedule_stops_on_the_first_plateau():
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 2, 10)
    model = FastBPClassifier(
        max_iter=100, tol=1e9, n_iter_no_change=1, **SCHEDULE_PARAMS
    ).fit(X, y)
    assert model.n_iter_ == 3


def test_keyboard_interrupt_keeps_the_finished_epochs(monkeypatch, blobs):
    import fastbp._base as estimators

    X, y = blobs
    real = estimators.make_trainer

    def interrupted_on_third_epoch(*args, **kwargs):
        epoch = real(*args, **kwargs)
        calls = []

        def run(order, rate=None, report=None):
            calls.append(1)
            if len(calls) == 3:
                raise KeyboardInterrupt
            return epoch(order, rate, report)

        return run

    monkeypatch.setattr(estimators, "make_trainer", interrupted_on_third_epoch)
    with pytest.warns(UserWarning, match="interrupted by user after 2 epoch"):
        model = small(FastBPClassifier, max_iter=10).fit(X, y)
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert model.predict(X).shape == y.shape


def test_class_weight_scales_examples_like_sample_weight(blobs):
    X, y = blobs
    from sklearn.utils.class_weight import compute_class_weight

    params = dict(hidden_layer_sizes=(5,), max_iter=3, tol=0.0, random_state=0)
    weights = {0: 0.5, 1: 2.0, 2: 1.0}
    by_class = FastBPClassifier(class_weight=weights, **params).fit(X, y)
    by_sample = FastBPClassifier(**params).fit(X, y, sample_weight=[weights[c] for c in y])
    np.testing.assert_array_equal(by_class.coefs_[0], by_sample.coefs_[0])

    sample_weight = np.linspace(0.5, 1.5, len(y))
    balanced = compute_class_weight("balanced", classes=np.unique(y), y=y)
    both = FastBPClassifier(class_weight="balanced", **params).fit(
        X, y, sample_weight=sample_weight
    )
    product = FastBPClassifier(**params).fit(
        X, y, sample_weight=sample_weight * balanced[y]
    )
    np.testing.assert_allclose(both.coefs_[0], product.coefs_[0], rtol=1e-12)


def test_class_weight_errors(blobs):
    X, y = blobs
    online = FastBPClassifier(class_weight="balanced")
    with pytest.raises(ValueError, match="partial_fit does not see"):
        online.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not supported for multilabel"):
        FastBPClassifier(class_weight={0: 2.0}).fit(X, np.column_stack([y == 0, y == 1]))
    with pytest.raises(ValueError, match="zero for every example"):
        FastBPClassifier(class_weight={0: 0.0, 1: 0.0, 2: 0.0}).fit(X, y)
    # A dict works with partial_fit, classes declared up front.
    FastBPClassifier(class_weight={0: 3.0}, max_iter=2).partial_fit(X, y, classes=[0, 1, 2])


def test_early_stopping_keeps_the_best_epoch(monkeypatch):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    seen = []
    original = _base.validation_split

    def recording(*args):
        train, validate = original(*args)

        def validate_and_record(theta):
            score = validate(theta)
            seen.append((score[0], theta.copy()))
            return score

        return train, validate_and_record

    monkeypatch.setattr(_base, "validation_split", recording)
    model = FastBPClassifier(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=200,
        random_state=0,
    ).fit(X, y)
    scores = model.validation_scores_
    assert len(scores) == len(model.validation_loss_curve_) == model.n_iter_ < 200
    assert model.best_validation_score_ == max(scores) == max(s for s, _ in seen)
    assert model.best_loss_ is None
    best = int(np.argmax(scores))
    np.testing.assert_array_equal(model._theta, seen[best][1])  # best weights restored
    assert model.n_iter_ - 1 - best > 3  # stopped after n_iter_no_change epochs of no gain
    assert all(np.isfinite(model.validation_loss_curve_))


def test_validation_attributes_follow_sklearns_none_rules(blobs):
    X, y = blobs
    plain = small(FastBPClassifier).fit(X, y)
    assert plain.validation_scores_ is None and plain.best_validation_score_ is None
    assert plain.validation_loss_curve_ is None and plain.best_loss_ is not None
    stopped = small(FastBPRegressor, early_stopping=True, learning_rate_init=0.01)
    stopped.fit(X, X[:, 0])
    assert len(stopped.validation_scores_) == stopped.n_iter_
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        small(FastBPClassifier, early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


# -- Hogwild (n_jobs) -----------------------------------------------------------------


def test_hogwild_fit_matches_serial_accuracy():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    train, test = slice(0, 1400), slice(1400, None)
    scores = {}
    for n_jobs in (1, 2, -1):
        clf = FastBPClassifier(
            hidden_layer_sizes=(32,), max_iter=8, random_state=0, n_jobs=n_jobs
        ).fit(X[train], y[train])
        scores[n_jobs] = clf.score(X[test], y[test])
        assert np.isfinite(clf._theta).all() and len(clf.loss_curve_) == 8
    assert scores[1] > 0.85
    # Hogwild's races make each of its fits another: over random_state 0-11, four
    # fits each, the worst was 0.5 to 3.8 points from the serial fit's accuracy.
    assert abs(scores[2] - scores[1]) < 0.05 and abs(scores[-1] - scores[1]) < 0.05


def test_n_jobs_zero_is_refused(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="n_jobs == 0"):
        small(FastBPClassifier, n_jobs=0).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        dict(batch_size=1),
        dict(batch_size=32),
        dict(batch_size=1, momentum=0.9),
        dict(batch_size=1, verbose=2),
        dict(batch_size=1, early_stopping=True),
        dict(batch_size=1, n_jobs=2, hidden_layer_sizes=(96,)),
    ],
    ids=["per-example", "mini-batch", "momentum", "verbose-2", "early-stopping", "crew"],
)
def test_ctrl_c_while_a_kernel_runs_keeps_weights_and_counters_together(params, capsys):
    # A real SIGINT, delivered by a timer thread part-way through training: Python
    # raises it when the running kernel returns. The model must then hold exactly
    # the n_iter_ epochs its counters and curves describe (bit-equal to a fit of
    # that many epochs), its optimiser state included (one more warm-started epoch
    # of both stays equal).
    import signal

    rng = np.random.default_rng(0)
    # 96 x 96 first-layer weights train in blocks: with n_jobs=2, helper threads
    # share the passes (fastbp._crew), and must be stopped by the interruption. Rows
    # of a multiple of the vector width: the crew's sums are then bit-reproducible.
    X = rng.normal(size=(30_000, 96 if "n_jobs" in params else 100))
    y = (X[:, :3].sum(axis=1) > 0).astype(int)
    settings = dict(hidden_layer_sizes=(64,), random_state=0, tol=0.0,
                    n_iter_no_change=1000) | params  # fmt: skip
    # Python raises KeyboardInterrupt only under its default handler, which it does
    # not install when started with SIGINT ignored (a shell's background job).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_one_fit(X, y, settings)
    finally:
        if previous is not None:  # None: a handler installed outside Python
            signal.signal(signal.SIGINT, previous)
    capsys.readouterr()


def _interrupt_one_fit(X, y, settings):
    """Interrupt a fit of (X, y) after an epoch or more, and check what it keeps."""
    import os
    import signal
    import threading
    import time
    import warnings

    FastBPClassifier(max_iter=1, **settings).fit(X[:500], y[:500])  # compile
    started = time.perf_counter()
    FastBPClassifier(max_iter=1, **settings).fit(X, y)
    epoch_seconds = time.perf_counter() - started
    for _ in range(5):
        model = FastBPClassifier(max_iter=1000, **settings)
        timer = threading.Timer(2.5 * epoch_seconds, os.kill, (os.getpid(), signal.SIGINT))
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                timer.start()
                model.fit(X, y)
        except KeyboardInterrupt:
            continue  # landed before an epoch had finished: nothing kept, try again
        finally:
            timer.cancel()
        break
    assert any("interrupted by user" in str(w.message) for w in caught)
    assert not [t for t in threading.enumerate() if t.name.startswith("fastbp-crew")]
    epochs = model.n_iter_
    assert 1 <= epochs < 1000
    assert len(model.loss_curve_) == epochs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = FastBPClassifier(max_iter=epochs, **settings).fit(X, y)
        assert model.t_ == reference.t_
        np.testing.assert_array_equal(model.loss_curve_, reference.loss_curve_)
        for ours, theirs in zip(model.coefs_ + model.intercepts_,
                                reference.coefs_ + reference.intercepts_):  # fmt: skip
            np.testing.assert_array_equal(ours, theirs)
        for m in (model, reference):
            m.set_params(early_stopping=False).partial_fit(X[:2000], y[:2000])
        for ours, theirs in zip(model.coefs_, reference.coefs_):
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int32, np.int64])
def test_counted_labels_match_unique_and_type_of_target(dtype):
    # partial_fit counts small integer labels instead of sorting them: the same
    # classes, codes and target type as np.unique and sklearn's type_of_target.
    from sklearn.utils.multiclass import type_of_target

    from fastbp._classifier import _small_integer_labels

    rng = np.random.default_rng(0)
    high = 2 if dtype is bool else 200
    low = 0 if dtype in (bool, np.uint8) else -50
    for n_classes in (1, 2) if dtype is bool else (1, 2, 3, 7):
        values = rng.choice(np.arange(low, high), size=n_classes, replace=False)
        y = rng.choice(values, size=500).astype(dtype)
        target_type, classes, codes = _small_integer_labels(y)
        expected, inverse = np.unique(y, return_inverse=True)
        assert target_type == type_of_target(y)
        np.testing.assert_array_equal(classes, expected)
        assert classes.dtype == expected.dtype
        if codes is None:  # two consecutive values at most: the codes are y != low
            assert int(expected[-1]) - int(expected[0]) <= 1
            codes = y != classes[0]
        np.testing.assert_array_equal(codes, inverse)
    assert _small_integer_labels(np.array([0, 1 << 20])) is None  # sorted instead
    for y in (np.array([-128, 127, 0], dtype=np.int8),
              np.array([2**64 - 1, 2**64 - 3], dtype=np.uint64),
              np.array([-(2**63), -(2**63) + 5], dtype=np.int64)):  # fmt: skip
        _, classes, codes = _small_integer_labels(y)
        expected, inverse = np.unique(y, return_inverse=True)
        np.testing.assert_array_equal(classes, expected)
        np.testing.assert_array_equal(codes, inverse)
    for y in (np.array([True, True]), np.array([7, 6, 7], dtype=np.int8),
              np.array([2**64 - 1, 2**64 - 2], dtype=np.uint64)):  # fmt: skip
        target_type, classes, codes = _small_integer_labels(y)
        np.testing.assert_array_equal(classes, np.unique(y))
        assert (target_type, classes.dtype, codes) == ("binary", y.dtype, None)
    assert _small_integer_labels(np.array([0.0, 1.0])) is None


@pytest.mark.parametrize(
    "classes, batches",
    [
        ([False, True], [[True, False, True], [True, True], [False]]),
        ([0, 1, 2], [[1, 2, 2, 1], [0, 1], [2], [0, 2, 0]]),
        ([-3, 5], [[5, -3], [5, 5]]),
        (np.array([3, 4, 9], dtype=np.int8), [[4, 3], [9, 4], [3]]),
        (["cat", "dog"], [["dog", "cat"], ["cat"]]),
        (["a", "b", "c"], [["c", "b"], ["a"]]),
    ],
)
def test_encoded_targets_are_label_binarizers(classes, batches):
    # The targets the kernels train on, for every partial_fit batch (one class, two
    # consecutive integers, a subset of the classes, strings): LabelBinarizer's.
    from sklearn.preprocessing import LabelBinarizer

    classes = np.asarray(classes)
    model = FastBPClassifier(hidden_layer_sizes=(2,), random_state=0)
    model.partial_fit(np.zeros((2, 1)), classes[:2], classes=classes)
    expected = LabelBinarizer().fit(classes)
    for batch in batches:
        y = np.asarray(batch, dtype=classes.dtype)
        Y = model._encode_targets(y, first_pass=False, incremental=True, classes=None)
        np.testing.assert_array_equal(Y, expected.transform(y))


@pytest.mark.parametrize("name", ["FastBPClassifier", "MLPClassifier"])
def test_partial_fit_without_shuffling_draws_no_random_numbers(name, monkeypatch):
    # Only the first call (the initial weights) and shuffles need a generator: a
    # stream of unshuffled calls makes none (~20 us of a 100-row call).
    import fastbp

    X = np.random.default_rng(0).random((60, 3))
    y = X[:, 0] > 0.5
    model = getattr(fastbp, name)(hidden_layer_sizes=(4,), shuffle=False, random_state=0)
    model.partial_fit(X[:20], y[:20], classes=[False, True])
    expected = clone(model).partial_fit(X[:20], y[:20], classes=[False, True])
    expected.partial_fit(X[20:], y[20:])

    def no_generator():
        raise AssertionError("an unshuffled partial_fit call drew random numbers")

    monkeypatch.setattr(model, "_generator", no_generator)
    model.partial_fit(X[20:], y[20:])
    np.testing.assert_array_equal(model.coefs_[0], expected.coefs_[0])
    model.set_params(shuffle=True)
    with pytest.raises(AssertionError, match="drew random numbers"):
        model.partial_fit(X[20:], y[20:])


def test_a_long_stream_of_partial_fit_calls_costs_the_same_per_call():
    # Each call appends one epoch to loss_curve_; copying the curves made a call's
    # cost grow with the calls before it (7 ms per call after a million). Measured
    # without a clock: the memory one call allocates, early and after 10,000 calls.
    # A failed call still leaves the curves as they were.
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X[:, 0] > 0
    model = FastBPClassifier(hidden_layer_sizes=(), random_state=0)
    model.partial_fit(X, y, classes=[False, True])

    def allocated_by_one_call():
        tracemalloc.start()
        model.partial_fit(X[:1], y[:1])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    early = allocated_by_one_call()
    for i in range(10_000):
        model.partial_fit(X[i % 20 : i % 20 + 1], y[i % 20 : i % 20 + 1])
    assert len(model.loss_curve_) == 10_002
    assert allocated_by_one_call() < 2 * early
    before = list(model.loss_curve_)
    bad = X[:2].copy()
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.partial_fit(bad, y[:2])  # trains, then fails: the call is undone
    assert model.loss_curve_ == before
    assert model.n_iter_ == len(before)
    model.partial_fit(X[:1], y[:1])
    assert model.loss_curve_[:-1] == before and model.n_iter_ == len(before) + 1


def test_parameter_names_are_read_once_per_class_and_do_not_keep_it_alive():
    # get_params reads __init__'s signature once per class (a fit's parameter
    # validation calls it); a subclass made at run time is still freed.
    import gc
    import weakref

    def make_subclass():
        class Narrow(FastBPClassifier):
            def __init__(self, hidden_layer_sizes=(3,), alpha=0.0):
                super().__init__(hidden_layer_sizes=hidden_layer_sizes, alpha=alpha)

        return Narrow

    subclass = make_subclass()
    assert sorted(subclass().get_params()) == ["alpha", "hidden_layer_sizes"]
    assert "momentum" in FastBPClassifier().get_params()
    alive = weakref.ref(subclass)
    del subclass
    gc.collect()
    assert alive() is None


@pytest.mark.parametrize("name", ["FastBPClassifier", "MLPClassifier"])
def test_parameter_values_accepted_once_are_not_validated_again(name, monkeypatch):
    # scikit-learn validates every parameter at every fit (~0.1 ms of a small fit):
    # values it accepted for the class are not validated again; new, unhashable or
    # rejected values are, every time.
    import sklearn.base
    from sklearn.utils._param_validation import InvalidParameterError

    import fastbp

    calls = []
    validate = sklearn.base.validate_parameter_constraints

    def counted(constraints, params, caller_name):
        calls.append(caller_name)
        return validate(constraints, params, caller_name)

    monkeypatch.setattr(sklearn.base, "validate_parameter_constraints", counted)
    X = np.random.default_rng(0).random((40, 2))
    y = X[:, 0] > 0.5
    Estimator = getattr(fastbp, name)
    # A value no other test uses: its first fit is validated.
    params = dict(hidden_layer_sizes=(3,), alpha=0.000123, max_iter=2, random_state=0)
    model = Estimator(**params).fit(X, y)
    model.fit(X, y)
    Estimator(**params).fit(X, y)
    assert calls == [name]
    model.set_params(alpha=0.000456).fit(X, y)
    assert len(calls) == 2
    model.set_params(hidden_layer_sizes=[3]).fit(X, y)  # a list: unhashable
    model.fit(X, y)
    assert len(calls) == 4
    for _ in range(2):
        with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
            model.set_params(hidden_layer_sizes=(3,), alpha=-1.0).fit(X, y)
    assert len(calls) == 6
    model.set_params(alpha=0.000456).fit(X, y)
    assert len(calls) == 6
