"""The epoch loop: shuffling, kernel dispatch, loss bookkeeping, stopping, divergence.

Nothing here knows about scikit-learn; the estimators hand in validated arrays.
"""

import time
import warnings
from dataclasses import dataclass, field

import numba
import numpy as np
from scipy import sparse

from . import _kernels
from ._block_kernel import (
    BLOCK_MIN_WEIGHTS,
    SMALLEST_BLOCK_DECAY,
    block_buffers,
    block_sgd_epoch,
)
from ._hogwild import REPLICA_ROWS, hogwild_epoch
from ._network import aligned_rows
from ._sparse_kernel import compact_features, csr_arrays, sparse_sgd_epoch

# Rows per BLAS chunk in mini-batch training and prediction: large enough for GEMM to
# run near peak, small enough that a chunk's activations stay in cache.
CHUNK_ROWS = 256

# A call on fewer examples runs the one-example kernel: the block kernel spends two
# passes over the first layer on its first and last block whatever their size, one
# example costs one (partial_fit on tiny batches).
BLOCK_MIN_EXAMPLES = 4

# With verbose=2, the seconds of training between two progress reports, and the
# examples in the first kernel call, before there is a timing to size calls by.
REPORT_SECONDS = 0.25
FIRST_REPORT_EXAMPLES = 1000


