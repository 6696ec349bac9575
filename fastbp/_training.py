"""The epoch loop: shuffling, kernel dispatch, loss bookkeeping, stopping, divergence.

Nothing here knows about scikit-learn; the estimators hand in validated arrays.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import _kernels
from ._network import ALIGNMENT, aligned_empty

# Rows per BLAS chunk in mini-batch training and prediction: large enough for GEMM to
# run near peak, small enough that a chunk's activations stay in cache.
CHUNK_ROWS = 256


class TrainingDiverged(ValueError):
    """Training produced a non-finite loss or non-finite weights."""


@dataclass
class Progress:
    """What training has done so far; carried across warm-started fits and partial_fit.

    Attributes follow scikit-learn's MLP: ``loss_curve`` (mean loss per epoch),
    ``best_loss``, ``no_improvement_count``, ``t`` (examples seen) and
    ``learning_rate`` (the step size the next epoch uses).
    """

    learning_rate: float
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    no_improvement_count: int = 0
    t: int = 0
    validation_scores: list = field(default_factory=list)
    validation_losses: list = field(default_factory=list)
    best_validation_score: float = -np.inf


def make_trainer(
    network,
    theta,
    X,
    Y,
    sample_weight,
    batch_size,
    learning_rate,
    alpha,
    momentum=0.0,
    nesterov=False,
    velocity=None,
):
    """Preallocate the buffers of one fit; returns ``epoch(order, rate=None) -> loss``.

    The returned function runs one epoch over ``X[order]`` with step size ``rate``
    (``learning_rate`` if None; schedules change it between epochs) and returns the
    epoch's mean loss.

    Parameters
    ----------
    network : fastbp._network.Network
    theta : ndarray, updated in place by every epoch
    X, Y : C-contiguous 2-D arrays of theta's dtype
    sample_weight : 1-D array of theta's dtype
    batch_size : int
        1 runs the fused per-example kernel; larger values run the mini-batch kernel
        (``>= len(X)`` is the true gradient).
    learning_rate, alpha : float
        Default step size and L2 penalty.
    momentum : float, default=0
        Momentum ``mu`` in ``[0, 1)``; 0 is plain SGD (the seed's rule).
    nesterov : bool, default=False
        Nesterov's momentum (scikit-learn's update rule) instead of classical.
    velocity : ndarray shaped like theta, updated in place; required if momentum > 0
    """
    layout = network.layout
    structure = network.structure
    dtype = theta.dtype
    n_samples = X.shape[0]
    if momentum > 0.0:
        keep, lookahead = (momentum, 1.0) if nesterov else (1.0, 0.0)
        moving = (velocity, dtype.type(momentum), dtype.type(keep), dtype.type(lookahead))
    else:
        moving = None

    if batch_size == 1:
        outs = np.empty(layout.n_units, dtype=dtype)
        deltas = np.empty(layout.n_units, dtype=dtype)
        # Row stride rounded up so that both rows start on a cache line.
        stride = -(-X.shape[1] // ALIGNMENT) * ALIGNMENT
        rows = aligned_empty(2 * stride, dtype).reshape(2, stride)

        def run(order, learning_rate):
            # In theta's dtype, so that float32 models never compute in float64.
            step = dtype.type(learning_rate)
            decay = dtype.type(1.0 - learning_rate * alpha)
            return _kernels.sgd_epoch(
                X,
                Y,
                order,
                sample_weight,
                theta,
                structure,
                step,
                decay,
                alpha,
                outs,
                deltas,
                rows,
                moving,
            )
    else:
        chunk = min(batch_size, n_samples, CHUNK_ROWS)
        inputs = np.empty((chunk, X.shape[1]), dtype=dtype)
        targets = np.empty((chunk, Y.shape[1]), dtype=dtype)
        weights = np.empty(chunk, dtype=dtype)
        activations = np.empty(chunk * layout.n_units, dtype=dtype)
        deltas = np.empty(chunk * layout.n_units, dtype=dtype)
        scratch = np.empty(layout.largest_block, dtype=dtype)
        gradient = np.empty(layout.size, dtype=dtype)
        batch = min(batch_size, n_samples)

        def run(order, learning_rate):
            return _kernels.minibatch_epoch(
                X,
                Y,
                order,
                sample_weight,
                theta,
                structure,
                learning_rate,
                alpha,
                batch,
                inputs,
                targets,
                weights,
                activations,
                deltas,
                scratch,
                gradient,
                moving,
            )

    weight_sums = {}

    def epoch(order, rate=None):
        data_loss, penalty = run(order, float(learning_rate if rate is None else rate))
        # Every epoch visits the same set of examples (a permutation of it), so its
        # weight sum is computed once.
        if order.shape[0] not in weight_sums:
            weight_sums[order.shape[0]] = float(sample_weight[order].sum(dtype=np.float64))
        return data_loss / weight_sums[order.shape[0]] + penalty / order.shape[0]

    return epoch


def train(
    epoch,
    theta,
    n_samples,
    progress,
    *,
    max_epochs,
    shuffle,
    rng,
    tol,
    n_iter_no_change,
    verbose,
    stop_on_plateau,
    schedule="constant",
    learning_rate_init=None,
    power_t=0.5,
    indices=None,
    validate=None,
):
    """Run up to ``max_epochs`` epochs; returns ``(epochs_run, converged)``.

    ``indices`` (default: all ``n_samples``) are the examples trained on. With
    ``validate(theta) -> (score, loss)``, every epoch records a validation score and
    loss, plateaus are judged on the score (scikit-learn's early stopping: no gain of
    ``tol`` for more than ``n_iter_no_change`` epochs), and ``theta`` ends holding the
    weights of the best-scoring epoch.

    A plateau is the training loss not improving by ``tol`` for more than
    ``n_iter_no_change`` consecutive epochs (scikit-learn's rule). On a plateau,
    ``schedule='adaptive'`` divides the learning rate by 5 (and stops once it is
    at most 1e-6); otherwise training stops if ``stop_on_plateau``.
    ``schedule='invscaling'`` sets the rate after every epoch to
    ``learning_rate_init / (t + 1) ** power_t``, ``t`` being the examples seen so far
    (scikit-learn's per-epoch rule). Raises :class:`TrainingDiverged` when an epoch
    ends with a non-finite loss or weights; the caller keeps its own copy of the last
    good state.
    """
    if indices is None:
        order = np.arange(n_samples, dtype=np.int64)
    else:
        order = np.array(indices, dtype=np.int64)
    done = len(progress.loss_curve)
    best = theta.copy() if validate is not None else None
    try:
        n_samples = order.shape[0]
        fit_started = time.perf_counter()
        for epoch_index in range(max_epochs):
            if shuffle:
                rng.shuffle(order)
            started = time.perf_counter()
            loss = epoch(order, progress.learning_rate)
            elapsed = time.perf_counter() - started
            if not (np.isfinite(loss) and np.isfinite(theta).all()):
                raise TrainingDiverged(
                    f"Training diverged in epoch {len(progress.loss_curve) + 1}: the loss "
                    f"became {loss} and the weights are "
                    f"{'finite' if np.isfinite(theta).all() else 'no longer finite'}. "
                    "Use a smaller learning_rate_init, or scale X (e.g. StandardScaler) "
                    "and, for regression, y. The model was left as it was before this call."
                )
            progress.loss_curve.append(float(loss))
            progress.t += n_samples
            line = f"Epoch {len(progress.loss_curve)}, loss = {loss:.8f}"
            if validate is not None:
                score, validation_loss = validate(theta)
                progress.validation_scores.append(float(score))
                progress.validation_losses.append(float(validation_loss))
                line += (
                    f", validation score = {score:.6f}, "
                    f"validation loss = {validation_loss:.8f}"
                )
                if score < progress.best_validation_score + tol:
                    progress.no_improvement_count += 1
                else:
                    progress.no_improvement_count = 0
                if score > progress.best_validation_score:
                    progress.best_validation_score = float(score)
                    best[:] = theta
            elif loss > progress.best_loss - tol:
                progress.no_improvement_count += 1
            else:
                progress.no_improvement_count = 0
            progress.best_loss = min(progress.best_loss, float(loss))
            if verbose:
                rate = n_samples / elapsed if elapsed > 0 else float("inf")
                total = time.perf_counter() - fit_started
                print(f"{line}, {rate:,.0f} examples/s, {total:.2f} s")
            if schedule == "invscaling":
                progress.learning_rate = learning_rate_init / (progress.t + 1) ** power_t
            if progress.no_improvement_count <= n_iter_no_change:
                continue
            if schedule == "adaptive" and progress.learning_rate > 1e-6:
                progress.learning_rate /= 5.0
                progress.no_improvement_count = 0
                if verbose:
                    print(f"Setting learning rate to {progress.learning_rate:f}")
                continue
            if stop_on_plateau:
                if verbose:
                    what = "Validation score" if validate is not None else "Training loss"
                    print(
                        f"{what} did not improve more than tol={tol:f} for "
                        f"{n_iter_no_change} consecutive epochs. Stopping."
                    )
                return epoch_index + 1, True
        return max_epochs, False
    except KeyboardInterrupt:
        # Ctrl-C lands when the running epoch's kernel returns. Keep the epochs that
        # finished, as scikit-learn does; with none finished there is nothing to keep.
        finished = len(progress.loss_curve) - done
        if finished == 0:
            raise
        warnings.warn(
            f"Training interrupted by user after {finished} epoch(s); the model keeps "
            "them.",
            UserWarning,
            stacklevel=2,
        )
        return finished, True
    finally:
        if best is not None and progress.validation_scores:
            theta[:] = best
