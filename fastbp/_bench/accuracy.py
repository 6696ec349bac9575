"""Time to accuracy on digits: fastbp next to sklearn's MLP, epoch by epoch."""

import time

import numpy as np


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
