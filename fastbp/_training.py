"""The epoch loop: shuffling, schedules, stopping, divergence, progress.

It runs the epochs of a :class:`fastbp._trainers.Trainer`. Nothing here knows about
scikit-learn; the estimators hand in validated arrays.
"""

import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _ahead
from ._jit_activity import jit_activity
from ._kernels.shuffle import draws_of
from ._kernels.shuffle import shuffle as shuffle_order


class TrainingDiverged(ValueError):
    """Training produced a non-finite loss or non-finite weights.

    ``kept_epochs`` is the number of epochs of the failed call whose result the model
    keeps (0: the model is to be left as it was before the call).
    """

    def __init__(self, message, kept_epochs=0):
        super().__init__(message)
        self.kept_epochs = kept_epochs


# What a diverging fit is told to change, unless the estimator knows better.
SMALLER_STEP = (
    "Use a smaller learning_rate_init, or scale X (e.g. StandardScaler) and, for "
    "regression, y."
)


@dataclass
class Progress:
    """What training has done so far; carried across warm-started fits and partial_fit.

    Attributes follow scikit-learn's MLP: ``loss_curve`` (mean loss per epoch),
    ``best_loss``, ``no_improvement_count``, ``t`` (examples seen) and
    ``learning_rate`` (the step size the next epoch uses).

    The curves (:data:`CURVES`) are only ever appended to, and shared by the copies
    each call works on and by the model's ``loss_curve_``: a call that fails is
    undone by :func:`rewind` to its :func:`progress_mark`, not by copying the
    curves (a copy per call made a stream of ``partial_fit`` calls quadratic).
    """

    learning_rate: float
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    no_improvement_count: int = 0
    t: int = 0
    validation_scores: list = field(default_factory=list)
    validation_losses: list = field(default_factory=list)
    best_validation_score: float = -np.inf


def train(
    trainer,
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
    state=(),
    lines="fastbp",
    advice=SMALLER_STEP,
):
    """Run up to ``max_epochs`` epochs of ``trainer``; returns ``(epochs_run, converged)``.

    ``indices`` (default: all ``n_samples``) are the examples trained on, in an
    order ``rng`` shuffles before each epoch if ``shuffle`` (:func:`_shuffler`). With
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

    With ``validate`` (early stopping), an epoch that ends with a non-finite loss or
    weights is recorded with a NaN score and ends training with a
    ``ConvergenceWarning``, theta holding the best-scoring epoch's weights (scikit-
    learn's MLP returns too, #29504). Without it, such an epoch raises
    :class:`TrainingDiverged`. If an earlier epoch of this call ended finite, ``theta``
    (and the optimiser's ``state`` arrays) are first put back to the state after it and
    ``progress`` ends with that epoch, so the caller can keep them; otherwise they hold
    garbage and the caller must fall back on its own copy.
    ``TrainingDiverged.kept_epochs`` says which case it was.
    A non-finite validation score is recorded as NaN and counts as no improvement.

    ``advice`` ends the divergence messages: what to change.

    With ``verbose``, each epoch prints a line: fastbp's (loss, validation score and
    loss, examples/s, elapsed time), or with ``lines='sklearn'`` scikit-learn's MLP
    lines (``Iteration N, loss = ...`` and ``Validation score: ...``).
    """
    if indices is None:
        order = np.arange(n_samples, dtype=np.int64)
    else:
        order = np.array(indices, dtype=np.int64)
    best = theta.copy() if validate is not None else None
    shuffled = _shuffler(rng, order) if shuffle else None
    arrays = (theta, *state) + (() if best is None else (best,))
    # The state after the last finished epoch of this call, saved before each later
    # epoch (one copy of the arrays per epoch, nothing next to an epoch's work):
    # what a diverging or interrupted epoch goes back to.
    last_good = None
    saved_progress = None
    saved_before = None  # the epoch index last_good and saved_progress were saved at
    finished = 0  # epochs whose weights, state and progress agree
    try:
        n_samples = order.shape[0]
        fit_started = time.perf_counter()
        for epoch_index in range(max_epochs):
            if epoch_index > 0:
                if last_good is None:
                    last_good = [a.copy() for a in arrays]
                for saved, a in zip(last_good, arrays):
                    saved[:] = a
                saved_progress = progress_mark(progress)
                saved_before = epoch_index
            if shuffled is not None:
                shuffled(order)
            started = time.perf_counter()
            report = None
            if verbose >= 2:
                report = _progress_bar(len(progress.loss_curve) + 1, started)
            loss, jit = _run_epoch(
                trainer, order, progress.learning_rate, report,
                timing_jit=bool(verbose) and epoch_index == 0,
            )  # fmt: skip
            elapsed = time.perf_counter() - started
            if not (np.isfinite(loss) and np.isfinite(theta).all()):
                if validate is None:
                    # progress still describes the previous epoch.
                    _diverged(loss, arrays, epoch_index, progress, last_good, advice)
                _stop_diverged(progress, loss, n_samples, tol, theta, best, advice)
                return epoch_index + 1, True
            line = _record_epoch(progress, loss, n_samples, tol, validate, theta, best)
            if verbose:
                seconds = (elapsed, time.perf_counter() - fit_started, jit)
                _print_epoch(
                    line, lines, progress, loss, validate, n_samples, seconds, report
                )
            if schedule == "invscaling":
                progress.learning_rate = learning_rate_init / (progress.t + 1) ** power_t
            stop = progress.no_improvement_count > n_iter_no_change and _plateau(
                progress, schedule, stop_on_plateau, verbose, tol, n_iter_no_change,
                validate,
            )  # fmt: skip
            finished = epoch_index + 1
            if stop:
                return finished, True
        return max_epochs, False
    except KeyboardInterrupt:
        # Ctrl-C lands when the running kernel returns, so the running epoch has
        # (partly) changed the arrays: they go back to the last finished epoch,
        # which the model keeps, as scikit-learn does; with none finished the caller
        # puts the model back as it was.
        if finished == 0:
            raise
        if finished == epoch_index and saved_before == epoch_index:
            _put_back(arrays, last_good, progress, saved_progress)
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


