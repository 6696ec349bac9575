"""Training cost per epoch and per example (JIT warmed up in setup)."""

import time
from functools import partial

import numpy as np

from .common import OneBLASThread, fastbp_model, workload


class Epoch(OneBLASThread):
    """One epoch of ``partial_fit`` per workload, batch mode and dtype (one thread)."""

    params = (["A", "B", "C", "D"], [1, 200, "full"], ["float64", "float32"])
    param_names = ["workload", "batch_size", "dtype"]
    timeout = 300

    def setup(self, name, batch_size, dtype):
        X, y, hidden, loss = workload(name)
        self.X = X.astype(dtype)
        self.y = y
        self.model = fastbp_model(hidden, loss, batch_size)
        self.one_blas_thread()
        # Compiles the kernels (or loads them from the cache) outside every timing.
        self.model.partial_fit(self.X[:400], y[:400], classes=np.unique(y))

    def time_epoch(self, *args):
        self.model.partial_fit(self.X, self.y)

    def track_ns_per_example(self, *args):
        start = time.perf_counter()
        self.model.partial_fit(self.X, self.y)
        return (time.perf_counter() - start) / len(self.X) * 1e9

    track_ns_per_example.unit = "ns"

    def track_examples_per_second(self, *args):
        start = time.perf_counter()
        self.model.partial_fit(self.X, self.y)
        return len(self.X) / (time.perf_counter() - start)

    track_examples_per_second.unit = "examples/s"


class ActivationEpoch(OneBLASThread):
    """Per-example cost of B's network (64-32-10, digits) per hidden activation: a
    layer of 8 or more units is activated 8 units per instruction (``fastbp/_exp.py``);
    a rise here is a loop that went scalar (its A/B, new copy loaded first: logistic
    0.69x-0.77x, tanh 0.43x; docs/architecture.md, "Measuring")."""

    params = ["logistic", "tanh", "relu"]
    param_names = ["activation"]

    epochs = 10  # in one fit: a call's own set-up (~0.3 ms) stays out of the figure

    def setup(self, activation):
        X, y, hidden, loss = workload("B")
        self.X, self.y = X, y
        self.model = fastbp_model(
            hidden, loss, 1, max_iter=self.epochs, tol=0.0, n_iter_no_change=10**6
        ).set_params(activation=activation)
        self.one_blas_thread()
        self.model.fit(X[:400], y[:400])  # compiles, or loads, the kernels

    def track_ns_per_example(self, activation):
        start = time.perf_counter()
        self.model.fit(self.X, self.y)
        return (time.perf_counter() - start) / (self.epochs * len(self.X)) * 1e9

    track_ns_per_example.unit = "ns"


class RatioToSklearn(OneBLASThread):
    """fastbp time / sklearn MLPClassifier time on the same examples (lower is better)."""

    params = (["A", "B", "C"], [1, 200])
    param_names = ["workload", "batch_size"]
    timeout = 600

    def setup(self, name, batch_size):
        from fastbp._bench.workloads import sklearn_mlp

        X, y, hidden, loss = workload(name)
        n = 2000 if batch_size == 1 else len(X)  # sklearn's per-example loop is slow
        self.X, self.y = X[:n], y[:n]
        classes = np.unique(y)
        self.fastbp = fastbp_model(hidden, loss, batch_size)
        self.fastbp.partial_fit(self.X[:400], self.y[:400], classes=classes)
        self.sklearn = sklearn_mlp(hidden, batch_size)
        self.sklearn.partial_fit(self.X[:400], self.y[:400], classes=classes)
        self.one_blas_thread()

    def track_time_ratio(self, *args):
        ratios = []
        for _ in range(3):  # interleaved rounds; the median resists a noisy neighbour
            start = time.perf_counter()
            self.fastbp.partial_fit(self.X, self.y)
            middle = time.perf_counter()
            self.sklearn.partial_fit(self.X, self.y)
            ratios.append((middle - start) / (time.perf_counter() - middle))
        return float(np.median(ratios))

    track_time_ratio.unit = "fastbp/sklearn"


class FloorRatio(OneBLASThread):
    """fastbp's ``fit`` time / the plain Numba loop's (``fastbp/_bench/floor.py``) on
    the same examples and epochs, one thread (the speed issue's target: 1.3x)."""

    params = (["A", "B", "D"], ["float64", "float32"])
    param_names = ["workload", "dtype"]
    timeout = 600

    def setup(self, name, dtype):
        from fastbp._bench.floor import floor_fit
        from fastbp._bench.workloads import EPOCHS

        X, y, hidden, loss = workload(name)
        self.X, self.y = X.astype(dtype), y
        self.model = fastbp_model(hidden, loss, 1, max_iter=EPOCHS[name], tol=0.0)
        self.model.fit(self.X[:400], y[:400])  # compiles, or loads from the cache
        floor_fit(self.model, self.X[:400], y[:400], 1)()
        self.floor = floor_fit(self.model, self.X, y, EPOCHS[name])
        self.one_blas_thread()

    def track_time_ratio(self, *args):
        from fastbp._bench.timing import alternating_seconds

        fit = lambda: self.model.fit(self.X, self.y)  # noqa: E731
        fastbp, floor = alternating_seconds([fit, self.floor], 3)
        return float(np.median(np.array(fastbp) / np.array(floor)))

    track_time_ratio.unit = "fastbp/floor"


