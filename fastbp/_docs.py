"""The parameter and attribute documentation both estimators share."""

COMMON_DOC = """
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
    batch_size : int, 'auto' or 'full', default=1
        Examples per update. 1 is per-example stochastic gradient descent (the fused
        Numba kernel); ``'auto'`` is scikit-learn's ``min(200, n_samples)``;
        ``'full'`` (or any value >= n_samples) is the true gradient. With early
        stopping, ``n_samples`` counts the examples trained on.
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
    solver : {'sgd', 'adam', 'lbfgs'}, default='sgd'
        The update rule. 'sgd' is stochastic gradient descent (with ``momentum``,
        ``learning_rate`` and ``power_t``). 'adam' is scikit-learn's Adam, in the
        kernels at every batch size: a batch's gradient ``g`` (L2 term included)
        moves ``m <- beta_1 m + (1 - beta_1) g`` and ``v <- beta_2 v + (1 - beta_2)
        g^2``, and the weights by ``-lr_t m / (sqrt(v) + epsilon)`` with
        ``lr_t = learning_rate_init sqrt(1 - beta_2^t) / (1 - beta_1^t)``, ``t``
        counting updates; the state is kept across ``partial_fit`` calls and reset
        by ``fit``. 'lbfgs' minimises the full-batch loss (scipy's L-BFGS-B, the
        loss and gradient from the kernels) for up to ``max_iter`` iterations and
        ``max_fun`` evaluations, stopping at a projected gradient below ``tol``; it
        has no ``partial_fit``, ``loss_curve_`` or early stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates of its first and second moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Adam's term for numerical stability.
    max_fun : int, default=15000
        'lbfgs' only: the most loss evaluations.

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
