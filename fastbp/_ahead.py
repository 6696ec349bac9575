"""Kernels built ahead of time: the default fit's machine code, compiled at install.

Numba compiles a kernel on its first call, seconds that a new environment's first fit
pays (docs/architecture.md, "Measuring"). ``pip install`` builds the per-example
SGD kernel, the shuffle and the prediction (float64 and float32, dense rows) into the
extension module ``fastbp._ahead_kernels`` with ``numba.pycc``, for this machine's
CPU; a call whose arguments have exactly the types they were built for runs them, any
other the JIT kernels. The same source compiled the same way: the weights and
outputs are the JIT's, bit for bit (tests/test_ahead.py).

They are used only while they describe this machine and this code: the stamp written
beside them (``_ahead_kernels.json``) records the CPU name and features, the Numba
version and a hash of the kernels' sources; any difference, or no module (no C
compiler at install, or an editable install, which does not build them), and fits
use the JIT kernels.
"""

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

MODULE = "_ahead_kernels"
STAMP = MODULE + ".json"
PACKAGE = Path(__file__).resolve().parent
# The files the built kernels compile from.
SOURCES = ("_functions.py", "_exp.py", "_kernels")
DTYPES = ("float64", "float32")


def sources_hash(package=PACKAGE):
    """SHA-256 of the kernels' source files, in a fixed order."""
    digest = hashlib.sha256()
    for name in SOURCES:
        path = package / name
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(package).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def machine():
    """What built code must match: the CPU's name and features, Numba's version."""
    import llvmlite.binding as llvm
    import numba

    return {
        "cpu": llvm.get_host_cpu_name(),
        "features": llvm.get_host_cpu_features().flatten(),
        "numba": numba.__version__,
    }


def type_key(value):
    """A JSON-able key of ``value``'s Numba type, cheap to compute per call.

    Arrays: dtype, dimensions, C-contiguity, writeability and alignment (all that
    Numba's array type holds); tuples, named or not: their class and items' keys;
    anything else: its Python type. Equal keys are equal Numba types.
    """
    kind = type(value)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(value, np.ndarray):
        flags = value.flags
        return [value.dtype.str, value.ndim, flags.c_contiguous, flags.writeable,
                flags.aligned]  # fmt: skip
    if isinstance(value, tuple):
        return [name, [type_key(item) for item in value]]
    return name


class Kernels:
    """The built kernels of one module and stamp: ``get(name, args)`` is the built
    function for arguments of exactly the recorded types, else None."""

    def __init__(self, module, keys):
        self.module = module
        self.keys = keys

    def get(self, name, args):
        wanted = type_key(tuple(args))
        for built_name, key in self.keys.items():
            if built_name.startswith(name) and key == wanted:
                return getattr(self.module, built_name)
        return None


def load(directory=PACKAGE, package=PACKAGE):
    """The :class:`Kernels` built in ``directory``, or None if there are none or they
    do not match this machine or ``package``'s sources."""
    stamp_path = Path(directory) / STAMP
    try:
        stamp = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        return None
    expected = dict(machine(), sources=sources_hash(package))
    if {k: stamp.get(k) for k in expected} != expected:
        return None
    candidates = sorted(Path(directory).glob(MODULE + ".*"))
    library = next((p for p in candidates if p.suffix in (".so", ".pyd")), None)
    if library is None:
        return None
    spec = importlib.util.spec_from_file_location(f"fastbp.{MODULE}", library)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except (ImportError, OSError):  # e.g. built against another numpy
        return None
    return Kernels(module, stamp["kernels"])


@functools.cache
def installed():
    """The kernels built at install (:func:`load` of the package), once per process;
    ``FASTBP_AHEAD=0`` turns them off."""
    if os.environ.get("FASTBP_AHEAD", "1") == "0":
        return None
    return load()


def kernel(name, args):
    """The built kernel ``name`` for ``args``, or None: the caller runs the JIT's."""
    kernels = installed()
    return None if kernels is None else kernels.get(name, args)


