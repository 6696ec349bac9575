"""``exp`` and ``tanh`` for the kernels' activations, in arithmetic LLVM vectorises.

Numba lowers ``np.exp`` to a call of the C library's scalar ``exp`` (this llvmlite
has no vector maths library), so a loop over a layer's units runs one call per
unit. This ``exp`` is Cody and Waite's reduction ``x = n ln 2 + r`` and a degree-13
Taylor polynomial of ``e^r`` (``|r| <= ln(2) / 2``), scaled by ``2^n`` built from its
bits: within 1 ulp of the C library's over the whole range (``tests/test_exp.py``),
with its overflow to inf, gradual underflow to 0, and NaN in, NaN out. ``tanh`` is
built on its parts (``e^r - 1`` before the 1 is added, so small arguments lose
nothing): within 3 ulp of the C library's (which took 10 ns a call here, against 3.5
for ``exp``).
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

LOG2E = 1.4426950408889634
# ln 2 in two parts: n * LN2_HI is exact for every |n| < 2048 (its low bits are zero).
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
# Where exp(x) overflows (the largest finite result is at 709.78271289338397).
OVERFLOW = 709.782712893384
# 2^52: an int times it is the bits of 2^(that int - 1023).
EXPONENT_ONE = 1 << 52

# 1/k! for k = 13 down to 2 (1/1! is the polynomial's last 1.0).
_C13 = 1.0 / 6227020800.0
_C12 = 1.0 / 479001600.0
_C11 = 1.0 / 39916800.0
_C10 = 1.0 / 3628800.0
_C9 = 1.0 / 362880.0
_C8 = 1.0 / 40320.0
_C7 = 1.0 / 5040.0
_C6 = 1.0 / 720.0
_C5 = 1.0 / 120.0
_C4 = 1.0 / 24.0
_C3 = 1.0 / 6.0
_C2 = 0.5


@intrinsic
def _float_of_bits(typingctx, bits):
    """The float64 whose bits are the int64 ``bits``."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


# Not inlined into the callers' Numba IR, whose fast-math flags (reassoc) would let
# LLVM undo the two-part reduction; LLVM inlines them, each instruction keeping its own.
@njit(cache=True, nogil=True, fastmath={"contract"})
def _exp_parts(x):
    """``(m, low, high)`` with ``e^x = (1 + m) low high``: ``m = e^r - 1`` of the reduced
    argument ``r``, summed without cancellation; ``low high == 1`` exactly when no
    reduction was needed (``n = 0``: ``|x|`` up to ``ln(2) / 2``), and then ``m`` is
    ``e^x - 1``."""
    clamped = x
    if clamped > 710.0:  # selects, not branches: the caller's loop vectorises
        clamped = 710.0
    if clamped < -746.0:
        clamped = -746.0
    n = np.floor(clamped * LOG2E + 0.5)
    if n != n:  # NaN: r carries it to the result
        n = 0.0
    r = (clamped - n * LN2_HI) - n * LN2_LO
    m = _C13
    m = m * r + _C12
    m = m * r + _C11
    m = m * r + _C10
    m = m * r + _C9
    m = m * r + _C8
    m = m * r + _C7
    m = m * r + _C6
    m = m * r + _C5
    m = m * r + _C4
    m = m * r + _C3
    m = m * r + _C2
    m = m * r + 1.0
    m = m * r
    # 2^n in two factors, each a normal float for every n in [-1076, 1025].
    half = np.floor(n * 0.5)
    low = _float_of_bits(np.int64(half + 1023.0) * EXPONENT_ONE)
    high = _float_of_bits(np.int64(n - half + 1023.0) * EXPONENT_ONE)
    return m, low, high


@njit(cache=True, nogil=True, fastmath={"contract"})
def exp(x):
    """``e^x`` in float64 (a float32 ``x`` is widened): within 1 ulp of ``np.exp``."""
    x = np.float64(x)
    m, low, high = _exp_parts(x)
    result = (m + 1.0) * low * high
    if x > OVERFLOW:
        result = np.inf
    return result


# Inlined into the caller's Numba IR (as a call, too large for LLVM to inline, it kept
# the loop scalar): its own few operations take the caller's flags, the reduction in
# _exp_parts keeps its own.
@njit(cache=True, nogil=True, fastmath={"contract"}, inline="always")
def tanh(x):
    """``tanh(x)`` in float64 as ``-t / (2 + t)``, ``t = e^(-2|x|) - 1``, with the sign
    of ``x``: within 3 ulp of ``np.tanh``."""
    x = np.float64(x)
    y = -2.0 * np.abs(x)
    m, low, high = _exp_parts(y)
    t = (m + 1.0) * low * high - 1.0
    if low * high == 1.0:  # n = 0: m is e^y - 1 itself, without cancellation
        t = m
    return np.copysign(np.divide(-t, 2.0 + t), x)
