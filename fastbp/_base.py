"""_BaseFastBP: parameters, the fit transaction and prediction both estimators share."""

import functools
import warnings
import weakref
from dataclasses import replace
from numbers import Integral, Real

import numba
import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _objective
from ._aligned import aligned_copy
from ._convert import _Convertible
from ._early_stopping import validation_split
from ._finite import non_finite_X_reported
from ._fitted import _FittedParameters
from ._functions import ACTIVATIONS, HIDDEN_ACTIVATIONS, LOSSES
from ._lbfgs import minimize
from ._network import Layout, Network, init_theta
from ._trainers import make_trainer, optimizer_state, state_arrays
from ._training import (
    SMALLER_STEP,
    Progress,
    TrainingDiverged,
    progress_mark,
    rewind,
    train,
)


class _BaseFastBP(_Convertible, _FittedParameters, BaseEstimator):
    """Parameters, training loop and prediction shared by both estimators."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto", "full"}),
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "n_jobs": [Integral, None],
        "solver": [StrOptions({"sgd", "adam", "lbfgs"})],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    # Batches divide by their weight sum, not their size (scikit-learn's MLP meaning
    # of sample_weight); fastbp's own estimators weigh examples as SGDClassifier.
    _by_weight = False
    # The per-epoch lines of verbose output: fastbp's ("Epoch N, loss = ..., examples/s")
    # or scikit-learn's ("Iteration N, loss = ...").
    _verbose_lines = "fastbp"

    # dtype every X is converted to; None follows X (float32 stays float32, the rest
    # becomes float64), as scikit-learn's MLP. Subclasses may pin it.
    _input_dtype = None

    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        loss,
        out_activation,
        alpha,
        batch_size,
        learning_rate_init,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        n_iter_no_change,
        momentum,
        nesterovs_momentum,
        learning_rate,
        power_t,
        early_stopping,
        validation_fraction,
        n_jobs,
        solver,
        beta_1,
        beta_2,
        epsilon,
        max_fun,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.out_activation = out_activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_jobs = n_jobs
        self.solver = solver
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_fun = max_fun

    # -- training ---------------------------------------------------------------------

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if np.ndim(sizes) == 0 else list(sizes)
        if any(not isinstance(s, Integral | np.integer) or s < 1 for s in sizes):
            raise InvalidParameterError(
                "The 'hidden_layer_sizes' parameter must be an int >= 1 or a sequence "
                "of them (an empty sequence for no hidden layer), got "
                f"{self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _stochastic(self):
        """True for the stochastic solvers: only they have ``partial_fit``."""
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers (solver='sgd' "
                "or 'adam'); lbfgs is not stochastic."
            )
        return True

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        # A failed call (bad data, divergence, Ctrl-C) must leave a fitted model as it
        # was: every attribute is restored from this shallow snapshot. Nothing below
        # mutates an object the snapshot refers to (theta is trained on a copy) but
        # the loss curves, which are appended to in place and rewound to this mark
        # (_training.Progress). The one exception: training that diverged after some
        # finite epochs keeps them.
        snapshot = dict(self.__dict__)
        mark = progress_mark(self._progress) if "_progress" in self.__dict__ else None
        try:
            first_pass = not self.__sklearn_is_fitted__() or (
                not self.warm_start and not incremental
            )
            deferred = self._finiteness_deferred(incremental)
            X, y = self._validated_X_y(X, y, first_pass, deferred)
            with non_finite_X_reported(self, X, deferred):
                self._fit_transaction(X, y, sample_weight, first_pass, incremental, classes)
        except BaseException as error:
            if not (isinstance(error, TrainingDiverged) and error.kept_epochs):
                self.__dict__.clear()
                self.__dict__.update(snapshot)
                if mark is not None:
                    rewind(self._progress, mark)
            raise
        return self

    def _fit_transaction(self, X, y, sample_weight, first_pass, incremental, classes):
        hidden = self._hidden_sizes()
        Y, sample_weight = self._training_targets(
            X, y, sample_weight, first_pass, incremental, classes
        )
        # The initial weights, the validation split and the shuffles draw from it;
        # a call that does none of them makes none (~20 us of a small partial_fit).
        needs_draws = first_pass or self.shuffle or self.early_stopping
        rng = self._generator() if needs_draws else None
        if first_pass:
            theta = self._new_network(X, Y, hidden, rng)
        else:
            theta = self._same_network(Y, hidden)
        if self.solver == "lbfgs":
            return self._fit_lbfgs(theta, X, Y, sample_weight)
        optimizer = self._start_optimizer(theta, incremental)
        progress = self._progress_of_call(incremental)
        indices, validate = None, None
        if self.early_stopping:
            if incremental:
                raise ValueError(
                    "partial_fit does not support early_stopping=True: it sees one "
                    "batch at a time, so there is no held-out set to stop on. Set "
                    "early_stopping=False, or hold out data and score it yourself."
                )
            indices, validate = self._validation_split(X, y, Y, sample_weight, rng)
        batch_size = self._batch_size(X.shape[0] if indices is None else len(indices))
        if batch_size > X.shape[0]:
            warnings.warn(
                f"batch_size={batch_size} is larger than the {X.shape[0]} examples given; "
                "it is clipped to the number of examples (the true gradient).",
                UserWarning,
                stacklevel=5,
            )
        trainer = make_trainer(
            self._network, theta, X, Y, sample_weight, batch_size,
            float(self.learning_rate_init), float(self.alpha), optimizer,
            self._threads(), self._by_weight, self._data_loss_scale(Y.shape[1]),
        )  # fmt: skip
        try:
            epochs, converged = train(
                trainer,
                theta,
                X.shape[0],
                progress,
                max_epochs=1 if incremental else self.max_iter,
                shuffle=self.shuffle,
                rng=rng,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                verbose=self.verbose,
                stop_on_plateau=not incremental,
                # Adam has no schedule (scikit-learn's AdamOptimizer ignores it).
                schedule=self.learning_rate if self.solver == "sgd" else "constant",
                learning_rate_init=float(self.learning_rate_init),
                power_t=float(self.power_t),
                indices=indices,
                validate=validate,
                state=state_arrays(optimizer),
                lines=self._verbose_lines,
                advice=self._divergence_advice(batch_size),
            )
        except TrainingDiverged as error:
            if error.kept_epochs:
                # train() put back the last finite epoch: keep it (see _fit).
                self._commit(theta, optimizer, progress, error.kept_epochs, incremental)
            raise
        self._commit(theta, optimizer, progress, epochs, incremental)
        if not incremental and not converged:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=5,
            )

    def _fit_lbfgs(self, theta, X, Y, sample_weight):
        """The 'lbfgs' solver's fit: full-batch L-BFGS-B from ``theta``."""
        by_weight = self._by_weight and sample_weight is not None
        divisor = float(sample_weight.sum()) if by_weight else X.shape[0]
        n_iter, loss = minimize(
            self._network, theta, X, Y, sample_weight, alpha=float(self.alpha),
            divisor=divisor, max_iter=self.max_iter, max_fun=self.max_fun,
            tol=float(self.tol), verbose=self.verbose,
            data_loss_scale=self._data_loss_scale(Y.shape[1]),
        )  # fmt: skip
        if not np.isfinite(theta).all():
            raise TrainingDiverged(
                "L-BFGS produced non-finite weights; the model was left as it was "
                "before this call. Scale X (e.g. StandardScaler) and, for regression, y."
            )
        self._theta = theta
        self._optimizer_state = None
        self.n_iter_ = n_iter
        self.loss_ = loss
        self.t_ = 0
        for name in ("loss_curve_", "best_loss_", "validation_scores_",
                     "validation_loss_curve_", "best_validation_score_"):  # fmt: skip
            self.__dict__.pop(name, None)

    def _initial_theta(self, layout, dtype, rng):
        """The initial weights of a new network (Glorot-uniform, drawn from ``rng``)."""
        return init_theta(layout, dtype, rng, self._network.hidden_code)

    def _validation_split(self, X, y, Y, sample_weight, rng):
        """Early stopping's ``(training indices, validate)``
        (:func:`fastbp._early_stopping.validation_split`)."""
        return validation_split(self, X, y, Y, sample_weight, rng)

    def _data_loss_scale(self, n_outputs):
        """Factor of the data term in ``loss_curve_`` (1: the loss as defined)."""
        return 1.0

    def _divergence_advice(self, batch_size):
        """What a diverging fit is told to change: ``alpha`` when plain SGD's weight
        decay per update, ``1 - learning_rate_init * alpha / batch_size``, is not
        positive (weights change sign every update), else the step size."""
        l2_step = float(self.learning_rate_init) * float(self.alpha) / batch_size
        if self.solver != "sgd" or l2_step < 1.0:
            return SMALLER_STEP
        per = "" if batch_size == 1 else " / batch_size"
        bound = batch_size / float(self.learning_rate_init)
        return (
            f"Each update multiplies the weights by 1 - learning_rate_init * alpha{per} "
            f"= {1.0 - l2_step:.3g}, which flips their sign: alpha={self.alpha} is too "
            f"large for learning_rate_init={self.learning_rate_init} (keep alpha below "
            f"{bound:.3g}, usually far below), or the step size is. {SMALLER_STEP}"
        )

    def _batch_size(self, n_samples):
        """Examples per update: 'auto' is scikit-learn's ``min(200, n_samples)``."""
        if self.batch_size == "full":
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        return self.batch_size

    def _finiteness_deferred(self, incremental):
        """True when X's finiteness is left to the weights the kernels write
        (:func:`fastbp._finite.non_finite_X_reported`): a stochastic solver trains on
        every row of X, unless early stopping holds some out; L-BFGS may stop at a
        non-finite loss with finite weights."""
        return self.solver != "lbfgs" and (incremental or not self.early_stopping)

    def _validated_X_y(self, X, y, first_pass, deferred):
        """``(X, y)`` validated, X as the kernels take it; with ``deferred``, without
        X's finiteness check (:meth:`_finiteness_deferred`)."""
        if not first_pass:
            dtype = self._theta.dtype
        elif self._input_dtype is not None:
            dtype = self._input_dtype
        else:
            dtype = [np.float64, np.float32]
        X, y = validate_data(
            self,
            X,
            y,
            reset=first_pass,
            dtype=dtype,
            order="C",
            accept_sparse="csr",
            multi_output=True,
            y_numeric=not self._is_classifier,
            ensure_all_finite=not deferred,
        )
        return X, y

    def _training_targets(self, X, y, sample_weight, first_pass, incremental, classes):
        """``(Y, weights)``: the encoded targets and the example weights (times
        class_weight for a classifier), None for unit weights (no array: see
        ``_kernels.conventions.examples_of``)."""
        if sample_weight is not None:
            # Unit weights need none of the checks (every fit and partial_fit pays them).
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        Y = self._encode_targets(y, first_pass, incremental, classes).astype(X.dtype)
        sample_weight = self._weigh_examples(y, sample_weight, incremental, X.dtype)
        if sample_weight is not None and not sample_weight.any():
            raise ValueError(
                "The example weights (sample_weight, times class_weight for a "
                "classifier) are zero for every example, so there is nothing to learn "
                "from. Give some examples a positive weight."
            )
        return Y, sample_weight

    def _new_network(self, X, Y, hidden, rng):
        """Set up the network for (X, Y) and its fresh state; returns the initial theta."""
        out_name = self._output_activation(Y.shape[1])
        layout = Layout([X.shape[1], *hidden, Y.shape[1]])
        self._network = Network(
            layout, ACTIVATIONS[self.activation], ACTIVATIONS[out_name], LOSSES[self.loss]
        )
        self.out_activation_ = out_name
        theta = self._initial_theta(layout, X.dtype, rng)
        self._progress = Progress(float(self.learning_rate_init))
        self.n_iter_ = 0
        return theta

    def _same_network(self, Y, hidden):
        """Check that training can continue on this network; returns a copy of theta."""
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but this model was fitted with "
                f"{self.n_outputs_}. Refit with warm_start=False to change them."
            )
        network = self._network
        if (
            list(network.layout.sizes[1:-1]) != hidden
            or network.hidden_code != ACTIVATIONS[self.activation]
            or network.loss_code != LOSSES[self.loss]
        ):
            raise ValueError(
                "hidden_layer_sizes, activation or loss changed since the model was "
                "fitted; continuing training (warm_start=True or partial_fit) needs "
                "the same network. Refit with warm_start=False to change them."
            )
        return aligned_copy(self._theta)

    def _start_optimizer(self, theta, incremental):
        """The update rule's state for this call (None for plain SGD): new at every
        fit, carried on by partial_fit (scikit-learn's rule), always a copy."""
        previous = self.__dict__.get("_optimizer_state") if incremental else None
        return optimizer_state(
            self.solver, theta, momentum=float(self.momentum),
            nesterov=bool(self.nesterovs_momentum), beta_1=float(self.beta_1),
            beta_2=float(self.beta_2), epsilon=float(self.epsilon),
            learning_rate=float(self.learning_rate_init), previous=previous,
        )  # fmt: skip

    def _progress_of_call(self, incremental):
        """The model's progress for this call to extend: a copy of its scalars; the
        curves are the model's own, appended to, and rewound by ``_fit`` if the
        call fails."""
        progress = replace(self._progress)  # its curves shared: _fit rewinds them
        if not incremental:
            # Every fit starts a new optimiser (scikit-learn's rule): full step size.
            # The curves and the best validation score go on across warm starts, as
            # scikit-learn's do; the plateau count starts afresh (scikit-learn keeps
            # it, so a warm fit after a plateau would stop after one epoch).
            progress = replace(
                progress,
                no_improvement_count=0,
                learning_rate=float(self.learning_rate_init),
            )
        return progress

    def _commit(self, theta, optimizer, progress, epochs, incremental):
        """Make the trained state the model's: weights and scikit-learn's attributes."""
        self._theta = theta
        self._optimizer_state = optimizer
        self._progress = progress
        self.n_iter_ = self.n_iter_ + epochs if incremental else epochs
        self.t_ = progress.t
        self.loss_ = progress.loss_curve[-1]
        self.loss_curve_ = progress.loss_curve  # appended to by later calls, as sklearn's
        if self.early_stopping:
            # scikit-learn's None rules: best_loss_ only without early stopping,
            # validation attributes only with it.
            self.best_loss_ = None
            self.validation_scores_ = progress.validation_scores
            self.validation_loss_curve_ = progress.validation_losses
            self.best_validation_score_ = progress.best_validation_score
        else:
            self.best_loss_ = progress.best_loss
            self.validation_scores_ = None
            self.validation_loss_curve_ = None
            self.best_validation_score_ = None

    def _objective_data(self, X, y, sample_weight=None):
        """(X, Y, weights) in float64 as training sees them, for a fitted model.

        X validated against the fitted features (dense or CSR), ``y`` encoded as the
        output targets, and the example weights (``sample_weight``, times
        ``class_weight`` for a classifier): what :mod:`fastbp.gradcheck` and
        :mod:`fastbp.landscape` evaluate the training objective on.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, dtype=np.float64, order="C", accept_sparse="csr"
        )
        y = np.asarray(y)
        Y = np.ascontiguousarray(
            self._encode_targets(y, first_pass=False, incremental=True, classes=None),
            dtype=np.float64,
        )
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {Y.shape[0]}.")
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        return X, Y, self._weigh_examples(y, sample_weight, False, np.float64)

    def _threads(self):
        """Threads of per-example SGD: ``n_jobs`` resolved as joblib does, capped at
        Numba's pool."""
        if self.n_jobs == 0:
            raise InvalidParameterError(
                "n_jobs == 0 has no meaning: use None or 1 for serial SGD, a positive "
                "number of threads, or -1 for every core."
            )
        return min(effective_n_jobs(self.n_jobs), numba.config.NUMBA_NUM_THREADS)

    def _weigh_examples(self, y, sample_weight, incremental, dtype):
        """Per-example weights of the loss gradient (the classifier adds class_weight),
        of ``dtype``; ``sample_weight`` and the result None for unit weights."""
        return sample_weight

    def _generator(self):
        """A numpy Generator drawn from ``random_state`` (int, None or RandomState)."""
        if isinstance(self.random_state, Integral):
            return np.random.default_rng(_seed_of(int(self.random_state)))
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return np.random.default_rng(seed)

    def _validate_params(self):
        # scikit-learn validates every parameter at every fit (~0.1 ms of a small
        # fit); values it accepted for this class are not validated again.
        key = _parameter_key(self.get_params(deep=False))
        accepted = _ACCEPTED_PARAMETERS.setdefault(type(self), set())
        if key is not None and key in accepted:
            return
        super()._validate_params()
        if key is not None:
            if len(accepted) >= _ACCEPTED_PER_CLASS:
                accepted.clear()
            accepted.add(key)

    @classmethod
    def _get_param_names(cls):
        # scikit-learn reads __init__'s signature on every get_params (half the cost
        # of the parameter validation each fit starts with); it never changes.
        return list(_parameter_names(cls))

    # -- prediction -------------------------------------------------------------------

    def _forward(self, X):
        """Validated ``X`` -> network outputs, shape (n_samples, n_outputs_).

        Computed in float32 when the model and X both are, in float64 otherwise, so
        a float32 model asked about float64 data answers with float64 precision.
        """
        check_is_fitted(self)
        theta = self._theta
        if getattr(X, "dtype", None) != np.float32:
            theta = theta.astype(np.float64, copy=False)
        X = validate_data(
            self, X, reset=False, dtype=theta.dtype, order="C", accept_sparse="csr"
        )
        if not theta.flags.writeable:
            # Read-only weights (joblib mmap_mode='r') would compile a second signature.
            theta = theta.copy()
        return _objective.outputs(self._network, theta, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags


@functools.lru_cache(maxsize=256)
def _seed_of(random_state):
    """The Generator seed an int ``random_state`` draws (as a fresh RandomState of it
    would: seeding one costs ~0.1 ms, every fit)."""
    return check_random_state(random_state).randint(np.iinfo(np.int32).max)


# Weak keys: a class made at run time (a subclass in a function) is not kept alive.
_PARAMETER_NAMES = weakref.WeakKeyDictionary()


def _parameter_names(cls):
    """scikit-learn's ``_get_param_names`` of ``cls``, read once per class."""
    names = _PARAMETER_NAMES.get(cls)
    if names is None:
        names = tuple(BaseEstimator._get_param_names.__func__(cls))
        _PARAMETER_NAMES[cls] = names
    return names


# Parameter values scikit-learn's validation accepted, per class (weak keys, as above).
_ACCEPTED_PARAMETERS = weakref.WeakKeyDictionary()
_ACCEPTED_PER_CLASS = 256  # then forgotten: a long search keeps no unbounded set


def _parameter_key(params):
    """A hashable key of ``params`` (names, types and values); None if a value is
    unhashable (a list): such values are validated at every fit."""
    key = tuple((name, type(value), value) for name, value in params.items())
    try:
        hash(key)
    except TypeError:
        return None
    return key
