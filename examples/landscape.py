"""Error landscapes on digits: per-example SGD vs full batch, shallow vs deep.

Writes PNGs into the folder given as the first argument (default
``landscape_figures/``):

- ``landscape_1d.png``: the loss along one filter-normalised random direction around
  a per-example SGD fit and a full-batch gradient-descent fit, and along the segment
  between the two fits;
- ``landscape_2d.png``: loss contours on a random plane around the SGD, full-batch,
  shallow and deep fits, the SGD panel with its per-epoch training path projected
  on the plane of its two principal directions;
- ``landscape_3d.png``: the SGD fit's plane as a surface;
- ``curves.png``: the SGD fit's training curves with early stopping, and test
  accuracy against training time for fastbp and sklearn's MLPClassifier.

Needs matplotlib (``pip install "fastbp[plot]"``).
"""

import sys
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from fastbp import FastBPClassifier, landscape, plot
from fastbp._bench.accuracy import digits_time_to_accuracy

warnings.simplefilter("ignore", ConvergenceWarning)
out = Path(sys.argv[1] if len(sys.argv) > 1 else "landscape_figures")
out.mkdir(parents=True, exist_ok=True)

X, y = load_digits(return_X_y=True)
X, y = X[:600] / 16.0, y[:600]
common = {"activation": "tanh", "alpha": 1e-3, "random_state": 0, "tol": 0.0}
models = {
    "per-example SGD, 64-32-10": FastBPClassifier(
        hidden_layer_sizes=(32,), batch_size=1, learning_rate_init=0.01, max_iter=30,
        **common,
    ),
    "full-batch GD, 64-32-10": FastBPClassifier(
        hidden_layer_sizes=(32,), batch_size="full", learning_rate_init=0.5,
        max_iter=600, **common,
    ),
    "shallow: 64-8-10": FastBPClassifier(
        hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=30, **common
    ),
    "deep: 64-16-16-16-10": FastBPClassifier(
        hidden_layer_sizes=(16, 16, 16), learning_rate_init=0.01, max_iter=30, **common
    ),
}  # fmt: skip
for name, model in models.items():
    model.fit(X, y)
    print(f"{name:28s} training accuracy {model.score(X, y):.3f}")
sgd, full = list(models.values())[:2]

figure, axes = plt.subplots(1, 2, figsize=(11, 4))
for name, model in list(models.items())[:2]:
    alphas, losses = landscape.line(model, X, y, distance=1.0, steps=41, random_state=1)
    plot.landscape_line(alphas, losses, ax=axes[0], label=name)
axes[0].set_title("Along a filter-normalised random direction")
ts, losses = landscape.interpolate(sgd, full, X, y, steps=41)
axes[1].plot(ts, losses)
axes[1].set_xlabel("t: (1 - t) SGD fit + t full-batch fit")
axes[1].set_ylabel("training loss")
axes[1].set_title("Between the two fits")
figure.tight_layout()
figure.savefig(out / "landscape_1d.png", dpi=110)

started = time.perf_counter()
steps = 21
figure, axes = plt.subplots(2, 2, figsize=(11, 9))
for ax, (name, model) in zip(axes.ravel(), models.items()):
    trajectory = directions = None
    if model is sgd:
        # The path: 30 one-epoch warm-started fits from the same start, weights after each.
        model, thetas = landscape.record_trajectory(model, X, y, epochs=30)
        directions, trajectory, explained = landscape.trajectory_directions(model, thetas)
        name += f"\n(plane of the path's 2 principal directions: {explained.sum():.0%})"
    alphas, betas, losses = landscape.plane(
        model, X, y, steps=steps, random_state=2, directions=directions, cover=trajectory
    )
    plot.landscape_contour(alphas, betas, losses, ax=ax, trajectory=trajectory)
    ax.set_title(name, fontsize=10)
    if trajectory is not None:
        surface = (alphas, betas, losses)
figure.tight_layout()
figure.savefig(out / "landscape_2d.png", dpi=110)
print(f"4 planes of {steps}x{steps} points in {time.perf_counter() - started:.1f} s")

plot.landscape_surface(*surface).savefig(out / "landscape_3d.png", dpi=110)

figure, axes = plt.subplots(1, 2, figsize=(11, 4))
stopped = FastBPClassifier(
    hidden_layer_sizes=(32,), early_stopping=True, validation_fraction=0.2,
    max_iter=200, random_state=0,
).fit(X, y)  # fmt: skip
plot.loss_curve(stopped, ax=axes[0])
plot.time_to_accuracy(digits_time_to_accuracy(epochs=8), ax=axes[1])
figure.tight_layout()
figure.savefig(out / "curves.png", dpi=110)
print(f"wrote {', '.join(sorted(p.name for p in out.glob('*.png')))} to {out}/")
