"""Dask: grid search on a cluster and out-of-core training, on a real LocalCluster."""

import numpy as np
import pytest

distributed = pytest.importorskip(
    "distributed", reason="the dask extra is not installed: pip install 'fastbp[dask]'"
)
dask_array = pytest.importorskip("dask.array", reason="needs the dask extra")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers", reason="needs the dask extra")

from joblib import parallel_backend  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from fastbp import FastBPClassifier  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]


@pytest.fixture(scope="module")
def client():
    """Two worker processes on loopback, started and closed by this module."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def test_grid_search_on_the_cluster_matches_local(client, digits):
    X, y = digits
    grid = {"hidden_layer_sizes": [(16,), (32,)], "learning_rate_init": [0.01, 0.05]}
    searches = {}
    for backend in ("loky", "dask"):
        search = GridSearchCV(FastBPClassifier(max_iter=5, random_state=0), grid, cv=2)
        with parallel_backend(backend, n_jobs=2):
            searches[backend] = search.fit(X, y)
    np.testing.assert_array_equal(
        searches["dask"].cv_results_["mean_test_score"],
        searches["loky"].cv_results_["mean_test_score"],
    )
    assert searches["dask"].best_score_ > 0.85
    # The workers really ran tasks.
    assert sum(client.run(lambda dask_worker: dask_worker.state.executed_count).values())


def test_incremental_out_of_core_equals_in_memory_partial_fit(client, digits):
    X, y = digits
    train, test = slice(0, 1500), slice(1500, None)
    chunks = 300
    X_blocks = dask_array.from_array(X[train], chunks=(chunks, X.shape[1]))
    y_blocks = dask_array.from_array(y[train], chunks=chunks)
    params = {"hidden_layer_sizes": (32,), "random_state": 0}
    classes = np.unique(y)

    out_of_core = dask_ml_wrappers.Incremental(
        FastBPClassifier(**params), shuffle_blocks=False
    )
    for _ in range(5):
        out_of_core.partial_fit(X_blocks, y_blocks, classes=classes)
    in_memory = FastBPClassifier(**params)
    for _ in range(5):
        for start in range(0, 1500, chunks):
            block = slice(start, start + chunks)
            in_memory.partial_fit(X[train][block], y[train][block], classes=classes)

    trained = out_of_core.estimator_
    np.testing.assert_array_equal(trained._theta, in_memory._theta)
    accuracy = trained.score(X[test], y[test])
    assert accuracy == in_memory.score(X[test], y[test]) and accuracy > 0.85
    # Prediction over blocks, on the workers.
    predicted = out_of_core.predict(dask_array.from_array(X[test], chunks=(100, 64)))
    np.testing.assert_array_equal(predicted.compute(), in_memory.predict(X[test]))
