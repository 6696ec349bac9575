"""Software prefetch: ask the CPU for an example's cache lines before they are read.

In a shuffled epoch the next rows sit at random places in memory; read when their
turn comes, each costs a trip to memory that the step waits for. Prefetched a few
examples ahead, the trips overlap the steps before them (docs/architecture.md).
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# Two requests per example (docs/architecture.md): its lines into the L2 cache
# PREFETCH_FAR examples ahead, so that many trips to memory are in flight at once
# (the L2 tracks more of them than the L1), then into the L1 PREFETCH_AHEAD examples
# ahead, from the L2, just before its turn.
PREFETCH_FAR = 16
PREFETCH_AHEAD = 4

# Bytes per cache line on the x86-64 and arm64 CPUs fastbp runs on.
LINE_BYTES = 64
LINE_SHIFT = LINE_BYTES.bit_length() - 1  # address >> LINE_SHIFT: its line


# llvm.prefetch locality: 3 keeps the line in every cache level (on x86-64,
# prefetcht0: into the L1), 2 in the L2 and beyond (prefetcht1).
EVERY_LEVEL = 3
L2_AND_BEYOND = 2


def _request(builder, pointer, locality):
    """Emit ``llvm.prefetch`` of the line at ``pointer``: read (0), ``locality``,
    data (1). No fault, no wait, no effect on results."""
    byte_pointer = ir.IntType(8).as_pointer()
    i32 = ir.IntType(32)
    # declare_intrinsic names it as this llvmlite's pointers require (.p0 or .p0i8).
    function = builder.module.declare_intrinsic(
        "llvm.prefetch",
        [byte_pointer],
        ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
    )
    builder.call(
        function, [builder.bitcast(pointer, byte_pointer), i32(0), i32(locality), i32(1)]
    )


def _example_prefetch(name, locality, doc):
    """An intrinsic ``name(X, Y, sample_weights, i)`` that requests example ``i``'s
    lines with ``locality``: every line of row ``X[i]``, and those of ``Y[i, 0]`` and
    ``sample_weights[i]`` (``X`` and ``Y`` 2-D, rows contiguous; none for empty
    ``sample_weights``, unit weights).

    An intrinsic, not an inlined function: an inlined call's array arguments cost
    a reference-count pair each per call (docs/architecture.md).
    """

    def prefetch(typingctx, X, Y, sample_weights, i):
        arrays_fit = (
            isinstance(X, types.Array)
            and X.ndim == 2
            and isinstance(Y, types.Array)
            and Y.ndim == 2
            and isinstance(sample_weights, types.Array)
            and sample_weights.ndim == 1
        )
        if not (arrays_fit and isinstance(i, types.Integer)):
            return None

        def codegen(context, builder, signature, args):
            X_type, Y_type, weights_type, i_type = signature.args
            row = context.cast(builder, args[3], i_type, types.intp)
            zero = context.get_constant(types.intp, 0)
            values = context.make_array(X_type)(context, builder, args[0])
            intp = context.get_value_type(types.intp)
            start = builder.ptrtoint(
                cgutils.get_item_pointer(context, builder, X_type, values, [row, zero]),
                intp,
            )
            n_columns = cgutils.unpack_tuple(builder, values.shape)[1]
            row_bytes = builder.mul(
                n_columns, context.get_constant(types.intp, X_type.dtype.bitwidth // 8)
            )
            # Every line the row touches, from the one holding its first byte to the
            # one holding its last: a row that does not start a line spans one more
            # line than its length in lines (numpy's large arrays start 16 bytes
            # into a line, so every row of 64-byte multiples does).
            shift = context.get_constant(types.intp, LINE_SHIFT)
            one = context.get_constant(types.intp, 1)
            last = builder.sub(builder.add(start, row_bytes), one)
            first_line = builder.lshr(start, shift)
            n_lines = builder.add(builder.sub(builder.lshr(last, shift), first_line), one)
            line_start = builder.inttoptr(
                builder.shl(first_line, shift), ir.IntType(8).as_pointer()
            )
            line = context.get_constant(types.intp, LINE_BYTES)
            with cgutils.for_range(builder, n_lines) as loop:
                _request(
                    builder,
                    builder.gep(line_start, [builder.mul(loop.index, line)]),
                    locality,
                )
            targets = context.make_array(Y_type)(context, builder, args[1])
            _request(
                builder,
                cgutils.get_item_pointer(context, builder, Y_type, targets, [row, zero]),
                locality,
            )
            weights = context.make_array(weights_type)(context, builder, args[2])
            n_weights = cgutils.unpack_tuple(builder, weights.shape)[0]
            # Unit weights are an empty array (conventions.examples_of): no line.
            with builder.if_then(builder.icmp_signed(">", n_weights, zero), likely=True):
                _request(
                    builder,
                    cgutils.get_item_pointer(
                        context, builder, weights_type, weights, [row]
                    ),
                    locality,
                )
            return context.get_dummy_value()

        return types.void(X, Y, sample_weights, i), codegen

    prefetch.__name__ = prefetch.__qualname__ = name
    prefetch.__doc__ = doc
    return intrinsic(prefetch)


@intrinsic
def prefetch_item(typingctx, array, i):
    """Request the line of ``array[i]`` (1-D) into every cache level."""
    if not (
        isinstance(array, types.Array) and array.ndim == 1 and isinstance(i, types.Integer)
    ):
        return None

    def codegen(context, builder, signature, args):
        array_type, i_type = signature.args
        values = context.make_array(array_type)(context, builder, args[0])
        index = context.cast(builder, args[1], i_type, types.intp)
        pointer = cgutils.get_item_pointer(context, builder, array_type, values, [index])
        _request(builder, pointer, EVERY_LEVEL)
        return context.get_dummy_value()

    return types.void(array, i), codegen


prefetch_example = _example_prefetch(
    "prefetch_example",
    EVERY_LEVEL,
    "Request example ``i``'s lines into every cache level (the L1 too).",
)
prefetch_example_far = _example_prefetch(
    "prefetch_example_far",
    L2_AND_BEYOND,
    "Request example ``i``'s lines into the L2 cache and beyond, not the L1.",
)
