"""One model trained by per-example SGD on every Dask worker at once.

:class:`ParallelSGD` keeps each block of X on the worker that holds it: every round,
each worker trains a copy of the current model on its next slice of each of its
blocks (``partial_fit``), and the copies are averaged, weighted by the examples each
saw. Needs the ``dask`` extra (``pip install 'fastbp[dask]'``).
"""

import copy
from collections import defaultdict
from numbers import Integral

import dask.array as da
import numpy as np
from distributed import default_client, wait
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted


class ParallelSGD(MetaEstimatorMixin, BaseEstimator):
    """Train one fastbp estimator on a Dask cluster by averaged per-example SGD.

    ``fit`` takes dask arrays (or dask dataframes) split by rows. Each block is
    computed and kept on one worker; no block of X moves between workers. Every
    round, each worker trains the current model on the next ``1 / rounds_per_epoch``
    of each block it holds (one ``partial_fit`` per block slice, per-example SGD as
    the estimator is set up), and the models are averaged, weighted by the examples
    each saw (the optimiser's state as well). Averaging more often keeps the copies
    closer to one serial model; each round costs one exchange of the weights.

    A worker lost during a round does not lose the fit: Dask recomputes its blocks
    on the remaining workers from their graph and reruns the round's tasks there.

    Parameters
    ----------
    estimator : FastBPClassifier, FastBPRegressor, MLPClassifier or MLPRegressor
        The model to train (a stochastic solver: it needs ``partial_fit``). Its
        ``random_state`` seeds the initial weights, which every worker draws alike.
    max_iter : int, default=10
        Epochs: passes over all of X.
    rounds_per_epoch : int, default=8
        Weight averages per epoch.
    retries : int, default=2
        Times a round's task is retried after an error on its worker.
    warm_start : bool, default=False
        If True and already fitted, ``fit`` trains ``estimator_`` further (its
        weights and optimiser state) for ``max_iter`` more epochs, on X with as many
        features and, for classifiers, the same classes.
    client : distributed.Client, default=None
        The cluster to use; None takes the current default client.

    Attributes
    ----------
    estimator_ : estimator
        The trained model: a plain fastbp estimator (no Dask needed to use it).
    classes_ : ndarray
        The class labels (classifiers only).
    n_iter_ : int
        Epochs run (over every warm-started ``fit``).
    loss_curve_ : list of float
        Each epoch's training loss: the examples-weighted mean of the workers'
        ``partial_fit`` losses in it.

    Examples
    --------
    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> import dask.array as da  # doctest: +SKIP
    >>> from fastbp import FastBPClassifier  # doctest: +SKIP
    >>> from fastbp.dask import ParallelSGD  # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> X = da.random.random((100_000, 20), chunks=25_000)  # doctest: +SKIP
    >>> y = (X[:, 0] > 0.5).astype(int)  # doctest: +SKIP
    >>> model = ParallelSGD(FastBPClassifier(random_state=0), max_iter=3)  # doctest: +SKIP
    >>> model.fit(X, y).estimator_.predict(X[:5].compute())  # doctest: +SKIP
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["partial_fit"])],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "rounds_per_epoch": [Interval(Integral, 1, None, closed="left")],
        "retries": [Interval(Integral, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "client": "no_validation",
    }

    def __init__(
        self,
        estimator,
        *,
        max_iter=10,
        rounds_per_epoch=8,
        retries=2,
        warm_start=False,
        client=None,
    ):
        self.estimator = estimator
        self.max_iter = max_iter
        self.rounds_per_epoch = rounds_per_epoch
        self.retries = retries
        self.warm_start = warm_start
        self.client = client

    def fit(self, X, y, classes=None):
        """Train on every worker's blocks of ``X`` and ``y``.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
            Split by rows only (blocks of whole rows).
        y : dask array or dask Series of shape (n_samples,)
            Targets, split like X (rechunked to X's rows if not).
        classes : array-like, default=None
            Every class label (classifiers); None computes ``unique(y)`` on the
            cluster.

        Returns
        -------
        self : ParallelSGD
        """
        self._validate_params()
        client = self.client if self.client is not None else default_client()
        with client.as_current():  # Dask's wait and compute use this client
            return self._fit(client, X, y, classes)

    def _fit(self, client, X, y, classes):
        X, y = _dask_rows(X, "X"), _dask_rows(y, "y")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-dimensional, got {X.ndim} dimensions.")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}.")
        warm = self.warm_start and hasattr(self, "estimator_")
        if warm and X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but this ParallelSGD was fitted with "
                f"{self.n_features_in_}: with warm_start=True, X needs as many."
            )
        y = y.rechunk({0: X.chunks[0]})
        X = X.rechunk({1: -1})
        # X's blocks are computed where the scheduler puts them, then each y block
        # on its X block's worker (or anywhere, once that one is lost): training tasks
        # find both there.
        X_blocks = client.compute(X.to_delayed().ravel().tolist())
        wait(X_blocks)
        holders = client.who_has(X_blocks)
        blocks = [
            (X_block, client.compute(y_part, workers=where, allow_other_workers=True))
            for X_block, y_part in zip(X_blocks, y.to_delayed().ravel())
            for where in [list(holders[X_block.key]) or None]
        ]
        y_blocks = [y_block for _, y_block in blocks]
        fit_params = {}
        if is_classifier(self.estimator):
            if classes is None:  # each y block's labels, found where it is
                found = client.gather(client.map(np.unique, y_blocks, pure=False))
                classes = np.concatenate(found)
            classes = np.unique(classes)
            if warm and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"classes {classes.tolist()} differ from the fitted classes_ "
                    f"{self.classes_.tolist()}: with warm_start=True, use the same."
                )
            fit_params["classes"] = classes
        wait(y_blocks)
        if warm:
            model, loss_curve = self.estimator_, list(self.loss_curve_)
        else:
            seed = check_random_state(self.estimator.get_params().get("random_state"))
            model = clone(self.estimator).set_params(
                random_state=int(seed.randint(np.iinfo(np.int32).max))
            )
            loss_curve = []
        for _ in range(self.max_iter):
            losses, examples = 0.0, 0
            for r in range(self.rounds_per_epoch):
                span = (r / self.rounds_per_epoch, (r + 1) / self.rounds_per_epoch)
                results = self._round(client, model, blocks, span, fit_params)
                if not results:  # blocks shorter than rounds_per_epoch: empty slices
                    continue
                model = _average([m for m, _, _ in results], [n for _, n, _ in results])
                losses += sum(loss for _, _, loss in results)
                examples += sum(n for _, n, _ in results)
            loss_curve.append(losses / max(examples, 1))
        # Set only now: a fit that fails leaves a fitted model as it was.
        self.n_iter_ = (self.n_iter_ if warm else 0) + self.max_iter
        self.estimator_, self.loss_curve_ = model, loss_curve
        self.n_features_in_ = X.shape[1]
        if is_classifier(self.estimator):
            self.classes_ = fit_params["classes"]
        return self

    def _round(self, client, model, blocks, span, fit_params):
        """Each worker trains ``model`` on the ``span`` of each block it holds."""
        holders = client.who_has([X_block for X_block, _ in blocks])
        by_worker = defaultdict(list)
        for block in blocks:
            where = holders.get(block[0].key) or [None]
            by_worker[sorted(where)[0]].append(block)
        tasks = [
            client.submit(
                _train_span,
                model,  # in the task itself: a broadcast would wait on a lost worker
                mine,
                span,
                fit_params,
                # A block no worker holds (its worker was lost) trains anywhere;
                # Dask refuses allow_other_workers without workers.
                workers=None if worker is None else [worker],
                allow_other_workers=worker is not None,
                retries=self.retries,
                pure=False,
            )
            for worker, mine in by_worker.items()
        ]
        return [r for r in client.gather(tasks) if r[1] > 0]

    def predict(self, X):
        """``estimator_.predict(X)`` (X a NumPy array or anything it takes)."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    def predict_proba(self, X):
        """``estimator_.predict_proba(X)`` (classifiers)."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    def score(self, X, y, sample_weight=None):
        """``estimator_.score(X, y)``: accuracy or R^2."""
        check_is_fitted(self)
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = getattr(
            self.estimator.__sklearn_tags__(), "estimator_type", None
        )
        return tags


def _dask_rows(data, name):
    """A dask array from a dask array, DataFrame or Series (row counts known)."""
    if hasattr(data, "to_dask_array"):
        return data.to_dask_array(lengths=True)
    if isinstance(data, da.Array):
        return data
    raise TypeError(
        f"{name} must be a dask array or dask DataFrame/Series, got "
        f"{type(data).__name__}; for NumPy data fit the estimator itself."
    )


def _train_span(model, blocks, span, fit_params):
    """``(model, examples, loss sum)`` after ``partial_fit`` on ``span`` of each block."""
    # A retried run of this task gets the same argument back, possibly part-trained
    # by the failed run: train a copy.
    model = copy.deepcopy(model)
    examples, loss = 0, 0.0
    for X, y in blocks:
        start, stop = int(span[0] * len(X)), int(span[1] * len(X))
        if stop > start:
            model.partial_fit(X[start:stop], y[start:stop], **fit_params)
            examples += stop - start
            loss += model.loss_ * (stop - start)
    return model, examples, loss


def _average(models, weights):
    """The first model with the examples-weighted mean of every model's weights
    and optimiser state arrays (those shaped like the weights)."""
    result = models[0]
    if len(models) == 1:  # one worker: nothing to average
        return result
    weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    theta = sum(w * m._theta.astype(np.float64) for w, m in zip(weights, models))
    result._theta[:] = theta
    state = result.__dict__.get("_optimizer_state")
    if state is not None:
        for index, value in enumerate(state):
            if isinstance(value, np.ndarray) and value.shape == theta.shape:
                value[:] = sum(
                    w * m._optimizer_state[index].astype(np.float64)
                    for w, m in zip(weights, models)
                )
    return result
