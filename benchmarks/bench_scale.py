"""Scale: threads (n_jobs=2; on workload C's network a crew sharing the block kernel's
passes, Hogwild! elsewhere), a threaded grid search and sparse input (costs and ratios).
The classes keep their Hogwild names: renaming them would start their history anew."""

import time

import numpy as np
from threadpoolctl import threadpool_limits

from .common import OneBLASThread, fastbp_model, workload


class Hogwild(OneBLASThread):
    """One per-example epoch of workload C with ``n_jobs`` threads."""

    params = [1, 2]
    param_names = ["n_jobs"]
    timeout = 300

    def setup(self, n_jobs):
        from fastbp._bench.workloads import hogwild_model

        X, y, _, _ = workload("C")
        self.X, self.y = X, y
        self.model = hogwild_model(n_jobs, max_iter=1)
        self.one_blas_thread()
        self.model.partial_fit(X[:400], y[:400], classes=np.unique(y))

    def time_epoch(self, n_jobs):
        self.model.partial_fit(self.X, self.y)

    def track_examples_per_second(self, n_jobs):
        start = time.perf_counter()
        self.model.partial_fit(self.X, self.y)
        return len(self.X) / (time.perf_counter() - start)

    track_examples_per_second.unit = "examples/s"


class HogwildRatio(OneBLASThread):
    """Epoch time with 2 threads / with 1 (lower is better; 0.5 is ideal)."""

    timeout = 300

    def setup(self):
        from fastbp._bench.workloads import hogwild_model

        X, y, _, _ = workload("C")
        self.X, self.y = X, y
        classes = np.unique(y)
        self.models = [hogwild_model(n, max_iter=1) for n in (1, 2)]
        for model in self.models:
            model.partial_fit(X[:400], y[:400], classes=classes)
        self.one_blas_thread()

    def track_time_ratio(self):
        times = []
        for model in self.models:
            start = time.perf_counter()
            model.partial_fit(self.X, self.y)
            times.append(time.perf_counter() - start)
        return times[1] / times[0]

    track_time_ratio.unit = "ratio"


class HogwildSmallEpoch(OneBLASThread):
    """Hogwild! proper (n_jobs=2 where the block kernel does not run): one
    ``partial_fit`` epoch of workload A, B or D, which last under a few
    milliseconds, so a fixed cost per epoch (a launch of the thread pool) shows."""

    params = [["A", "B", "D"], [1, 2]]
    param_names = ["workload", "n_jobs"]
    timeout = 300

    def setup(self, name, n_jobs):
        X, y, hidden, loss = workload(name)
        self.X, self.y = X, y
        self.model = fastbp_model(hidden, loss, 1, n_jobs=n_jobs, max_iter=1)
        self.model.partial_fit(X[:400], y[:400], classes=np.unique(y))
        self.one_blas_thread()

    def time_epoch(self, name, n_jobs):
        self.model.partial_fit(self.X, self.y)


class HogwildTimeToAccuracy:
    """Two threads on workload C's network, judged by time to accuracy (both costs: lower
    is better; medians over three seeds).

    ``track_time_ratio``: the time ``n_jobs=2`` takes to reach the test accuracy the
    serial fit had after ``epochs`` epochs, over the serial fit's time (issue 16's
    target: 1 / 1.6 = 0.625 or less; NaN, no point, if two threads never reached it
    within 6 epochs). ``track_final_accuracy_difference``: the two fits' test
    accuracies after 6 epochs apart, in points (the same for both ``epochs``).
    """

    params = [3, 5]
    param_names = ["epochs"]
    timeout = 600

    def setup_cache(self):
        from fastbp._bench.accuracy import hogwild_curves

        with threadpool_limits(1):
            return [hogwild_curves(seed) for seed in (0, 1, 2)]

    def track_time_ratio(self, all_curves, epochs):
        from fastbp._bench.accuracy import speedups_to_accuracy

        speedups = [speedups_to_accuracy(curves)[epochs] for curves in all_curves]
        ratio = float(np.median([1 / s if s else np.inf for s in speedups]))
        return ratio if np.isfinite(ratio) else float("nan")

    track_time_ratio.unit = "ratio"

    def track_final_accuracy_difference(self, all_curves, epochs):
        gaps = [c["n_jobs=2"][1][-1] - c["n_jobs=1"][1][-1] for c in all_curves]
        return float(100 * np.median(np.abs(gaps)))

    track_final_accuracy_difference.unit = "points"


class HogwildSteepTimeToAccuracy(HogwildTimeToAccuracy):
    """:class:`HogwildTimeToAccuracy` on the same data with features scaled to [0, 1]
    (``mnist_shaped(features='unit')``): a steep learning curve, where each epoch's
    learning decides the time to accuracy (standardized features reach the plateau
    in the first epoch)."""

    def setup_cache(self):
        from fastbp._bench.accuracy import hogwild_curves

        with threadpool_limits(1):
            return [hogwild_curves(seed, features="unit") for seed in (0, 1, 2)]


class GridSearchThreads(OneBLASThread):
    """GridSearchCV (8 candidates, 2 folds, digits), threading backend: time with
    n_jobs=2 / with n_jobs=1 (lower is better; 0.5 is ideal)."""

    timeout = 600

    def setup(self):
        from fastbp._bench.scale import grid_search_seconds

        self.one_blas_thread()
        grid_search_seconds(1)  # compiles the kernels or loads them from the cache

    def track_time_ratio(self):
        from fastbp._bench.scale import grid_search_seconds

        return grid_search_seconds(2) / grid_search_seconds(1)

    track_time_ratio.unit = "ratio"


def _text(documents=20_000):
    from fastbp._bench.workloads import text_like

    return text_like(documents)


class SparseText:
    """One per-example epoch on hashed text (2^18 columns, ~77 non-zeros per row)."""

    params = [[0, 64]]
    param_names = ["hidden_units"]
    timeout = 300

    def setup(self, hidden_units):
        from fastbp import FastBPClassifier
        from fastbp._bench.workloads import SETTINGS

        self.X, self.y = _text()
        hidden = (hidden_units,) if hidden_units else ()
        self.model = FastBPClassifier(hidden_layer_sizes=hidden, max_iter=1, **SETTINGS)
        self.model.partial_fit(self.X[:200], self.y[:200], classes=np.unique(self.y))

    def time_epoch(self, hidden_units):
        self.model.partial_fit(self.X, self.y)

    def track_examples_per_second(self, hidden_units):
        start = time.perf_counter()
        self.model.partial_fit(self.X, self.y)
        return self.X.shape[0] / (time.perf_counter() - start)

    track_examples_per_second.unit = "examples/s"


class SparseLinearRatio:
    """Hashed text, no hidden layer, 3 epochs: fastbp's fit time / SGDClassifier's
    (lower is better), the median of 3 rounds in alternating order."""

    timeout = 300

    def setup(self):
        from fastbp import FastBPClassifier
        from fastbp._bench.workloads import SETTINGS, sgd_classifier

        self.X, self.y = _text()
        self.models = [
            FastBPClassifier(hidden_layer_sizes=(), max_iter=3, **SETTINGS),
            sgd_classifier(3),
        ]
        self.models[0].fit(self.X[:200], self.y[:200])  # compile, or load the cache

    def track_time_ratio(self):
        from fastbp._bench.timing import alternating_seconds

        fits = [lambda model=model: model.fit(self.X, self.y) for model in self.models]
        fastbp, sgd = alternating_seconds(fits, 3)
        return float(np.median(np.array(fastbp) / np.array(sgd)))

    track_time_ratio.unit = "ratio"
