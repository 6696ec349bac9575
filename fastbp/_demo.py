"""``fastbp demo``: digits, fastbp next to scikit-learn's MLPClassifier."""

import time
import warnings


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
