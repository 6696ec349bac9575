"""fastbp: per-example stochastic backpropagation in Numba, as scikit-learn estimators.

Importing fastbp compiles nothing: kernels are compiled on first use and cached.
"""

from ._classifier import FastBPClassifier
from ._mlp import MLPClassifier, MLPRegressor
from ._regressor import FastBPRegressor
from ._training import TrainingDiverged
from .model import fitted_network

__version__ = "0.1.0"

__all__ = [
    "FastBPClassifier",
    "FastBPRegressor",
    "MLPClassifier",
    "MLPRegressor",
    "TrainingDiverged",
    "__version__",
    "fitted_network",
]
