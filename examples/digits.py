"""Handwritten digits with per-example SGD, mini-batches and the true gradient.

The notes contrast the true gradient (one step per pass over the data) with the
stochastic approximation (one step per example). On the same epoch budget the
stochastic version gets much further.
"""

import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from fastbp import FastBPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

print(
    f"{'batch size':>12s}{'learning rate':>15s}{'epochs':>8s}{'fit s':>8s}{'test acc':>10s}"
)
for batch_size, learning_rate in [(1, 0.01), (32, 0.1), ("full", 0.5)]:
    clf = FastBPClassifier(
        hidden_layer_sizes=(64,),
        batch_size=batch_size,
        learning_rate_init=learning_rate,
        max_iter=30,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train[:100], y_train[:100])  # compile (or load) the kernels first
        started = time.perf_counter()
        clf.fit(X_train, y_train)
        seconds = time.perf_counter() - started
    print(
        f"{batch_size!s:>12s}{learning_rate:>15g}{clf.n_iter_:>8d}{seconds:>8.2f}"
        f"{clf.score(X_test, y_test):>10.3f}"
    )
