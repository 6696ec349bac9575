"""Shuffled epochs: a Fisher-Yates shuffle of an epoch's order, compiled.

The draws come from the fit's numpy ``Generator``, through its bit generator's C
interface (``bit_generator.ctypes``: the address of ``next_uint64`` and of the
state), each bounded by Lemire's multiply-and-shift method, which rejects a draw
only when its low half falls below ``2**64 mod bound``. numpy's ``shuffle`` masks
32-bit draws and rejects up to half of them, each rejection a mispredicted branch:
at 100,000 rows it took 9.2 ns per element here against 2.2 (docs/architecture.md).
The permutation is then fastbp's own, not ``Generator.shuffle``'s; scikit-learn's
MLP order (a ``RandomState``'s) is shuffled by numpy.
"""

import ctypes
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .._functions import inline_options, jit_options
from .prefetch import prefetch_item

# Each swap's partner is drawn this many positions ahead and its line requested then:
# after an epoch over a large X the order is out of the caches, and each partner was
# a trip to memory (1,000,000 rows: 7.3 -> 2.5 ns per element; docs/architecture.md).
SHUFFLE_AHEAD = 128


class Draws(NamedTuple):
    """A bit generator's C interface, as addresses a kernel calls through."""

    next_uint64: int  # uint64_t next_uint64(void *state)
    state: int  # the bit generator's state


def draws_of(generator):
    """The :class:`Draws` of a numpy ``Generator`` (valid while it lives)."""
    interface = generator.bit_generator.ctypes
    function = ctypes.cast(interface.next_uint64, ctypes.c_void_p).value
    return Draws(function, interface.state_address)


@intrinsic
def _next_uint64(typingctx, function, state):
    """Call ``uint64_t function(void *state)`` at the address ``function``."""
    if not (isinstance(function, types.Integer) and isinstance(state, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        byte_pointer = ir.IntType(8).as_pointer()
        kind = ir.FunctionType(ir.IntType(64), [byte_pointer])
        callee = builder.inttoptr(args[0], kind.as_pointer())
        return builder.call(callee, [builder.inttoptr(args[1], byte_pointer)])

    return types.uint64(function, state), codegen


@intrinsic
def _wide_product(typingctx, a, b):
    """``(high, low)``: the two 64-bit halves of the 128-bit product ``a * b``."""
    if not (a == types.uint64 and b == types.uint64):
        return None

    def codegen(context, builder, signature, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        high = builder.trunc(builder.lshr(product, wide(64)), ir.IntType(64))
        low = builder.trunc(product, ir.IntType(64))
        return context.make_tuple(builder, signature.return_type, [high, low])

    return types.UniTuple(types.uint64, 2)(a, b), codegen


@njit(**inline_options)
def below(draws, bound):
    """A uniform integer in ``[0, bound)`` (``bound >= 1``), Lemire's method."""
    limit = np.uint64(bound)
    high, low = _wide_product(_next_uint64(draws.next_uint64, draws.state), limit)
    if low < limit:
        threshold = (np.uint64(0) - limit) % limit  # 2**64 mod limit
        while low < threshold:
            draw = _next_uint64(draws.next_uint64, draws.state)
            high, low = _wide_product(draw, limit)
    return np.int64(high)


@njit(**inline_options)
def _partner(order, draws, position):
    """The position ``position`` swaps with, uniform in ``[position, n)``; its line
    requested."""
    other = position + below(draws, order.shape[0] - position)
    prefetch_item(order, other)
    return other


@njit(**jit_options)
def shuffle(order, draws):
    """Shuffle ``order`` in place: position ``p`` takes the element at a uniform
    position in ``[p, n)`` (Fisher-Yates, first position first).

    The partners are drawn ``SHUFFLE_AHEAD`` positions before their swap, in the same
    sequence, so the permutation is the plain loop's.
    """
    last = order.shape[0] - 1  # positions 0 .. last - 1 draw a partner
    partners = np.empty(SHUFFLE_AHEAD, np.int64)
    for position in range(min(SHUFFLE_AHEAD, last)):
        partners[position] = _partner(order, draws, position)
    for position in range(last):
        slot = position % SHUFFLE_AHEAD
        other = partners[slot]
        coming = position + SHUFFLE_AHEAD
        if coming < last:
            partners[slot] = _partner(order, draws, coming)
        kept = order[position]
        order[position] = order[other]
        order[other] = kept
