import numpy as np
import pytest

from fastbp._functions import ACTIVATIONS, LOSSES
from fastbp._network import Layout, Network, init_theta

# (loss, output activation) pairs the estimators can build.
LOSS_OUTPUTS = [
    ("squared_error", "logistic"),
    ("squared_error", "identity"),
    ("squared_error", "tanh"),
    ("squared_error", "relu"),
    ("log_loss", "logistic"),
    ("log_loss", "softmax"),
    ("poisson", "exp"),
]
HIDDEN = ["identity", "logistic", "tanh", "relu"]


def make_problem(rng, sizes, hidden, loss, out, n_samples=23, dtype=np.float64):
    """A random network and data set whose targets suit ``(loss, out)``."""
    network = Network(Layout(sizes), ACTIVATIONS[hidden], ACTIVATIONS[out], LOSSES[loss])
    theta = init_theta(network.layout, dtype, rng, network.hidden_code)
    X = rng.normal(size=(n_samples, sizes[0])).astype(dtype)
    n_out = sizes[-1]
    if out == "softmax":
        Y = np.eye(n_out, dtype=dtype)[rng.integers(0, n_out, n_samples)]
    elif loss == "poisson":
        Y = rng.poisson(1.0, size=(n_samples, n_out)).astype(dtype)
    elif loss == "log_loss" or out == "logistic":
        Y = (rng.random((n_samples, n_out)) < 0.5).astype(dtype)
    else:
        Y = rng.normal(size=(n_samples, n_out)).astype(dtype)
    sample_weight = rng.uniform(0.2, 2.0, n_samples).astype(dtype)
    return network, theta, X, Y, sample_weight


@pytest.fixture
def rng():
    return np.random.default_rng(20261127)
