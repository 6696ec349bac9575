"""The error landscape: numbers checked against independent computations."""

import copy

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss

from fastbp import FastBPClassifier, FastBPRegressor, fitted_network, landscape

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


@pytest.fixture(scope="module")
def fitted(digits):
    X, y = digits
    params = {"hidden_layer_sizes": (12, 8), "alpha": 0.01, "max_iter": 10}
    return FastBPClassifier(random_state=0, **params).fit(X, y)


def training_loss(model, X, y):
    """The objective computed independently: sklearn's log-loss plus the L2 term."""
    squared = sum(float(np.sum(c * c)) for c in model.coefs_)
    data = log_loss(y, model.predict_proba(X), labels=model.classes_)
    return data + model.alpha * squared / (2 * len(X))


def shifted(model, theta_arrays):
    """A copy of ``model`` with the given weights (shaped like coefs_ + intercepts_)."""
    moved = copy.deepcopy(model)
    n = len(model.coefs_)
    moved.coefs_ = theta_arrays[:n]
    moved.intercepts_ = theta_arrays[n:]
    return moved


def test_filter_normalised_direction_has_each_units_norm(fitted):
    direction = landscape.random_direction(fitted, random_state=0)
    n = len(fitted.coefs_)
    assert [d.shape for d in direction] == [
        a.shape for a in fitted.coefs_ + fitted.intercepts_
    ]
    for step, weights in zip(direction[:n], fitted.coefs_):
        # coefs_[l][:, j] holds unit j's incoming weights.
        np.testing.assert_allclose(
            np.linalg.norm(step, axis=0), np.linalg.norm(weights, axis=0), rtol=1e-12
        )
    assert all(not b.any() for b in direction[n:])
    layered = landscape.random_direction(fitted, random_state=0, normalization="layer")
    for step, weights in zip(layered[:n], fitted.coefs_):
        assert np.linalg.norm(step) == pytest.approx(np.linalg.norm(weights), rel=1e-12)
    raw = landscape.random_direction(fitted, random_state=0, normalization=None)
    assert all(b.any() for b in raw[n:])
    again = landscape.random_direction(fitted, random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip(direction, again))


def test_line_is_the_training_loss_along_the_direction(fitted, digits):
    X, y = digits
    direction = landscape.random_direction(fitted, random_state=1)
    alphas, losses = landscape.line(
        fitted, X, y, distance=0.5, steps=11, direction=direction
    )
    np.testing.assert_allclose(alphas, np.linspace(-0.5, 0.5, 11))
    assert losses[5] == pytest.approx(training_loss(fitted, X, y), rel=1e-10)
    base = fitted.coefs_ + fitted.intercepts_
    moved = shifted(fitted, [w + 0.3 * d for w, d in zip(base, direction)])
    assert losses[8] == pytest.approx(training_loss(moved, X, y), rel=1e-10)
    assert losses[0] > losses[5] and losses[-1] > losses[5]  # a minimum-ish, as fitted


def test_plane_indexes_losses_by_alpha_then_beta(fitted, digits):
    X, y = digits
    pair = (
        landscape.random_direction(fitted, random_state=2),
        landscape.random_direction(fitted, random_state=3),
    )
    alphas, betas, losses = landscape.plane(
        fitted, X, y, distance=1.0, steps=5, directions=pair
    )
    assert losses.shape == (5, 5)
    assert losses[2, 2] == pytest.approx(training_loss(fitted, X, y), rel=1e-10)
    base = fitted.coefs_ + fitted.intercepts_
    point = [w + alphas[4] * d + betas[1] * e for w, d, e in zip(base, *pair)]
    assert losses[4, 1] == pytest.approx(training_loss(shifted(fitted, point), X, y))
    # Random directions from random_state give the same plane each time.
    first = landscape.plane(fitted, X, y, steps=3, random_state=7)[2]
    np.testing.assert_array_equal(
        first, landscape.plane(fitted, X, y, steps=3, random_state=7)[2]
    )


def test_interpolation_ends_at_each_models_loss(digits):
    X, y = digits
    params = {"hidden_layer_sizes": (12,), "alpha": 0.01, "max_iter": 8, "random_state": 0}
    per_example = FastBPClassifier(**params).fit(X, y)
    full_batch = FastBPClassifier(batch_size="full", learning_rate_init=0.5, **params)
    full_batch.fit(X, y)
    ts, losses = landscape.interpolate(per_example, full_batch, X, y, steps=11)
    np.testing.assert_allclose(ts, np.linspace(0, 1, 11))
    assert losses[0] == pytest.approx(training_loss(per_example, X, y), rel=1e-10)
    assert losses[-1] == pytest.approx(training_loss(full_batch, X, y), rel=1e-10)
    other = FastBPClassifier(hidden_layer_sizes=(5,), max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="same layer sizes"):
        landscape.interpolate(per_example, other, X, y)


