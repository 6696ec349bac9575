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
  next block's examples.

The L2 term of the loss needs ``||W||^2`` before every example: ``||V||^2`` is
kept up to date from ``||V - g x^T||^2 = ||V||^2 - 2 g.(V x) + ||g||^2 ||x||^2``,
whose ``V x`` and ``||x||^2`` the block already has.
"""

from numba import njit

from .._functions import jit_options, loss_sum
from . import lazy_decay
from .borrowed import borrowed
from .conventions import BLOCK
from .rules import sgd_update
from .step import above_first_layer, example_views
from .weight_pass import first_layer_pass, prepare_block

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
    x_blocks, products, pending, grams, current = borrowed(blocks)
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
    losses = (0.0, 1.0)  # (total, likelihood): _functions.add_example_loss
    penalty = 0.0
    n_examples = order.shape[0]
    n_blocks = -(-n_examples // BLOCK)
    if n_blocks == 0:
        return 0.0, penalty
    # Block b's rows and Gram matrix are in slot b % 3 of x_blocks and gram, its
    # products in b % 2 (Python's modulo: block -1 is in slots 2 and 1). Pass b
    # applies block b's updates, computes block b + 1's products and prepares block
    # b + 2 (weight_pass); block -1 has no example, so pass -1 applies no update.
    prepare_block(X, order, 0, x_blocks[0], grams[0], n_in)
    for block_index in range(-1, n_blocks):
        side = block_index % 2
        slot = block_index % 3
        gram = grams[slot]
        block_start = block_index * BLOCK
        count = min(BLOCK, n_examples - block_start) if block_index >= 0 else 0
        for m in range(count):
            i = order[block_start + m]
            for j in range(n_out):
                q = products[side, m, j]
                for low in range(m):
                    q -= pending[low, j] * gram[low, m]
                current[j] = q
                first_net[j] = biases[j] + scale * q
            if squared is not None:
                squared[0] = scale * scale * norm
            losses = above_first_layer(
                theta, structure, outs, deltas, views, Y[i], sample_weights[i], step,
                squared, None, losses,
            )  # fmt: skip
            for j in range(n_out):
                biases[j] = sgd_update(biases[j], one, learning_rate * first_delta[j])
            scale *= decay
            g_scale = learning_rate / scale
            along = 0.0
            size = 0.0
            for j in range(n_out):
                g = g_scale * first_delta[j]
                pending[m, j] = g
                along += g * current[j]
                size += g * g
            if squared is not None:
                norm += size * gram[m, m] - 2.0 * along
                penalty += 0.5 * alpha * squared[0]
        for m in range(count, BLOCK):
            for j in range(n_out):
                pending[m, j] = zero
        # The next block's products (stale rows after the last block: unused).
        after_next = block_start + 2 * BLOCK
        load = after_next if after_next < n_examples else -1
        pass_slots = (slot, (block_index + 1) % 3, 1 - side, load)
        first_layer_pass(theta, w_start, n_in, n_out, blocks, X, order, pass_slots, crew)
        if scale < lazy_decay.SMALLEST_SCALE:
            for m in range(BLOCK):
                for j in range(n_out):
                    products[1 - side, m, j] *= scale
            scale, norm = lazy_decay.fold(theta, structure, scale, norm, None)
    if scale != one:
        lazy_decay.fold(theta, structure, scale, norm, None)
    return loss_sum(losses), penalty
