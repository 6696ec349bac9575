"""FastBPClassifier and FastBPRegressor: the scikit-learn face of the kernels."""

import warnings
from dataclasses import replace
from numbers import Integral, Real

import numba
import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import _objective
from ._aligned import aligned_copy, aligned_empty
from ._functions import ACTIVATIONS, HIDDEN_ACTIVATIONS, LOSSES
from ._network import Layout, Network, init_theta
from ._trainers import make_trainer
from ._training import Progress, TrainingDiverged, train


class _BaseFastBP(BaseEstimator):
    """Parameters, training loop and prediction shared by both estimators."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"full"})],
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
    }

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

    # -- fitted state -----------------------------------------------------------------
    # The model is ``self._theta`` (one flat vector) and ``self._network`` (its layout
    # and codes); coefs_ and intercepts_ are views of theta computed on access, so they
    # stay views after pickling and assigning into them changes the model.

    def __sklearn_is_fitted__(self):
        return "_theta" in self.__dict__

    def _fitted_model(self):
        """``(network, theta)``, or AttributeError (so ``hasattr`` is False) if unfitted."""
        try:
            return self.__dict__["_network"], self.__dict__["_theta"]
        except KeyError:
            raise AttributeError(
                f"This {type(self).__name__} instance is not fitted yet: it has no "
                "weights. Call 'fit' or 'partial_fit' first."
            ) from None

    @property
    def coefs_(self):
        """list of ndarray: ``coefs_[l]`` of shape (n_in, n_out), views of the weights."""
        network, theta = self._fitted_model()
        return network.layout.coefs(theta)

    @coefs_.setter
    def coefs_(self, values):
        self._assign(self.coefs_, values, "coefs_")

    @property
    def intercepts_(self):
        """list of ndarray: ``intercepts_[l]`` of shape (n_out,), views of the biases."""
        network, theta = self._fitted_model()
        return network.layout.intercepts(theta)

    @intercepts_.setter
    def intercepts_(self, values):
        self._assign(self.intercepts_, values, "intercepts_")

    @staticmethod
    def _assign(views, values, name):
        values = list(values)
        shapes = [v.shape for v in views]
        given = [np.shape(v) for v in values]
        if given != shapes:
            raise ValueError(f"{name} must have shapes {shapes}, got {given}.")
        for view, value in zip(views, values):
            view[...] = value

    @property
    def n_layers_(self):
        """int: number of layers, input and output included."""
        return len(self._fitted_model()[0].layout.sizes)

    @property
    def n_outputs_(self):
        """int: number of output units."""
        return self._fitted_model()[0].layout.sizes[-1]

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

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        # A failed call (bad data, divergence, Ctrl-C) must leave a fitted model as it
        # was: every attribute is restored from this shallow snapshot. Nothing below
        # mutates an object the snapshot refers to (theta is trained on a copy). The
        # one exception: training that diverged after some finite epochs keeps them.
        snapshot = dict(self.__dict__)
        try:
            self._fit_transaction(X, y, sample_weight, incremental, classes)
        except BaseException as error:
            if not (isinstance(error, TrainingDiverged) and error.kept_epochs):
                self.__dict__.clear()
                self.__dict__.update(snapshot)
            raise
        return self

    def _fit_transaction(self, X, y, sample_weight, incremental, classes):
        hidden = self._hidden_sizes()
        fitted = self.__sklearn_is_fitted__()
        first_pass = not fitted or (not self.warm_start and not incremental)
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
        )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        Y = self._encode_targets(y, first_pass, incremental, classes).astype(X.dtype)
        sample_weight = self._weigh_examples(y, sample_weight, incremental)
        if not sample_weight.any():
            raise ValueError(
                "The example weights (sample_weight, times class_weight for a "
                "classifier) are zero for every example, so there is nothing to learn "
                "from. Give some examples a positive weight."
            )

        if first_pass:
            out_name = self._output_activation(Y.shape[1])
            layout = Layout([X.shape[1], *hidden, Y.shape[1]])
            self._network = Network(
                layout,
                ACTIVATIONS[self.activation],
                ACTIVATIONS[out_name],
                LOSSES[self.loss],
            )
            self.out_activation_ = out_name
            rng = self._generator()
            theta = init_theta(layout, X.dtype, rng, self._network.hidden_code)
            self._progress = Progress(float(self.learning_rate_init))
            self.n_iter_ = 0
        else:
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
            rng = self._generator()
            theta = aligned_copy(self._theta)

        # The velocity persists across partial_fit calls; every fit starts from rest
        # (scikit-learn's rule).
        velocity = None
        if self.momentum > 0:
            previous = self.__dict__.get("_velocity")
            if incremental and previous is not None and previous.shape == theta.shape:
                velocity = aligned_copy(previous.astype(theta.dtype, copy=False))
            else:
                velocity = aligned_empty(theta.shape[0], theta.dtype)
                velocity[:] = 0.0
        # Copies of the lists: train() appends to them, and a failed call must leave
        # the model's own progress untouched.
        progress = replace(
            self._progress,
            loss_curve=list(self._progress.loss_curve),
            validation_scores=list(self._progress.validation_scores),
            validation_losses=list(self._progress.validation_losses),
        )
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
        indices, validate = None, None
        if self.early_stopping:
            if incremental:
                raise ValueError(
                    "partial_fit cannot use early_stopping=True: it sees one batch at a "
                    "time, so there is no held-out set to stop on. Set "
                    "early_stopping=False, or hold out data and score it yourself."
                )
            indices, validate = self._validation(X, y, Y, sample_weight, rng)
        batch_size = X.shape[0] if self.batch_size == "full" else self.batch_size
        if batch_size > X.shape[0]:
            warnings.warn(
                f"batch_size={batch_size} is larger than the {X.shape[0]} examples given; "
                "it is clipped to the number of examples (the true gradient).",
                UserWarning,
                stacklevel=5,
            )
        epoch = make_trainer(
            self._network,
            theta,
            X,
            Y,
            sample_weight,
            batch_size,
            float(self.learning_rate_init),
            float(self.alpha),
            float(self.momentum),
            bool(self.nesterovs_momentum),
            velocity,
            self._threads(),
        )
        try:
            epochs, converged = train(
                epoch,
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
                schedule=self.learning_rate,
                learning_rate_init=float(self.learning_rate_init),
                power_t=float(self.power_t),
                indices=indices,
                validate=validate,
                velocity=velocity,
            )
        except TrainingDiverged as error:
            if error.kept_epochs:
                # train() put back the last finite epoch: keep it (see _fit).
                self._commit(theta, velocity, progress, error.kept_epochs, incremental)
            raise
        self._commit(theta, velocity, progress, epochs, incremental)
        if not incremental and not converged:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=5,
            )

    def _commit(self, theta, velocity, progress, epochs, incremental):
        """Make the trained state the model's: weights and scikit-learn's attributes."""
        self._theta = theta
        self._velocity = velocity
        self._progress = progress
        self.n_iter_ = self.n_iter_ + epochs if incremental else epochs
        self.t_ = progress.t
        self.loss_ = progress.loss_curve[-1]
        self.loss_curve_ = list(progress.loss_curve)
        if self.early_stopping:
            # scikit-learn's None rules: best_loss_ only without early stopping,
            # validation attributes only with it.
            self.best_loss_ = None
            self.validation_scores_ = list(progress.validation_scores)
            self.validation_loss_curve_ = list(progress.validation_losses)
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
        return X, Y, self._weigh_examples(y, sample_weight, incremental=False)

    def _threads(self):
        """Threads of per-example SGD: ``n_jobs`` resolved as joblib does, capped at
        Numba's pool."""
        if self.n_jobs == 0:
            raise InvalidParameterError(
                "n_jobs == 0 has no meaning: use None or 1 for serial SGD, a positive "
                "number of threads, or -1 for every core."
            )
        return min(effective_n_jobs(self.n_jobs), numba.config.NUMBA_NUM_THREADS)

    def _weigh_examples(self, y, sample_weight, incremental):
        """Per-example weights of the loss gradient (the classifier adds class_weight)."""
        return sample_weight

    def _validation(self, X, y, Y, sample_weight, rng):
        """Hold out ``validation_fraction`` of the examples for early stopping.

        Returns the training indices (the kernels train on them without copying X)
        and ``validate(theta) -> (score, mean validation loss)``, ``score`` being
        :meth:`score`'s metric. Single-label classification splits stratified when
        every class has enough examples for it.
        """
        labels = column_or_1d(y) if y.ndim == 2 and y.shape[1] == 1 else y
        n_samples = X.shape[0]
        n_held_out = int(np.ceil(self.validation_fraction * n_samples))
        if n_samples < 2 or n_held_out >= n_samples:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the examples, which leaves nothing to "
                f"train on with n_samples = {n_samples}. Use more data, a smaller "
                "validation_fraction, or early_stopping=False."
            )
        if not self._is_classifier and n_held_out < 2:
            raise ValueError(
                f"early_stopping=True holds out {n_held_out} example of {n_samples}, too "
                "few for an R^2 validation score (it needs 2). Increase "
                "validation_fraction or the data, or use early_stopping=False."
            )
        stratify = labels if self._is_classifier and not self._multilabel else None
        if stratify is not None:
            counts = np.unique(stratify, return_counts=True)[1]
            if counts.min() < 2 or min(n_held_out, n_samples - n_held_out) < len(counts):
                stratify = None  # too few examples per class to stratify: plain split
        train, held_out = train_test_split(
            np.arange(X.shape[0]),
            test_size=self.validation_fraction,
            random_state=int(rng.integers(np.iinfo(np.int32).max)),
            stratify=stratify,
        )
        X_val, Y_val = X[held_out], Y[held_out]
        y_val, weights_val = labels[held_out], sample_weight[held_out]
        if not weights_val.any():
            # Every held-out example has weight zero: score them unweighted rather
            # than not at all.
            weights_val = np.ones_like(weights_val)
        if not sample_weight[train].any():
            raise ValueError(
                "After holding out the validation set, every training example has "
                "weight zero (sample_weight times class_weight): nothing to learn "
                "from. Use early_stopping=False or give more examples a weight."
            )
        network = self._network
        metric = accuracy_score if self._is_classifier else r2_score

        def validate(theta):
            outputs = _objective.outputs(network, theta, X_val)
            if not np.isfinite(outputs).all():
                # Finite training loss, overflowing validation outputs (scikit-learn
                # #29504): a NaN score, which never counts as an improvement.
                return np.nan, np.nan
            with np.errstate(over="ignore"):
                score = metric(y_val, self._decode(outputs), sample_weight=weights_val)
                loss = _objective.mean_data_loss(network, outputs, Y_val, weights_val)
            return (score if np.isfinite(score) else np.nan), loss

        return train, validate

    def _generator(self):
        """A numpy Generator drawn from ``random_state`` (int, None or RandomState)."""
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return np.random.default_rng(seed)

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


