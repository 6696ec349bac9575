"""Time to first fit in a fresh interpreter: import + compile/load kernels + fit."""

FIRST_FIT = """
import numpy as np
from sklearn.datasets import load_digits
X, y = load_digits(return_X_y=True)
X = X / 16.0
{setup}
{model}.fit(X, y)
"""

FASTBP = (
    "from fastbp import FastBPClassifier",
    "FastBPClassifier(hidden_layer_sizes=(32,), max_iter=10, tol=0.0)",
)
SKLEARN = (
    "from sklearn.neural_network import MLPClassifier",
    "MLPClassifier(hidden_layer_sizes=(32,), solver='sgd', batch_size=1, "
    "max_iter=10, tol=0.0)",
)

COLD_CACHE = """
import os, tempfile
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp()
"""


def _code(setup, model, prefix=""):
    return prefix + FIRST_FIT.format(setup=setup, model=model)


def timeraw_first_fit_warm_cache():
    """fastbp: fresh interpreter, kernels loaded from the on-disk cache."""
    return _code(*FASTBP)


def timeraw_first_fit_cold_cache():
    """fastbp: fresh interpreter and an empty Numba cache (compiles everything)."""
    return _code(*FASTBP, prefix=COLD_CACHE)


def timeraw_first_fit_sklearn():
    """The same fit with sklearn's MLPClassifier, for the ratios."""
    return _code(*SKLEARN)
