"""Helper threads that share the block kernel's passes over the first layer.

The training thread runs the block kernel with the crew's ``signals``; each helper is
a Python thread in :func:`fastbp._kernels.weight_pass.help_with_passes` (compiled,
without the GIL) for as long as the kernel call runs. Python threads, not Numba's
``prange``: the threads wait for each other, so each must be a thread of its own,
which a parallel loop does not promise (it may run its iterations one after the
other, and a spin-wait would then never end).
"""

import os
import signal
import threading
from contextlib import contextmanager

from ._aligned import aligned_rows
from ._kernels.weight_pass import (
    GENERATION,
    PATIENCE,
    RUNNING,
    THREADS,
    help_with_passes,
    signal_slots,
)


class Crew:
    """``threads - 1`` helper threads for the passes of one fit's block epochs.

    Parameters
    ----------
    n_hidden : int
        Units of the first layer (rows of the pass).
    threads : int
        Threads of the crew, the training thread included (2 or more).

    Attributes
    ----------
    patience : int
        Spins a helper waits for the next pass before it yields its CPU.
    """

    def __init__(self, n_hidden, threads):
        self.threads = threads
        self.patience = PATIENCE
        self.signals = aligned_rows((signal_slots(n_hidden),), "int64")  # zeroed
        self.signals[THREADS] = threads

    @contextmanager
    def running(self, theta, structure, blocks, X, order):
        """Run the helpers for the block; yields the ``signals`` the kernel takes.

        On leaving (a return, an exception, Ctrl-C in the training thread), the
        helpers are told to stop and joined; an exception in a helper is raised here.
        """
        sizes = structure.sizes
        pass_args = (
            theta,
            structure.weight_offsets[0],
            sizes[0],
            sizes[1],
            blocks,
            X,
            order,
        )
        failures = []
        began = [threading.Event() for _ in range(1, self.threads)]
        ended = [threading.Event() for _ in range(1, self.threads)]
        helpers = [
            threading.Thread(
                target=self._begin_and_help,
                args=(began[thread - 1], ended[thread - 1], pass_args, thread, failures),
                name=f"fastbp-crew-{thread}",
                daemon=True,
            )
            for thread in range(1, self.threads)
        ]
        launched = 0
        self.signals[RUNNING] = 1
        try:
            for helper in helpers:
                launched += 1
                helper.start()
            yield self.signals
        finally:
            self.signals[RUNNING] = 0
            _join_helpers(helpers[:launched], began[:launched], ended[:launched])
        if failures:
            raise failures[0]

    def _begin_and_help(self, began, ended, pass_args, thread, failures):
        try:
            began.set()
            self._help(pass_args, thread, failures)
        finally:
            ended.set()

    def _help(self, pass_args, thread, failures):
        seen = int(self.signals[GENERATION])
        try:
            while seen >= 0:
                seen = help_with_passes(
                    *pass_args, self.signals, thread, seen, self.patience
                )
                if seen >= 0:  # no pass for a while: let another thread have the CPU
                    os.sched_yield()
        except BaseException as error:  # reported in the training thread
            failures.append(error)


# Seconds to wait for a helper whose start() a Ctrl-C interrupted: its thread has
# begun within microseconds if it was created at all.
_START_WAIT = 1.0


def _join_helpers(helpers, began, ended):
    """Join every helper whose ``start()`` was called, even one whose start a Ctrl-C
    interrupted (the thread may begin after ``start()`` has raised), and through a
    Ctrl-C meanwhile, raised once all have ended: no helper outlives the kernel call.

    A helper has ended when its ``ended`` event is set, not when ``join()`` returns:
    CPython 3.11's ``join``, interrupted by a Ctrl-C, marks a thread that is still
    running as stopped (its bpo-45274 fix), and joins it no more. So a Ctrl-C
    meanwhile is deferred (:func:`_interrupts_deferred`), and the events decide.
    """
    with _interrupts_deferred():
        for helper, has_begun, has_ended in zip(helpers, began, ended):
            if has_begun.wait(_START_WAIT):
                has_ended.wait()
                helper.join()


@contextmanager
def _interrupts_deferred():
    """A Ctrl-C (SIGINT) during the block is handled when the block ends, by the
    handler that was in place (Python's raises KeyboardInterrupt then).

    In the main thread, where Python runs signal handlers, a handler that only
    records the signal stands in meanwhile: whichever thread the system delivers
    the signal to, no KeyboardInterrupt can land inside the block. Elsewhere, or
    when the handler was not set from Python, the block runs as it is.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield
        return
    received = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(signal.SIGINT, received[-1])
            elif previous == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)