def test_trajectory_plane_holds_the_training_path(digits):
    X, y = digits
    model = FastBPClassifier(hidden_layer_sizes=(12,), random_state=0)
    trained, thetas = landscape.record_trajectory(model, X, y, epochs=6)
    assert thetas.shape == (6, trained._theta.size)
    np.testing.assert_array_equal(thetas[-1], trained._theta)
    (delta, eta), coordinates, explained = landscape.trajectory_directions(trained, thetas)
    assert coordinates.shape == (6, 2)
    np.testing.assert_allclose(coordinates[-1], 0.0, atol=1e-12)  # the fitted model
    assert 0 < explained[1] <= explained[0] <= 1 and explained.sum() <= 1 + 1e-12
    flat = [landscape._flatten(fitted_network(trained), d) for d in (delta, eta)]
    np.testing.assert_allclose([[a @ b for b in flat] for a in flat], np.eye(2), atol=1e-12)
    # Each point, projected back from its coordinates, is closer than 1-explained.
    offsets = thetas - trained._theta
    residual = offsets - coordinates @ np.array(flat)
    assert np.sum(residual**2) == pytest.approx(np.sum(offsets**2) * (1 - explained.sum()))


def test_regressor_and_bad_input(digits):
    X, y = digits
    reg = FastBPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    reg.fit(X, y / 9.0)
    _, losses = landscape.line(reg, X, y / 9.0, steps=3, random_state=0)
    expected = 0.5 * np.mean((reg.predict(X) - y / 9.0) ** 2)
    expected += reg.alpha * sum(float(np.sum(c * c)) for c in reg.coefs_) / (2 * len(X))
    assert losses[1] == pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match="shaped like coefs_"):
        landscape.line(reg, X, y, direction=[np.zeros(3)])
    with pytest.raises(ValueError, match="normalization"):
        landscape.random_direction(reg, normalization="unit")
    with pytest.raises(AttributeError, match="not fitted"):
        landscape.random_direction(FastBPRegressor())


@pytest.mark.parametrize(
    "params", [dict(early_stopping=True), dict(class_weight="balanced")]
)
def test_trajectory_of_every_setting_is_its_fit_epoch_by_epoch(digits, params):
    # Each recorded point is where a fit of that many epochs ends (the same settings,
    # early stopping's split and balanced class weights included).
    import warnings

    X, y = digits
    settings = dict(hidden_layer_sizes=(6,), random_state=0, shuffle=False, **params)
    model = FastBPClassifier(**settings)
    trained, thetas = landscape.record_trajectory(model, X, y, epochs=3)
    assert thetas.shape[0] == 3
    assert trained.max_iter == model.max_iter and trained.warm_start is False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        once = FastBPClassifier(max_iter=1, **settings).fit(X, y)
    np.testing.assert_array_equal(thetas[0], fitted_network(once).theta)
    np.testing.assert_array_equal(thetas[-1], fitted_network(trained).theta)


def test_one_epoch_trajectory_gives_a_plane_that_covers_it(digits):
    X, y = digits
    model = FastBPClassifier(hidden_layer_sizes=(4,), random_state=0)
    trained, thetas = landscape.record_trajectory(model, X, y, epochs=1)
    directions, coordinates, explained = landscape.trajectory_directions(trained, thetas)
    assert len(directions) == 2 and coordinates.shape == (1, 2)
    assert explained[1] == 0.0
    *_, losses = landscape.plane(
        trained, X, y, steps=3, directions=directions, cover=coordinates
    )
    assert losses.shape == (3, 3) and np.isfinite(losses).all()
    with pytest.raises(ValueError, match="positive integer"):
        landscape.record_trajectory(model, X, y, epochs=0)


def test_plane_covers_a_long_trajectory(digits):
    X, y = digits
    model = FastBPClassifier(
        hidden_layer_sizes=(6,), learning_rate_init=0.1, random_state=0
    )
    trained, thetas = landscape.record_trajectory(model, X, y, epochs=8)
    directions, coordinates, _ = landscape.trajectory_directions(trained, thetas)
    alphas, betas, _ = landscape.plane(
        trained, X, y, steps=5, directions=directions, cover=coordinates
    )
    for axis, values in ((alphas, coordinates[:, 0]), (betas, coordinates[:, 1])):
        assert axis[0] < min(values.min(), 0.0) and axis[-1] > max(values.max(), 0.0)
    with pytest.raises(ValueError, match="n_points, 2"):
        landscape.plane(trained, X, y, steps=3, cover=np.zeros(3))


def test_one_step_line_is_the_fitted_model(digits):
    X, y = digits
    model = FastBPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    model.fit(X, y)
    alphas, losses = landscape.line(model, X, y, steps=1, random_state=0)
    assert alphas.tolist() == [0.0]
    assert losses[0] == pytest.approx(training_loss(model, X, y), rel=1e-12)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        landscape.line(model, X, y, steps=0)
