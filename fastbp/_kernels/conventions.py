"""The groups of arguments every kernel receives, named.

Each group is a module-level :class:`typing.NamedTuple`, the form Numba passes into
compiled code as a typed tuple (module level, so that cached kernels can name the
type again in a new process). Kernels unpack a group once, at their top. Python code
builds them with the ``allocate`` constructors below, which is also how the tests
build kernel calls.

Optional parts that a kernel must prune at compile time (the optimiser, the block
buffers of Hogwild, the sparse feature-major copy) are not fields: they stay
top-level arguments that are ``None`` when unused, so that Numba compiles a variant
without the branch (see ``docs/architecture.md``, "Numba rules").
"""

from typing import NamedTuple

import numpy as np
from numba import njit

from .._aligned import aligned_rows
from .._functions import inline_options

# Examples whose first-layer updates share one pass over the weights (the block
# kernel); see docs/architecture.md for the measured shapes.
BLOCK = 4

# Blocks of rows the block kernel holds at once: one being trained, one whose
# updates are applied, one whose products are computed, one being prepared.
SLOTS = 4


class Structure(NamedTuple):
    """A network as the kernels see it: where each layer lives in ``theta``, and what
    its units compute. Built by :attr:`fastbp._network.Network.structure`."""

    sizes: np.ndarray  # int64 (n_layers + 1,): units per layer, inputs first
    weight_offsets: np.ndarray  # int64 (n_layers,): layer l's (n_out, n_in) weights
    bias_offsets: np.ndarray  # int64 (n_layers,): layer l's n_out biases
    unit_offsets: np.ndarray  # int64 (n_layers + 1,): layer l's units in `outs`
    hidden_code: int  # activation of the hidden units (_functions.ACTIVATIONS)
    out_code: int  # activation of the output units
    loss_code: int  # loss (_functions.LOSSES)


class Examples(NamedTuple):
    """The training examples a kernel visits in the order it is given."""

    X: np.ndarray  # (n_samples, n_features), C-contiguous, theta's dtype; or a CSR
    Y: np.ndarray  # (n_samples, n_outputs) targets t, theta's dtype
    sample_weights: np.ndarray  # (n_samples,) s_i, theta's dtype; empty: every s_i = 1


def examples_of(X, Y, sample_weight):
    """:class:`Examples` of ``(X, Y)`` with ``sample_weight`` (an array of theta's
    dtype, or None for unit weights: :func:`kernel_weights`)."""
    return Examples(X, Y, kernel_weights(sample_weight, Y.dtype))


def kernel_weights(sample_weight, dtype):
    """The kernels' ``sample_weights``: the array given, or for None (unit weights)
    an empty one, which :func:`weight_of` reads as 1. A fit without weights allocates
    and streams none: an ``np.ones`` per fit was a fresh block of pages whose faults
    showed in a delta-rule fit (docs/architecture.md)."""
    return np.empty(0, dtype=dtype) if sample_weight is None else sample_weight


@njit(**inline_options)
def weight_of(sample_weights, i):
    """Example ``i``'s weight ``s_i``: ``sample_weights[i]``, or 1 where
    ``sample_weights`` is empty (unit weights, :func:`examples_of`)."""
    if sample_weights.shape[0] == 0:
        return sample_weights.dtype.type(1)
    return sample_weights[i]


class CSR(NamedTuple):
    """A CSR matrix's arrays, its index arrays viewed as unsigned (:func:`csr`)."""

    data: np.ndarray  # the non-zero values, theta's dtype
    indices: np.ndarray  # uint: feature of each value (or its compact number)
    indptr: np.ndarray  # uint: row i's values are data[indptr[i]:indptr[i + 1]]


def csr(X):
    """:class:`CSR` of a scipy CSR matrix: its own arrays, no copy.

    The index arrays are viewed as unsigned: Numba wraps negative indices around,
    a test and a select on every access it cannot prove non-negative, and CSR
    indices never are (1.5x on the hashed-text linear epoch).
    """
    return CSR(
        X.data,
        X.indices.view(X.indices.dtype.str.replace("i", "u")),
        X.indptr.view(X.indptr.dtype.str.replace("i", "u")),
    )


