"""Scaling out with Dask: a grid search on a cluster, and training out of core.

Starts a local Dask cluster (two worker processes on this machine); point
``Client(...)`` at a real scheduler's address to use a real cluster instead. Needs
the dask extra: ``pip install 'fastbp[dask]'``.

1. ``GridSearchCV`` sends its fits to the cluster through joblib's dask backend.
2. ``dask_ml.wrappers.Incremental`` trains on a chunked ``dask.array`` block by
   block (``partial_fit``), so the data never has to fit in one process's memory.
"""

import warnings

import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster
from dask_ml.wrappers import Incremental
from joblib import parallel_backend
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from fastbp import FastBPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, y_train, X_test, y_test = X[:1500], y[:1500], X[1500:], y[1500:]

if __name__ == "__main__":  # worker processes re-import this file
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    )
    with Client(cluster) as client:
        print(f"Dask cluster: {len(client.scheduler_info()['workers'])} workers")

        grid = {"hidden_layer_sizes": [(32,), (64,)], "learning_rate_init": [0.01, 0.03]}
        search = GridSearchCV(FastBPClassifier(max_iter=20, random_state=0), grid, cv=3)
        with parallel_backend("dask"):
            search.fit(X_train, y_train)
        print(f"grid search on the cluster: best {search.best_params_}")
        print(f"  cross-validated accuracy {search.best_score_:.3f}")
        print(f"  test accuracy {search.score(X_test, y_test):.3f}")

        # Out of core: 5 blocks of 300 rows, 10 passes of partial_fit over them.
        X_blocks = da.from_array(X_train, chunks=(300, X.shape[1]))
        y_blocks = da.from_array(y_train, chunks=300)
        model = Incremental(FastBPClassifier(hidden_layer_sizes=(64,), random_state=0))
        for _ in range(10):
            model.partial_fit(X_blocks, y_blocks, classes=np.unique(y))
        accuracy = model.estimator_.score(X_test, y_test)
        print(f"Incremental (partial_fit block by block): test accuracy {accuracy:.3f}")
    cluster.close()
