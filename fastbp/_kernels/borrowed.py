"""Borrowed arrays: a kernel's own views of its arguments, without reference counts.

Every slice a Numba function takes of an array (``theta[a:b]``, ``X[i]``), and every
array it passes to an inlined function, takes a reference to the array's owner with
an atomic increment and gives it back with an atomic decrement, both calls into
Numba's runtime. A per-example step takes dozens of slices; on a 2-4-1 network those
pairs cost about a third of the step (docs/architecture.md). A kernel's arguments outlive
the call, so its views need no references of their own: :func:`borrowed` gives the
kernel the same arrays with no owner, and Numba then compiles their slices without
reference counts.

A borrowed array must not outlive the arguments it was borrowed from: kernels
borrow at their top and never return or store what they borrowed.
"""

from numba import types
from numba.extending import intrinsic


def _borrow(context, builder, value_type, value):
    """``value`` with every array in it (recursively through tuples) unowned."""
    if isinstance(value_type, types.Array):
        source = context.make_array(value_type)(context, builder, value)
        view = context.make_array(value_type)(context, builder)
        # A new proxy is zero-filled: meminfo and parent stay NULL, no owner to count.
        for field in ("nitems", "itemsize", "data", "shape", "strides"):
            setattr(view, field, getattr(source, field))
        return view._getvalue()
    if isinstance(value_type, types.BaseTuple):
        members = [
            _borrow(context, builder, member_type, builder.extract_value(value, index))
            for index, member_type in enumerate(value_type.types)
        ]
        return context.make_tuple(builder, value_type, members)
    # A scalar or None; a returned value is a new reference, so count one if it has
    # an owner (none of the kernels' arguments do).
    context.nrt.incref(builder, value_type, value)
    return value


def _has_array(value_type):
    if isinstance(value_type, types.Array):
        return True
    if isinstance(value_type, types.BaseTuple):
        return any(_has_array(member) for member in value_type.types)
    return False


@intrinsic
def borrowed(typingctx, value):
    """``value`` (an array, a tuple or named tuple of them, or None) with every array
    replaced by a view of the same memory that holds no reference.

    Reading and writing go to the same memory; slices of a borrowed array cost no
    reference counting. Valid while the arrays it was borrowed from live (for a
    kernel: the call).
    """
    if not (_has_array(value) or isinstance(value, types.NoneType)):
        return None

    def codegen(context, builder, signature, args):
        return _borrow(context, builder, signature.args[0], args[0])

    return value(value), codegen