class SparseRows(NamedTuple):
    """Some rows of a CSR matrix, in a given order: a chunk of a mini-batch kernel
    (:mod:`fastbp._kernels.rows`), read in place."""

    X: CSR  # the whole matrix
    rows: np.ndarray  # int64: the chunk's rows of X, in order


class Step(NamedTuple):
    """The step size and L2 penalty of one kernel call."""

    learning_rate: float  # in theta's dtype: float32 models never compute in float64
    decay: float  # 1 - learning_rate * alpha, theta's dtype: the factor weights keep
    l2_step: float  # learning_rate * alpha, theta's dtype: the L2 part of a step
    alpha: float  # the L2 penalty (float64), for the loss's L2 term

    @classmethod
    def of(cls, learning_rate, alpha, dtype):
        """The step of ``learning_rate`` and ``alpha`` for a theta of ``dtype``.

        ``l2_step`` is computed as a product, not as ``1 - decay`` (in float32 that
        difference keeps a few bits of it).
        """
        kind = np.dtype(dtype).type
        l2_step = learning_rate * alpha
        return cls(kind(learning_rate), kind(1.0 - l2_step), kind(l2_step), float(alpha))


class Momentum(NamedTuple):
    """Optimiser state of momentum SGD (:mod:`fastbp._kernels.rules`)."""

    velocity: np.ndarray  # shaped like theta; updated in place
    mu: float  # momentum, theta's dtype
    keep: float  # 1 (classical) or mu (Nesterov), theta's dtype
    lookahead: float  # 0 (classical) or 1 (Nesterov), theta's dtype

    @classmethod
    def of(cls, velocity, mu, nesterov):
        """Classical or Nesterov momentum ``mu`` on ``velocity`` (theta's dtype)."""
        keep, lookahead = (mu, 1.0) if nesterov else (1.0, 0.0)
        kind = velocity.dtype.type
        return cls(velocity, kind(mu), kind(keep), kind(lookahead))


class Adam(NamedTuple):
    """Optimiser state of Adam, scikit-learn's ``AdamOptimizer`` (:mod:`.rules`).

    The kernels step it with the gradient itself (their :class:`Step` has
    ``learning_rate`` 1); its own step size is ``learning_rate`` with the bias
    correction of update ``t``, set by :func:`fastbp._kernels.rules.begin_update`.
    """

    first: np.ndarray  # m, the moving mean of the gradient: shaped like theta
    second: np.ndarray  # v, the moving mean of its square: shaped like theta
    updates: np.ndarray  # int64 (1,): t, the updates so far (kept across calls)
    rate: np.ndarray  # (1,) float64: the step size of update t, bias-corrected
    learning_rate: float  # learning_rate_init (float64)
    beta_1: float  # float64: the decay of m (and, as beta_1 ** t, its correction)
    beta_2: float  # float64: the decay of v
    epsilon: float  # theta's dtype: added to sqrt(v)

    @classmethod
    def of(cls, first, second, updates, learning_rate, beta_1, beta_2, epsilon):
        """Adam's state on the moments ``first`` and ``second`` (theta's dtype,
        updated in place) after ``updates`` (an int64 array of one, advanced in
        place)."""
        kind = first.dtype.type
        return cls(
            first, second, updates, np.zeros(1), float(learning_rate), float(beta_1),
            float(beta_2), kind(epsilon),
        )  # fmt: skip


class MomentumRule(NamedTuple):
    """Momentum's scalars for one pass of updates (:func:`.rules.state_rows`)."""

    mu: float  # theta's dtype, as Momentum's
    keep: float
    lookahead: float


class AdamRule(NamedTuple):
    """Adam's scalars for one pass of updates (:func:`.rules.state_rows`)."""

    beta_1: float  # float64
    beta_2: float  # float64
    epsilon: float  # theta's dtype
    rate: float  # theta's dtype: this update's bias-corrected step size


