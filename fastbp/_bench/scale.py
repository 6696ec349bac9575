"""``python -m fastbp bench --scale``: the multi-core and sparse figures.

Each comparison runs its contenders in interleaved rounds in one process and reports
median [min, max] of the per-round figures, so that a noisy neighbour slows the
contenders of a round alike. BLAS is limited to one thread throughout, so that only
the parallelism being measured uses the second core.
"""

import time
import warnings

import numpy as np

from .accuracy import (
    CURVE_EPOCHS,
    TARGET_EPOCHS,
    curve_line,
    dask_curves,
    hogwild_curves,
    speedups_to_accuracy,
)
from .timing import alternating_seconds, median_range
from .workloads import (
    HOGWILD_EPOCHS,
    MNIST_FEATURES,
    SETTINGS,
    grid_candidates,
    hogwild_model,
    mnist_shaped,
    sgd_classifier,
    sklearn_mlp,
    text_like,
)


def hogwild(rounds=5, size=20_000):
    """Examples/s of n_jobs=2 and 1 on workload C, and test accuracy after equal epochs."""
    (X, y), (X_test, y_test) = mnist_shaped(size, size // 5)
    models = {n_jobs: hogwild_model(n_jobs) for n_jobs in (1, 2)}
    for model in models.values():
        model.fit(X[:400], y[:400])  # compile, or load from the cache
    rates = {n_jobs: [] for n_jobs in models}
    accuracy = {n_jobs: [] for n_jobs in models}
    for _ in range(rounds):
        for n_jobs, model in models.items():
            started = time.perf_counter()
            model.fit(X, y)
            rates[n_jobs].append(HOGWILD_EPOCHS * len(X) / (time.perf_counter() - started))
            accuracy[n_jobs].append(model.score(X_test, y_test))
    return rates, accuracy


def hogwild_to_accuracy(seeds, size=15_000, features="standardized"):
    """Print :func:`fastbp._bench.accuracy.hogwild_curves` of each seed and the
    speed-ups to the serial fit's accuracy; returns ``(curves, speed-ups)`` per seed."""
    print(
        f"\nThreads (n_jobs=2) time to accuracy: workload C's network on MNIST-shaped data "
        f"({MNIST_FEATURES[features]}; {size:,} rows, test accuracy on {size // 3:,}), one "
        "partial_fit epoch at a time; per epoch: test accuracy (cumulative seconds)"
    )
    results = []
    for seed in seeds:
        curves = hogwild_curves(seed, size=size, features=features)
        speedups = speedups_to_accuracy(curves)
        for name, curve in curves.items():
            print(f"  seed {seed} {name}: {curve_line(curve)}")
        gap = 100 * (curves["n_jobs=2"][1][-1] - curves["n_jobs=1"][1][-1])
        reached = ", ".join(f"{k} epochs {v:.2f}x" for k, v in speedups.items())
        final = f"after {CURVE_EPOCHS}: {gap:+.2f} points"
        print(f"    to the serial accuracy after {reached}; {final}")
        results.append((curves, speedups))
    for k in TARGET_EPOCHS:
        values = [speedups[k] for _, speedups in results]
        over = median_range(values)
        print(f"  speed-up to the serial accuracy after {k} epochs, over seeds: {over}x")
    return results


def dask_to_accuracy(size=20_000):
    """Print :func:`fastbp._bench.accuracy.dask_curves` and the speed-up of two
    workers to the one-worker fit's accuracy after 3 epochs (issue 16's target)."""
    print(
        f"\nfastbp.dask.ParallelSGD, workload C's network on MNIST-shaped data "
        f"({size:,} rows in four blocks on the workers, 2 rounds per epoch); per "
        "epoch count k: the test accuracy of a fit of k epochs (its seconds)"
    )
    curves = dask_curves(size=size)
    for name, curve in curves.items():
        print(f"  {name}: {curve_line(curve)}")
    speedups = speedups_to_accuracy(curves, (3,), "1 worker", "2 workers")
    print(f"  2 workers to the 1-worker accuracy after 3 epochs: {speedups[3]:.2f}x")
    return curves


def grid_search_seconds(n_jobs, backend="threading", epochs=40):
    """Wall time of GridSearchCV over :func:`grid_candidates` on digits (cv=2).

    ``refit=False``: the final refit on all the data is one fit that no backend can
    share out, and it would cap a 2-worker speed-up at 1.8x.
    """
    from joblib import parallel_backend
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV

    from fastbp import FastBPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    search = GridSearchCV(
        FastBPClassifier(max_iter=epochs, tol=0.0, random_state=0),
        grid_candidates(),
        cv=2,
        n_jobs=n_jobs,
        refit=False,
    )
    started = time.perf_counter()
    with parallel_backend(backend):
        search.fit(X, y)
    return time.perf_counter() - started


def grid_search(rounds=3, epochs=40):
    """Seconds of the threaded grid search with n_jobs=1 and n_jobs=2, interleaved."""
    grid_search_seconds(1)  # compile, or load from the cache
    seconds = {1: [], 2: []}
    for _ in range(rounds):
        for n_jobs in seconds:
            seconds[n_jobs].append(grid_search_seconds(n_jobs, epochs=epochs))
    return seconds


def sparse_contenders(X, y, epochs=3, mlp_examples=20):
    """name -> (fit, examples) for the sparse comparison, each a fresh fit."""

    from fastbp import FastBPClassifier

    linear = FastBPClassifier(hidden_layer_sizes=(), max_iter=epochs, **SETTINGS)
    hidden = FastBPClassifier(hidden_layer_sizes=(64,), max_iter=epochs, **SETTINGS)
    sgd = sgd_classifier(epochs)
    mlp = sklearn_mlp((64,), 1)
    n = len(y)
    for model in (linear, hidden):
        model.fit(X[:200], y[:200])  # compile, or load from the cache
    mlp.partial_fit(X[:2], y[:2], classes=np.unique(y))
    m = mlp_examples
    return {
        "fastbp linear": (lambda: linear.fit(X, y), epochs * n),
        "sklearn SGDClassifier": (lambda: sgd.fit(X, y), epochs * n),
        "fastbp 64 hidden": (lambda: hidden.fit(X, y), epochs * n),
        "sklearn MLP bs=1, 64 hidden": (lambda: mlp.partial_fit(X[:m], y[:m]), m),
    }


def sparse_rates(rounds=3, documents=20_000, mlp_examples=20):
    """Examples/s of :func:`sparse_contenders` in interleaved rounds.

    Each compared pair (linear, then 64 hidden units) has rounds of its own
    (:func:`alternating_seconds`): a fit after the 64-unit one (a first layer of
    2^24 weights) would find the caches emptied by it.
    """
    X, y = text_like(documents)
    contenders = sparse_contenders(X, y, mlp_examples=mlp_examples)
    rates = {}
    names = list(contenders)
    for pair in (names[:2], names[2:]):
        seconds = alternating_seconds([contenders[name][0] for name in pair], rounds)
        for name, values in zip(pair, seconds):
            rates[name] = [contenders[name][1] / value for value in values]
    return X, rates


def main(rounds=5, small=False):
    """Entry point of ``python -m fastbp bench --scale``.

    ``small=True`` shrinks every workload tenfold or more: a smoke test of the code,
    not a measurement.
    """
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rates, accuracy = hogwild(rounds, 2_000 if small else 20_000)
        print(
            f"Threads (n_jobs=2: a crew sharing the block kernel's passes), workload C's "
            f"network on learnable MNIST-shaped data "
            f"({2_000 if small else 20_000:,} examples, {HOGWILD_EPOCHS} epochs per fit, "
            "float64)"
        )
        for n_jobs in rates:
            print(
                f"  n_jobs={n_jobs}: examples/s {median_range(rates[n_jobs])}; "
                f"test accuracy {np.median(accuracy[n_jobs]):.4f}"
            )
        ratios = np.array(rates[2]) / np.array(rates[1])
        gap = np.array(accuracy[2]) - np.array(accuracy[1])
        print(f"  n_jobs=2 / n_jobs=1 (per round): {median_range(ratios)}x")
        print(f"  accuracy n_jobs=2 - n_jobs=1: {np.median(gap) * 100:+.2f} points")

        hogwild_to_accuracy(range(max(3, rounds)), 1_500 if small else 15_000)
        # Standardized features take the network near its plateau in the first epoch;
        # on a steep curve, each epoch's learning decides the time to accuracy.
        hogwild_to_accuracy(range(3), 1_500 if small else 15_000, "unit")

        try:
            import distributed  # noqa: F401
        except ImportError:
            print("\n(ParallelSGD skipped: pip install 'fastbp[dask]')")
        else:
            dask_to_accuracy(1_500 if small else 20_000)

        seconds = grid_search(max(2, rounds // 2), 3 if small else 40)
        print(
            f"\nGridSearchCV, 8 candidates x 2 folds on digits ({3 if small else 40} "
            "epochs each, no refit), threading backend (seconds)"
        )
        for n_jobs, values in seconds.items():
            print(f"  n_jobs={n_jobs}: {median_range(values)}")
        speedup = np.array(seconds[1]) / np.array(seconds[2])
        print(f"  n_jobs=2 speed-up (per round): {median_range(speedup)}x")

        X, rates = sparse_rates(
            max(2, rounds // 2), 1_000 if small else 20_000, 2 if small else 20
        )
        print(
            f"\nSparse text-like data: {X.shape[0]:,} hashed documents, "
            f"{X.shape[1]:,} features, {X.nnz / X.shape[0]:.0f} non-zeros per row, "
            "binary log-loss, per-example SGD (examples/s)"
        )
        for name, values in rates.items():
            print(f"  {name:30s}{median_range(values)}")
        linear = np.array(rates["fastbp linear"]) / np.array(rates["sklearn SGDClassifier"])
        hidden = np.array(rates["fastbp 64 hidden"]) / np.array(
            rates["sklearn MLP bs=1, 64 hidden"]
        )
        print(f"  fastbp linear / SGDClassifier (per round): {median_range(linear)}x")
        print(f"  fastbp 64 hidden / MLP bs=1 (per round): {median_range(hidden)}x")
