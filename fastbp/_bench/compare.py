"""``python -m fastbp bench``: examples/s of fastbp next to the tools users have.

Every contender trains the same data with the same network and learning rate, one
thread (threadpoolctl limits BLAS), in one process: fastbp, sklearn's MLPClassifier
(per example and mini-batch), SGDClassifier for the linear workload, and a PyTorch
per-example loop when torch is installed (an optional dependency). Rounds are
interleaved (each round runs every contender once) so that a noisy neighbour slows
all of them alike;
the table gives median, min and max over rounds. The fraction of peak compares
fastbp's FLOP rate with a single-thread numpy matmul measured in a child process
whose environment lacks ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``.
"""

import json
import os
import subprocess
import sys
import time
import warnings
from itertools import pairwise

import numpy as np

from .floor import floor_fit
from .workloads import (
    BIG_ROWS,
    EPOCHS,
    LEARNING_RATE,
    SETTINGS,
    WORKLOADS,
    delta_rule_data,
    sgd_classifier,
    sklearn_mlp,
    workload,
)

_PEAK_CODE = """
import json, time, numpy as np
from threadpoolctl import threadpool_limits, threadpool_info
result = {}
with threadpool_limits(1):
    for name in ("float64", "float32"):
        a = np.random.default_rng(0).random((2000, 2000)).astype(name)
        b = a.copy()
        a @ b
        times = []
        for _ in range(5):
            start = time.perf_counter(); a @ b; times.append(time.perf_counter() - start)
        result[name] = 2 * 2000**3 / min(times) / 1e9
    result["blas"] = [(i.get("internal_api"), i.get("architecture"), i.get("version"))
                      for i in threadpool_info()]
print(json.dumps(result))
"""