class TrainingDiverged(ValueError):
    """Training produced a non-finite loss or non-finite weights.

    ``kept_epochs`` is the number of epochs of the failed call whose result the model
    keeps (0: the model is to be left as it was before the call).
    """

    def __init__(self, message, kept_epochs=0):
        super().__init__(message)
        self.kept_epochs = kept_epochs


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
    n_jobs=1,
):
    """Preallocate the buffers of one fit; returns ``epoch(order, rate, report) -> loss``.

    The returned function runs one epoch over ``X[order]`` with step size ``rate``
    (``learning_rate`` if None; schedules change it between epochs) and returns the
    epoch's mean loss. With ``report(done, total)``, the epoch runs in several kernel
    calls of whole batches (about ``REPORT_SECONDS`` each), calling ``report`` after
    each: the same updates in the same order (bit-identical for mini-batches; with
    batch size 1 the fused first-layer forward product of a call's first example is
    summed in another order, a difference of a few ulps).

    Parameters
    ----------
    network : fastbp._network.Network
    theta : ndarray, updated in place by every epoch
    X, Y : C-contiguous 2-D arrays of theta's dtype; X may be a CSR matrix of
        theta's dtype instead (per-example SGD on one thread only)
    sample_weight : 1-D array of theta's dtype
    batch_size : int
        1 runs per-example SGD: without momentum, a first layer of
        ``BLOCK_MIN_WEIGHTS`` or more weights is updated in blocks of examples (in
        calls of ``BLOCK_MIN_EXAMPLES`` or more, with a decay of at least 0.5; on
        each thread of Hogwild alike)
        (:func:`fastbp._block_kernel.block_sgd_epoch`, the same steps), otherwise
        the fused one-example kernel runs. Larger values run the mini-batch kernel
        (``>= len(X)`` is the true gradient).
    learning_rate, alpha : float
        Default step size and L2 penalty.
    momentum : float, default=0
        Momentum ``mu`` in ``[0, 1)``; 0 is plain SGD (the seed's rule).
    nesterov : bool, default=False
        Nesterov's momentum (scikit-learn's update rule) instead of classical.
    velocity : ndarray shaped like theta, updated in place; required if momentum > 0
    n_jobs : int, default=1
        Threads of per-example SGD: more than 1 runs Hogwild!
        (:func:`fastbp._hogwild.hogwild_epoch`); mini-batches ignore it.
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

    def step_and_decay(learning_rate):
        # In theta's dtype, so that float32 models never compute in float64.
        return dtype.type(learning_rate), dtype.type(1.0 - learning_rate * alpha)

    if sparse.issparse(X):
        if batch_size != 1 or n_jobs != 1:
            raise ValueError(
                "Sparse X trains with per-example SGD on one thread: batch_size=1 and "
                f"n_jobs=1 (got batch_size={batch_size}, n_jobs={n_jobs}). Use those, "
                "or pass a dense X (X.toarray()) for mini-batches or Hogwild."
            )
        outs = np.empty(layout.n_units, dtype=dtype)
        deltas = np.empty(layout.n_units, dtype=dtype)
        data, indices, indptr = csr_arrays(X)
        if moving is None:
            # The features that occur, numbered compactly, and a feature-major copy
            # of their first-layer weights for the epochs (see sparse_sgd_epoch).
            features, indices = compact_features(indices, X.shape[1])
            weights = np.empty(features.shape[0] * layout.sizes[1], dtype=dtype)
            dense_row = np.zeros(0, dtype=dtype)
        else:
            features = weights = None
            dense_row = np.zeros(X.shape[1], dtype=dtype)

        def run(order, learning_rate):
            return sparse_sgd_epoch(
                data,
                indices,
                indptr,
                Y,
                order,
                sample_weight,
                theta,
                structure,
                *step_and_decay(learning_rate),
                alpha,
                outs,
                deltas,
                dense_row,
                moving,
                features,
                weights,
            )

    elif batch_size == 1:
        # One set of buffers per thread (Hogwild indexes them by Numba's thread id,
        # which is below the thread count); each thread's rows start on a cache line
        # of their own.
        threads = max(1, min(n_jobs, n_samples, numba.config.NUMBA_NUM_THREADS))
        outs = aligned_rows((threads, layout.n_units), dtype)
        deltas = aligned_rows((threads, layout.n_units), dtype)
        rows = aligned_rows((threads, 2, X.shape[1]), dtype)
        blocks = None
        # Hogwild with momentum steps the shared theta itself (see hogwild_epoch).
        replicas = np.empty((threads, REPLICA_ROWS, 0), dtype=dtype)
        if threads > 1 and moving is None:
            replicas = aligned_rows((threads, REPLICA_ROWS, theta.shape[0]), dtype)
        # A wide first layer is read once per block of examples, without momentum.
        sizes = layout.sizes
        blocked = moving is None and sizes[0] * sizes[1] >= BLOCK_MIN_WEIGHTS
        if blocked:
            blocks = block_buffers(
                sizes[0], sizes[1], dtype, None if threads == 1 else threads
            )

        def run(order, learning_rate):
            step, decay = step_and_decay(learning_rate)
            common = (X, Y, order, sample_weight, theta, structure, step, decay, alpha)
            in_blocks = blocked and decay >= SMALLEST_BLOCK_DECAY
            if threads == 1:
                if in_blocks and order.shape[0] >= BLOCK_MIN_EXAMPLES:
                    return block_sgd_epoch(*common, outs[0], deltas[0], blocks)
                return _kernels.sgd_epoch(*common, outs[0], deltas[0], rows[0], moving)
            # Both settings belong to the calling thread: set and restored per call.
            previous = numba.get_num_threads()
            numba.set_num_threads(threads)
            try:
                with numba.parallel_chunksize(1):
                    return hogwild_epoch(
                        *common,
                        outs,
                        deltas,
                        rows,
                        moving,
                        blocks if in_blocks else None,
                        replicas,
                        threads,
                    )
            finally:
                numba.set_num_threads(previous)
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
    # Examples per kernel call when progress is reported: whole batches, sized as the
    # epoch goes so that each call runs about REPORT_SECONDS (its call overhead is
    # then invisible, whatever the network's size).
    unit = 1 if batch_size == 1 else min(batch_size, n_samples)
    calls = {"size": max(unit, -(-FIRST_REPORT_EXAMPLES // unit) * unit)}

    def epoch(order, rate=None, report=None):
        rate = float(learning_rate if rate is None else rate)
        n_order = order.shape[0]
        if report is None:
            data_loss, penalty = run(order, rate)
        else:
            data_loss = penalty = 0.0
            start = 0
            while start < n_order:
                size = calls["size"]
                started = time.perf_counter()
                loss_part, penalty_part = run(order[start : start + size], rate)
                elapsed = time.perf_counter() - started
                data_loss += loss_part
                penalty += penalty_part
                start = min(start + size, n_order)
                report(start, n_order)
                if elapsed > 0:
                    wanted = size * REPORT_SECONDS / elapsed
                    size = int(min(max(wanted, size / 4), size * 4))
                    calls["size"] = max(unit, size // unit * unit)
        # Every epoch visits the same set of examples (a permutation of it), so its
        # weight sum is computed once.
        if n_order not in weight_sums:
            weight_sums[n_order] = float(sample_weight[order].sum(dtype=np.float64))
        return data_loss / weight_sums[n_order] + penalty / n_order

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
    velocity=None,
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
    (scikit-learn's per-epoch rule).

    An epoch that ends with a non-finite loss or weights raises
    :class:`TrainingDiverged`. If an earlier epoch of this call ended finite, ``theta``
    (and ``velocity``) are first put back to the state after it (with ``validate``,
    to the best-scoring epoch's weights) and ``progress`` ends with that epoch, so
    the caller can keep them; otherwise they hold garbage and the caller must fall
    back on its own copy. ``TrainingDiverged.kept_epochs`` says which case it was.
    A non-finite validation score is recorded as NaN and counts as no improvement.
    """
    if indices is None:
        order = np.arange(n_samples, dtype=np.int64)
    else:
        order = np.array(indices, dtype=np.int64)
    done = len(progress.loss_curve)
    best = theta.copy() if validate is not None else None
    # The state after the last finite epoch of this call, saved before each later
    # epoch: one copy of theta per epoch, nothing next to an epoch's work.
    last_good = None
    try:
        n_samples = order.shape[0]
        fit_started = time.perf_counter()
        for epoch_index in range(max_epochs):
            if epoch_index > 0:
                if last_good is None:
                    last_good = [a.copy() for a in (theta, velocity) if a is not None]
                for saved, a in zip(last_good, (theta, velocity)):
                    saved[:] = a
            if shuffle:
                rng.shuffle(order)
            started = time.perf_counter()
            report = None
            if verbose >= 2:
                report = _progress_bar(len(progress.loss_curve) + 1, started)
            loss = epoch(order, progress.learning_rate, report)
            elapsed = time.perf_counter() - started
            if not (np.isfinite(loss) and np.isfinite(theta).all()):
                # progress still describes the previous epoch: it is updated below.
                _diverged(loss, theta, velocity, epoch_index, progress, last_good, best)
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
                # Written so that a NaN score (diverging validation outputs) counts
                # as no improvement and never becomes the best.
                if not score >= progress.best_validation_score + tol:
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
                line = f"{line}, {rate:,.0f} examples/s, {total:.2f} s"
                if report is not None:
                    line = "\r" + line.ljust(BAR_WIDTH)  # overwrites the progress line
                print(line)
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


