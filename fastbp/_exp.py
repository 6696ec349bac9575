"""``exp`` for the kernels' activations, in plain arithmetic that LLVM vectorises.

Numba lowers ``np.exp`` to a call of the C library's scalar ``exp`` (this llvmlite
has no vector maths library), so a loop over a layer's units runs one call per
unit. This ``exp`` is Cody and Waite's reduction ``x = n ln 2 + r`` and a degree-13
Taylor polynomial of ``e^r`` (``|r| <= ln(2) / 2``), scaled by ``2^n`` built from its
bits: within 1 ulp of the C library's over the whole range (``tests/test_exp.py``),
with its overflow to inf, gradual underflow to 0, and NaN in, NaN out.
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

# 1/k! for k = 13 down to 0.
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


# Not inlined into the caller's Numba IR, whose fast-math flags (reassoc) would let
# LLVM undo the two-part reduction; LLVM inlines it, each instruction keeping its own.
@njit(cache=True, nogil=True, fastmath={"contract"})
def exp(x):
    """``e^x`` in float64 (a float32 ``x`` is widened): within 1 ulp of ``np.exp``."""
    x = np.float64(x)
    clamped = x
    if clamped > 710.0:  # selects, not branches: the caller's loop vectorises
        clamped = 710.0
    if clamped < -746.0:
        clamped = -746.0
    n = np.floor(clamped * LOG2E + 0.5)
    if n != n:  # NaN: r carries it to the result
        n = 0.0
    r = (clamped - n * LN2_HI) - n * LN2_LO
    p = _C13
    p = p * r + _C12
    p = p * r + _C11
    p = p * r + _C10
    p = p * r + _C9
    p = p * r + _C8
    p = p * r + _C7
    p = p * r + _C6
    p = p * r + _C5
    p = p * r + _C4
    p = p * r + _C3
    p = p * r + _C2
    p = p * r + 1.0
    p = p * r + 1.0
    # 2^n in two factors, each a normal float for every n in [-1076, 1025].
    half = np.floor(n * 0.5)
    low = _float_of_bits(np.int64(half + 1023.0) * EXPONENT_ONE)
    high = _float_of_bits(np.int64(n - half + 1023.0) * EXPONENT_ONE)
    result = p * low * high
    if x > OVERFLOW:
        result = np.inf
    return result