def matmul_peak():
    """Single-thread matmul GFLOP/s (float64, float32) in a clean child process."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_CODE],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


FIRST_FIT = """
{prefix}
import numpy as np
from sklearn.datasets import load_digits
X, y = load_digits(return_X_y=True)
X = X / 16.0
{fit}
"""
_EMPTY_CACHE = "import os, tempfile; os.environ['NUMBA_CACHE_DIR'] = tempfile.mkdtemp()"
_FASTBP = (
    "from fastbp import FastBPClassifier\n"
    "FastBPClassifier(hidden_layer_sizes=(32,), max_iter=10, tol=0.0).fit(X, y)"
)
# The floor: the plainest Numba kernel of the step (floor.first_fit), the same network
# and epochs; importing it imports fastbp too (0.05-0.07 s of the floor's time).
_PLAIN_LOOP = (
    "from fastbp._bench.floor import first_fit\nfirst_fit(X, y, hidden=32, epochs=10)"
)
_JIT_ONLY = "import os; os.environ['FASTBP_AHEAD'] = '0'"
# (prefix, fit): a case's code before the data, and its fit. fastbp runs the kernels
# built at install where there are (fastbp._ahead), or the JIT's ("JIT kernels").
FIRST_FIT_CASES = {
    "fastbp, warm JIT cache": ("", _FASTBP),
    "fastbp, empty JIT cache": (_EMPTY_CACHE, _FASTBP),
    "fastbp JIT kernels, warm": (_JIT_ONLY, _FASTBP),
    "fastbp JIT kernels, empty": (_EMPTY_CACHE + "\n" + _JIT_ONLY, _FASTBP),
    "plain Numba loop, warm": ("", _PLAIN_LOOP),
    "plain Numba loop, empty": (_EMPTY_CACHE, _PLAIN_LOOP),
    "sklearn MLPClassifier": (
        "",
        "from sklearn.neural_network import MLPClassifier\n"
        "MLPClassifier(hidden_layer_sizes=(32,), solver='sgd', batch_size=1, "
        "max_iter=10, tol=0.0).fit(X, y)",
    ),
}


def first_fit_code(case):
    """Source of a fresh-interpreter run: imports, digits, 10 epochs at batch size 1."""
    prefix, fit = FIRST_FIT_CASES[case]
    return FIRST_FIT.format(prefix=prefix, fit=fit)


def first_fit_times(rounds=3):
    """Wall time of each :data:`FIRST_FIT_CASES` in a new interpreter, interleaved."""
    times = {case: [] for case in FIRST_FIT_CASES}
    for case in ("fastbp JIT kernels, warm", "plain Numba loop, warm"):
        subprocess.run(
            [sys.executable, "-W", "ignore", "-c", first_fit_code(case)],
            check=True,
            capture_output=True,
        )  # fills the cache
    for _ in range(rounds):
        for case in FIRST_FIT_CASES:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-W", "ignore", "-c", first_fit_code(case)],
                check=True,
                capture_output=True,
            )
            times[case].append(time.perf_counter() - start)
    return times


def flops_per_example(sizes):
    """Exact FLOPs of one per-example step: 2W forward, 2W update, 2W back-propagated
    deltas for every layer but the first, and 2 per bias."""
    weights = [a * b for a, b in pairwise(sizes)]
    return 4 * sum(weights) + 2 * sum(weights[1:]) + 2 * sum(sizes[1:])


def _timed(fit, n_examples):
    start = time.perf_counter()
    fit()
    return n_examples / (time.perf_counter() - start)


def _contenders(name, X, y, hidden, loss, with_sklearn):
    """name -> (fit: one timed round, examples processed by it)."""

    from fastbp import FastBPClassifier

    classes = np.unique(y)
    epochs = EPOCHS[name]
    common = dict(hidden_layer_sizes=hidden, **SETTINGS)
    result = {}
    for batch_size in (1, 200):
        for dtype in (np.float64, np.float32):
            model = FastBPClassifier(
                loss=loss, batch_size=batch_size, max_iter=epochs, **common
            )
            Xd = X.astype(dtype)
            model.fit(Xd[:400], y[:400])  # compile, or load from the cache
            result[f"fastbp bs={batch_size} {np.dtype(dtype).name}"] = (
                lambda m=model, Xd=Xd: m.fit(Xd, y),
                epochs * len(X),
            )
            if batch_size == 1:
                floor_fit(model, Xd[:400], y[:400], 1)()  # compile, or load
                result[f"floor bs=1 {np.dtype(dtype).name}"] = (
                    floor_fit(model, Xd, y, epochs),
                    epochs * len(X),
                )
    if with_sklearn:
        # sklearn's per-example loop is slow: one epoch over at most 2000 examples.
        n = min(len(X), 2000)
        model = sklearn_mlp(hidden, 1)
        model.partial_fit(X[:200], y[:200], classes=classes)
        result["sklearn MLP bs=1"] = (lambda m=model: m.partial_fit(X[:n], y[:n]), n)
        model = sklearn_mlp(hidden, 200, max_iter=epochs)
        result["sklearn MLP bs=200"] = (lambda m=model: m.fit(X, y), epochs * len(X))
        torch_loop = _torch_per_example(X, y, hidden, loss)
        if torch_loop is not None:
            result["PyTorch bs=1 loop"] = torch_loop
        if name == "D":
            model = sgd_classifier(epochs)
            result["sklearn SGDClassifier"] = (lambda m=model: m.fit(X, y), epochs * len(X))
    return result


def _data_path(name, X, y, hidden, loss, with_sklearn, big_rows):
    """The speed issue's costs of the data's path, as more contenders (name -> (fit,
    examples)): for C and D a shuffled epoch; for D also SGDClassifier shuffled, a
    ``partial_fit`` call over the same rows, and ``big_rows`` rows of D's data
    (unshuffled, shuffled, and one ``X.sum()`` over them: rows/s)."""
    from fastbp import FastBPClassifier

    if name not in ("C", "D"):
        return {}
    epochs = EPOCHS[name]
    common = dict(hidden_layer_sizes=hidden, loss=loss, batch_size=1, **SETTINGS)
    shuffled = FastBPClassifier(**{**common, "shuffle": True, "max_iter": epochs})
    shuffled.fit(X[:400], y[:400])  # compile, or load from the cache
    result = {"fastbp bs=1 float64 shuffled": (lambda: shuffled.fit(X, y), epochs * len(X))}
    if name == "C":
        return result
    if with_sklearn:
        sgd = sgd_classifier(epochs).set_params(shuffle=True, random_state=0)
        result["sklearn SGDClassifier shuffled"] = (lambda: sgd.fit(X, y), epochs * len(X))
    incremental = FastBPClassifier(**common)
    incremental.partial_fit(X[:400], y[:400], classes=np.unique(y))
    result["fastbp partial_fit float64"] = (lambda: incremental.partial_fit(X, y), len(X))
    big_X, big_y = delta_rule_data(big_rows, np.random.default_rng(1))
    for shuffle in (False, True):
        model = FastBPClassifier(**{**common, "shuffle": shuffle, "max_iter": epochs})
        key = f"fastbp bs=1 float64{' shuffled' if shuffle else ''}, {big_rows:,} rows"
        result[key] = (lambda m=model: m.fit(big_X, big_y), epochs * big_rows)
    result[f"X.sum(), {big_rows:,} rows"] = (big_X.sum, big_rows)
    return result


def _torch_per_example(X, y, hidden, loss, n=2000):
    """A PyTorch CPU per-example SGD loop on the same network, if torch is installed.

    The loop a PyTorch user writes for batch size 1: forward, loss, backward, step,
    one example at a time, one thread. Returns ``(fit, examples)`` or None.
    """
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    n = min(n, len(X))
    classes = np.unique(y)
    n_out = 1 if len(classes) == 2 else len(classes)
    sizes = (X.shape[1], *hidden, n_out)
    layers = []
    for layer, (n_in, n_next) in enumerate(pairwise(sizes)):
        layers.append(torch.nn.Linear(n_in, n_next).double())
        if layer < len(sizes) - 2:
            layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    inputs = torch.from_numpy(np.ascontiguousarray(X[:n], dtype=np.float64))
    labels = np.searchsorted(classes, y[:n])
    if n_out == 1:
        criterion = (
            torch.nn.MSELoss() if loss == "squared_error" else torch.nn.BCEWithLogitsLoss()
        )
        targets = torch.from_numpy(labels.astype(np.float64)).reshape(-1, 1, 1)
    else:
        criterion = torch.nn.CrossEntropyLoss()
        targets = torch.from_numpy(labels).reshape(-1, 1)

    def fit():
        for i in range(n):
            optimizer.zero_grad()
            out = model(inputs[i : i + 1])
            if loss == "squared_error":
                out = torch.sigmoid(out)
            criterion(out, targets[i]).backward()
            optimizer.step()

    return fit, n


def predict_contenders(X, y, hidden, loss):
    """Batched predict_proba of fitted fastbp (float64, float32) and sklearn models."""
    from sklearn.neural_network import MLPClassifier

    from fastbp import FastBPClassifier

    common = dict(
        hidden_layer_sizes=hidden, activation="logistic", max_iter=1, random_state=0
    )
    result = {}
    for dtype in (np.float64, np.float32):
        Xd = X.astype(dtype)
        model = FastBPClassifier(loss=loss, batch_size=200, **common).fit(Xd, y)
        model.predict_proba(Xd[:10])
        result[f"fastbp predict {np.dtype(dtype).name}"] = (
            lambda m=model, Xd=Xd: m.predict_proba(Xd),
            len(X),
        )
    model = MLPClassifier(solver="sgd", **common).fit(X, y)
    result["sklearn MLP predict"] = (lambda m=model: m.predict_proba(X), len(X))
    return result


def run(workloads=("A", "B", "C", "D"), rounds=5, with_sklearn=True, big_rows=BIG_ROWS):
    """Interleaved rounds of every contender; returns nested dict of examples/s lists
    (``big_rows``: rows of D's data grown, :func:`_data_path`)."""
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    results = {}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in workloads:
            X, y, hidden, loss = workload(name, rng)
            contenders = _contenders(name, X, y, hidden, loss, with_sklearn)
            contenders.update(_data_path(name, X, y, hidden, loss, with_sklearn, big_rows))
            if name == "C" and with_sklearn:
                contenders.update(predict_contenders(X, y, hidden, loss))
            rates = {key: [] for key in contenders}
            for _ in range(rounds):
                for key, (fit, n) in contenders.items():
                    rates[key].append(_timed(fit, n))
            sizes = (X.shape[1], *hidden, len(np.unique(y)) if len(np.unique(y)) > 2 else 1)
            results[name] = {"sizes": sizes, "rates": rates, "rows": len(X)}
    return results


def report(results, peak=None):
    """Print the side-by-side table and the ratios the targets are stated in."""
    for name, entry in results.items():
        print(f"\n{name}: {WORKLOADS[name]}  (examples/s: median [min, max])")
        rates = entry["rates"]
        width = max(map(len, rates))
        for key, values in rates.items():
            print(
                f"  {key:{width}s}{np.median(values):>14,.0f}  [{min(values):,.0f}, "
                f"{max(values):,.0f}]"
            )
        base = {k: np.median(v) for k, v in rates.items()}
        if "sklearn MLP bs=1" in base:
            print(
                f"  fastbp bs=1 / sklearn MLP bs=1: "
                f"{base['fastbp bs=1 float64'] / base['sklearn MLP bs=1']:.0f}x; "
                f"/ sklearn MLP bs=200: "
                f"{base['fastbp bs=1 float64'] / base['sklearn MLP bs=200']:.2f}x; "
                f"fastbp bs=200 / sklearn bs=200: "
                f"{base['fastbp bs=200 float64'] / base['sklearn MLP bs=200']:.2f}x"
            )
        if "sklearn MLP predict" in base:
            print(
                f"  fastbp predict / sklearn predict: "
                f"{base['fastbp predict float64'] / base['sklearn MLP predict']:.2f}x"
            )
        if "PyTorch bs=1 loop" in base:
            print(
                f"  fastbp bs=1 / PyTorch bs=1 loop: "
                f"{base['fastbp bs=1 float64'] / base['PyTorch bs=1 loop']:.0f}x"
            )
        if "sklearn SGDClassifier" in base:
            print(
                f"  fastbp bs=1 / SGDClassifier: "
                f"{base['fastbp bs=1 float64'] / base['sklearn SGDClassifier']:.2f}x"
            )
        _report_data_path(base, entry["rows"])
        print(
            f"  float32 / float64 (bs=1): "
            f"{base['fastbp bs=1 float32'] / base['fastbp bs=1 float64']:.2f}x"
        )
        print(
            "  fastbp bs=1 cost per example / the plain Numba loop's (floor): "
            + ", ".join(
                f"{dt} {base[f'floor bs=1 {dt}'] / base[f'fastbp bs=1 {dt}']:.2f}x"
                for dt in ("float64", "float32")
            )
        )
        if peak:
            flops = flops_per_example(entry["sizes"])
            for dt in ("float64", "float32"):
                gflops = base[f"fastbp bs=1 {dt}"] * flops / 1e9
                print(
                    f"  {dt}: {gflops:.1f} GFLOP/s = {gflops / peak[dt]:.0%} of the "
                    f"{peak[dt]:.0f} GFLOP/s single-thread matmul peak"
                )


def _report_data_path(base, n_rows):
    """The ratios of :func:`_data_path`'s contenders (costs: the inverse of rates);
    ``n_rows``: the workload's rows."""
    fit = base["fastbp bs=1 float64"]
    if "fastbp bs=1 float64 shuffled" in base:
        print(
            "  shuffled / unshuffled epoch cost (fastbp bs=1 float64): "
            f"{fit / base['fastbp bs=1 float64 shuffled']:.2f}x"
        )
    if "sklearn SGDClassifier shuffled" in base:
        sgd = base["sklearn SGDClassifier shuffled"]
        print(
            "  fastbp bs=1 shuffled / SGDClassifier shuffled: "
            f"{base['fastbp bs=1 float64 shuffled'] / sgd:.2f}x"
        )
    if "fastbp partial_fit float64" in base:
        print(
            "  partial_fit epoch cost / fit epoch cost (float64): "
            f"{fit / base['fastbp partial_fit float64']:.2f}x"
        )
    big = [key for key in base if key.startswith("X.sum(), ")]
    if big:
        rows = big[0].removeprefix("X.sum(), ")
        plain = base[f"fastbp bs=1 float64, {rows}"]
        shuffled = base[f"fastbp bs=1 float64 shuffled, {rows}"]
        print(
            f"  at {rows}: cost per example / at {n_rows:,} rows {fit / plain:.2f}x; "
            f"/ one X.sum() per row {base[big[0]] / plain:.2f}x; shuffled / unshuffled "
            f"{plain / shuffled:.2f}x"
        )


def main(workloads=("A", "B", "C", "D"), rounds=5):
    """Entry point of ``python -m fastbp bench``."""
    peak = matmul_peak()
    print(
        f"single-thread matmul peak: float64 {peak['float64']:.1f} GFLOP/s, "
        f"float32 {peak['float32']:.1f} GFLOP/s ({peak['blas']})"
    )
    report(run(workloads, rounds), peak)
    print(
        "\nTime to first fit (fresh interpreter: imports + digits, 32 hidden, 10 epochs, "
        "batch 1), seconds: median [min, max]"
    )
    times = first_fit_times()
    from .._ahead import installed

    built = "are" if installed() is not None else "are not"
    print(f"  (the default fit's kernels {built} built at install here: fastbp._ahead)")
    for case, values in times.items():
        print(
            f"  {case:26s}{np.median(values):>7.2f}  [{min(values):.2f}, {max(values):.2f}]"
        )
    sklearn = np.median(times["sklearn MLPClassifier"])
    for case in (case for case in times if case != "sklearn MLPClassifier"):
        print(f"  {case} / sklearn: {np.median(times[case]) / sklearn:.2f}x")
