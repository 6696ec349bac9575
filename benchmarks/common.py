"""Workloads shared by the benchmarks (the performance issue's A-D)."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

warnings.simplefilter("ignore", ConvergenceWarning)
warnings.simplefilter("ignore", UserWarning)


def workload(name):
    """``(X, y, hidden, loss)`` of workload A, B, C or D (deterministic)."""
    from fastbp._bench import workload as make

    return make(name, np.random.default_rng(0))


def fastbp_model(hidden, loss, batch_size, **params):
    from fastbp import FastBPClassifier

    return FastBPClassifier(
        hidden_layer_sizes=hidden,
        activation="logistic",
        loss=loss,
        alpha=0.0,
        batch_size=batch_size,
        learning_rate_init=0.01,
        shuffle=False,
        random_state=0,
        **params,
    )
