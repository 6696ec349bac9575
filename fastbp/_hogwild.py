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

from ._block_kernel import block_sgd_epoch
from ._functions import inline_options, jit_options
from ._kernels import _copy, sgd_epoch

# Parts per thread of a Hogwild epoch: handed out one at a time, so that a thread
# slowed down (by a noisy neighbour on a shared machine) takes fewer of them.
HOGWILD_PARTS_PER_THREAD = 8

# Examples a thread trains on its replica between two merges. On workload C's
# network (784-128-10, 2 threads, one process), 64 examples gave 1.67x the serial
# examples/s and 256 gave 1.96x, both within half a point of the serial run's test
# accuracy after 2 epochs (bench --scale: 1.82x and 1.86x, -0.25 and -0.23 points;
# sharing the weights directly: 1.34x). The other threads' steps reach a thread's
# replica at most this many examples late.
MERGE_EXAMPLES = 256

# Rows of a thread's replicas: its own theta, and theta as of its last merge.
REPLICA_ROWS = 2


@njit(**inline_options)
def _merge(shared, local, base):
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


@njit(parallel=True, **jit_options)
def hogwild_epoch(
    X,
    Y,
    order,
    sample_weight,
    theta,
    network,
    learning_rate,
    decay,
    alpha,
    outs,
    deltas,
    rows,
    momentum,
    blocks,
    replicas,
    n_threads,
):
    """One epoch of lock-free parallel per-example SGD (see the module's docstring).

    ``order`` is cut into ``n_threads * HOGWILD_PARTS_PER_THREAD`` contiguous parts,
    handed out to the threads one at a time (the caller sets Numba's thread count and
    a parallel chunk size of 1: set in here, they would make the kernel uncachable).
    A thread ``t`` (its Numba thread id, below ``n_threads``) starts each part from
    the shared ``theta`` copied into its replicas, ``replicas[t]`` (``REPLICA_ROWS``
    rows of theta's size), and runs the serial kernel (the same per-example step,
    not a copy of it) on its replica in runs of ``MERGE_EXAMPLES`` examples,
    merging after each run (:func:`_merge`). Merges from different threads race,
    so results are not bit-reproducible.

    With ``momentum`` (``replicas`` is then unused), the threads step the shared
    ``theta`` and velocity directly, as in the original Hogwild!: a velocity is a
    state, not a sum of steps, so two threads' changes to it cannot be merged by
    adding them (that doubles it), and a thread-local velocity measured worse
    test accuracy on digits.

    The serial kernel is :func:`fastbp._kernels.sgd_epoch` with ``outs[t]``,
    ``deltas[t]`` and ``rows[t]`` if ``blocks`` is None. Otherwise ``blocks`` holds
    per-thread :func:`fastbp._block_kernel.block_buffers` (each array with a leading
    thread axis) and the kernel is :func:`fastbp._block_kernel.block_sgd_epoch`
    (without momentum; the ``scale`` of its first layer is the replica's own, so
    L2 is allowed). Returns the summed ``(data_loss, penalty)`` of all parts.
    """
    n_parts = n_threads * HOGWILD_PARTS_PER_THREAD
    n_examples = order.shape[0]
    losses = np.zeros(n_parts)
    penalties = np.zeros(n_parts)
    for part in prange(n_parts):
        start = part * n_examples // n_parts
        stop = (part + 1) * n_examples // n_parts
        t = get_thread_id()
        step_args = (learning_rate, decay, alpha, outs[t], deltas[t])
        if momentum is not None:
            result = sgd_epoch(
                X, Y, order[start:stop], sample_weight, theta, network, *step_args,
                rows[t], momentum,
            )  # fmt: skip
            losses[part], penalties[part] = result
        else:
            local = replicas[t, 0]
            base = replicas[t, 1]
            # base from local, not from theta a second time: another thread's merge
            # in between would look like this thread's own steps, and be undone.
            _copy(local, theta)
            _copy(base, local)
            for first in range(start, stop, MERGE_EXAMPLES):
                run = order[first : min(first + MERGE_EXAMPLES, stop)]
                part_args = (X, Y, run, sample_weight, local, network)
                if blocks is None:
                    result = sgd_epoch(*part_args, *step_args, rows[t], None)
                else:
                    buffers = (
                        blocks[0][t], blocks[1][t], blocks[2][t], blocks[3][t],
                        blocks[4][t],
                    )  # fmt: skip
                    result = block_sgd_epoch(*part_args, *step_args, buffers)
                losses[part] += result[0]
                penalties[part] += result[1]
                _merge(theta, local, base)
    return losses.sum(), penalties.sum()
