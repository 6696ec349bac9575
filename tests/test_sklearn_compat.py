"""scikit-learn citizenship: the estimator checks, and the tools users combine us with."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastbp import FastBPClassifier, FastBPRegressor

SAMPLE_WEIGHT_REASON = (
    "per-example SGD is not equivalent to repeating rows: an example of weight 2 takes "
    "one step of twice the size, a repeated row two steps (as for sklearn's SGD "
    "estimators)"
)


def expected_failed_checks(estimator):
    return {"check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_REASON}


class Float32Classifier(FastBPClassifier):
    """Converts every X to float32, so the checks run the float32 kernels."""

    _input_dtype = np.float32


class Float32Regressor(FastBPRegressor):
    """Converts every X to float32, so the checks run the float32 kernels."""

    _input_dtype = np.float32


ESTIMATORS = [FastBPClassifier(), FastBPRegressor(), Float32Classifier(), Float32Regressor()]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