class ExampleBuffers(NamedTuple):
    """Per-example buffers of the one-example kernel; with a leading thread axis,
    one set per Hogwild thread (:func:`fastbp._kernels.hogwild.thread_buffers`)."""

    outs: np.ndarray  # (n_units,): outputs o of every layer (unit_offsets)
    deltas: np.ndarray  # (n_units,): dE/dnet of every layer, same layout
    # (>= n_features,) zeros: the row the sparse optimiser kernel scatters a CSR
    # row's non-zeros into (the dense kernels read X's rows in place).
    dense_row: np.ndarray
    # (>= 1,) float64: [0] sums the old squared weights of an example's step (the L2
    # term, alpha > 0), here rather than allocated by each kernel call: Hogwild calls
    # a kernel per run of MERGE_EXAMPLES examples.
    squared: np.ndarray

    @classmethod
    def allocate(cls, layout, dense_row_length, dtype, threads=None):
        """Zeroed, every row on cache lines of its own (no false sharing);
        ``dense_row_length`` is 0 where no CSR row is scattered."""
        lead = () if threads is None else (threads,)
        return cls(
            aligned_rows((*lead, layout.n_units), dtype),
            aligned_rows((*lead, layout.n_units), dtype),
            aligned_rows((*lead, dense_row_length), dtype),
            aligned_rows((*lead, 1), np.float64),
        )


class BlockBuffers(NamedTuple):
    """Buffers of the block kernel (:mod:`fastbp._kernels.block`): block ``b`` in
    slot ``b % SLOTS`` of the rows, ``b % 2`` of the steps and products."""

    x_blocks: np.ndarray  # (SLOTS, BLOCK, n_features): blocks' inputs
    products: np.ndarray  # (2, BLOCK, n_hidden): V x of a block's inputs
    pending: np.ndarray  # (2, BLOCK, n_hidden): a block's first-layer steps g_m
    gram: np.ndarray  # (SLOTS, BLOCK, BLOCK): x_l . x_m within a block
    cross: np.ndarray  # (SLOTS, BLOCK, BLOCK): x_l . x_m, l of the block before
    current: np.ndarray  # (n_hidden,): V_m x_m of the example being trained

    @classmethod
    def allocate(cls, n_features, n_hidden, dtype):
        """Zeroed, every row on cache lines of its own."""
        return cls(
            aligned_rows((SLOTS, BLOCK, n_features), dtype),
            aligned_rows((2, BLOCK, n_hidden), dtype),
            aligned_rows((2, BLOCK, n_hidden), dtype),
            aligned_rows((SLOTS, BLOCK, BLOCK), dtype),
            aligned_rows((SLOTS, BLOCK, BLOCK), dtype),
            aligned_rows((n_hidden,), dtype),
        )


class ChunkBuffers(NamedTuple):
    """Buffers of the mini-batch kernels: a chunk of examples at a time, BLAS."""

    inputs: np.ndarray  # (capacity, n_features): gathered rows of X
    targets: np.ndarray  # (capacity, n_outputs): their targets
    sample_weights: np.ndarray  # (capacity,): their weights
    activations: np.ndarray  # (capacity * n_units,): layer blocks of outputs o
    deltas: np.ndarray  # (capacity * n_units,): layer blocks of dE/dnet
    scratch: np.ndarray  # (largest weight block,): one layer's gradient
    gradient: np.ndarray  # shaped like theta: the batch's summed gradient

    @classmethod
    def allocate(cls, layout, n_features, n_outputs, capacity, dtype):
        """Uninitialised buffers for chunks of ``capacity`` rows."""
        return cls(
            np.empty((capacity, n_features), dtype=dtype),
            np.empty((capacity, n_outputs), dtype=dtype),
            np.empty(capacity, dtype=dtype),
            np.empty(capacity * layout.n_units, dtype=dtype),
            np.empty(capacity * layout.n_units, dtype=dtype),
            np.empty(layout.largest_block, dtype=dtype),
            np.empty(layout.size, dtype=dtype),
        )


class FeatureMajor(NamedTuple):
    """The sparse kernel's copy of the first layer, over the features that occur."""

    features: np.ndarray  # uint32: features[c] is the c-th feature to occur
    weights: np.ndarray  # weights[c * n_hidden + j]: unit j's weight of features[c]
