"""Numba's thread pool, entered safely from any Python thread.

Numba's ``workqueue`` threading layer (the only one every machine has) aborts the
interpreter when two Python threads launch parallel kernels at once, as a threaded
``GridSearchCV`` over ``n_jobs=2`` models does. :func:`parallel_threads` serialises
launches while the layer in use is not thread-safe, and warns once when a launch had
to wait; with ``tbb`` or ``omp`` the launches run concurrently.
"""

import threading
import warnings
from contextlib import contextmanager

import numba

# Layers that may be entered by several Python threads at once (Numba's docs).
THREAD_SAFE_LAYERS = ("tbb", "omp")

_launch_lock = threading.Lock()
_warned = False


def _layer_is_thread_safe():
    """Whether the threading layer in use is thread-safe (False before the first
    launch has chosen one: the first launch is serialised too)."""
    try:
        return numba.threading_layer() in THREAD_SAFE_LAYERS
    except ValueError:  # no parallel kernel launched yet
        return False


@contextmanager
def parallel_threads(threads):
    """Run the block's parallel kernel on ``threads`` threads, one chunk per item.

    Both settings belong to the calling thread (set and restored here). Launches
    from several Python threads run one at a time while the threading layer is not
    thread-safe, with a ``UserWarning`` the first time one had to wait.
    """
    serialise = not _layer_is_thread_safe()
    if serialise and not _launch_lock.acquire(blocking=False):
        _launch_lock.acquire()  # another thread's launch first
        if _layer_is_thread_safe():  # that launch chose a thread-safe layer
            _launch_lock.release()
            serialise = False
        else:
            _warn_serialised()
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        with numba.parallel_chunksize(1):
            yield
    finally:
        numba.set_num_threads(previous)
        if serialise:
            _launch_lock.release()


def _warn_serialised():
    global _warned
    if _warned:
        return
    _warned = True
    warnings.warn(
        "Several threads trained with n_jobs > 1 at once, but Numba's "
        f"'{numba.threading_layer()}' threading layer is not thread-safe, so "
        "their threaded epochs run one at a time. Install tbb (pip install tbb) or "
        "use a thread-safe NUMBA_THREADING_LAYER ('tbb' or 'omp') to run them "
        "concurrently, or set n_jobs=1 on the estimator in a threaded search.",
        UserWarning,
        stacklevel=4,
    )
