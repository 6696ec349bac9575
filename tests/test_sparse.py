"""Sparse (CSR) input: the same model as the dense input, without densifying X."""

import warnings

import numpy as np
import pytest
from conftest import make_problem
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

import fastbp
from fastbp import FastBPClassifier, FastBPRegressor
from fastbp._kernels import batch
from fastbp._kernels import sparse as sparse_kernel
from fastbp._kernels.conventions import csr
from fastbp._trainers import make_trainer, optimizer_state, state_arrays

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def sparse_problem(rng, sizes, n_samples=60, density=0.2):
    network, theta, X, Y, sample_weight = make_problem(
        rng, sizes, "tanh", "log_loss", "logistic", n_samples=n_samples
    )
    X = X * (rng.random(X.shape) < density)
    X[3] = 0.0  # an example without non-zeros
    return network, theta, sparse.csr_matrix(X), Y, sample_weight


@pytest.mark.parametrize("rule", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("alpha", [0.0, 0.01, 2.0])
@pytest.mark.parametrize(
    "sizes", [(30, 1), (30, 3), (30, 6, 2), (30, 5, 4, 3), (70, 35, 2)]
)
def test_sparse_epochs_equal_dense_epochs(rng, sizes, alpha, rule):
    # alpha=2 with a step of 0.05 shrinks the lazy scale below SMALLEST_SCALE many
    # times an epoch, so its folding into the weights is exercised too. A first
    # layer of one unit runs on theta itself, wider ones (without momentum) on a
    # feature-major copy; 70 x 35 spans several tiles of its transposition.
    network, theta, X, Y, sample_weight = sparse_problem(rng, sizes)
    orders = [rng.permutation(60) for _ in range(3)]
    results = []
    for data in (X, X.toarray()):
        trained = theta.copy()
        state = optimizer_state(
            "adam" if rule == "adam" else "sgd", trained,
            momentum=0.9 if rule == "momentum" else 0.0, nesterov=True,
            learning_rate=0.05,
        )  # fmt: skip
        epoch = make_trainer(
            network, trained, data, Y, sample_weight, 1, 0.05, alpha, state
        )
        losses = [epoch(order) for order in orders]
        velocity = np.concatenate(state_arrays(state)[:2]) if state else np.zeros(1)
        results.append((trained, velocity, losses))
    (sparse_theta, sparse_velocity, sparse_losses), (theta_, velocity_, losses) = results
    assert np.max(np.abs(sparse_theta - theta_)) <= 1e-10 * np.max(np.abs(theta_))
    np.testing.assert_allclose(sparse_velocity, velocity_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(sparse_losses, losses, rtol=1e-10)


@pytest.mark.parametrize("rule", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize(
    "batch_size,by_weight", [(1, True), (7, False), (7, True), (60, False)]
)
@pytest.mark.parametrize("sizes", [(30, 1), (70, 5, 4, 3)])
def test_sparse_minibatch_epochs_equal_dense_epochs(
    rng, sizes, batch_size, rule, by_weight
):
    # CSR rows read in place by the mini-batch kernel (sparse first-layer products),
    # against the same epochs on X.toarray(); batch_size=1 with by_weight and
    # weights other than 1 runs the mini-batch kernel too. Two calls: state carries.
    network, theta, X, Y, sample_weight = sparse_problem(rng, sizes)
    sample_weight = rng.uniform(0.5, 2.0, X.shape[0])
    orders = [rng.permutation(60) for _ in range(2)]
    results = []
    for data in (X, X.toarray()):
        trained = theta.copy()
        state = optimizer_state(
            "adam" if rule == "adam" else "sgd", trained,
            momentum=0.9 if rule == "momentum" else 0.0, learning_rate=0.05,
        )  # fmt: skip
        epoch = make_trainer(
            network, trained, data, Y, sample_weight, batch_size, 0.05, 0.01, state,
            by_weight=by_weight,
        )  # fmt: skip
        results.append((trained, [epoch(order) for order in orders]))
    (sparse_theta, sparse_losses), (dense_theta, dense_losses) = results
    np.testing.assert_allclose(sparse_theta, dense_theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sparse_losses, dense_losses, rtol=1e-10)


@pytest.mark.parametrize("estimator", [fastbp.MLPClassifier, FastBPClassifier])
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_sparse_fit_equals_dense_fit(rng, estimator, solver):
    # Every solver and batch size takes CSR X, and trains as on X.toarray().
    X = sparse.random(80, 40, density=0.1, format="csr", random_state=3)
    y = rng.integers(0, 3, 80)
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=8, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_sparse = estimator(**params, batch_size=16).fit(X, y)
        on_dense = estimator(**params, batch_size=16).fit(X.toarray(), y)
    for a, b in zip(on_sparse.coefs_, on_dense.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(on_sparse.predict_proba(X), on_dense.predict_proba(X))


def test_sparse_predict_equals_dense(rng):
    network, theta, X, _, _ = sparse_problem(rng, (30, 7, 3), n_samples=300)
    dense = np.empty((300, 3))
    compressed = np.empty((300, 3))
    activations = np.empty(16 * network.layout.n_units)
    batch.predict_outputs(X.toarray(), theta, network.structure, activations, dense)
    batch.predict_outputs(csr(X), theta, network.structure, activations, compressed)
    np.testing.assert_allclose(compressed, dense, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_compact_features_number_the_features_in_order_of_occurrence(rng, index_dtype):
    X = sparse.random(50, 1000, density=0.01, format="csr", random_state=2)
    X.indices = X.indices.astype(index_dtype)
    features, compact = sparse_kernel.compact_features(csr(X).indices, X.shape[1])
    assert features.dtype == compact.dtype == np.uint32
    np.testing.assert_array_equal(features[compact], X.indices)
    _, first = np.unique(X.indices, return_index=True)
    np.testing.assert_array_equal(features, X.indices[np.sort(first)])


@pytest.fixture(scope="module")
def text_like():
    rng = np.random.default_rng(1)
    X = sparse.random(400, 500, density=0.02, format="csr", random_state=1)
    w = rng.normal(size=500)
    return X, (X @ w > 0).astype(int), X @ w


@pytest.mark.parametrize("cls", [FastBPClassifier, FastBPRegressor])
@pytest.mark.parametrize("params", [{}, {"momentum": 0.5}, {"early_stopping": True}])
def test_estimators_fit_sparse_as_dense(text_like, cls, params):
    X, labels, values = text_like
    y = labels if cls is FastBPClassifier else values
    params = {"hidden_layer_sizes": (8,), "max_iter": 4, "random_state": 0, **params}
    params["learning_rate_init"] = 0.01
    from_sparse = cls(**params).fit(X, y)
    from_dense = cls(**params).fit(X.toarray(), y)
    scale = np.max(np.abs(from_dense._theta))
    assert np.max(np.abs(from_sparse._theta - from_dense._theta)) <= 1e-10 * scale
    np.testing.assert_allclose(from_sparse.loss_curve_, from_dense.loss_curve_, rtol=1e-10)
    # Either model predicts either kind of input alike.
    np.testing.assert_allclose(
        from_sparse.predict(X.toarray()), from_dense.predict(X), rtol=1e-9, atol=1e-12
    )


def test_partial_fit_mixes_sparse_and_dense_batches(text_like):
    X, y, _ = text_like
    mixed = FastBPClassifier(hidden_layer_sizes=(8,), random_state=0, shuffle=False)
    dense = FastBPClassifier(hidden_layer_sizes=(8,), random_state=0, shuffle=False)
    for start in range(0, 400, 100):
        batch = X[start : start + 100]
        labels = y[start : start + 100]
        mixed.partial_fit(batch if start % 200 else batch.toarray(), labels, [0, 1])
        dense.partial_fit(batch.toarray(), labels, [0, 1])
    np.testing.assert_allclose(mixed._theta, dense._theta, rtol=0, atol=1e-12)


@pytest.mark.parametrize("convert", ["csc", "coo", "int64"])
def test_other_sparse_formats_and_index_types(text_like, convert):
    X, y, _ = text_like
    expected = FastBPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(
        X, y
    )
    if convert == "int64":
        other = sparse.csr_matrix(X)
        other.indices = other.indices.astype(np.int64)
        other.indptr = other.indptr.astype(np.int64)
    else:
        other = X.asformat(convert)
    model = FastBPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    model.fit(other, y)
    np.testing.assert_allclose(model._theta, expected._theta, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.predict(other), expected.predict(X))


def test_sparse_refuses_threads_clearly(text_like):
    X, y, _ = text_like
    model = FastBPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0, n_jobs=2)
    with pytest.raises(ValueError, match="Sparse X trains on one thread"):
        model.fit(X, y)
    model.fit(X.toarray(), y)  # dense X is fine
    with pytest.raises(ValueError, match="Sparse X"):
        model.partial_fit(X, y)
    assert model.n_iter_ == 2  # the failed call left the fitted model as it was


def test_sparse_non_finite_values_are_refused(text_like):
    X, y, _ = text_like
    X = X.copy()
    X.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        FastBPClassifier().fit(X, y)
