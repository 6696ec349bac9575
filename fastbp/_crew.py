"""Helper threads that share the block kernel's passes over the first layer.

The training thread runs the block kernel with the crew's ``signals``; each helper is
a Python thread in :func:`fastbp._kernels.weight_pass.help_with_passes` (compiled,
without the GIL) for as long as the kernel call runs. Python threads, not Numba's
``prange``: the threads wait for each other, so each must be a thread of its own,
which a parallel loop does not promise (it may run its iterations one after the
other, and a spin-wait would then never end).
"""

import os
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
        helpers = [
            threading.Thread(
                target=self._help,
                args=(pass_args, thread, failures),
                name=f"fastbp-crew-{thread}",
                daemon=True,
            )
            for thread in range(1, self.threads)
        ]
        self.signals[RUNNING] = 1
        try:
            for helper in helpers:
                helper.start()
            yield self.signals
        finally:
            self.signals[RUNNING] = 0
            for helper in helpers:
                if helper.ident is not None:
                    helper.join()
        if failures:
            raise failures[0]

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
