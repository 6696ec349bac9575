"""Figures: training curves, error landscapes, and time to accuracy.

Needs matplotlib (``pip install "fastbp[plot]"``). Every function returns the
matplotlib ``Figure`` it drew on (``ax`` lets it draw into an existing one).
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "fastbp.plot needs matplotlib: pip install 'fastbp[plot]'."
        ) from error
    return plt


def _axes(ax, **subplot):
    if ax is not None:
        return ax.figure, ax
    plt = _pyplot()
    figure = plt.figure(figsize=(6.4, 4.4))
    return figure, figure.add_subplot(111, **subplot)


def loss_curve(estimator, ax=None):
    """Training loss per epoch, with the validation loss and score when recorded.

    Parameters
    ----------
    estimator : fitted FastBPClassifier or FastBPRegressor
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_is_fitted(estimator, "loss_curve_")
    figure, ax = _axes(ax)
    epochs = np.arange(1, len(estimator.loss_curve_) + 1)
    ax.plot(epochs, estimator.loss_curve_, label="training loss")
    validation = getattr(estimator, "validation_loss_curve_", None)
    lines = ax.get_lines()
    if validation:
        shown = epochs[-len(validation) :]
        ax.plot(shown, validation, label="validation loss")
        scores = ax.twinx()
        scores.plot(
            shown, estimator.validation_scores_, color="C2", label="validation score"
        )
        scores.set_ylabel("validation score")
        lines = ax.get_lines() + scores.get_lines()
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Training curves")
    # Losses fall and scores rise: the middle right stays clear of both.
    ax.legend(lines, [line.get_label() for line in lines], loc="center right")
    return figure


def landscape_line(alphas, losses, ax=None, label=None):
    """The 1-D landscape ``(alphas, losses)`` of :func:`fastbp.landscape.line`."""
    figure, ax = _axes(ax)
    ax.plot(alphas, losses, label=label)
    ax.axvline(0.0, color="0.7", linewidth=0.8)
    ax.set_xlabel("alpha (distance along the direction)")
    ax.set_ylabel("training loss")
    if label is not None:
        ax.legend()
    return figure


def landscape_contour(alphas, betas, losses, ax=None, trajectory=None, levels=30):
    """Contours of :func:`fastbp.landscape.plane`, with an optional training path.

    ``trajectory`` is an ``(n_points, 2)`` array of plane coordinates, e.g. from
    :func:`fastbp.landscape.trajectory_directions`, drawn as a line with markers.
    """
    figure, ax = _axes(ax)
    grid_b, grid_a = np.meshgrid(betas, alphas)
    contours = ax.contour(grid_a, grid_b, losses, levels=levels, cmap="viridis")
    ax.clabel(contours, fontsize=7, fmt="%.2g")
    if trajectory is not None:
        trajectory = np.asarray(trajectory)
        ax.plot(trajectory[:, 0], trajectory[:, 1], "o-", color="C3", markersize=3,
                label="training path (per epoch)")  # fmt: skip
        ax.legend(loc="upper right")
    ax.plot([0], [0], "k*", markersize=10)
    ax.set_xlabel("alpha")
    ax.set_ylabel("beta")
    return figure


def landscape_surface(alphas, betas, losses, ax=None):
    """A 3-D surface of :func:`fastbp.landscape.plane`."""
    figure, ax = _axes(ax, projection="3d")
    grid_b, grid_a = np.meshgrid(betas, alphas)
    ax.plot_surface(grid_a, grid_b, losses, cmap="viridis", linewidth=0)
    ax.set_xlabel("alpha")
    ax.set_ylabel("beta")
    ax.set_zlabel("training loss")
    return figure


def time_to_accuracy(curves, ax=None):
    """Test accuracy against training time, one line per trainer.

    Parameters
    ----------
    curves : dict of name -> (seconds, accuracies)
        Cumulative training time and test accuracy after each epoch, e.g. from
        :func:`fastbp._bench.accuracy.digits_time_to_accuracy`.
    """
    figure, ax = _axes(ax)
    for name, (seconds, accuracies) in curves.items():
        ax.plot(seconds, accuracies, "o-", markersize=3, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("training time (s, log scale)")
    ax.set_ylabel("test accuracy")
    ax.set_title("Time to accuracy")
    ax.legend(loc="lower right")
    return figure
