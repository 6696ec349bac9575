"""Per-example SGD whose first-layer weights are read once per block of examples.

Exactly the per-example SGD of :func:`fastbp._kernels.dense.sgd_epoch` (the same
steps, in the same order; results differ only by rounding), arranged so that a wide
first layer costs one pass over its weights per ``BLOCK`` examples instead of one
per example. That pass is what bounds a 784-128-10 network: its 800 KB of float64
weights do not fit in L2, and streaming them from L3 once per example leaves the
FMA units idle.

The first layer's step for example ``m`` is the rank-one update
``W <- decay W - lr d_m x_m^T``. The weights are held as ``scale * V``
(:mod:`fastbp._kernels.lazy_decay`), so the step is a pure rank-one update of V
with ``g_m = (lr / scale_m) d_m``. Then:

- the net inputs of the block's examples are ``V x_m`` for the V at the start of
  the block (computed by the previous block's pass), corrected for the updates of
  the block's earlier examples: ``V_m x_m = V x_m - sum_{l<m} g_l (x_l . x_m)``.
  The dot products are a 4x4 Gram matrix;
- the block's examples are then processed one after the other exactly as in
  ``sgd_epoch`` (:func:`fastbp._kernels.step.above_first_layer`), each one's
  first-layer update kept pending as ``g_m``;
- one pass over V applies the block's pending updates and computes ``V x`` for the
  next block's examples (:mod:`fastbp._kernels.weight_pass`). With a crew of
  threads sharing the pass, it computes them for the block after next, so that
  the next block trains while the pass runs: that block's ``V x`` then lacks the
  updates of the block before it, and is corrected for them with the 4x4 cross
  dot products of the two blocks' inputs, as above.

The L2 term of the loss needs ``||W||^2`` before every example: ``||V||^2`` is
kept up to date from ``||V - g x^T||^2 = ||V||^2 - 2 g.(V x) + ||g||^2 ||x||^2``,
whose ``V x`` and ``||x||^2`` the block already has.
"""

import numpy as np
from numba import njit

from .._functions import jit_options, loss_sum
from . import lazy_decay
from .borrowed import borrowed
from .conventions import BLOCK, SLOTS, weight_of
from .rules import sgd_update
from .step import above_first_layer, example_views
from .weight_pass import finish_pass, prepare_block, start_pass

# A first layer smaller than this many weights stays in L1/L2 anyway, and the
# block's bookkeeping costs about what it saves; digits-sized networks also keep
# the one-example kernel's shorter first compile (docs/architecture.md).
BLOCK_MIN_WEIGHTS = 8192

# The scale is folded into V after a block once it is below SMALLEST_SCALE, so within
# a block it can shrink by up to decay**BLOCK more: at least 1/16 with this bound,
# far from float32's underflow. A smaller decay (learning_rate * alpha > 0.5, an L2
# step that all but erases the weights) runs the one-example kernel.
SMALLEST_BLOCK_DECAY = 0.5


