"""Trainers: one object per kernel family that owns a fit's buffers and kernel call.

:func:`make_trainer` picks the family (sparse rows, dense rows one example at a
time, mini-batches); each trainer allocates its buffers once per fit, picks among its
kernels, and runs one epoch per call (``trainer(order, rate, report)``), returning
the epoch's mean loss. Nothing here knows about scikit-learn.
"""

import time

import numba
import numpy as np
from scipy import sparse

from . import _ahead
from ._aligned import aligned_empty, aligned_rows
from ._crew import Crew
from ._kernels.batch import minibatch_epoch
from ._kernels.block import BLOCK_MIN_WEIGHTS, SMALLEST_BLOCK_DECAY, block_sgd_epoch
from ._kernels.conventions import (
    Adam,
    BlockBuffers,
    ChunkBuffers,
    ExampleBuffers,
    FeatureMajor,
    Momentum,
    Step,
    csr,
    examples_of,
)
from ._kernels.dense import optimizer_epoch, sgd_epoch
from ._kernels.hogwild import REPLICA_ROWS, hogwild_epoch
from ._kernels.sparse import compact_features, sparse_optimizer_epoch, sparse_sgd_epoch
from ._kernels.weight_pass import load_pass
from ._threads import parallel_threads

# Rows per BLAS chunk in mini-batch training and prediction: large enough for GEMM to
# run near peak, small enough that a chunk's activations stay in cache.
CHUNK_ROWS = 256

# A call on fewer examples runs the one-example kernel: the block kernel spends two
# passes over the first layer on its first and last block whatever their size, one
# example costs one (partial_fit on tiny batches).
BLOCK_MIN_EXAMPLES = 4

# A call on fewer examples with n_jobs > 1 runs the block kernel on one thread:
# starting and stopping a helper costs 60-130 us (Zen 5), what it saves on some
# 20-40 examples of a 784-128-10 network.
CREW_MIN_EXAMPLES = 64

# With verbose=2, the seconds of training between two progress reports, and the
# examples in the first kernel call, before there is a timing to size calls by.
REPORT_SECONDS = 0.25
FIRST_REPORT_EXAMPLES = 1000