class Predict(OneBLASThread):
    """Batched prediction on workload C."""

    params = ["float64", "float32"]
    param_names = ["dtype"]

    def setup(self, dtype):
        X, y, hidden, loss = workload("C")
        self.X = X.astype(dtype)
        self.model = fastbp_model(hidden, loss, 200, max_iter=1).fit(self.X, y)
        self.model.predict(self.X[:10])
        self.one_blas_thread()

    def time_predict_proba(self, dtype):
        self.model.predict_proba(self.X)


def peakmem_fit_C():
    """Peak memory of one epoch of fitting workload C (X is 125 MB in float64)."""
    X, y, hidden, loss = workload("C")
    fastbp_model(hidden, loss, 1, max_iter=1).fit(X, y)


class EpochWithL2(OneBLASThread):
    """Per-example epoch of workload C with scikit-learn's default ``alpha=1e-4``.

    The other benchmarks train without L2; with it, every example also decays every
    weight, which the block kernel folds into one scale factor.
    """

    params = ["float64", "float32"]
    param_names = ["dtype"]
    timeout = 300

    def setup(self, dtype):
        X, y, hidden, loss = workload("C")
        self.X = X.astype(dtype)
        self.y = y
        self.model = fastbp_model(hidden, loss, 1)
        self.model.set_params(alpha=1e-4)
        self.one_blas_thread()
        self.model.partial_fit(self.X[:400], y[:400], classes=np.unique(y))

    def time_epoch(self, dtype):
        self.model.partial_fit(self.X, self.y)


class BlockKernelRatio(OneBLASThread):
    """Workload C, one per-example epoch: block kernel time / one-example kernel time.

    The lever of ``fastbp._kernels.block`` (the first layer read once per 4 examples)
    on its own; lower is better, 1 means it no longer pays.
    """

    params = [0.0, 1e-4]
    param_names = ["alpha"]
    timeout = 300

    def setup(self, alpha):
        X, y, hidden, loss = workload("C")
        self.X, self.y = X, y
        self.model = fastbp_model(hidden, loss, 1)
        self.model.set_params(alpha=alpha)
        self.model.partial_fit(X[:400], y[:400], classes=np.unique(y))
        self.one_blas_thread()

    def _epoch_seconds(self, blocks):
        from fastbp import _trainers

        saved = _trainers.BLOCK_MIN_WEIGHTS
        _trainers.BLOCK_MIN_WEIGHTS = saved if blocks else np.inf
        try:
            start = time.perf_counter()
            self.model.partial_fit(self.X, self.y)
            return time.perf_counter() - start
        finally:
            _trainers.BLOCK_MIN_WEIGHTS = saved

    def track_time_ratio(self, alpha):
        self._epoch_seconds(False)  # compiles the one-example kernel, outside timing
        ratios = [self._epoch_seconds(True) / self._epoch_seconds(False) for _ in range(3)]
        return float(np.median(ratios))

    track_time_ratio.unit = "ratio"


class ShuffledRatio(OneBLASThread):
    """One per-example epoch with ``shuffle=True`` / the same epoch unshuffled.

    Rows visited in random order miss the caches; the one-example kernel requests
    each example's lines a few examples ahead (``fastbp._kernels.prefetch``). Lower
    is better; 1 means shuffling costs nothing.
    """

    params = ["C", "D"]
    param_names = ["workload"]
    timeout = 300

    def setup(self, name):
        X, y, hidden, loss = workload(name)
        self.X, self.y = X, y
        self.models = {}
        for shuffle in (False, True):
            model = fastbp_model(hidden, loss, 1, warm_start=True, max_iter=1, tol=0.0)
            model.set_params(shuffle=shuffle)
            model.fit(X[:400], y[:400])  # compiles, outside every timing
            self.models[shuffle] = model
        self.one_blas_thread()

    def _epoch_seconds(self, shuffle):
        start = time.perf_counter()
        self.models[shuffle].fit(self.X, self.y)
        return time.perf_counter() - start

    def track_time_ratio(self, name):
        ratios = [self._epoch_seconds(True) / self._epoch_seconds(False) for _ in range(3)]
        return float(np.median(ratios))

    track_time_ratio.unit = "ratio"


