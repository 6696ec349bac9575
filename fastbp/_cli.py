"""The ``fastbp`` command (also ``python -m fastbp``): train, predict, demo, bench.

Arguments are checked by the parser before any work starts; a bad one, or a data
file fastbp cannot use, ends the command with one line on standard error (exit
status 2 for arguments, 1 for data and training) instead of a traceback.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

from . import __version__
from ._tables import TableError, feature_matrix, read_table, write_column
from ._training import TrainingDiverged

DESCRIPTION = (
    "Multilayer perceptrons trained by backpropagation in Numba kernels, as "
    "scikit-learn estimators."
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'")
    return value


def _number(text, low, what):
    try:
        value = float(text)
    except ValueError:
        value = np.nan
    if not (np.isfinite(value) and (value > low if what == "positive" else value >= low)):
        raise argparse.ArgumentTypeError(f"expected a {what} number, got '{text}'")
    return value


def _positive_float(text):
    return _number(text, 0.0, "positive")


def _non_negative_float(text):
    return _number(text, 0.0, "non-negative")


def _hidden_sizes(text):
    """'64,32' -> (64, 32); 'none' -> () (no hidden layer: the delta rule)."""
    if text.strip().lower() in ("none", "0", ""):
        return ()
    try:
        return tuple(_positive_int(part) for part in text.split(","))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive layer sizes such as 64,32 (or none), "
            f"got '{text}'"
        ) from None


def _batch_size(text):
    return "auto" if text == "auto" else _positive_int(text)


def _workloads(text):
    from ._bench.workloads import WORKLOADS

    if not text or any(name not in WORKLOADS for name in text):
        raise argparse.ArgumentTypeError(
            f"expected letters among {''.join(WORKLOADS)}, e.g. AC; got '{text}'"
        )
    return tuple(dict.fromkeys(text))


def build_parser():
    """The parser of every command and option."""
    parser = _Parser(prog="fastbp", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"fastbp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train(commands)
    _add_predict(commands)
    demo = commands.add_parser(
        "demo",
        help="train on digits with fastbp and with scikit-learn, side by side",
        description="Train on scikit-learn's digits with fastbp and with scikit-"
        "learn's MLPClassifier (same settings, per-example SGD) and compare.",
    )
    demo.add_argument("--epochs", type=_positive_int, default=20, help="default 20")
    demo.add_argument(
        "--hidden", type=_positive_int, default=64, help="hidden units (default 64)"
    )
    demo.add_argument(
        "--learning-rate", type=_positive_float, default=0.01, help="default 0.01"
    )
    demo.add_argument("--random-state", type=int, default=0, help="default 0")
    bench = commands.add_parser(
        "bench",
        help="measure examples/s next to scikit-learn (and PyTorch if installed)",
        description="Benchmarks on this machine, in one process with interleaved "
        "rounds: workloads A-D by default; --scale or --solvers instead.",
    )
    bench.add_argument(
        "--workloads", type=_workloads, default=("A", "B", "C", "D"),
        help="which of the workloads A, B, C, D to run, e.g. AC (default ABCD)",
    )  # fmt: skip
    bench.add_argument(
        "--rounds", type=_positive_int, default=5, help="interleaved rounds (default 5)"
    )
    what = bench.add_mutually_exclusive_group()
    what.add_argument(
        "--scale", action="store_true",
        help="instead: Hogwild threads, threaded GridSearchCV and sparse input",
    )  # fmt: skip
    what.add_argument(
        "--solvers", action="store_true",
        help="instead: fastbp.MLPClassifier against scikit-learn's (adam, sgd, lbfgs)",
    )  # fmt: skip
    compile_ = commands.add_parser(
        "compile",
        help="compile every kernel variant now (for Docker images and CI caches)",
        description="Compile every kernel variant for this machine, or load it from "
        "Numba's disk cache, and print what each took. Later fits then start at once.",
    )
    compile_.add_argument(
        "--dtype", choices=("float64", "float32", "both"), default="both",
        help="the dtype of X the kernels are compiled for (default both)",
    )  # fmt: skip
    return parser


def _add_train(commands):
    train = commands.add_parser(
        "train",
        help="train a model on a CSV or Parquet file and save it",
        description="Train a FastBPClassifier (or with --regression a FastBPRegressor) "
        "on the numeric columns of DATA, predicting --target, and save the fitted "
        "model with joblib. Features are standardised first unless --no-scale. One "
        "progress line per epoch.",
    )
    train.add_argument(
        "data", metavar="DATA", help="a CSV file with a header row, or Parquet"
    )
    train.add_argument(
        "--target", required=True, metavar="COLUMN", help="the column to predict"
    )
    train.add_argument(
        "--model", required=True, metavar="OUT", help="where to save the fitted model"
    )
    train.add_argument(
        "--hidden", type=_hidden_sizes, default=(100,), metavar="SIZES",
        help="hidden layer sizes, e.g. 64,32, or none (default 100)",
    )  # fmt: skip
    train.add_argument(
        "--epochs", type=_positive_int, default=200, help="at most this many (default 200)"
    )
    train.add_argument(
        "--learning-rate", type=_positive_float, default=0.01, help="default 0.01"
    )
    train.add_argument(
        "--batch-size", type=_batch_size, default=1,
        help="examples per update, or auto (default 1: per-example SGD)",
    )  # fmt: skip
    train.add_argument(
        "--solver", choices=("sgd", "adam", "lbfgs"), default="sgd", help="default sgd"
    )
    train.add_argument(
        "--activation", choices=("identity", "logistic", "tanh", "relu"),
        default="relu", help="hidden units (default relu)",
    )  # fmt: skip
    train.add_argument(
        "--alpha", type=_non_negative_float, default=1e-4, help="L2 penalty (default 1e-4)"
    )
    train.add_argument(
        "--regression", action="store_true", help="predict a number (default: a class)"
    )
    train.add_argument(
        "--early-stopping", action="store_true",
        help="hold out 10%% of the rows and stop when their score stops improving",
    )  # fmt: skip
    train.add_argument(
        "--no-scale", action="store_true",
        help="train on the raw features (and raw target, with --regression)",
    )  # fmt: skip
    train.add_argument("--random-state", type=int, default=0, help="default 0")
    train.add_argument(
        "--quiet", action="store_true", help="no progress lines, only the summary"
    )


def _add_predict(commands):
    predict = commands.add_parser(
        "predict",
        help="predict with a model saved by fastbp train",
        description="Predict each row of DATA with a model saved by fastbp train (the "
        "model file is a pickle: load only files you trust). Writes a CSV with one "
        "prediction per row; a target column in DATA is ignored.",
    )
    predict.add_argument("model", metavar="MODEL", help="a file saved by fastbp train")
    predict.add_argument(
        "data", metavar="DATA", help="a CSV file with a header row, or Parquet"
    )
    predict.add_argument(
        "--output", metavar="FILE", help="write the CSV here (default: standard output)"
    )
    predict.add_argument(
        "--proba", action="store_true",
        help="class probabilities, one column per class, instead of labels",
    )  # fmt: skip


def main(argv=None):
    """Run the ``fastbp`` command; returns its exit status."""
    args = build_parser().parse_args(argv)
    np.seterr(all="ignore")
    run = {"train": train, "predict": predict, "demo": _demo, "bench": _bench,
           "compile": _compile}  # fmt: skip
    try:
        run[args.command](args)
    except KeyboardInterrupt:
        print(f"fastbp {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. | head): stop quietly, as Python's docs advise.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (TableError, ValueError, OSError) as error:
        message = " ".join(str(error).split())
        if isinstance(error, TrainingDiverged):
            message += " On the command line: a smaller --learning-rate, and no --no-scale."
        print(f"fastbp {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


def train(args):
    """``fastbp train``: fit on a data file and save the model with its columns."""
    import joblib

    columns, values = read_table(args.data)
    if args.target not in values:
        raise TableError(
            f"{args.data}: no column named '{args.target}' to predict; the columns are "
            f"{', '.join(columns)}."
        )
    features = [name for name in columns if name != args.target]
    if not features:
        raise TableError(f"{args.data}: no feature columns besides '{args.target}'.")
    X = feature_matrix(args.data, values, features)
    y = _target(args, values[args.target])
    model = _model(args)
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    seconds = time.perf_counter() - started
    sys.stdout.flush()
    for warning in caught:
        if issubclass(warning.category, (UserWarning, RuntimeWarning)):
            print(f"note: {' '.join(str(warning.message).split())}", file=sys.stderr)
    what = "R^2" if args.regression else "accuracy"
    print(
        f"trained {_describe(model)} on {X.shape[0]} rows in {seconds:.2f} s; "
        f"training {what} {model.score(X, y):.4f}"
    )
    bundle = {"model": model, "features": features, "target": args.target,
              "regression": args.regression, "fastbp": __version__}  # fmt: skip
    joblib.dump(bundle, args.model)
    print(f"saved to {args.model}")


def _target(args, column):
    if args.regression:
        if column.dtype.kind != "f" or not np.isfinite(column).all():
            raise TableError(
                f"{args.data}, column '{args.target}': --regression needs a number in "
                "every row."
            )
        return column
    if column.dtype.kind == "f":
        if not np.isfinite(column).all():
            raise TableError(f"{args.data}, column '{args.target}': a label is missing.")
        if (column == np.round(column)).all():
            return column.astype(np.int64)  # integer class labels
    return column


def _model(args):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from . import FastBPClassifier, FastBPRegressor

    cls = FastBPRegressor if args.regression else FastBPClassifier
    estimator = cls(
        hidden_layer_sizes=args.hidden,
        activation=args.activation,
        solver=args.solver,
        alpha=args.alpha,
        batch_size=args.batch_size,
        learning_rate_init=args.learning_rate,
        max_iter=args.epochs,
        early_stopping=args.early_stopping,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
    )
    if args.no_scale:
        return estimator
    model = make_pipeline(StandardScaler(), estimator)
    if args.regression:
        return TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    return model


def _describe(model):
    """'FastBPClassifier 4-16-3 (sgd, 5 epochs)' of a fitted model of :func:`_model`."""
    estimator = getattr(model, "regressor_", model)
    estimator = estimator[-1] if hasattr(estimator, "steps") else estimator
    layers = [estimator.coefs_[0].shape[0], *(c.shape[1] for c in estimator.coefs_)]
    sizes = "-".join(map(str, layers))
    return (
        f"{type(estimator).__name__} {sizes} ({estimator.solver}, "
        f"{estimator.n_iter_} epochs)"
    )


def predict(args):
    """``fastbp predict``: predictions of a saved model, one CSV row per data row."""
    import joblib

    try:
        bundle = joblib.load(args.model)
    except FileNotFoundError:
        raise TableError(f"{args.model}: no such file.") from None
    except Exception as error:
        raise TableError(f"{args.model}: not a model file ({error}).") from None
    if not (isinstance(bundle, dict) and {"model", "features", "target"} <= set(bundle)):
        raise TableError(f"{args.model}: not a model saved by fastbp train.")
    _, values = read_table(args.data)
    X = feature_matrix(args.data, values, bundle["features"])
    model = bundle["model"]
    if args.proba:
        if bundle.get("regression"):
            raise TableError("--proba: the model is a regressor; it predicts numbers.")
        probabilities = model.predict_proba(X)
        write_column([str(c) for c in model.classes_], probabilities, args.output)
    else:
        write_column(bundle["target"], model.predict(X), args.output)
    if args.output is not None:
        print(f"wrote {X.shape[0]} predictions to {args.output}")


def _demo(args):
    from ._demo import demo

    demo(args.epochs, args.hidden, args.learning_rate, args.random_state)


def _compile(args):
    from ._compile import DTYPES
    from ._compile import main as compile_all

    compile_all(DTYPES if args.dtype == "both" else (args.dtype,))


def _bench(args):
    if args.scale:
        from ._bench.scale import main as bench_scale

        bench_scale(args.rounds)
    elif args.solvers:
        from ._bench.solvers import main as bench_solvers

        bench_solvers(args.rounds)
    else:
        from ._bench.compare import main as bench

        bench(args.workloads, args.rounds)
