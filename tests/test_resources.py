"""Memory: no allocation inside an epoch, no copy of X that is already usable."""

import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

from fastbp import FastBPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize(
    "batch_size,n_features,extra",
    # 600 x 16 first-layer weights are trained in blocks (_kernels/block.py).
    [
        (1, 20, ""),
        (1, 600, ""),
        (16, 20, ""),
        (1, 600, "n_jobs=2"),
        (1, 600, "n_jobs=2, optimizer=optimizer_state('sgd', theta, momentum=0.9)"),
        (1, 600, "optimizer=optimizer_state('adam', theta, learning_rate=1e-3)"),
        (16, 20, "optimizer=optimizer_state('adam', theta, learning_rate=1e-3)"),
        (1, 20, "sparse"),
        (1, 20, "sparse, optimizer=optimizer_state('sgd', theta, momentum=0.9)"),
        (1, 20, "sparse, optimizer=optimizer_state('adam', theta, learning_rate=1e-3)"),
    ],
)
def test_kernels_allocate_nothing_per_example(batch_size, n_features, extra):
    # Numba's own allocator is not seen by tracemalloc: count its allocations in a
    # fresh interpreter with NUMBA_NRT_STATS=1. An epoch of 4000 examples must
    # allocate exactly as much as an epoch of 100 (Hogwild: as a thread's parts).
    sparse = extra.startswith("sparse")
    params = extra.removeprefix("sparse").lstrip(", ")
    code = textwrap.dedent(f"""
        import os
        os.environ["NUMBA_NRT_STATS"] = "1"
        import numpy as np
        from numba.core.runtime import rtsys
        from scipy import sparse
        from fastbp._functions import ACTIVATIONS, LOSSES
        from fastbp._network import Layout, Network, init_theta
        from fastbp._trainers import make_trainer, optimizer_state

        rng = np.random.default_rng(0)
        network = Network(Layout(({n_features}, 16, 8, 3)), ACTIVATIONS["tanh"],
                          ACTIVATIONS["softmax"], LOSSES["log_loss"])
        theta = init_theta(network.layout, np.float64, rng, network.hidden_code)
        X = rng.normal(size=(4000, {n_features}))
        if {sparse}:
            X = sparse.csr_matrix(X * (rng.random(X.shape) < 0.2))
        Y = np.eye(3)[rng.integers(0, 3, 4000)]
        epoch = make_trainer(network, theta, X, Y, np.ones(4000), {batch_size}, 0.01,
                             1e-4, {params})
        order = np.arange(4000)
        if getattr(epoch, "crew", None) is not None:
            # Each call of a helper adopts its arrays (allocations counted here): a
            # helper that waits without yielding calls the kernel once per epoch.
            epoch.crew.patience = 2**62
        epoch(order[:100])

        def allocations(n):
            before = rtsys.get_allocation_stats().alloc
            epoch(order[:n])
            return rtsys.get_allocation_stats().alloc - before

        print(allocations(100), allocations(4000))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    small, large = map(int, out.stdout.split())
    assert small == large


def peak_allocated_during_fit(X, y, **params):
    model = FastBPClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0, **params)
    model.partial_fit(X[:100], y[:100], classes=np.unique(y))  # compile outside
    tracemalloc.start()
    tracemalloc.reset_peak()
    model.fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, model


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [1, 64])
def test_fit_does_not_copy_usable_X(dtype, batch_size):
    rng = np.random.default_rng(0)
    X = rng.random((5000, 400)).astype(dtype)
    y = rng.integers(0, 3, 5000)
    peak, model = peak_allocated_during_fit(X, y, batch_size=batch_size)
    model_bytes = model._theta.nbytes
    # Labels, shuffling order and buffers are small next to X: well under 20% of it.
    assert peak < 0.2 * X.nbytes + 4 * model_bytes, (peak, X.nbytes)


def test_fit_converts_X_at_most_once():
    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.random((5000, 400)))
    y = rng.integers(0, 3, 5000)
    peak, _ = peak_allocated_during_fit(X, y)
    assert X.nbytes <= peak < 1.2 * X.nbytes
