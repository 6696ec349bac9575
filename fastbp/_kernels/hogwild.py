"""Hogwild!: lock-free per-example SGD on several threads sharing one ``theta``.

Each thread trains on a replica of the parameters that it keeps to itself, and every
``MERGE_EXAMPLES`` examples adds what it learned since its last merge into the shared
vector, without locks, then carries on from the shared state (which includes the
other threads' merges). This is Hogwild! (Niu et al., 2011) with the writes to the
shared vector batched per thread, as HogWild++ (Zhang, Hsieh and Akella, 2016) does
between the sockets of a machine, and for the same reason: when every example writes
every first-layer weight (a dense input), two cores writing the same shared weights
after each example keep moving the same cache lines between them, and that traffic,
not the arithmetic, bounds the epoch. A replica stays in its core's cache.
"""

import numpy as np
from numba import get_thread_id, njit, prange

from .._functions import inline_options, jit_options
from .conventions import ExampleBuffers
from .dense import optimizer_epoch, sgd_epoch
from .layers import copy

# Parts per thread of a Hogwild epoch: handed out one at a time, so that a thread
# slowed down (by a noisy neighbour on a shared machine) takes fewer of them.
HOGWILD_PARTS_PER_THREAD = 8

# Examples a thread trains on its replica between two merges: judged by time to
# accuracy, not examples/s (docs/architecture.md). The other threads' steps reach a
# thread's replica at most this many examples late.
MERGE_EXAMPLES = 64

# Rows of a thread's replicas: its own theta, and theta as of its last merge.
REPLICA_ROWS = 2


@njit(**inline_options)
def merge(shared, local, base):
    """``shared += local - base`` (lock-free), then ``local = base = shared``.

    ``base`` is the shared state the thread last merged, so ``local - base`` is what
    its own steps changed since. A weight that no other thread changed since then
    (``shared == base``) takes the local value as it is: a single thread, or one
    whose part of the weights nobody else touches, merges without rounding.
    """
    for k in range(shared.shape[0]):
        value = local[k]
        current = shared[k]  # read once: another thread may write it meanwhile
        if current != base[k]:
            value = current + (value - base[k])
        shared[k] = value
        local[k] = value
        base[k] = value


@njit(**inline_options)
def thread_buffers(buffers, thread):
    """Thread ``thread``'s :class:`ExampleBuffers` of per-thread buffers."""
    return ExampleBuffers(
        buffers.outs[thread], buffers.deltas[thread], buffers.dense_row[thread],
        buffers.squared[thread],
    )  # fmt: skip


@njit(parallel=True, **jit_options)
def hogwild_epoch(examples, order, theta, structure, step, buffers, optimizer, replicas):
    """One epoch of lock-free parallel per-example SGD (see the module's docstring).

    ``buffers`` hold one set per thread, along their leading axis; the threads are
    as many. ``order`` is cut into ``threads * HOGWILD_PARTS_PER_THREAD``
    contiguous parts, handed out to the threads one at a time (the caller sets
    Numba's thread count and a parallel chunk size of 1: set in here, they would
    make the kernel uncachable). A thread (its
    Numba thread id, below the thread count) starts each part from the shared
    ``theta`` copied into its replicas, ``replicas[thread]`` (``REPLICA_ROWS`` rows
    of theta's size), and runs the serial kernel (the same per-example step, not a
    copy of it) on its replica in runs of ``MERGE_EXAMPLES`` examples, merging
    after each run (:func:`merge`). Merges from different threads race, so results
    are not bit-reproducible.

    With an ``optimizer`` state (``replicas`` is then unused), the threads step the
    shared ``theta`` and state directly, as in the original Hogwild!: a velocity is a
    state, not a sum of steps, so two threads' changes to it cannot be merged by
    adding them (that doubles it).

    The serial kernel is :func:`fastbp._kernels.dense.optimizer_epoch` with an
    ``optimizer``, else :func:`fastbp._kernels.dense.sgd_epoch`. (Where the block
    kernel runs, threads share its passes instead: :mod:`fastbp._crew`.) Returns
    the summed ``(data_loss, penalty)`` of all parts.
    """
    n_threads = buffers.outs.shape[0]
    n_parts = n_threads * HOGWILD_PARTS_PER_THREAD
    n_examples = order.shape[0]
    # np.empty and plain loops, not np.zeros and .sum(): in a parallel kernel each of
    # those is a parallel loop of its own, a launch of the thread pool per epoch and
    # about 1.2 s of compile (docs/architecture.md).
    losses = np.empty(n_parts)
    penalties = np.empty(n_parts)
    for part in prange(n_parts):
        part_start = part * n_examples // n_parts
        part_stop = (part + 1) * n_examples // n_parts
        thread = get_thread_id()
        own = thread_buffers(buffers, thread)
        if optimizer is not None:
            result = optimizer_epoch(
                examples, order[part_start:part_stop], theta, structure, step, own,
                optimizer,
            )  # fmt: skip
            losses[part], penalties[part] = result
        else:
            local = replicas[thread, 0]
            base = replicas[thread, 1]
            # base from local, not from theta a second time: another thread's merge
            # in between would look like this thread's own steps, and be undone.
            copy(local, theta)
            copy(base, local)
            part_loss = 0.0
            part_penalty = 0.0
            for run_start in range(part_start, part_stop, MERGE_EXAMPLES):
                run = order[run_start : min(run_start + MERGE_EXAMPLES, part_stop)]
                result = sgd_epoch(examples, run, local, structure, step, own, None)
                part_loss += result[0]
                part_penalty += result[1]
                merge(theta, local, base)
            losses[part] = part_loss
            penalties[part] = part_penalty
    data_loss = 0.0
    penalty = 0.0
    for part in range(n_parts):
        data_loss += losses[part]
        penalty += penalties[part]
    return data_loss, penalty
