"""``fastbp compile``: every kernel variant compiled (or loaded) ahead of the first fit.

Numba compiles a kernel on its first call and caches the machine code on disk
(``cache=True``), so the first fit of each feature on a new machine pays its compile.
Running this once, e.g. while building a Docker image or filling a CI cache, pays
them all up front. Each variant is a tiny fit (and predict) of the estimator setting
that selects it, so exactly the signatures real fits use are compiled.
"""

import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

from ._ahead import installed, jit_only
from ._jit_activity import jit_activity

# (name, estimator parameters, data): the settings that select each kernel family.
# "dense" is a 40 x 6 table, "wide" 80 x 64 with a 128-unit first layer (the block
# kernel's size; epochs long enough for threads to share it), "sparse" the dense
# table as CSR.
VARIANTS = (
    ("per-example SGD", dict(), "dense"),
    ("per-example momentum", dict(momentum=0.9), "dense"),
    ("per-example adam", dict(solver="adam"), "dense"),
    ("block kernel (wide first layer)", dict(hidden_layer_sizes=(128,)), "wide"),
    ("Hogwild threads", dict(n_jobs=2), "dense"),
    ("threads sharing the block kernel", dict(n_jobs=2, hidden_layer_sizes=(128,)), "wide"),
    ("Hogwild threads, momentum", dict(n_jobs=2, momentum=0.9), "dense"),
    ("Hogwild threads, adam", dict(n_jobs=2, solver="adam"), "dense"),
    ("mini-batch SGD", dict(batch_size=8), "dense"),
    ("mini-batch momentum", dict(batch_size=8, momentum=0.9), "dense"),
    ("mini-batch adam (sklearn's default)", dict(batch_size=8, solver="adam"), "dense"),
    ("sparse per-example SGD", dict(), "sparse"),
    ("sparse per-example momentum", dict(momentum=0.9), "sparse"),
    ("sparse per-example adam", dict(solver="adam"), "sparse"),
    ("sparse mini-batch SGD", dict(batch_size=8), "sparse"),
    ("sparse mini-batch adam", dict(batch_size=8, solver="adam"), "sparse"),
    ("L-BFGS", dict(solver="lbfgs"), "dense"),
    ("L-BFGS, sparse", dict(solver="lbfgs"), "sparse"),
)

DTYPES = ("float64", "float32")


def _data(kind, dtype):
    from scipy.sparse import csr_matrix

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 64) if kind == "wide" else (40, 6)).astype(dtype)
    y = (X[:, 0] > 0).astype(int)
    return (csr_matrix(X) if kind == "sparse" else X), y


def compile_variant(params, kind, dtype):
    """Fit and predict one variant with the JIT's kernels (not those built at
    install, :mod:`fastbp._ahead`); returns ``(seconds, compiled)``: the time Numba
    held its compiler lock (compiling, or loading from the cache) and whether it
    compiled anything."""
    from . import FastBPClassifier

    X, y = _data(kind, dtype)
    settings = dict(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    settings.update(params)
    with jit_activity() as jit, warnings.catch_warnings(), jit_only():
        warnings.simplefilter("ignore")
        FastBPClassifier(**settings).fit(X, y).predict_proba(X)
    return tuple(jit)


# Run in a fresh interpreter by first_compile_seconds (arguments: variant, dtype).
_FIRST_COMPILE = """
import sys
from fastbp._compile import VARIANTS, compile_variant
settings = {name: (params, kind) for name, params, kind in VARIANTS}
name, dtype = sys.argv[1:3]
first = VARIANTS[0][0]
if name != first:  # Numba's own start-up, and the kernels every variant shares
    compile_variant(*settings[first], dtype)
print(compile_variant(*settings[name], dtype)[0])
"""


def first_compile_seconds(name, dtype="float64"):
    """Seconds variant ``name`` compiles for on its first use: in a fresh interpreter
    with an empty Numba cache, after the per-example SGD variant (which carries
    Numba's own start-up and the kernels every fit uses, such as prediction).

    Parameters
    ----------
    name : str
        A variant's name in :data:`VARIANTS`.
    dtype : {"float64", "float32"}, default="float64"

    Returns
    -------
    seconds : float
        The time Numba held its compiler lock during that variant's fit and predict.
    """
    if name not in {variant for variant, _, _ in VARIANTS}:
        raise ValueError(f"unknown variant {name!r}; the variants are in VARIANTS")
    with tempfile.TemporaryDirectory() as cache:
        done = subprocess.run(
            [sys.executable, "-c", _FIRST_COMPILE, name, dtype],
            env=dict(os.environ, NUMBA_CACHE_DIR=cache),
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return float(done.stdout.split()[-1])


def main(dtypes=DTYPES):
    """Compile (or load) every variant in ``dtypes`` and print a line for each."""
    started = time.perf_counter()
    total_compiled = 0.0
    print(f"{'variant':44s}{'dtype':>9s}{'seconds':>9s}  what")
    for dtype in dtypes:
        for name, params, kind in VARIANTS:
            seconds, compiled = compile_variant(params, kind, dtype)
            total_compiled += seconds if compiled else 0.0
            what = "compiled" if compiled else "loaded from the cache"
            print(f"{name:44s}{dtype:>9s}{seconds:>9.2f}  {what}", flush=True)
    import numba

    where = numba.config.CACHE_DIR or "the __pycache__ folders of fastbp's modules"
    print(
        f"\n{total_compiled:.1f} s compiling, {time.perf_counter() - started:.1f} s in "
        f"all; the machine code is cached in {where}."
    )
    built = "were" if installed() is not None else "were not"
    print(
        f"The default fit's kernels (per-example SGD, prediction; dense rows) {built} "
        "built at install for this machine; where they are, fits run them and compile "
        "nothing."
    )
