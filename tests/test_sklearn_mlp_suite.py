"""scikit-learn's own MLP tests, run against fastbp.MLPClassifier and MLPRegressor.

The test module that ships inside the installed scikit-learn
(``sklearn/neural_network/tests/test_mlp.py``) is read when this module is
collected, its one import of ``MLPClassifier, MLPRegressor`` pointed at fastbp's,
and its tests run here: nothing of it is copied into this repository. The tests that
reach into scikit-learn's private internals are expected to fail, each with why.
"""

from pathlib import Path

import pytest
import sklearn.neural_network

SOURCE = Path(sklearn.neural_network.__file__).parent / "tests" / "test_mlp.py"
IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"

PRIVATE = {
    "test_fit": "builds a model by assigning scikit-learn's internal state to an "
    "unfitted estimator (n_layers_, n_outputs_, _coef_grads, _coef_velocity...) "
    "instead of fitting; fastbp's coefs_ are views of its flat parameter vector, "
    "which exists only once fit or partial_fit has built the network",
    "test_gradient": "calls the private method MLPClassifier._loss_grad_lbfgs; "
    "fastbp's gradient is checked against finite differences in test_gradcheck.py",
}

if not SOURCE.exists():  # a scikit-learn installed without its tests
    pytest.skip(f"{SOURCE} is not installed", allow_module_level=True)
_text = SOURCE.read_text()
assert _text.count(IMPORT) == 1, "scikit-learn's test module changed its import"
exec(compile(_text.replace(IMPORT, "from fastbp import MLPClassifier, MLPRegressor"),
             str(SOURCE), "exec"))  # fmt: skip


@pytest.fixture
def global_random_seed():
    """scikit-learn's fixture (its conftest), at its default seed."""
    return 42


for _name, _reason in PRIVATE.items():
    globals()[_name] = pytest.mark.xfail(strict=True, reason=_reason)(globals()[_name])
