"""Hogwild!: lock-free per-example SGD on several threads sharing one ``theta``."""

import numpy as np
from numba import get_thread_id, njit, prange

from ._block_kernel import block_sgd_epoch
from ._functions import jit_options
from ._kernels import sgd_epoch

# Parts per thread of a Hogwild epoch: handed out one at a time, so that a thread
# slowed down (by a noisy neighbour on a shared machine) takes fewer of them.
HOGWILD_PARTS_PER_THREAD = 8


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
    n_threads,
):
    """One epoch of lock-free parallel per-example SGD (Hogwild!, Niu et al. 2011).

    ``order`` is cut into ``n_threads * HOGWILD_PARTS_PER_THREAD`` contiguous parts,
    handed out to the threads one at a time (the caller sets Numba's thread count and
    a parallel chunk size of 1: set in here, they would make the kernel uncachable).
    Each thread runs the serial kernel (the same per-example step, not a copy of it)
    on its parts with its own buffers, indexed by its Numba thread id ``t``, all
    threads updating the shared ``theta`` (and velocity) without locks. Updates that
    race overwrite each other, so results are not bit-reproducible.

    The serial kernel is :func:`fastbp._kernels.sgd_epoch` with ``outs[t]``,
    ``deltas[t]`` and ``rows[t]`` if ``blocks`` is None. Otherwise ``blocks`` holds
    per-thread :func:`fastbp._block_kernel.block_buffers` (each array with a leading
    thread axis) and the kernel is :func:`fastbp._block_kernel.block_sgd_epoch`,
    which touches the shared first layer once per block of examples instead of once
    per example: fewer cache lines move between the cores. Only with ``alpha == 0``
    (``decay == 1``): the block kernel holds the weights as ``scale * V``, and a
    scale cannot be private to one thread. Returns the summed
    ``(data_loss, penalty)`` of all parts.
    """
    n_parts = n_threads * HOGWILD_PARTS_PER_THREAD
    n_examples = order.shape[0]
    losses = np.zeros(n_parts)
    penalties = np.zeros(n_parts)
    for part in prange(n_parts):
        start = part * n_examples // n_parts
        stop = (part + 1) * n_examples // n_parts
        t = get_thread_id()
        part_args = (X, Y, order[start:stop], sample_weight, theta, network)
        step_args = (learning_rate, decay, alpha, outs[t], deltas[t])
        if blocks is None:
            result = sgd_epoch(*part_args, *step_args, rows[t], momentum)
        else:
            own = (blocks[0][t], blocks[1][t], blocks[2][t], blocks[3][t], blocks[4][t])
            result = block_sgd_epoch(*part_args, *step_args, own)
        losses[part], penalties[part] = result
    return losses.sum(), penalties.sum()
