"""What Numba did during a block of code: seconds compiling or loading kernels."""

from contextlib import contextmanager

from numba.core import event


@contextmanager
def jit_activity():
    """Record Numba's work inside the ``with`` block.

    Yields a list that holds, once the block has ended, ``(seconds, compiled)``:
    the time Numba held its compiler lock (which it holds to compile and to load
    from the disk cache, nested holds counted once) and whether it compiled.
    """
    result = []
    with (
        event.install_recorder("numba:compiler_lock") as locked,
        event.install_recorder("numba:compile") as compiled,
    ):
        yield result
    result[:] = [_seconds_within(locked.buffer), bool(compiled.buffer)]


def _seconds_within(events):
    """Seconds inside the recorded ``(time, event)`` start/end pairs (nested pairs
    counted once)."""
    total, depth, began = 0.0, 0, 0.0
    for when, happened in events:
        if happened.is_start:
            if depth == 0:
                began = when
            depth += 1
        elif happened.is_end and depth > 0:
            depth -= 1
            if depth == 0:
                total += when - began
    return total
