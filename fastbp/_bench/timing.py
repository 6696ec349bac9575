"""Timing helpers shared by the benchmarks: interleaved rounds and their summaries."""

import time

import numpy as np


def median_range(values):
    return f"{np.median(values):,.2f}  [{min(values):,.2f}, {max(values):,.2f}]"


def alternating_seconds(fits, rounds):
    """Seconds of each of two ``fits`` per round, run in alternating order (AB BA AB...).

    Each then follows itself as often as the other, so neither always inherits the
    caches another fit left behind.
    """
    seconds = ([], [])
    for round_ in range(rounds):
        for index in (0, 1) if round_ % 2 == 0 else (1, 0):
            started = time.perf_counter()
            fits[index]()
            seconds[index].append(time.perf_counter() - started)
    return seconds