class Trainer:
    """One fit's epochs: ``trainer(order, rate=None, report=None) -> mean loss``.

    A call runs one epoch over the examples in ``order`` with step size ``rate``
    (the trainer's ``learning_rate`` if None; schedules change it between epochs).
    With ``report(done, total)``, the epoch runs in several kernel calls of whole
    batches (about ``REPORT_SECONDS`` each), calling ``report`` after each: the same
    updates in the same order (bit-identical for mini-batches; with batch size 1 the
    fused first-layer forward product of a call's first example is summed in another
    order, a difference of a few ulps).

    ``optimizer`` is None (plain SGD) or the state of the update rule
    (:mod:`fastbp._kernels.rules`). Adam's kernels step with the gradient itself
    (learning rate 1; its own step size is in its state), so the rate is ignored.

    Subclasses set ``unit`` (examples per update) and define :meth:`run`.
    """

    unit = 1
    data_loss_scale = 1.0
    # Batches divide by their weight sum, not their size (scikit-learn's MLP).
    by_weight = False

    def __init__(self, network, theta, examples, learning_rate, alpha, optimizer):
        self.structure = network.structure
        self.theta = theta
        self.examples = examples
        self.learning_rate = float(learning_rate)
        self.alpha = float(alpha)
        self.optimizer = optimizer
        self.adam = isinstance(optimizer, Adam)
        self._weight_sums = {}
        self._call_size = max(self.unit, -(-FIRST_REPORT_EXAMPLES // self.unit) * self.unit)

    def step(self, learning_rate):
        """The kernels' :class:`Step` of ``learning_rate`` for this fit's theta."""
        return Step.of(learning_rate, self.alpha, self.theta.dtype)

    def run(self, order, learning_rate):
        """One kernel call over ``order``; returns ``(data_loss, penalty)``."""
        raise NotImplementedError

    def __call__(self, order, rate=None, report=None):
        rate = float(self.learning_rate if rate is None else rate)
        if self.adam:
            rate = 1.0
        n_order = order.shape[0]
        if report is None:
            data_loss, penalty = self.run(order, rate)
        else:
            data_loss, penalty = self._reported(order, rate, report)
        data_loss *= self.data_loss_scale
        if self.by_weight:
            return (data_loss + penalty) / n_order  # scaled by the kernel
        # Every epoch visits the same set of examples (a permutation of it), so its
        # weight sum is computed once.
        if n_order not in self._weight_sums:
            weights = self.examples.sample_weights
            if weights.shape[0] == 0:  # unit weights (conventions.kernel_weights)
                self._weight_sums[n_order] = float(n_order)
            else:
                if n_order < weights.shape[0]:  # a subset (early stopping's rows)
                    weights = weights[order]
                self._weight_sums[n_order] = float(weights.sum(dtype=np.float64))
        return data_loss / self._weight_sums[n_order] + penalty / n_order

    def _reported(self, order, rate, report):
        # Calls of whole batches, sized as the epoch goes so that each runs about
        # REPORT_SECONDS (its call overhead is then invisible).
        data_loss = penalty = 0.0
        start = 0
        n_order = order.shape[0]
        while start < n_order:
            size = self._call_size
            started = time.perf_counter()
            loss_part, penalty_part = self.run(order[start : start + size], rate)
            elapsed = time.perf_counter() - started
            data_loss += loss_part
            penalty += penalty_part
            start = min(start + size, n_order)
            report(start, n_order)
            if elapsed > 0:
                wanted = size * REPORT_SECONDS / elapsed
                size = int(min(max(wanted, size / 4), size * 4))
                self._call_size = max(self.unit, size // self.unit * self.unit)
        return data_loss, penalty


class DenseTrainer(Trainer):
    """Per-example SGD over dense rows: the one-example, block or Hogwild kernel.

    With plain SGD, a first layer of ``BLOCK_MIN_WEIGHTS`` or more weights is
    trained in blocks of examples (in calls of ``BLOCK_MIN_EXAMPLES`` or more, with
    a decay of at least ``SMALLEST_BLOCK_DECAY``). ``n_jobs`` above 1 (at most one
    thread per example) shares the block kernel's passes over the first layer among
    that many threads (a :class:`~fastbp._crew.Crew`, in calls of
    ``CREW_MIN_EXAMPLES`` or more, shorter calls on one thread: the results of
    ``n_jobs=1`` up to rounding), and runs Hogwild! where the block kernel does not
    apply.
    """

    def __init__(self, network, theta, examples, learning_rate, alpha, optimizer, n_jobs):
        super().__init__(network, theta, examples, learning_rate, alpha, optimizer)
        layout = network.layout
        n_samples = examples.X.shape[0]
        threads = max(1, min(n_jobs, n_samples, numba.config.NUMBA_NUM_THREADS))
        self.threads = threads
        per_thread = None if threads == 1 else threads
        self.buffers = ExampleBuffers.allocate(layout, 0, theta.dtype, per_thread)
        sizes = layout.sizes
        self.blocks = self.crew = None
        if optimizer is None and sizes[0] * sizes[1] >= BLOCK_MIN_WEIGHTS:
            self.blocks = BlockBuffers.allocate(sizes[0], sizes[1], theta.dtype)
            load_pass(theta, self.blocks)  # the same rounding, compiled or cached
            if threads > 1:
                self.crew = Crew(sizes[1], threads)
        self._replicas = None  # Hogwild's, made on its first epoch (_hogwild_replicas)
        # sgd_epoch, or its build from install (_ahead), for calls of _built_for's types.
        self._built_epoch = self._built_for = None

    def run(self, order, learning_rate):
        step = self.step(learning_rate)
        blockwise = self.blocks is not None and step.decay >= SMALLEST_BLOCK_DECAY
        n_examples = order.shape[0]
        args = (self.examples, order, self.theta, self.structure, step)
        if blockwise and n_examples >= BLOCK_MIN_EXAMPLES:
            if self.crew is None or n_examples < CREW_MIN_EXAMPLES:
                return block_sgd_epoch(*args, self._first_buffers(), self.blocks, None)
            crew = self.crew.running(
                self.theta, self.structure, self.blocks, self.examples.X, order
            )
            with crew as signals:
                return block_sgd_epoch(*args, self._first_buffers(), self.blocks, signals)
        # A crew's short calls run on one thread too: n_jobs never changes its fit.
        if self.threads == 1 or blockwise:
            call = (*args, self._first_buffers(), self.optimizer)
            if self.optimizer is not None:
                return optimizer_epoch(*call)
            # A built kernel takes only its own types; a trainer's other arguments are
            # its own, so only order and step can change type between calls (2 us to
            # check, the whole call 10 us). The JIT's kernel takes any.
            kernel = self._built_epoch
            if kernel is None or (
                kernel is not sgd_epoch
                and _ahead.type_key((order, step)) != self._built_for
            ):
                kernel = self._built_epoch = _ahead.kernel("sgd_epoch", call) or sgd_epoch
                self._built_for = _ahead.type_key((order, step))
            return kernel(*call)
        with parallel_threads(self.threads):
            return hogwild_epoch(
                *args, self.buffers, self.optimizer, self._hogwild_replicas()
            )

    def _hogwild_replicas(self):
        """Hogwild's replicas of theta per thread (plain SGD; with an optimiser state
        the threads step the shared theta, and they are empty), made on first use:
        a fit whose threads share the block kernel seldom runs Hogwild."""
        if self._replicas is None:
            rows = self.theta.shape[0] if self.optimizer is None else 0
            shape = (self.threads, REPLICA_ROWS, rows)
            self._replicas = aligned_rows(shape, self.theta.dtype)
        return self._replicas

    def _first_buffers(self):
        """The example buffers of a kernel on one thread (the first thread's, when
        they have a thread axis for Hogwild)."""
        if self.threads == 1:
            return self.buffers
        return ExampleBuffers(*(field[0] for field in self.buffers))


class SparseTrainer(Trainer):
    """Per-example SGD over CSR rows, on one thread (:mod:`fastbp._kernels.sparse`).

    With plain SGD, the features that occur are numbered compactly once per fit
    and the epochs run on a feature-major copy of their first-layer weights; with
    an optimiser state (momentum, Adam), the dense step runs on theta.
    """

    def __init__(
        self, network, theta, examples, learning_rate, alpha, optimizer, n_features
    ):
        layout = network.layout
        X = csr(examples.X)
        self.feature_major = None
        if optimizer is None:
            features, indices = compact_features(X.indices, n_features)
            X = X._replace(indices=indices)
            weights = np.empty(features.shape[0] * layout.sizes[1], dtype=theta.dtype)
            self.feature_major = FeatureMajor(features, weights)
        super().__init__(
            network, theta, examples._replace(X=X), learning_rate, alpha, optimizer
        )
        # With a state, dense_row is the row the non-zeros are scattered into.
        dense_row = n_features if optimizer is not None else 0
        self.buffers = ExampleBuffers.allocate(layout, dense_row, theta.dtype)

    def run(self, order, learning_rate):
        args = (self.examples, order, self.theta, self.structure)
        step = self.step(learning_rate)
        if self.optimizer is None:
            return sparse_sgd_epoch(*args, step, self.buffers, self.feature_major)
        return sparse_optimizer_epoch(*args, step, self.buffers, self.optimizer)


class BatchTrainer(Trainer):
    """Mini-batch (or, for ``batch_size >= len(X)``, full-batch) gradient descent,
    over dense or CSR rows (:mod:`fastbp._kernels.rows`).

    With ``by_weight``, a batch's gradient and L2 term are divided by its weight sum
    (scikit-learn's MLP), not its size.
    """

    def __init__(
        self, network, theta, examples, learning_rate, alpha, optimizer, batch_size,
        by_weight=False,
    ):  # fmt: skip
        n_samples, n_features = examples.X.shape
        self.batch_size = min(batch_size, n_samples)
        self.unit = self.batch_size
        self.by_weight = bool(by_weight)
        if sparse.issparse(examples.X):
            # CSR rows are read in place: no row buffer.
            examples, n_features = examples._replace(X=csr(examples.X)), 0
        super().__init__(network, theta, examples, learning_rate, alpha, optimizer)
        capacity = min(self.batch_size, CHUNK_ROWS)
        self.chunks = ChunkBuffers.allocate(
            network.layout, n_features, examples.Y.shape[1], capacity, theta.dtype
        )

    def run(self, order, learning_rate):
        return minibatch_epoch(
            self.examples, order, self.theta, self.structure, learning_rate, self.alpha,
            self.batch_size, self.chunks, self.optimizer, self.by_weight,
        )  # fmt: skip


def make_trainer(
    network,
    theta,
    X,
    Y,
    sample_weight,
    batch_size,
    learning_rate,
    alpha,
    optimizer=None,
    n_jobs=1,
    by_weight=False,
    data_loss_scale=1.0,
):
    """The :class:`Trainer` of one fit: the kernel family its data and settings need.

    Parameters
    ----------
    network : fastbp._network.Network
    theta : ndarray, updated in place by every epoch
    X, Y : C-contiguous 2-D arrays of theta's dtype; X may be a CSR matrix of
        theta's dtype instead (per-example SGD on one thread, or mini-batches)
    sample_weight : 1-D array of theta's dtype, or None for unit weights
    batch_size : int
        1 runs per-example SGD (:class:`DenseTrainer`, :class:`SparseTrainer`);
        larger values mini-batches (:class:`BatchTrainer`; ``>= len(X)`` is the
        true gradient).
    learning_rate, alpha : float
        Default step size and L2 penalty.
    optimizer : None, Momentum or Adam, default=None
        The update rule's state (:mod:`fastbp._kernels.rules`), updated in place;
        None is plain SGD (the seed's rule). :func:`optimizer_state` builds it.
    n_jobs : int, default=1
        Threads of per-example SGD: more than 1 runs Hogwild!; mini-batches ignore it.
    by_weight : bool, default=False
        Divide a batch's gradient by its weight sum instead of its size (scikit-learn's
        MLP). With ``batch_size=1`` and weights other than 1 this runs the mini-batch
        kernel.
    data_loss_scale : float, default=1
        Factor of the data term in the returned mean loss (scikit-learn's squared
        error averages over the outputs: ``1 / n_outputs``).

    Returns
    -------
    Trainer
    """
    examples = examples_of(X, Y, sample_weight)
    common = (network, theta, examples, learning_rate, alpha, optimizer)
    # Per example, the two meanings of sample weights agree only for weights of 1.
    weighted = by_weight and sample_weight is not None and bool(np.any(sample_weight != 1))
    if batch_size == 1 and not weighted:
        if sparse.issparse(X):
            if n_jobs != 1:
                raise ValueError(
                    f"Sparse X trains on one thread: use n_jobs=1 (got {n_jobs}), or "
                    "pass a dense X (X.toarray()) for Hogwild."
                )
            trainer = SparseTrainer(*common, X.shape[1])
        else:
            trainer = DenseTrainer(*common, n_jobs)
    else:
        trainer = BatchTrainer(*common, batch_size, by_weight)
    trainer.data_loss_scale = float(data_loss_scale)
    return trainer


def optimizer_state(
    solver, theta, *, momentum=0.0, nesterov=False, beta_1=0.9, beta_2=0.999,
    epsilon=1e-8, learning_rate=None, previous=None,
):  # fmt: skip
    """The state of ``solver``'s update rule for ``theta``, or None for plain SGD.

    ``'sgd'`` with ``momentum > 0`` is :class:`Momentum` (Nesterov's with
    ``nesterov``); ``'adam'`` is :class:`Adam` with step size ``learning_rate``.
    The state's arrays are new (zero), or copies of ``previous`` (an earlier state
    of the same rule and size: a ``partial_fit`` goes on with it), so a failed call
    leaves ``previous`` as it was.
    """
    if solver == "adam":
        if isinstance(previous, Adam) and previous.first.shape == theta.shape:
            first = _aligned_like(previous.first, theta)
            second = _aligned_like(previous.second, theta)
            updates = previous.updates.copy()
        else:
            first, second = _aligned_like(None, theta), _aligned_like(None, theta)
            updates = np.zeros(1, dtype=np.int64)
        return Adam.of(first, second, updates, learning_rate, beta_1, beta_2, epsilon)
    if momentum == 0.0:
        return None
    same = isinstance(previous, Momentum) and previous.velocity.shape == theta.shape
    velocity = _aligned_like(previous.velocity if same else None, theta)
    return Momentum.of(velocity, momentum, nesterov)


def state_arrays(optimizer):
    """The arrays of an optimiser state (none for plain SGD): what a fit saves and
    restores beside theta."""
    if optimizer is None:
        return ()
    return tuple(field for field in optimizer if isinstance(field, np.ndarray))


def _aligned_like(values, theta):
    """An aligned array shaped like theta, holding ``values`` (zeros if None)."""
    result = aligned_empty(theta.shape[0], theta.dtype)
    result[:] = 0.0 if values is None else values
    return result
