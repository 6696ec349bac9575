"""Time to first fit in a fresh interpreter: import + compile/load kernels + fit."""

from fastbp._bench.compare import first_fit_code


def timeraw_first_fit_warm_cache():
    """fastbp: fresh interpreter, kernels loaded from the on-disk cache."""
    return first_fit_code("fastbp, warm JIT cache")


def timeraw_first_fit_cold_cache():
    """fastbp: fresh interpreter and an empty Numba cache (compiles everything)."""
    return first_fit_code("fastbp, empty JIT cache")


def timeraw_first_fit_sklearn():
    """The same fit with sklearn's MLPClassifier, for the ratios."""
    return first_fit_code("sklearn MLPClassifier")
