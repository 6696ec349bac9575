"""``python -m fastbp bench --solvers``: the import swap, timed.

``fastbp.MLPClassifier`` against ``sklearn.neural_network.MLPClassifier`` with the
same parameters (:data:`fastbp._bench.workloads.SOLVER_CASES`), whole fits, one
thread, interleaved rounds in one process; and the largest relative difference
between their weights, which should be rounding.
"""

import time
import warnings

import numpy as np

from .workloads import SOLVER_CASES, solver_case


def _largest_difference(ours, theirs):
    """Largest ``|w - w_sklearn| / max |w_sklearn|`` over the layers."""
    pairs = zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_)
    return max(np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in pairs)


def run(cases=tuple(SOLVER_CASES), rounds=3):
    """Fit seconds of both per case and round, and the weights' largest difference.

    Returns ``{case: {"fastbp": [s, ...], "sklearn": [s, ...], "difference": float,
    "epochs": int}}``.
    """
    from sklearn import neural_network
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    import fastbp

    results = {}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for case in cases:
            X, y, params = solver_case(case)
            fastbp.MLPClassifier(**{**params, "max_iter": 1}).fit(X[:300], y[:300])
            models = {
                "fastbp": fastbp.MLPClassifier(**params),
                "sklearn": neural_network.MLPClassifier(**params),
            }
            times = {key: [] for key in models}
            for round_ in range(rounds):
                order = list(models) if round_ % 2 == 0 else list(models)[::-1]
                for key in order:
                    started = time.perf_counter()
                    models[key].fit(X, y)
                    times[key].append(time.perf_counter() - started)
            results[case] = {
                **times,
                "difference": _largest_difference(models["fastbp"], models["sklearn"]),
                "epochs": models["sklearn"].n_iter_,
            }
    return results


def report(results):
    """Print seconds (median [min, max]) and the speed-up of every case."""
    print(
        "\nThe import swap: fastbp.MLPClassifier vs sklearn's, same parameters, whole "
        "fits, one thread\n(seconds: median [min, max]; speed-up: ratio of medians; "
        "weights: largest relative difference)"
    )
    for case, entry in results.items():
        ours, theirs = np.median(entry["fastbp"]), np.median(entry["sklearn"])
        print(
            f"  {case:40s} fastbp {ours:7.3f} [{min(entry['fastbp']):.3f}, "
            f"{max(entry['fastbp']):.3f}]  sklearn {theirs:7.3f} "
            f"[{min(entry['sklearn']):.3f}, {max(entry['sklearn']):.3f}]  "
            f"{theirs / ours:5.1f}x  ({entry['epochs']} iterations, weights "
            f"{entry['difference']:.0e})"
        )


def main(rounds=3):
    """Entry point of ``python -m fastbp bench --solvers``."""
    report(run(rounds=rounds))