def _shuffler(rng, order):
    """``shuffled(order)``: each epoch's shuffle drawn from ``rng``. A numpy
    ``Generator`` (fastbp's estimators) draws through fastbp's compiled shuffle (its
    build from install for an ``order`` like this one, :mod:`fastbp._ahead`); a
    ``RandomState`` (scikit-learn's MLP settings) shuffles as numpy does, in
    scikit-learn's order."""
    if isinstance(rng, np.random.Generator):
        draws = draws_of(rng)
        function = _ahead.kernel("shuffle", (order, draws)) or shuffle_order
        return lambda order: function(order, draws)
    return rng.shuffle


def _run_epoch(trainer, order, learning_rate, report, timing_jit):
    """``(loss, (jit_seconds, compiled))`` of one epoch; with ``timing_jit``, what
    Numba spent compiling or loading kernels in it (:func:`jit_activity`)."""
    if not timing_jit:
        return trainer(order, learning_rate, report), (0.0, False)
    with jit_activity() as jit:
        loss = trainer(order, learning_rate, report)
    return loss, tuple(jit)


def _put_back(arrays, saved_arrays, progress, mark):
    """Restore ``arrays`` and ``progress`` (in place) to their saved state."""
    for saved, a in zip(saved_arrays, arrays):
        a[:] = saved
    rewind(progress, mark)


# The lists of Progress that grow by one entry per epoch.
CURVES = ("loss_curve", "validation_scores", "validation_losses")


def progress_mark(progress):
    """What :func:`rewind` puts ``progress`` back to: its scalars and the lengths of
    its curves (which later epochs only append to)."""
    return replace(progress), tuple(len(getattr(progress, name)) for name in CURVES)


def rewind(progress, mark):
    """Put ``progress`` back (in place) to ``mark`` (:func:`progress_mark`)."""
    saved, lengths = mark
    vars(progress).update(vars(saved))
    for name, length in zip(CURVES, lengths):
        del getattr(progress, name)[length:]