@contextlib.contextmanager
def jit_only():
    """Fits inside run the JIT's kernels (``fastbp compile`` fills their cache)."""
    module = sys.modules[__name__]
    saved = module.installed
    module.installed = lambda: None
    try:
        yield
    finally:
        module.installed = saved


def _recorded_arguments(dtype):
    """The arguments a default per-example fit of ``dtype`` and its ``predict_proba``
    pass to the shuffle, ``sgd_epoch`` and ``predict_outputs``, recorded without
    running (or compiling) any of them."""
    from . import FastBPClassifier, _objective, _trainers, _training

    calls = {}

    def record(name, result=None):
        def recorder(*args):
            calls.setdefault(name, args)
            return result

        return recorder

    def outputs(X, theta, structure, activations, result):
        calls.setdefault("predict_outputs", (X, theta, structure, activations, result))
        result[:] = 1.0 / result.shape[1]

    patched = {
        (_trainers, "sgd_epoch"): record("sgd_epoch", (0.0, 0.0)),
        (_training, "shuffle_order"): record("shuffle"),
        (_objective, "predict_outputs"): outputs,
    }
    saved = {place: getattr(*place) for place in patched}
    for (module, name), recorder in patched.items():
        setattr(module, name, recorder)
    try:
        with jit_only(), warnings.catch_warnings():  # not an installed build's
            warnings.simplefilter("ignore")
            X = np.random.default_rng(0).normal(size=(20, 3)).astype(dtype)
            model = FastBPClassifier(hidden_layer_sizes=(2,), max_iter=1)
            model.fit(X, np.arange(20) % 3).predict_proba(X)
    finally:
        for (module, name), function in saved.items():
            setattr(module, name, function)
    return calls


# What the install (_build.py) and the tests run in a new interpreter, with the
# directory after it.
BUILD_COMMAND = ("-c", "import sys; from fastbp._ahead import build; build(sys.argv[1])")


def build(directory):
    """Compile the kernels into ``directory`` (``_ahead_kernels`` and its stamp).

    Needs a C compiler (``numba.pycc`` links the module). Run at install
    (:mod:`fastbp._build`); tests build into a temporary directory.
    """
    import numba
    from numba.core import types

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycc's pending deprecation
        import numba.pycc.compiler as pycc_compiler
        from numba.pycc import CC

    from ._kernels.batch import predict_outputs
    from ._kernels.dense import _dense_kernel
    from ._kernels.shuffle import shuffle

    compiler = CC(MODULE, __name__)
    compiler.output_dir = str(directory)
    compiler.target_cpu = "host"
    keys = {}

    def export(built_name, function, result, args):
        compiler.export(built_name, result(*(numba.typeof(a) for a in args)))(function)
        keys[built_name] = type_key(tuple(args))

    epoch = _dense_kernel(plain=True)
    for dtype in DTYPES:
        calls = _recorded_arguments(dtype)
        export(f"sgd_epoch_{dtype}", epoch, types.UniTuple(types.float64, 2),
               calls["sgd_epoch"])  # fmt: skip
        export(f"predict_outputs_{dtype}", predict_outputs.py_func, types.none,
               calls["predict_outputs"])  # fmt: skip
    export("shuffle", shuffle.py_func, types.none, calls["shuffle"])  # any dtype's

    # The kernels release the GIL as the JIT's do (nogil): pycc builds its own flags
    # and has no option for it (docs/architecture.md).
    class ReleasingFlags(pycc_compiler.Flags):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.release_gil = True

    plain_flags = pycc_compiler.Flags
    pycc_compiler.Flags = ReleasingFlags
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiler.compile()
    finally:
        pycc_compiler.Flags = plain_flags
    stamp = dict(machine(), sources=sources_hash(), kernels=keys)
    (Path(directory) / STAMP).write_text(json.dumps(stamp))
