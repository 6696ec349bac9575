"""The figures draw the numbers they are given."""

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="needs the plot extra: pip install 'fastbp[plot]'")
import matplotlib

matplotlib.use("Agg")
from sklearn.datasets import load_digits

from fastbp import FastBPClassifier, landscape, plot
from fastbp._bench.accuracy import digits_time_to_accuracy

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:200] / 16.0, y[:200]


def test_loss_curve_draws_the_recorded_curves(digits):
    X, y = digits
    model = FastBPClassifier(
        hidden_layer_sizes=(8,), early_stopping=True, validation_fraction=0.2,
        max_iter=6, random_state=0,
    ).fit(X, y)  # fmt: skip
    figure = plot.loss_curve(model)
    loss_axes, score_axes = figure.axes
    drawn = {line.get_label(): line.get_ydata() for line in loss_axes.get_lines()}
    np.testing.assert_array_equal(drawn["training loss"], model.loss_curve_)
    np.testing.assert_array_equal(drawn["validation loss"], model.validation_loss_curve_)
    np.testing.assert_array_equal(
        score_axes.get_lines()[0].get_ydata(), model.validation_scores_
    )
    plain = FastBPClassifier(hidden_layer_sizes=(8,), max_iter=3).fit(X, y)
    assert len(plot.loss_curve(plain).axes) == 1  # no validation: no score axis


def test_loss_curve_of_an_unfitted_model_is_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot.loss_curve(FastBPClassifier())


def test_landscape_figures_draw_the_grid_and_path(digits):
    X, y = digits
    model, thetas = landscape.record_trajectory(
        FastBPClassifier(hidden_layer_sizes=(8,), random_state=0), X, y, epochs=4
    )
    directions, path, _ = landscape.trajectory_directions(model, thetas)
    alphas, betas, losses = landscape.plane(model, X, y, steps=5, directions=directions)
    figure = plot.landscape_contour(alphas, betas, losses, trajectory=path)
    ax = figure.axes[0]
    drawn_path = ax.get_lines()[0]
    np.testing.assert_array_equal(drawn_path.get_xdata(), path[:, 0])
    np.testing.assert_array_equal(drawn_path.get_ydata(), path[:, 1])
    assert ax.get_xlabel() == "alpha" and ax.get_ylabel() == "beta"
    surface = plot.landscape_surface(alphas, betas, losses)
    assert surface.axes[0].name == "3d"
    z_low, z_high = surface.axes[0].get_zlim()
    assert z_low <= losses.min() and losses.max() <= z_high
    line_alphas, line_losses = landscape.line(model, X, y, steps=7, random_state=0)
    drawn = plot.landscape_line(line_alphas, line_losses, label="fit").axes[0].get_lines()
    np.testing.assert_array_equal(drawn[0].get_ydata(), line_losses)


def test_time_to_accuracy_draws_each_trainer():
    curves = {"a": (np.array([0.1, 0.2]), np.array([0.5, 0.7])), "b": (np.ones(1), [0.9])}
    ax = plot.time_to_accuracy(curves).axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["a"].get_ydata(), [0.5, 0.7])
    assert ax.get_xscale() == "log"


@pytest.mark.slow
def test_digits_time_to_accuracy_measures_both_trainers():
    curves = digits_time_to_accuracy(epochs=2, hidden=16)
    assert set(curves) == {"fastbp", "sklearn MLPClassifier"}
    for seconds, accuracies in curves.values():
        assert len(seconds) == 2 and seconds[1] > seconds[0] > 0
        assert (accuracies > 0.5).all()


def test_missing_matplotlib_is_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'fastbp\[plot\]'"):
        plot.time_to_accuracy({})
