"""Time to first fit in a fresh interpreter (import + compile or load kernels + fit), and
each feature's first compile."""

from fastbp._bench.compare import first_fit_code
from fastbp._compile import VARIANTS, first_compile_seconds


def timeraw_first_fit_warm_cache():
    """fastbp: fresh interpreter, kernels built at install (where they are) or loaded
    from the on-disk cache."""
    return first_fit_code("fastbp, warm JIT cache")


def timeraw_first_fit_cold_cache():
    """fastbp: fresh interpreter and an empty Numba cache (compiles what was not built
    at install)."""
    return first_fit_code("fastbp, empty JIT cache")


def timeraw_first_fit_jit_kernels_warm_cache():
    """fastbp with the JIT's kernels (not those built at install), loaded."""
    return first_fit_code("fastbp JIT kernels, warm")


def timeraw_first_fit_jit_kernels_cold_cache():
    """fastbp with the JIT's kernels (not those built at install), compiled."""
    return first_fit_code("fastbp JIT kernels, empty")


def timeraw_first_fit_plain_loop_warm_cache():
    """The floor: the plainest Numba kernel of the step, loaded from the cache."""
    return first_fit_code("plain Numba loop, warm")


def timeraw_first_fit_plain_loop_cold_cache():
    """The floor: the plainest Numba kernel of the step, compiled."""
    return first_fit_code("plain Numba loop, empty")


def timeraw_first_fit_sklearn():
    """The same fit with sklearn's MLPClassifier, for the ratios."""
    return first_fit_code("sklearn MLPClassifier")


class FirstCompile:
    """Seconds each feature's kernels compile for on first use (float64): a fresh
    interpreter with an empty Numba cache, after per-example SGD (which carries
    Numba's start-up); the speed issue's target is 2.5 s per feature."""

    params = [[name for name, _, _ in VARIANTS]]
    param_names = ["variant"]
    timeout = 900

    def track_compile_seconds(self, name):
        return first_compile_seconds(name)

    track_compile_seconds.unit = "s"