class PartialFitRatio(OneBLASThread):
    """One ``partial_fit`` call over workload D / one epoch of a 3-epoch ``fit``.

    Each call validates X again; its finiteness is left to the weights the kernel
    writes (``fastbp._finite``). Lower is better; 1 means the call costs no more than
    an epoch.
    """

    timeout = 300
    epochs = 3

    def setup(self):
        X, y, hidden, loss = workload("D")
        self.X, self.y = X, y
        self.params = {"max_iter": self.epochs, "tol": 0.0, "n_iter_no_change": 10**6}
        self.incremental = fastbp_model(hidden, loss, 1)
        self.incremental.partial_fit(X[:400], y[:400], classes=np.unique(y))
        fastbp_model(hidden, loss, 1, **self.params).fit(X[:400], y[:400])  # compiles
        self.hidden, self.loss = hidden, loss
        self.one_blas_thread()

    def _ratio(self):
        model = fastbp_model(self.hidden, self.loss, 1, **self.params)
        start = time.perf_counter()
        model.fit(self.X, self.y)
        epoch = (time.perf_counter() - start) / self.epochs
        start = time.perf_counter()
        self.incremental.partial_fit(self.X, self.y)
        return (time.perf_counter() - start) / epoch

    def track_time_ratio(self):
        return float(np.median([self._ratio() for _ in range(3)]))

    track_time_ratio.unit = "ratio"


class StreamRatio(OneBLASThread):
    """A stream of small ``partial_fit`` batches of workload D's rows: fastbp's time per
    call / ``SGDClassifier``'s, and fastbp's microseconds per call.

    A call's fixed cost (validation, target encoding, set-up) is most of a small
    batch's; lower is better.
    """

    params = [100, 1000]
    param_names = ["batch"]
    timeout = 300
    rows = 20_000

    def setup(self, batch):
        from fastbp._bench.workloads import sgd_classifier

        X, y, hidden, loss = workload("D")
        self.X, self.y = X[: self.rows], y[: self.rows]
        classes = np.unique(y)
        self.models = [fastbp_model(hidden, loss, 1), sgd_classifier(1)]
        for model in self.models:
            model.partial_fit(self.X[:batch], self.y[:batch], classes=classes)
        self.one_blas_thread()

    def _stream_seconds(self, model, batch):
        """Seconds per call of one pass over the rows in ``batch``-row calls."""
        start = time.perf_counter()
        for first in range(0, self.rows, batch):
            model.partial_fit(self.X[first : first + batch], self.y[first : first + batch])
        return (time.perf_counter() - start) / (self.rows // batch)

    def track_time_ratio(self, batch):
        from fastbp._bench.timing import alternating_seconds

        streams = [partial(self._stream_seconds, model, batch) for model in self.models]
        fastbp, sgd = alternating_seconds(streams, 3)
        return float(np.median(np.array(fastbp) / np.array(sgd)))

    track_time_ratio.unit = "ratio"

    def track_microseconds_per_call(self, batch):
        return 1e6 * min(self._stream_seconds(self.models[0], batch) for _ in range(3))

    track_microseconds_per_call.unit = "us"


class GrownDataRatio(OneBLASThread):
    """Workload D's data grown to ``BIG_ROWS`` rows (800 MB of X): a ``fit`` epoch's
    cost per example there / with D's 100,000 rows, and / one ``X.sum()`` over the
    grown rows per row (the speed issue's "cost as the data grows"). Lower is
    better; shuffled epochs are ``ShuffledRatio``'s.
    """

    params = ["per example at 100,000 rows", "X.sum() per row"]
    param_names = ["against"]
    timeout = 600

    def setup(self, against):
        from fastbp._bench.workloads import BIG_ROWS, delta_rule_data

        X, y, hidden, loss = workload("D")
        self.small = (X, y)
        self.big = delta_rule_data(BIG_ROWS, np.random.default_rng(1))
        self.model = fastbp_model(hidden, loss, 1, max_iter=1, tol=0.0)
        self.model.fit(X[:400], y[:400])  # compiles, outside every timing
        self.one_blas_thread()

    def _per_example(self, data):
        start = time.perf_counter()
        self.model.fit(*data)
        return (time.perf_counter() - start) / len(data[0])

    def _per_row_sum(self):
        X = self.big[0]
        start = time.perf_counter()
        X.sum()
        return (time.perf_counter() - start) / len(X)

    def track_time_ratio(self, against):
        if against == "X.sum() per row":
            ratios = [self._per_example(self.big) / self._per_row_sum() for _ in range(3)]
        else:
            ratios = [
                self._per_example(self.big) / self._per_example(self.small)
                for _ in range(3)
            ]
        return float(np.median(ratios))

    track_time_ratio.unit = "ratio"