@njit(**jit_options)
def block_sgd_epoch(examples, order, theta, structure, step, buffers, blocks, crew):
    """``sgd_epoch`` without momentum, the first layer in blocks of examples.

    ``buffers`` are :class:`~fastbp._kernels.conventions.ExampleBuffers` (their
    ``dense_row`` unused), ``blocks`` :class:`~fastbp._kernels.conventions.BlockBuffers`;
    ``crew`` is None (one thread) or the signals of helper threads that share each
    pass over the first layer (:mod:`fastbp._kernels.weight_pass`; same results);
    ``step.decay`` must be at least ``SMALLEST_BLOCK_DECAY``. Returns
    ``(data_loss, penalty)`` as ``sgd_epoch``.
    """
    # Views without reference counts: the per-example slices take none.
    theta = borrowed(theta)
    structure = borrowed(structure)
    buffers = borrowed(buffers)
    X, Y, sample_weights = borrowed(examples)
    outs, deltas = buffers.outs, buffers.deltas
    _, products, pending, grams, crosses, current = borrowed(blocks)
    learning_rate, decay, alpha = step.learning_rate, step.decay, step.alpha
    sizes, weight_offsets, bias_offsets, unit_offsets = (
        structure.sizes,
        structure.weight_offsets,
        structure.bias_offsets,
        structure.unit_offsets,
    )
    n_in = sizes[0]
    n_out = sizes[1]
    w_start = weight_offsets[0]
    biases = theta[bias_offsets[0] : bias_offsets[0] + n_out]
    views = example_views(structure, outs, deltas)
    first_net, _, _ = views
    first_delta = deltas[unit_offsets[0] : unit_offsets[1]]
    squared = buffers.squared if alpha != 0.0 else None
    zero = theta.dtype.type(0)
    one = theta.dtype.type(1)
    scale, norm = lazy_decay.start(theta, structure, alpha)
    losses = (0.0, 1.0)  # (total, likelihood): _functions.add_unit_loss
    penalty = 0.0
    n_examples = order.shape[0]
    n_blocks = -(-n_examples // BLOCK)
    if n_blocks == 0:
        return 0.0, penalty
    # Pass k applies block k's steps and computes block k + lead's products, then
    # block k + 1 is trained. On one thread (lead 1) that is the serial order. With
    # a crew (lead 2) block k + 1 is trained while the helpers run pass k: its
    # products are those of the V before block k, corrected for block k's steps
    # with the rows' cross dot products, as each example's are for its block's
    # earlier steps with the Gram matrix. Passes -lead..-1 (no steps: pending is
    # 0) give the first blocks' products; each pass prepares the block after the
    # one it computes products of (weight_pass). Block b is in slot b % SLOTS of
    # the rows, b % 2 of the steps and products (Python's modulo for b < 0).
    lead = 1 if crew is None else 2
    for side in range(2):
        for m in range(BLOCK):
            for j in range(n_out):
                pending[side, m, j] = zero
    # np.int64(0), not 0: a literal argument compiles the callee once more.
    first = np.int64(0)
    prepare_block(X, order, first, blocks, first, n_in, None)
    for block_index in range(-lead, n_blocks):
        side = block_index % 2
        if block_index >= 0:
            slot = block_index % SLOTS
            gram = grams[slot]
            cross = crosses[slot]
            before = pending[1 - side]
            steps = pending[side]
            block_start = block_index * BLOCK
            count = min(BLOCK, n_examples - block_start)
            for m in range(count):
                i = order[block_start + m]
                # Row by row, so that each correction is one vector loop.
                for j in range(n_out):
                    current[j] = products[side, m, j]
                if crew is not None:  # lead 2 (a test on an argument: pruned if None)
                    for low in range(BLOCK):
                        c = cross[low, m]
                        row = before[low]
                        for j in range(n_out):
                            current[j] -= row[j] * c
                for low in range(m):
                    c = gram[low, m]
                    row = steps[low]
                    for j in range(n_out):
                        current[j] -= row[j] * c
                for j in range(n_out):
                    first_net[j] = biases[j] + scale * current[j]
                if squared is not None:
                    squared[0] = scale * scale * norm
                losses = above_first_layer(
                    theta, structure, outs, deltas, views, Y[i],
                    weight_of(sample_weights, i),
                    step, squared, None, losses,
                )  # fmt: skip
                for j in range(n_out):
                    biases[j] = sgd_update(biases[j], one, learning_rate * first_delta[j])
                scale *= decay
                g_scale = learning_rate / scale
                along = 0.0
                size = 0.0
                for j in range(n_out):
                    g = g_scale * first_delta[j]
                    steps[m, j] = g
                    along += g * current[j]
                    size += g * g
                if squared is not None:
                    norm += size * gram[m, m] - 2.0 * along
                    penalty += 0.5 * alpha * squared[0]
            for m in range(count, BLOCK):
                for j in range(n_out):
                    steps[m, j] = zero
        if block_index > -lead:
            finish_pass(theta, w_start, n_in, n_out, blocks, X, order, crew)
        if scale < lazy_decay.SMALLEST_SCALE:
            # Fold between passes, with what is in V's units and not yet applied.
            for m in range(BLOCK):
                for j in range(n_out):
                    pending[side, m, j] *= scale
                    if crew is not None:
                        products[1 - side, m, j] *= scale
            scale, norm = lazy_decay.fold(theta, structure, scale, norm, None)
        ahead = (block_index + lead + 1) * BLOCK
        load = ahead if ahead < n_examples else -1
        pass_slots = (
            block_index % SLOTS, (block_index + lead) % SLOTS, side,
            (block_index + lead) % 2, load,
        )  # fmt: skip
        start_pass(theta, w_start, n_in, n_out, blocks, X, order, pass_slots, crew)
    finish_pass(theta, w_start, n_in, n_out, blocks, X, order, crew)
    if scale != one:
        lazy_decay.fold(theta, structure, scale, norm, None)
    return loss_sum(losses), penalty