def _stop_diverged(progress, loss, n_samples, tol, theta, best, advice):
    """Early stopping's answer to a diverging epoch: record it (its score NaN) and
    warn; ``train`` then stops, theta going back to the best-scoring epoch
    (scikit-learn #29504: ``fit`` returns)."""
    _record_epoch(progress, loss, n_samples, tol, _unscored, theta, best)
    warnings.warn(
        f"Training diverged in epoch {len(progress.loss_curve)} (the loss became "
        f"{loss}); training stopped and the model keeps the weights of its "
        f"best-scoring epoch (early stopping). {advice}",
        ConvergenceWarning,
        stacklevel=3,
    )


def _print_epoch(line, lines, progress, loss, validate, n_samples, seconds, report):
    """The verbose lines of a finished epoch: fastbp's, or scikit-learn's."""
    if lines == "sklearn":
        print(f"Iteration {len(progress.loss_curve)}, loss = {loss:.8f}")
        if validate is not None:
            print(f"Validation score: {progress.validation_scores[-1]:f}")
        return
    elapsed, total, (jit_seconds, compiled) = seconds
    if jit_seconds > 0.05 * elapsed:
        # No rate: the compile or the cache load would make it meaningless.
        how = "compiling" if compiled else "loading"
        why = "first use on this machine" if compiled else "from the disk cache"
        line = (
            f"{line}, {total:.2f} s, {jit_seconds:.2f} s of it {how} the kernels "
            f"({why}; later epochs show the speed)"
        )
    else:
        rate = n_samples / elapsed if elapsed > 0 else float("inf")
        line = f"{line}, {rate:,.0f} examples/s, {total:.2f} s"
    if report is not None:
        line = "\r" + line.ljust(BAR_WIDTH)  # overwrites the progress line
    print(line)


def _plateau(progress, schedule, stop_on_plateau, verbose, tol, n_iter_no_change,
             validate):  # fmt: skip
    """A plateau's consequence: the adaptive schedule's smaller step (training goes
    on), or stopping; returns True to stop."""
    if schedule == "adaptive" and progress.learning_rate > 1e-6:
        progress.learning_rate /= 5.0
        progress.no_improvement_count = 0
        if verbose:
            print(f"Setting learning rate to {progress.learning_rate:f}")
        return False
    if stop_on_plateau and verbose:
        what = "Validation score" if validate is not None else "Training loss"
        print(
            f"{what} did not improve more than tol={tol:f} for "
            f"{n_iter_no_change} consecutive epochs. Stopping."
        )
    return stop_on_plateau


def _unscored(theta):
    """The validation of an epoch that diverged: no score, no loss."""
    return np.nan, np.nan


def _record_epoch(progress, loss, n_samples, tol, validate, theta, best):
    """Add a finished epoch to ``progress`` (curves, plateau count); returns its line.

    With ``validate``, the epoch's validation score and loss are recorded, the
    plateau is judged on the score, and ``best`` takes theta when the score is the
    best so far; otherwise the plateau is judged on the training loss.
    """
    progress.loss_curve.append(float(loss))
    progress.t += n_samples
    line = f"Epoch {len(progress.loss_curve)}, loss = {loss:.8f}"
    if validate is not None:
        score, validation_loss = validate(theta)
        progress.validation_scores.append(float(score))
        progress.validation_losses.append(float(validation_loss))
        line += f", validation score = {score:.6f}, validation loss = {validation_loss:.8f}"
        # Written so that a NaN score (diverging validation outputs) counts as no
        # improvement and never becomes the best.
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
    return line


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


def _diverged(loss, arrays, finished, progress, last_good, advice):
    """Put back the last finite epoch's arrays (if this call ran one) and raise."""
    theta = arrays[0]
    epoch = len(progress.loss_curve) + 1
    what = "finite" if np.isfinite(theta).all() else "no longer finite"
    if finished == 0:
        outcome = "The model was left as it was before this call."
    else:
        for saved, a in zip(last_good, arrays):
            a[:] = saved
        outcome = (
            f"The model keeps the weights after epoch {epoch - 1}, the last finite one."
        )
    raise TrainingDiverged(
        f"Training diverged in epoch {epoch}: the loss became {loss} and the weights "
        f"are {what}. {outcome} {advice}",
        kept_epochs=finished,
    )
