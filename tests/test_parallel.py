"""Model-level parallelism: kernels without the GIL, worker processes without compiling."""

import numpy as np
import pytest
from joblib import Parallel, delayed, parallel_backend
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from fastbp import FastBPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

GRID = {"hidden_layer_sizes": [(8,), (16,)], "learning_rate_init": [0.01, 0.03]}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


def fit_and_report_compilation(X, y):
    """Fit with the JIT's kernels (not the build from install, fastbp._ahead) in this
    (worker) process; return what Numba compiled and loaded from disk."""
    from fastbp import _ahead, _functions
    from fastbp._kernels import dense, layers

    with _ahead.jit_only():
        FastBPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(X, y)
    # The epoch kernel's cached machine code includes the helpers it calls, so they
    # are neither loaded nor compiled on their own.
    dispatchers = (dense.sgd_epoch, layers.update_parameters, _functions.activate)
    compiled = sum(sum(d.stats.cache_misses.values()) for d in dispatchers)
    loaded = sum(dense.sgd_epoch.stats.cache_hits.values())
    return compiled, loaded


def test_loky_workers_load_the_kernels_from_the_disk_cache(digits):
    X, y = digits
    fit_and_report_compilation(X, y)  # fills the cache, if it was empty
    results = Parallel(n_jobs=2, backend="loky")(
        delayed(fit_and_report_compilation)(X, y) for _ in range(2)
    )
    for compiled, loaded in results:
        assert compiled == 0 and loaded == 1


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_grid_search_in_parallel_matches_serial(digits, backend):
    X, y = digits
    searches = {}
    for n_jobs in (1, 2):
        search = GridSearchCV(
            FastBPClassifier(max_iter=5, random_state=0), GRID, cv=2, n_jobs=n_jobs
        )
        with parallel_backend(backend):
            searches[n_jobs] = search.fit(X, y)
    # Serial SGD is deterministic, so every candidate scores the same either way.
    np.testing.assert_array_equal(
        searches[2].cv_results_["mean_test_score"],
        searches[1].cv_results_["mean_test_score"],
    )
    assert searches[2].best_params_ == searches[1].best_params_


def test_threads_train_models_concurrently_with_the_serial_results(digits):
    # Two threads in the kernels at once (nogil) must not disturb each other.
    X, y = digits
    models = [
        FastBPClassifier(hidden_layer_sizes=(16,), max_iter=4, random_state=s)
        for s in range(4)
    ]
    expected = [m.fit(X, y)._theta.copy() for m in models]
    fitted = Parallel(n_jobs=2, backend="threading")(delayed(m.fit)(X, y) for m in models)
    for model, theta in zip(fitted, expected):
        np.testing.assert_array_equal(model._theta, theta)


THREADED_SEARCH = """
import warnings
import joblib, numba
import numpy as np
from sklearn.model_selection import GridSearchCV
from fastbp import FastBPClassifier

rng = np.random.default_rng(0)
X = rng.normal(size=(4000, 20))
y = X[:, 0] > 0
warnings.simplefilter("ignore")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", UserWarning)
    with joblib.parallel_backend("threading", n_jobs=2):
        search = GridSearchCV(
            FastBPClassifier(hidden_layer_sizes=(16,), n_jobs=2, max_iter=5),
            {"alpha": [0.0, 1e-4, 1e-3, 1e-2]},
            cv=2,
        ).fit(X, y)
print(numba.threading_layer())
print(search.best_score_)
print(sum("one at a time" in str(w.message) for w in caught))
"""


def test_threaded_search_of_threaded_models_survives_the_workqueue_layer():
    # Numba's workqueue layer aborts the interpreter on concurrent parallel launches
    # ("not threadsafe"); a real threaded GridSearchCV in a child process with that
    # layer forced must finish, serialising the launches with one warning.
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue")
    done = subprocess.run(
        [sys.executable, "-c", THREADED_SEARCH],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    layer, score, warned = done.stdout.split()
    assert layer == "workqueue"
    assert float(score) > 0.9
    assert int(warned) == 1


def test_seconds_to_reach_is_the_first_time_at_or_above_the_accuracy():
    from fastbp._bench.accuracy import seconds_to_reach

    curve = (np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.5, 0.8, 0.7, 0.9]))
    assert seconds_to_reach(curve, 0.8) == 0.2
    assert seconds_to_reach(curve, 0.85) == 0.4
    assert seconds_to_reach(curve, 0.95) == np.inf


def test_speedups_to_accuracy_compare_with_the_serial_curve_at_each_epoch():
    from fastbp._bench.accuracy import speedups_to_accuracy

    curves = {
        "n_jobs=1": (
            np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
            np.array([0.1, 0.4, 0.6, 0.7, 0.8]),
        ),
        "n_jobs=2": (
            np.array([0.5, 1.0, 1.5, 2.0, 2.5]),
            np.array([0.1, 0.3, 0.6, 0.6, 0.7]),
        ),
    }
    # 0.6 (serial, 3 epochs: 3 s) is reached at 1.5 s; 0.8 (5 epochs) never.
    assert speedups_to_accuracy(curves) == {3: 2.0, 5: 0.0}


def test_mnist_shaped_features_standardized_or_scaled_to_the_training_range():
    from fastbp._bench.workloads import mnist_shaped

    (X, y), (X_test, _) = mnist_shaped(300, 100)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1.0)
    (U, u), (U_test, _) = mnist_shaped(300, 100, features="unit")
    np.testing.assert_array_equal(u, y)  # the same examples, scaled otherwise
    np.testing.assert_allclose(U.min(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(U.max(axis=0), 1.0)
    # Held-out rows are scaled by the training rows' range, as a fitted scaler would.
    np.testing.assert_allclose(
        (U_test - U[0]) / (U[1] - U[0]), (X_test - X[0]) / (X[1] - X[0]), rtol=1e-9
    )
    with pytest.raises(ValueError, match="features must be"):
        mnist_shaped(300, 100, features="minmax")


@pytest.mark.slow
def test_hogwild_curves_time_both_thread_counts_epoch_by_epoch():
    from fastbp._bench.accuracy import hogwild_curves

    curves = hogwild_curves(seed=0, epochs=3, size=1_500, warm_up=100)
    assert set(curves) == {"n_jobs=1", "n_jobs=2"}
    for seconds, accuracies in curves.values():
        assert len(seconds) == len(accuracies) == 3
        assert (np.diff(seconds) > 0).all() and seconds[0] > 0
        # Ten classes: both learn well above chance (0.1) in three epochs.
        assert (accuracies[-1] > 0.3) and (accuracies <= 1).all()
