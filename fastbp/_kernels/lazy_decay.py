"""The lazy L2 decay of the first layer: its weights held as ``scale * V``.

Every per-example step decays every weight by ``decay = 1 - learning_rate * alpha``.
Kernels whose first layer is not read in full every example (sparse rows) or is
updated once per block of examples (the block kernel) hold the first layer's block
as ``scale * V``: the decay of all of it is ``scale <- decay * scale``, and the step
of the SGD rule ``w <- decay * w - g`` becomes ``V <- V - g / scale`` at the new
scale. ``||V||^2`` (for the loss's L2 term ``scale^2 ||V||^2``) is kept by the
kernel as it updates V. Once the scale falls below :data:`SMALLEST_SCALE` it is
folded into V (one pass) to keep V's precision, and it is folded at the end of the
call, so that theta holds the plain weights between calls.
"""

from numba import njit

from .._functions import inline_options, jit_options
from .layers import multiply

SMALLEST_SCALE = 1e-6


@njit(**inline_options)
def first_block(theta, structure):
    """View of the first layer's weight block (``V``) in theta."""
    sizes, weight_offsets = structure.sizes, structure.weight_offsets
    return theta[weight_offsets[0] : weight_offsets[0] + sizes[0] * sizes[1]]


@njit(**jit_options)
def start(theta, structure, alpha):
    """``(scale, ||V||^2)`` at the start of a call: 1, and the norm if ``alpha > 0``."""
    norm = 0.0
    if alpha != 0.0:
        block = first_block(theta, structure)
        for k in range(block.shape[0]):
            norm += block[k] * block[k]
    return theta.dtype.type(1), norm


@njit(**jit_options)
def fold(theta, structure, scale, norm, copy):
    """Fold ``scale`` into V (and into ``copy`` of V's entries, if not None).

    Returns the new ``(scale, ||V||^2)``: 1 and ``scale^2 ||V||^2``. A call, not
    inlined: it runs once per many examples.
    """
    multiply(first_block(theta, structure), scale)
    if copy is not None:
        multiply(copy, scale)
    return theta.dtype.type(1), norm * scale * scale
