"""Time to accuracy, epoch by epoch: fastbp next to scikit-learn's MLP on digits, and
Hogwild's two threads next to one on workload C's network.

Each gives ``curves``, ``{name: (seconds, accuracies)}`` (cumulative training time and
test accuracy after each epoch), the form :func:`fastbp.plot.time_to_accuracy` draws.
"""

import time

import numpy as np

from .workloads import hogwild_model, mnist_shaped

# Hogwild's comparison (issue 16's setting): MNIST-shaped data, a 500-example warm-up,
# then one partial_fit epoch at a time; n_jobs=2 is judged by the time it takes to
# reach the serial fit's test accuracy after TARGET_EPOCHS epochs.
CURVE_EPOCHS = 6
TARGET_EPOCHS = (3, 5)


def digits_time_to_accuracy(epochs=15, hidden=64, learning_rate=0.01, random_state=0):
    """Per-epoch time and test accuracy of fastbp and sklearn's MLP on digits.

    Both train per example (batch size 1, no momentum) with the same network,
    learning rate and L2 penalty, one epoch per ``partial_fit`` call; returns
    ``curves`` for :func:`time_to_accuracy`.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    from fastbp import FastBPClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, stratify=y, random_state=random_state
    )
    common = dict(
        hidden_layer_sizes=(hidden,), learning_rate_init=learning_rate,
        random_state=random_state, alpha=1e-4, batch_size=1,
    )  # fmt: skip
    models = {
        "fastbp": FastBPClassifier(**common),
        "sklearn MLPClassifier": MLPClassifier(solver="sgd", momentum=0.0, **common),
    }
    FastBPClassifier(**common).partial_fit(X_train[:50], y_train[:50], np.unique(y))
    curves = {}
    for name, model in models.items():
        elapsed, seconds, accuracies = 0.0, [], []
        for _ in range(epochs):
            started = time.perf_counter()
            model.partial_fit(X_train, y_train, classes=np.unique(y))
            elapsed += time.perf_counter() - started
            seconds.append(elapsed)
            accuracies.append(model.score(X_test, y_test))
        curves[name] = (np.array(seconds), np.array(accuracies))
    return curves


def hogwild_curves(seed, epochs=CURVE_EPOCHS, size=15_000, warm_up=500):
    """Time to accuracy of workload C's network with ``n_jobs=1`` and ``n_jobs=2``.

    Two models (``random_state=seed``), each first trained on ``warm_up`` examples
    (which also compiles or loads the kernels), then one ``partial_fit`` epoch over
    ``size`` MNIST-shaped rows at a time, the two models' epochs interleaved in
    alternating order so that a noisy neighbour slows both alike; test accuracy on
    ``size // 3`` held-out rows, not timed. Returns ``curves`` keyed ``"n_jobs=1"``
    and ``"n_jobs=2"``.
    """
    (X, y), (X_test, y_test) = mnist_shaped(size, size // 3)
    classes = np.unique(y)
    models = {n: hogwild_model(n, random_state=seed) for n in (1, 2)}
    for model in models.values():
        model.partial_fit(X[:warm_up], y[:warm_up], classes=classes)
    elapsed = {n: 0.0 for n in models}
    seconds = {n: [] for n in models}
    accuracies = {n: [] for n in models}
    for epoch in range(epochs):
        for n in (1, 2) if epoch % 2 == 0 else (2, 1):
            started = time.perf_counter()
            models[n].partial_fit(X, y)
            elapsed[n] += time.perf_counter() - started
            seconds[n].append(elapsed[n])
            accuracies[n].append(models[n].score(X_test, y_test))
    return {f"n_jobs={n}": (np.array(seconds[n]), np.array(accuracies[n])) for n in models}


def seconds_to_reach(curve, accuracy):
    """The first time in ``curve = (seconds, accuracies)`` with an accuracy of at least
    ``accuracy``; ``inf`` if there is none."""
    seconds, accuracies = curve
    reached = np.flatnonzero(np.asarray(accuracies) >= accuracy)
    return float(seconds[reached[0]]) if reached.size else np.inf


def speedups_to_accuracy(curves, target_epochs=TARGET_EPOCHS):
    """``{k: t_1 / t_2}`` for each ``k`` in ``target_epochs``: ``t_1`` the serial fit's
    time for ``k`` epochs, ``t_2`` the time ``n_jobs=2`` takes to reach the accuracy
    the serial fit had then (0.0 if it never does within its curve)."""
    serial = curves["n_jobs=1"]
    return {
        k: float(serial[0][k - 1] / seconds_to_reach(curves["n_jobs=2"], serial[1][k - 1]))
        for k in target_epochs
    }
