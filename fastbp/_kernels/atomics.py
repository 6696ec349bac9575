"""Atomic loads, stores and compare-and-swap on int64 arrays, and a spin-wait hint.

Numba has no atomics: a plain load in a waiting loop may be hoisted out of it, and
plain stores may be reordered around the data they announce. These intrinsics emit
LLVM's atomic instructions, so that threads running compiled code can hand work to
each other through flags in an int64 array (:mod:`fastbp._kernels.split`).
"""

import platform

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# The CPU's spin-wait hint: it saves power and, on x86, the pipeline flush of a
# mispredicted exit from the waiting loop.
# (Numba's JIT has no assembler for inline asm: LLVM's target intrinsics instead.)
_X86 = ("x86_64", "AMD64")
_ARM = ("aarch64", "arm64")


def _flag_pointer(context, builder, array_type, array, index, index_type):
    """Pointer to ``array[index]`` (1-D int64, no wraparound)."""
    values = context.make_array(array_type)(context, builder, array)
    position = context.cast(builder, index, index_type, types.intp)
    return cgutils.get_item_pointer(context, builder, array_type, values, [position])


def _is_flags(array, index):
    return (
        isinstance(array, types.Array)
        and array.ndim == 1
        and array.dtype == types.int64
        and isinstance(index, types.Integer)
    )


@intrinsic
def load_acquire(typingctx, flags, index):
    """``flags[index]``, read atomically: what its writer wrote before storing it with
    :func:`store_release` is visible after."""
    if not _is_flags(flags, index):
        return None

    def codegen(context, builder, signature, args):
        pointer = _flag_pointer(context, builder, signature.args[0], args[0], args[1],
                                signature.args[1])  # fmt: skip
        return builder.load_atomic(pointer, "acquire", 8)

    return types.int64(flags, index), codegen


@intrinsic
def store_release(typingctx, flags, index, value):
    """``flags[index] = value``, atomically, after every write before it."""
    if not (_is_flags(flags, index) and isinstance(value, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        pointer = _flag_pointer(context, builder, signature.args[0], args[0], args[1],
                                signature.args[1])  # fmt: skip
        number = context.cast(builder, args[2], signature.args[2], types.int64)
        builder.store_atomic(number, pointer, "release", 8)
        return context.get_dummy_value()

    return types.void(flags, index, value), codegen


@intrinsic
def compare_and_swap(typingctx, flags, index, expected, value):
    """Atomically ``flags[index] = value`` if it holds ``expected``; True if it did.

    Acquire and release: the winner sees what was written before ``expected`` was
    stored, and its own earlier writes are visible to whoever reads ``value``.
    """
    integers = isinstance(expected, types.Integer) and isinstance(value, types.Integer)
    if not (_is_flags(flags, index) and integers):
        return None

    def codegen(context, builder, signature, args):
        pointer = _flag_pointer(context, builder, signature.args[0], args[0], args[1],
                                signature.args[1])  # fmt: skip
        old = context.cast(builder, args[2], signature.args[2], types.int64)
        new = context.cast(builder, args[3], signature.args[3], types.int64)
        outcome = builder.cmpxchg(pointer, old, new, "acq_rel", "acquire")
        return builder.extract_value(outcome, 1)

    return types.boolean(flags, index, expected, value), codegen


@intrinsic
def spin_hint(typingctx):
    """Tell the CPU the thread is spinning on a flag (x86 ``pause``, arm ``yield``)."""

    def codegen(context, builder, signature, args):
        machine = platform.machine()
        module = builder.module
        if machine in _X86:
            pause = cgutils.get_or_insert_function(
                module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse2.pause"
            )
            builder.call(pause, [])
        elif machine in _ARM:
            i32 = ir.IntType(32)
            hint = cgutils.get_or_insert_function(
                module, ir.FunctionType(ir.VoidType(), [i32]), "llvm.aarch64.hint"
            )
            builder.call(hint, [i32(1)])  # 1: YIELD
        return context.get_dummy_value()

    return types.void(), codegen
