"""The block kernel's pass over the first layer: on one thread, or shared by several.

One pass (:func:`block_pass`) applies a block's pending rank-one updates to V and
computes a later block's products ``V x`` (:mod:`fastbp._kernels.block`). At
784-128-10 it is nearly all of an epoch's arithmetic, and its rows are
independent: with ``signals`` (a *crew*), the pass is cut into chunks of
``CHUNK_UNITS`` rows that the training thread and its helper threads claim, each
chunk once (compare-and-swap), so the threads train one model together, with the
serial kernel's steps in its order. The training thread starts a pass
(:func:`start_pass`), trains the next block through the layers above the first
meanwhile, then takes what is left of the pass and waits for the rest
(:func:`finish_pass`); the helpers spin between passes
(:func:`help_with_passes`). Nothing is stale, where Hogwild's replicas are: the
result is the serial one up to rounding (the crew's products are corrected sums,
and LLVM inlines the pass into each caller and may vectorise a row's dot
products differently there: 1e-16 apart, then not bit-reproducible).

A thread claims its own share of the chunks first, in ascending order and in runs
of up to ``OWN_RUN`` chunks that it passes over at once (span by span: the inputs
stay in the L1 over more rows), then the others', in descending order, one at a
time: each thread mostly keeps the same rows, in its own core's cache, and one that
is late (a vCPU the host took away) loses its chunks to the others instead of
holding up the pass. :mod:`fastbp._crew` runs the helpers.

A pass has one more piece of work, a *job* claimed like a chunk (by a helper
first): copying the rows of the block after the one whose products it computes
into the next slot of ``x_blocks``, with their Gram matrix and their cross dot
products with the block before (:func:`prepare_block`).

``signals`` is an int64 array of cache lines (``LINE`` slots each): line 0 holds
the pass's number and inputs and whether the crew runs; then a line per chunk for
its claim (the number of the pass that claimed it) and one for its completion, and
the same two for the job.
"""

import numpy as np
from numba import njit

from .._functions import inline_options, jit_options
from .atomics import compare_and_swap, load_acquire, spin_hint, store_release
from .borrowed import borrowed
from .conventions import BLOCK, SLOTS
from .layers import copy

# Rows of V per chunk (even: block_pass computes rows in pairs). 8 chunks at
# 784-128, each about 4 us of work (float64) against ~50 ns to claim it; a chunk
# reuses each span of the inputs once per pair of its rows (docs/architecture.md).
CHUNK_UNITS = 16

# Chunks of its own share a thread claims and passes over at once: 64 rows, the
# whole share of each of 2 threads at 784-128 (docs/architecture.md).
OWN_RUN = 4

# int64 slots per cache line, and the slots of line 0.
LINE = 8
GENERATION = 0  # number of the latest pass the training thread started
XS = 1  # x_blocks[XS]: the inputs of the pass's pending updates
ZS = 2  # x_blocks[ZS]: the inputs of its products
INTO = 3  # products[INTO]: where the products go
LOAD = 4  # the job: the block starting at example LOAD into slot ZS + 1 (or -1)
THREADS = 5  # threads in the crew, the training thread's included
RUNNING = 6  # 1 while the crew runs; helpers return when it is 0
PENDING = 7  # pending[PENDING]: the pass's updates

# Spin-hint rounds a helper waits for a pass before it returns to Python to yield
# its CPU: about 120 us (29 ns a round on Zen 5), some passes' time; a helper that
# spun for milliseconds kept a busy machine's CPU from the training thread
# (docs/architecture.md).
PATIENCE = 1 << 12


