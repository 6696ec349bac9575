"""Command line: ``python -m fastbp demo`` and ``python -m fastbp bench``."""

import argparse
import time
import warnings

import numpy as np


def demo(epochs=20, hidden=64, learning_rate=0.01, random_state=0):
    """Train on scikit-learn's digits with fastbp and with sklearn's MLPClassifier.

    Both run per-example SGD (``batch_size=1``) with the same network, learning rate,
    L2 penalty, epochs and shuffling, without momentum. Prints fastbp's per-epoch
    progress, then the fit time and test accuracy of both.
    """
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    from fastbp import FastBPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state
    )
    settings = {
        "hidden_layer_sizes": (hidden,),
        "activation": "relu",
        "alpha": 1e-4,
        "batch_size": 1,
        "learning_rate_init": learning_rate,
        "max_iter": epochs,
        "tol": 0.0,
        "shuffle": True,
        "random_state": random_state,
    }
    print(
        f"fastbp demo: digits, {len(X_train)} training and {len(X_test)} test images, "
        f"{X.shape[1]} features, 10 classes"
    )
    print(
        f"network {X.shape[1]}-{hidden}-10, relu hidden units, softmax + log-loss, "
        f"per-example SGD, learning rate {learning_rate}, {epochs} epochs\n"
    )

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        print("fastbp.FastBPClassifier (first fit: compiles the kernels or loads them)")
        started = time.perf_counter()
        model = FastBPClassifier(verbose=True, **settings).fit(X_train, y_train)
        rows.append(("fastbp, first fit", time.perf_counter() - started, model))
        started = time.perf_counter()
        model = FastBPClassifier(**settings).fit(X_train, y_train)
        rows.append(("fastbp, warm", time.perf_counter() - started, model))
        print("\nsklearn.neural_network.MLPClassifier(solver='sgd', batch_size=1) ...")
        started = time.perf_counter()
        reference = MLPClassifier(
            solver="sgd", momentum=0.0, learning_rate="constant", **settings
        ).fit(X_train, y_train)
        rows.append(("sklearn MLPClassifier", time.perf_counter() - started, reference))

    print(f"\n{'':24s}{'fit time':>12s}{'test accuracy':>16s}")
    for name, seconds, fitted in rows:
        print(f"{name:24s}{seconds:>10.3f} s{fitted.score(X_test, y_test):>16.4f}")
    ratio = rows[2][1] / rows[1][1]
    print(
        f"\nfastbp fits {ratio:.0f}x faster than sklearn here (warm fit; same settings, "
        "same process, one run)."
    )
    return ratio


def main(argv=None):
    """Entry point of ``python -m fastbp``."""
    parser = argparse.ArgumentParser(prog="python -m fastbp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="digits: fastbp next to sklearn")
    demo_parser.add_argument("--epochs", type=int, default=20)
    demo_parser.add_argument("--hidden", type=int, default=64)
    demo_parser.add_argument("--learning-rate", type=float, default=0.01)
    demo_parser.add_argument("--random-state", type=int, default=0)
    bench_parser = commands.add_parser(
        "bench", help="examples/s next to sklearn on workloads A-D, fraction of peak"
    )
    bench_parser.add_argument("--workloads", default="ABCD", help="e.g. AC")
    bench_parser.add_argument("--rounds", type=int, default=5)
    bench_parser.add_argument(
        "--scale",
        action="store_true",
        help="instead: Hogwild threads, threaded GridSearchCV and sparse input",
    )
    bench_parser.add_argument(
        "--solvers",
        action="store_true",
        help="instead: fastbp.MLPClassifier vs sklearn's (adam, sgd, lbfgs), whole fits",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.epochs, args.hidden, args.learning_rate, args.random_state)
    elif args.command == "bench" and args.scale:
        from ._bench.scale import main as bench_scale

        bench_scale(args.rounds)
    elif args.command == "bench" and args.solvers:
        from ._bench.solvers import main as bench_solvers

        bench_solvers(args.rounds)
    elif args.command == "bench":
        from ._bench.compare import main as bench

        bench(tuple(args.workloads), args.rounds)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