_COMMON_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Units of each hidden layer; ``()`` for none (the delta rule).
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Hidden-unit transfer function.
    loss : str
        See above.
    out_activation : str
        See above.
    alpha : float, default=0.0001
        L2 penalty, with scikit-learn's meaning: a batch ``B`` minimises
        ``(1/|B|) sum_i s_i E_i + alpha / (2 |B|) ||W||^2`` (biases not penalised).
    batch_size : int or 'full', default=1
        Examples per update. 1 is per-example stochastic gradient descent (the fused
        Numba kernel); ``'full'`` (or any value >= n_samples) is the true gradient.
    learning_rate_init : float, default=0.01 (classifier), 0.0001 (regressor)
        Step size of every update. Log-loss output deltas ``o - t`` are bounded by 1,
        so per-example steps of 0.01 are stable on standardised X. Squared-error
        deltas grow with the error, so on unscaled targets (in the hundreds) per-example
        steps of 0.001 already diverge; the regressor's 0.0001 stays stable there and
        still fits standardised data. Scale y and raise it for faster training.
    max_iter : int, default=200
        Maximum number of epochs (each warm-started ``fit`` runs up to this many).
    shuffle : bool, default=True
        Visit the examples in a new random order every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation and the shuffling (through a numpy Generator).
        An int gives bit-identical weights on every fit.
    tol : float, default=1e-4
        Training stops when the loss has not improved by ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.
    verbose : bool or int, default=False
        Print one line per epoch: its loss, the validation score and loss (early
        stopping), examples/s and the elapsed time. With ``verbose >= 2``, also a
        progress line within each epoch, redrawn about every 0.25 s: the epoch then
        runs as several kernel calls of whole batches, with the same updates.
    warm_start : bool, default=False
        Continue from the current weights on ``fit``, for ``max_iter`` more epochs.
        The network and (classifier) the classes stay those of the first fit; ``y``
        may hold a subset of the classes (scikit-learn refuses that). The loss and
        validation curves go on; the step size and plateau count start afresh.
    n_iter_no_change : int or np.inf, default=10
        See ``tol``; ``np.inf`` never stops on a plateau.
    momentum : float, default=0
        Momentum of the updates, in [0, 1]. The default 0 is plain SGD, the seed's
        rule (scikit-learn's MLP defaults to 0.9). Each update ``u = lr * (gradient +
        alpha w)`` moves a velocity ``m <- momentum * m - u``; the weights then move by
        ``m`` or, with Nesterov's momentum, by ``momentum * m - u``. The velocity is
        kept across ``partial_fit`` calls and reset by ``fit``.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum (when ``momentum > 0``), as scikit-learn does.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Step-size schedule, with scikit-learn's meanings: 'constant' keeps
        ``learning_rate_init``; 'invscaling' sets it after every epoch to
        ``learning_rate_init / (t_ + 1) ** power_t`` (per epoch, as scikit-learn,
        not per example); 'adaptive' divides it by 5 whenever the training loss has
        not improved by ``tol`` for more than ``n_iter_no_change`` epochs, and stops
        once it is at most 1e-6. The schedule's state persists across
        ``partial_fit`` calls; every ``fit`` restarts it.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    n_jobs : int or None, default=1
        Threads for per-example SGD (``batch_size=1``). 1 (or None) is serial and
        deterministic. More threads run Hogwild! (Niu et al., 2011): the epoch is
        split into one contiguous part per thread and the threads update the shared
        weights without locks, so a fit is no longer bit-reproducible. -1 uses every
        core; the count is capped at Numba's thread pool (``NUMBA_NUM_THREADS``).
        Mini-batch training ignores it (its products use BLAS's threads).

    Attributes
    ----------
    coefs_ : list of ndarray of shape (n_in, n_out)
        Weights per layer: views of the model's flat parameter vector, so assigning
        into them (``coefs_[0][:] = W``) changes the model.
    intercepts_ : list of ndarray of shape (n_out,)
        Biases per layer, views as ``coefs_``.
    loss_ : float
        Mean loss over the last epoch (each example's loss taken as it was visited,
        plus the L2 term).
    loss_curve_ : list of float
        ``loss_`` of every epoch, across warm starts and ``partial_fit`` calls.
    best_loss_ : float
        Smallest value of ``loss_curve_``.
    n_iter_ : int
        Epochs run by the last ``fit`` (``partial_fit`` calls add one each).
    t_ : int
        Examples seen by the optimiser, in all.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        Transfer function of the output units.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.
"""


class FastBPClassifier(ClassifierMixin, _BaseFastBP):
    (
        """Multilayer perceptron classifier trained by per-example backpropagation.

    A drop-in replacement for ``sklearn.neural_network.MLPClassifier(solver='sgd')``
    whose default is the stochastic approximation: one weight update per example,
    run by Numba kernels that train a whole epoch per call.

    ``loss='log_loss'`` (default) pairs logistic outputs with binary cross-entropy for
    binary and multilabel targets, and softmax with categorical cross-entropy for
    multiclass targets. ``loss='squared_error'`` with logistic outputs is the seed
    notes' setting: ``E = 1/2 sum_j (t_j - o_j)^2`` over one logistic unit per column
    of the label-binarised y (one unit for binary y).

    loss : {'log_loss', 'squared_error'}, default='log_loss'
    out_activation : {'auto', 'logistic', 'softmax'}, default='auto'
        'auto' is softmax for multiclass log-loss and logistic otherwise. 'logistic'
        with multiclass y trains one-vs-rest units whose outputs ``predict_proba``
        normalises. 'softmax' needs multiclass y and ``loss='log_loss'``.
    class_weight : dict, 'balanced' or None, default=None
        Weight of each class's examples: an example's loss gradient is multiplied by
        ``sample_weight * class_weight[its class]`` (the L2 term is not). 'balanced'
        uses ``n_samples / (n_classes * count(class))`` (``fit`` only; ``partial_fit``
        needs a dict). Not for multilabel y.
    """
        + _COMMON_DOC
        + """
    classes_ : ndarray
        Class labels (for multilabel y, the label indices).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastbp import FastBPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = FastBPClassifier(hidden_layer_sizes=(16,), random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """
    )

    _is_classifier = True

    _parameter_constraints = {
        **_BaseFastBP._parameter_constraints,
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "out_activation": [StrOptions({"auto", "logistic", "softmax"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="log_loss",
        out_activation="auto",
        alpha=0.0001,
        batch_size=1,
        learning_rate_init=0.01,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        n_iter_no_change=10,
        momentum=0.0,
        nesterovs_momentum=True,
        learning_rate="constant",
        power_t=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_jobs=1,
        class_weight=None,
    ):
        self.class_weight = class_weight
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            loss=loss,
            out_activation=out_activation,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            n_iter_no_change=n_iter_no_change,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            learning_rate=learning_rate,
            power_t=power_t,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_jobs=n_jobs,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on (X, y) for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix for multilabel classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an example's loss gradient is multiplied by its
            weight (the L2 term is not).

        Returns
        -------
        self : FastBPClassifier
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch over (X, y), continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), default=None
            Every class that any call may see. Required on the first call for
            single-label y; later calls may omit it.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : FastBPClassifier
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _encode_targets(self, y, first_pass, incremental, classes):
        """Labels -> one output column per class (one column for two classes).

        Written out rather than through LabelBinarizer: this runs on every
        ``partial_fit`` call, and one ``np.unique`` is all it needs.
        """
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        target_type = type_of_target(y, input_name="y")
        if target_type not in ("binary", "multiclass", "multilabel-indicator"):
            check_classification_targets(y)  # sklearn's message for regression targets
            raise ValueError(
                f"Target type {target_type!r} is not supported: y must hold one label "
                "per example, or be a label indicator matrix for multilabel data."
            )
        multilabel = target_type == "multilabel-indicator"
        if not multilabel:
            found, codes = np.unique(y, return_inverse=True)
        if first_pass:
            if multilabel:
                known = np.arange(y.shape[1])
            elif incremental:
                if classes is None:
                    raise ValueError(
                        "classes must be passed on the first call to partial_fit: "
                        "every class the model will ever see, e.g. np.unique(y_all)."
                    )
                known = np.unique(classes)
            else:
                known = found
            if not multilabel and len(known) < 2:
                raise ValueError(
                    f"y has only one class ({known!r}); a classifier needs at least 2 "
                    "classes. Check the labels, or pass every class with "
                    "partial_fit(..., classes=...)."
                )
            self.classes_ = known
            self._multilabel = multilabel
        else:
            if classes is not None and not np.array_equal(
                np.unique(classes), self.classes_
            ):
                raise ValueError(
                    f"classes={classes!r} is not the same as on the first call "
                    f"({self.classes_!r}); start a new model to change the classes."
                )
            if multilabel != self._multilabel or (
                multilabel and y.shape[1] != len(self.classes_)
            ):
                raise ValueError(
                    f"y does not match the targets this model was fitted on "
                    f"({'multilabel' if self._multilabel else 'single-label'}, "
                    f"{len(self.classes_)} classes); fit a new model instead."
                )
        if multilabel:
            return np.asarray(y)
        index = np.searchsorted(self.classes_, found).clip(max=len(self.classes_) - 1)
        unknown = found[self.classes_[index] != found]
        if unknown.size:
            raise ValueError(
                f"y contains classes not seen before: {unknown!r} (known: "
                f"{self.classes_!r}). "
                + (
                    "Declare every class up front with partial_fit(..., classes=...)."
                    if incremental
                    else "A warm-started fit keeps the classes of the first fit; "
                    "refit with warm_start=False to change them."
                )
            )
        labels = index[codes.reshape(-1)]
        if len(self.classes_) == 2:
            return (labels == 1).reshape(-1, 1)
        encoded = np.zeros((len(labels), len(self.classes_)), dtype=np.float64)
        encoded[np.arange(len(labels)), labels] = 1.0
        return encoded

    def _weigh_examples(self, y, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if self._multilabel:
            raise ValueError(
                "class_weight is not supported for multilabel y; weigh the examples "
                "with sample_weight instead."
            )
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the class counts of all the data, which "
                "partial_fit does not see; pass a dict of weights, e.g. computed with "
                "sklearn.utils.class_weight.compute_class_weight on all labels."
            )
        labels = column_or_1d(y)
        per_class = compute_class_weight(self.class_weight, classes=self.classes_, y=labels)
        return sample_weight * per_class[np.searchsorted(self.classes_, labels)].astype(
            sample_weight.dtype
        )

    def _output_activation(self, n_outputs):
        multiclass = not self._multilabel and len(self.classes_) > 2
        if self.out_activation == "auto":
            return "softmax" if multiclass and self.loss == "log_loss" else "logistic"
        if self.out_activation == "softmax":
            if self.loss != "log_loss" or not multiclass:
                raise ValueError(
                    "out_activation='softmax' needs loss='log_loss' and multiclass y (3 or "
                    "more classes, one label per example); use 'logistic' or 'auto'."
                )
        return self.out_activation

    def _probabilities(self, X):
        outputs = self._forward(X)
        if self._multilabel:
            return outputs
        if outputs.shape[1] == 1:
            return np.hstack([1.0 - outputs, outputs])
        if self.out_activation_ != "softmax":
            # One-vs-rest logistic units: normalise so each row sums to one.
            totals = outputs.sum(axis=1, keepdims=True)
            np.divide(outputs, totals, out=outputs, where=totals > 0)
            outputs[(totals == 0).ravel()] = 1.0 / outputs.shape[1]
        return outputs

    def predict(self, X):
        """Predict class labels (an indicator matrix for multilabel y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        return self._decode(self._forward(X))

    def _decode(self, outputs):
        """Network outputs -> labels (an indicator matrix for multilabel y)."""
        if self._multilabel:
            return (outputs > 0.5).astype(int)
        if outputs.shape[1] == 1:
            return self.classes_[(outputs[:, 0] > 0.5).astype(np.intp)]
        return self.classes_[np.argmax(outputs, axis=1)]

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``. For multilabel y, each column is the
            probability of its label.
        """
        return self._probabilities(X)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self._probabilities(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class FastBPRegressor(RegressorMixin, _BaseFastBP):
    (
        """Multilayer perceptron regressor trained by per-example backpropagation.

    A drop-in replacement for ``sklearn.neural_network.MLPRegressor(solver='sgd')``
    with squared error ``E = 1/2 sum_j (t_j - o_j)^2`` per example; multi-output y
    is supported.

    loss : {'squared_error'}, default='squared_error'
    out_activation : {'identity', 'logistic', 'tanh', 'relu'}, default='identity'
        Output transfer function; non-identity outputs bound the predictions.
    """
        + _COMMON_DOC
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from fastbp import FastBPRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = FastBPRegressor(hidden_layer_sizes=(16,), random_state=0).fit(X, X.ravel())
    >>> reg.score(X, X.ravel()) > 0.9
    True
    """
    )

    _is_classifier = False

    _parameter_constraints = {
        **_BaseFastBP._parameter_constraints,
        "loss": [StrOptions({"squared_error"})],
        "out_activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="squared_error",
        out_activation="identity",
        alpha=0.0001,
        batch_size=1,
        learning_rate_init=0.0001,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        n_iter_no_change=10,
        momentum=0.0,
        nesterovs_momentum=True,
        learning_rate="constant",
        power_t=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_jobs=1,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            loss=loss,
            out_activation=out_activation,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            n_iter_no_change=n_iter_no_change,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            learning_rate=learning_rate,
            power_t=power_t,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_jobs=n_jobs,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on (X, y) for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an example's loss gradient is multiplied by its
            weight (the L2 term is not).

        Returns
        -------
        self : FastBPRegressor
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch over (X, y), continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : FastBPRegressor
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode_targets(self, y, first_pass, incremental, classes):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if first_pass:
            self._y_is_1d = y.ndim == 1
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _output_activation(self, n_outputs):
        return self.out_activation

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._decode(self._forward(X))

    def _decode(self, outputs):
        """Network outputs -> predictions shaped like the y seen in fit."""
        return outputs.ravel() if self._y_is_1d else outputs