@njit(**inline_options)
def chunk_count(n_hidden):
    """Chunks of a pass over ``n_hidden`` rows."""
    return -(-n_hidden // CHUNK_UNITS)


def signal_slots(n_hidden):
    """Length of a crew's ``signals`` array for ``n_hidden`` rows."""
    return LINE * (3 + 2 * chunk_count(n_hidden))


@njit(**inline_options)
def _claim_slot(chunk):
    """Slot of chunk ``chunk``'s claim; the job is the chunk after the last."""
    return LINE * (1 + 2 * chunk)


@njit(**inline_options)
def _done_slot(chunk):
    return LINE * (2 + 2 * chunk)


@njit(**jit_options)
def load_block(X, order, start, n_examples, x_block, n_in):
    """Copy ``X[order[start:start + BLOCK]]`` into ``x_block``; rows past the end are 0."""
    for m in range(BLOCK):
        row = x_block[m, :n_in]
        if start + m < n_examples:
            copy(row, X[order[start + m]])
        else:
            for i in range(n_in):
                row[i] = 0.0


@njit(**inline_options)
def gram_matrix(xs, n_in, gram):
    """``gram[l, m] = xs[l] . xs[m]`` for ``l <= m < BLOCK`` (the upper triangle), in
    one pass over the rows (ten sums at once: a dot product at a time read each row
    four times and waited on its one sum)."""
    x0 = xs[0, :n_in]
    x1 = xs[1, :n_in]
    x2 = xs[2, :n_in]
    x3 = xs[3, :n_in]
    g00 = g01 = g02 = g03 = g11 = g12 = g13 = g22 = g23 = g33 = xs.dtype.type(0)
    for i in range(n_in):
        a = x0[i]
        b = x1[i]
        c = x2[i]
        d = x3[i]
        g00 += a * a
        g01 += a * b
        g02 += a * c
        g03 += a * d
        g11 += b * b
        g12 += b * c
        g13 += b * d
        g22 += c * c
        g23 += c * d
        g33 += d * d
    gram[0, 0] = g00
    gram[0, 1] = g01
    gram[0, 2] = g02
    gram[0, 3] = g03
    gram[1, 1] = g11
    gram[1, 2] = g12
    gram[1, 3] = g13
    gram[2, 2] = g22
    gram[2, 3] = g23
    gram[3, 3] = g33


@njit(**inline_options)
def cross_row(xa, xb, n_in, cross):
    """``cross[m] = xa . xb[m]`` for every ``m < BLOCK``, in one pass."""
    z0 = xb[0, :n_in]
    z1 = xb[1, :n_in]
    z2 = xb[2, :n_in]
    z3 = xb[3, :n_in]
    c0 = c1 = c2 = c3 = xa.dtype.type(0)
    for i in range(n_in):
        a = xa[i]
        c0 += a * z0[i]
        c1 += a * z1[i]
        c2 += a * z2[i]
        c3 += a * z3[i]
    cross[0] = c0
    cross[1] = c1
    cross[2] = c2
    cross[3] = c3


@njit(**inline_options)
def cross_matrix(xa, xb, n_in, cross):
    """``cross[l, m] = xa[l] . xb[m]`` for every ``l, m < BLOCK``."""
    for low in range(BLOCK):
        cross_row(xa[low, :n_in], xb, n_in, cross[low])


@njit(**jit_options)
def prepare_block(X, order, start, blocks, slot, n_in, cross):
    """The block of examples ``order[start:start + BLOCK]`` into slot ``slot``: its
    rows into ``x_blocks`` (zeros past the end), their Gram matrix into ``gram``
    and, if ``cross`` (``blocks.cross``, or None) is not None, their dot products
    with the previous slot's rows into ``cross[slot]``."""
    n_examples = order.shape[0]
    x_blocks = blocks.x_blocks
    load_block(X, order, start, n_examples, x_blocks[slot], n_in)
    gram_matrix(x_blocks[slot], n_in, blocks.gram[slot])  # rows past the end: 0
    if cross is not None:
        previous = (slot + SLOTS - 1) % SLOTS
        cross_matrix(x_blocks[previous], x_blocks[slot], n_in, cross[slot])


# Bytes of the rows xs and zs (8 rows) a pass keeps in the L1 cache at a time: it
# runs over every row of V for one span of the inputs before the next span.
SPAN_BYTES = 32 * 1024


@njit(**inline_options)
def input_span(n_in, itemsize):
    """Inputs per span of a pass: ``n_in`` cut in equal spans (the last shorter), each
    a multiple of 32 inputs and at most ``SPAN_BYTES`` of the 8 rows' inputs."""
    widest = SPAN_BYTES // (2 * BLOCK * itemsize)
    n_spans = -(-n_in // widest)
    return -(-n_in // (32 * n_spans)) * 32


@njit(**jit_options)
def block_pass(theta, w_start, n_in, first, stop, xs, zs, pending, products):
    """``V -= sum_m pending[m] xs[m]^T``, then ``products[m] = V zs[m]``, in one pass
    over rows ``first`` (even) to ``stop`` of V.

    Two rows of V at a time; each weight is loaded and stored once. Rows are
    paired from ``first``, so a pass split at even rows pairs them as one pass does.
    The inputs are taken in spans (:func:`input_span`), each span over every row,
    so that the 8 input rows are read from the L1 cache, not the L2, for all but
    the first pair of rows (docs/architecture.md).
    """
    zero = theta.dtype.type(0)
    full = stop - (stop - first) % 2
    span = input_span(n_in, theta.itemsize)
    for low in range(0, n_in, span):
        high = min(low + span, n_in)
        width = high - low
        x0 = xs[0, low:high]
        x1 = xs[1, low:high]
        x2 = xs[2, low:high]
        x3 = xs[3, low:high]
        z0 = zs[0, low:high]
        z1 = zs[1, low:high]
        z2 = zs[2, low:high]
        z3 = zs[3, low:high]
        for j in range(first, full, 2):
            # One slice per row: LLVM vectorises slices, not offsets into one array.
            row = w_start + j * n_in + low
            v = theta[row : row + width]
            u = theta[row + n_in : row + n_in + width]
            g0 = pending[0, j]
            g1 = pending[1, j]
            g2 = pending[2, j]
            g3 = pending[3, j]
            h0 = pending[0, j + 1]
            h1 = pending[1, j + 1]
            h2 = pending[2, j + 1]
            h3 = pending[3, j + 1]
            a0 = a1 = a2 = a3 = zero
            b0 = b1 = b2 = b3 = zero
            for i in range(width):
                y0 = x0[i]
                y1 = x1[i]
                y2 = x2[i]
                y3 = x3[i]
                w = v[i] - g0 * y0 - g1 * y1 - g2 * y2 - g3 * y3
                w2 = u[i] - h0 * y0 - h1 * y1 - h2 * y2 - h3 * y3
                v[i] = w
                u[i] = w2
                c = z0[i]
                a0 += w * c
                b0 += w2 * c
                c = z1[i]
                a1 += w * c
                b1 += w2 * c
                c = z2[i]
                a2 += w * c
                b2 += w2 * c
                c = z3[i]
                a3 += w * c
                b3 += w2 * c
            if low > 0:  # the spans before this one
                a0 += products[0, j]
                a1 += products[1, j]
                a2 += products[2, j]
                a3 += products[3, j]
                b0 += products[0, j + 1]
                b1 += products[1, j + 1]
                b2 += products[2, j + 1]
                b3 += products[3, j + 1]
            products[0, j] = a0
            products[1, j] = a1
            products[2, j] = a2
            products[3, j] = a3
            products[0, j + 1] = b0
            products[1, j + 1] = b1
            products[2, j + 1] = b2
            products[3, j + 1] = b3
        for j in range(full, stop):
            row = w_start + j * n_in + low
            v = theta[row : row + width]
            g0 = pending[0, j]
            g1 = pending[1, j]
            g2 = pending[2, j]
            g3 = pending[3, j]
            a0 = a1 = a2 = a3 = zero
            for i in range(width):
                w = v[i] - g0 * x0[i] - g1 * x1[i] - g2 * x2[i] - g3 * x3[i]
                v[i] = w
                a0 += w * z0[i]
                a1 += w * z1[i]
                a2 += w * z2[i]
                a3 += w * z3[i]
            if low > 0:
                a0 += products[0, j]
                a1 += products[1, j]
                a2 += products[2, j]
                a3 += products[3, j]
            products[0, j] = a0
            products[1, j] = a1
            products[2, j] = a2
            products[3, j] = a3


# The dtypes whose block_pass load_pass has loaded in this process.
_PASSES_LOADED = set()


def load_pass(theta, blocks):
    """Compile or load :func:`block_pass` for ``theta`` and ``blocks``' types, from
    Python, before any kernel that calls it is loaded: a call of zero rows.

    A kernel runs the first copy of ``block_pass`` loaded in the process: its callers'
    modules define it too (Numba links callees in and optimises them again), and the
    JIT resolves the name to the first definition. In a process that compiles the
    kernel that is ``block_pass``'s own; in one that loads the kernel from the cache,
    the kernel's re-optimised copy, which rounds differently (docs/architecture.md,
    "Numba rules"). Loaded first, its own serves both: a fit's weights no longer
    depend on whether the process compiled its kernels. Once per process and dtype.
    """
    if theta.dtype in _PASSES_LOADED:
        return
    n_in = blocks.x_blocks.shape[2]
    block_pass(theta, 0, n_in, 0, 0, blocks.x_blocks[0], blocks.x_blocks[1],
               blocks.pending[0], blocks.products[0])  # fmt: skip
    _PASSES_LOADED.add(theta.dtype)


@njit(**jit_options)
def _run_job(blocks, X, order, n_in, n_out, signals, generation):
    """Claim pass ``generation``'s job and run it; False if it was claimed already."""
    n_chunks = chunk_count(n_out)
    if not compare_and_swap(signals, _claim_slot(n_chunks), generation - 1, generation):
        return False
    start = load_acquire(signals, LOAD)
    if start >= 0:
        slot = (load_acquire(signals, ZS) + 1) % SLOTS
        prepare_block(X, order, start, blocks, slot, n_in, blocks.cross)
    store_release(signals, _done_slot(n_chunks), generation)
    return True


@njit(**jit_options)
def work_on_pass(
    theta, w_start, n_in, n_out, blocks, X, order, signals, generation, thread
):
    """Run the work of pass ``generation`` that thread ``thread`` can claim.

    A helper takes the job first; then every thread its own share of the chunks
    (ascending, in runs of up to ``OWN_RUN`` chunks passed over at once), then the
    other threads' (descending, one at a time), each sweep ending at the first
    chunk already claimed; the training thread takes the job last if no helper
    has. Publishes each piece's completion.
    """
    # Views without reference counts: a pass takes a dozen slices per chunk.
    theta = borrowed(theta)
    x_blocks, products, pending = borrowed(
        (blocks.x_blocks, blocks.products, blocks.pending)
    )
    if thread != 0:
        _run_job(blocks, X, order, n_in, n_out, signals, generation)
    n_threads = signals[THREADS]
    n_chunks = chunk_count(n_out)
    for sweep in range(n_threads):
        owner = (thread + sweep) % n_threads
        start = owner * n_chunks // n_threads
        stop = (owner + 1) * n_chunks // n_threads
        done = 0  # chunks of this sweep claimed so far
        while done < stop - start:
            run = min(OWN_RUN, stop - start - done) if sweep == 0 else 1
            low = start + done if sweep == 0 else stop - 1 - done
            claimed = 0
            while claimed < run and compare_and_swap(
                signals, _claim_slot(low + claimed), generation - 1, generation
            ):
                claimed += 1
            if claimed == 0:
                break
            xs = load_acquire(signals, XS)
            zs = load_acquire(signals, ZS)
            steps = load_acquire(signals, PENDING)
            into = load_acquire(signals, INTO)
            first = low * CHUNK_UNITS
            block_pass(
                theta, w_start, n_in, first, min(first + claimed * CHUNK_UNITS, n_out),
                x_blocks[xs], x_blocks[zs], pending[steps], products[into],
            )  # fmt: skip
            for chunk in range(low, low + claimed):
                store_release(signals, _done_slot(chunk), generation)
            if claimed < run:  # the rest is claimed: no CAS on another's line
                break
            done += claimed
    if thread == 0:
        _run_job(blocks, X, order, n_in, n_out, signals, generation)


@njit(**jit_options)
def start_pass(theta, w_start, n_in, n_out, blocks, X, order, pass_slots, signals):
    """Start the block kernel's pass and its job; on one thread (``signals`` None),
    run them. ``pass_slots`` is ``(xs, zs, steps, into, load)``: apply the updates
    ``blocks.pending[steps]`` of the rows ``blocks.x_blocks[xs]``, compute
    ``blocks.products[into]`` of ``blocks.x_blocks[zs]``, and (if ``load >= 0``)
    prepare the block starting at example ``load`` in the slot after ``zs`` (with
    its cross products if a crew runs: it trains the block before meanwhile)."""
    xs, zs, steps, into, load = pass_slots
    if signals is None:
        x_blocks = blocks.x_blocks
        # np.int64(0), not 0: a literal argument compiles the callee once more.
        block_pass(theta, w_start, n_in, np.int64(0), n_out, x_blocks[xs], x_blocks[zs],
                   blocks.pending[steps], blocks.products[into])  # fmt: skip
        if load >= 0:
            prepare_block(X, order, load, blocks, (zs + 1) % SLOTS, n_in, None)
        return
    store_release(signals, PENDING, steps)
    store_release(signals, XS, xs)
    store_release(signals, ZS, zs)
    store_release(signals, INTO, into)
    store_release(signals, LOAD, load)
    store_release(signals, GENERATION, signals[GENERATION] + 1)


@njit(**jit_options)
def finish_pass(theta, w_start, n_in, n_out, blocks, X, order, signals):
    """Return when the pass last started is done: with a crew, after running what
    the helpers have not claimed of it (nothing to do on one thread)."""
    if signals is None:
        return
    generation = signals[GENERATION]
    work_on_pass(theta, w_start, n_in, n_out, blocks, X, order, signals, generation, 0)
    for chunk in range(chunk_count(n_out) + 1):  # the job's too
        while load_acquire(signals, _done_slot(chunk)) != generation:
            spin_hint()


@njit(**jit_options)
def help_with_passes(
    theta, w_start, n_in, n_out, blocks, X, order, signals, thread, seen, patience
):
    """Helper thread ``thread``'s loop: work on each new pass until the crew stops
    (returns -1) or no pass came for ``patience`` spins (returns the last pass seen,
    to be called again with it after yielding the CPU; ``PATIENCE`` by default)."""
    waited = 0
    while waited < patience:
        if load_acquire(signals, RUNNING) == 0:
            return -1
        generation = load_acquire(signals, GENERATION)
        if generation != seen:
            work_on_pass(
                theta, w_start, n_in, n_out, blocks, X, order, signals, generation, thread
            )
            seen = generation
            waited = 0
        else:
            spin_hint()
            waited += 1
    return seen
