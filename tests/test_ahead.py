"""Kernels built ahead of time (fastbp._ahead): the JIT's weights, only where they fit."""

import json
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from sklearn.datasets import load_digits

from fastbp import (
    FastBPClassifier,
    FastBPRegressor,
    _ahead,
    _objective,
    _trainers,
    _training,
)


def _can_build():
    """What numba.pycc needs here: a working C and C++ compiler, Python's headers."""
    import sysconfig
    import warnings
    from pathlib import Path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycc's pending deprecation
        from numba.pycc.platform import external_compiler_works

        works = external_compiler_works()
    return works and (Path(sysconfig.get_paths()["include"]) / "Python.h").exists()


pytestmark = pytest.mark.skipif(
    not _can_build(), reason="numba.pycc needs a C compiler and Python's headers"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ahead")
    done = subprocess.run(
        [sys.executable, *_ahead.BUILD_COMMAND, str(directory)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return directory


@pytest.fixture
def use(monkeypatch):
    """``use(kernels)``: fits in this test run ``kernels`` (None: the JIT's)."""
    return lambda kernels: monkeypatch.setattr(_ahead, "installed", lambda: kernels)


def no_jit(*args):
    raise AssertionError("a JIT kernel ran")


def fits(X, y):
    weights = []
    for dtype in (np.float64, np.float32):
        Xd = X.astype(dtype)
        for model in (
            FastBPClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0),
            FastBPClassifier(hidden_layer_sizes=(16,), max_iter=2, shuffle=False),
            FastBPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=1),
        ):
            target = y.astype(float) if isinstance(model, FastBPRegressor) else y
            model.set_params(random_state=0).fit(Xd, target, sample_weight=None)
            weights += [w.copy() for w in model.coefs_ + model.intercepts_]
            weights += [model.predict(Xd), model.predict(Xd[:3])]
        weighted = FastBPClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0)
        weighted.fit(Xd, y, sample_weight=np.linspace(0.5, 2.0, y.shape[0]))
        weights += [w.copy() for w in weighted.coefs_] + [weighted.predict_proba(Xd)]
    return weights


def test_built_kernels_fit_and_predict_as_the_jits_bit_for_bit(built, use, monkeypatch):
    X, y = load_digits(return_X_y=True)
    X, y = X[:400] / 16.0, y[:400]
    use(None)
    jit = fits(X, y)
    use(_ahead.load(built))
    monkeypatch.setattr(_trainers, "sgd_epoch", no_jit)
    monkeypatch.setattr(_training, "shuffle_order", no_jit)
    monkeypatch.setattr(_objective, "predict_outputs", no_jit)
    ahead = fits(X, y)
    assert len(ahead) == len(jit)
    for a, b in zip(ahead, jit):
        np.testing.assert_array_equal(a, b)


def test_other_argument_types_run_the_jit_kernels(built):
    kernels = _ahead.load(built)
    for dtype in _ahead.DTYPES:
        args = _ahead._recorded_arguments(dtype)["sgd_epoch"]
        assert kernels.get("sgd_epoch", args) is getattr(
            kernels.module, f"sgd_epoch_{dtype}"
        )
        X = args[0].X.copy()
        X.flags.writeable = False  # a read-only X is another Numba type
        assert kernels.get("sgd_epoch", (args[0]._replace(X=X), *args[1:])) is None
        fortran = np.asfortranarray(np.ones((3, 2), dtype))
        assert kernels.get("sgd_epoch", (args[0]._replace(X=fortran), *args[1:])) is None
        assert kernels.get("sgd_epoch", args[:-1]) is None
    # Momentum, sparse rows, mini-batches and threads are the JIT's (not built).
    X, y = load_digits(return_X_y=True)
    model = FastBPClassifier(hidden_layer_sizes=(4,), momentum=0.9, max_iter=1)
    model.fit(X[:50] / 16.0, y[:50])


def test_built_kernels_release_the_gil(built):
    # Fits in threads run side by side only if the kernels release the GIL, as the
    # JIT's do (nogil): the main thread keeps running while a built epoch runs.
    args = _ahead._recorded_arguments("float64")["sgd_epoch"]
    order = np.tile(args[1], 200_000)  # 4,000,000 steps of a tiny network
    epoch = _ahead.load(built).get("sgd_epoch", args)
    run = threading.Thread(target=epoch, args=(args[0], order, *args[2:]))
    ticks = 0
    run.start()
    while run.is_alive():
        ticks += 1
        time.sleep(0.001)
    run.join()
    assert ticks > 10  # a kernel holding the GIL: 0-1


@pytest.mark.parametrize("field", ["sources", "cpu", "features", "numba"])
def test_a_build_for_other_code_or_another_machine_is_not_used(built, tmp_path, field):
    for path in built.iterdir():
        shutil.copy(path, tmp_path)
    assert _ahead.load(tmp_path) is not None
    stamp = json.loads((tmp_path / _ahead.STAMP).read_text())
    stamp[field] = "something else"
    (tmp_path / _ahead.STAMP).write_text(json.dumps(stamp))
    assert _ahead.load(tmp_path) is None


def test_no_build_or_a_build_turned_off_runs_the_jit(built, tmp_path, monkeypatch):
    assert _ahead.load(tmp_path) is None  # nothing built there
    shutil.copy(built / _ahead.STAMP, tmp_path)
    assert _ahead.load(tmp_path) is None  # a stamp without its library
    monkeypatch.setenv("FASTBP_AHEAD", "0")
    _ahead.installed.cache_clear()
    try:
        assert _ahead.installed() is None
        assert _ahead.kernel("sgd_epoch", ()) is None
    finally:
        _ahead.installed.cache_clear()


def test_each_call_of_a_trainer_is_checked(built, use, monkeypatch):
    # A trainer's order could change type between calls: a strided one is the JIT's.
    from fastbp import _base

    use(_ahead.load(built))
    trainers = []
    train = _base.train
    monkeypatch.setattr(
        _base, "train", lambda trainer, *a, **k: trainers.append(trainer) or train(
            trainer, *a, **k)
    )  # fmt: skip
    X, y = load_digits(return_X_y=True)
    FastBPClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(X[:100] / 16.0, y[:100])
    jit_calls = []
    monkeypatch.setattr(_trainers, "sgd_epoch", lambda *a: jit_calls.append(a) or (0, 0))
    trainers[0].run(np.arange(100), 0.01)  # the built kernel's types
    assert jit_calls == []
    trainers[0].run(np.arange(200)[::2], 0.01)
    assert len(jit_calls) == 1


def test_the_install_runs_the_build_command():
    # setuptools loads _build.py on its own (fastbp cannot be imported yet): it keeps
    # a copy of the command. Read, not imported: it needs a recent setuptools.
    import ast

    tree = ast.parse((_ahead.PACKAGE / "_build.py").read_text())
    copies = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id == "_BUILD"
    ]
    assert copies == [_ahead.BUILD_COMMAND]