BAR_WIDTH = 79


def _progress_bar(epoch, started):
    """``report(done, total)`` that redraws one progress line for ``epoch``."""

    def report(done, total):
        filled = BAR_WIDTH // 4 * done // total
        bar = "#" * filled + "." * (BAR_WIDTH // 4 - filled)
        rate = done / max(time.perf_counter() - started, 1e-9)
        line = f"\rEpoch {epoch} [{bar}] {done:,}/{total:,} examples, {rate:,.0f}/s"
        print(line.ljust(BAR_WIDTH), end="", flush=True)

    return report


def _diverged(loss, theta, velocity, finished, progress, last_good, best):
    """Put back the last finite epoch's state (if this call ran one) and raise."""
    epoch = len(progress.loss_curve) + 1
    what = "finite" if np.isfinite(theta).all() else "no longer finite"
    if finished == 0:
        outcome = "The model was left as it was before this call."
    else:
        for saved, a in zip(last_good, (theta, velocity)):
            a[:] = saved
        outcome = (
            f"The model keeps the weights after epoch {epoch - 1}, the last finite one."
            if best is None
            else "The model keeps the weights of its best-scoring epoch before it "
            "(early stopping)."
        )
    raise TrainingDiverged(
        f"Training diverged in epoch {epoch}: the loss became {loss} and the weights "
        f"are {what}. {outcome} Use a smaller learning_rate_init, or scale X (e.g. "
        "StandardScaler) and, for regression, y.",
        kept_epochs=finished,
    )
