"""Software prefetch: ask the CPU for an example's cache lines before they are read.

In a shuffled epoch the next rows sit at random places in memory; read when their
turn comes, each costs a trip to memory that the step waits for. Prefetched a few
examples ahead, the trips overlap the steps before them (docs/architecture.md).
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# Examples ahead of the current one whose lines are requested: far enough for a trip
# to memory (about 100 ns) to end before the example's turn, on the fastest kernels.
PREFETCH_AHEAD = 8

# Bytes per cache line on the x86-64 and arm64 CPUs fastbp runs on.
LINE_BYTES = 64


@intrinsic
def prefetch(typingctx, array, indices):
    """Request the cache line of ``array[indices]`` (``indices`` a tuple of
    ``array.ndim`` integers) for reading (LLVM's ``llvm.prefetch``: no fault, no
    wait, no effect on results)."""
    if not (
        isinstance(array, types.Array)
        and isinstance(indices, types.UniTuple)
        and isinstance(indices.dtype, types.Integer)
        and indices.count == array.ndim
    ):
        return None

    def codegen(context, builder, signature, args):
        array_type, indices_type = signature.args
        values = context.make_array(array_type)(context, builder, args[0])
        index = [
            context.cast(builder, value, indices_type.dtype, types.intp)
            for value in cgutils.unpack_tuple(builder, args[1])
        ]
        pointer = cgutils.get_item_pointer(context, builder, array_type, values, index)
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        # read (0), keep in every cache level (3), data (1)
        builder.call(
            function, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)]
        )
        return context.get_dummy_value()

    return types.void(array, indices), codegen
