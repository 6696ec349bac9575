"""Threads that share the block kernel's passes (fastbp._crew): the serial results."""

import signal
import threading

import numpy as np
import pytest
from conftest import make_problem

from fastbp import FastBPClassifier, FastBPRegressor
from fastbp._crew import Crew
from fastbp._kernels import block
from fastbp._kernels.weight_pass import CHUNK_UNITS
from fastbp._trainers import make_trainer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def crew_threads():
    return [t for t in threading.enumerate() if t.name.startswith("fastbp-crew")]


@pytest.fixture
def every_layer_in_blocks(monkeypatch):
    monkeypatch.setattr("fastbp._trainers.BLOCK_MIN_WEIGHTS", 0)
    monkeypatch.setattr("fastbp._trainers.CREW_MIN_EXAMPLES", 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_hidden", [1, CHUNK_UNITS, 2 * CHUNK_UNITS + 3])
@pytest.mark.parametrize("threads", [2, 3, 5])
def test_a_crew_trains_what_one_thread_trains(
    rng, dtype, n_hidden, threads, every_layer_in_blocks
):
    # Chunks of whole pairs of rows, a last chunk of odd length, a single chunk (the
    # helpers find nothing to claim), more threads than chunks and than cores; L2
    # (lazy decay, and the norm it keeps); calls that end mid-block.
    network, theta, X, Y, sample_weight = make_problem(
        rng, (9, n_hidden, 4, 3), "tanh", "log_loss", "softmax", n_samples=103, dtype=dtype
    )
    results = []
    for n_jobs in (1, threads):
        trained = theta.copy()
        epoch = make_trainer(
            network, trained, X, Y, sample_weight, 1, 0.05, 0.01, None, n_jobs
        )
        assert (epoch.crew is None) == (n_jobs == 1)
        losses = [epoch(order) for order in orders(103, seed=1)]
        results.append((trained, losses))
        assert epoch._replicas is None  # Hogwild never ran: none of its replicas
    # Equal up to the rounding of a row's dot products (weight_pass's docstring).
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=tolerance)
    assert crew_threads() == []


def test_a_crew_trains_what_one_thread_trains_on_inputs_wider_than_a_span(
    rng, every_layer_in_blocks
):
    from fastbp._kernels.weight_pass import input_span

    n_in = input_span(10**6, 8) + 40  # two spans
    network, theta, X, Y, sample_weight = make_problem(
        rng, (n_in, 2 * CHUNK_UNITS + 3, 3), "tanh", "log_loss", "softmax", n_samples=41
    )
    results = []
    for n_jobs in (1, 2):
        trained = theta.copy()
        epoch = make_trainer(
            network, trained, X, Y, sample_weight, 1, 0.05, 0.01, None, n_jobs
        )
        losses = [epoch(order) for order in orders(41, seed=2)]
        results.append((trained, losses))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12)


def orders(n, seed):
    rng = np.random.default_rng(seed)
    return [rng.permutation(n), np.arange(n - 2), rng.permutation(n)[:37]]


def test_the_training_thread_does_every_chunk_when_no_helper_comes(
    rng, every_layer_in_blocks
):
    # A helper that never runs (a vCPU the host took away, a thread not yet
    # started) holds nothing up: the chunks it would have claimed are the training
    # thread's, and the result is the serial one.
    network, theta, X, Y, sample_weight = make_problem(
        rng, (12, 3 * CHUNK_UNITS, 2), "relu", "squared_error", "identity", n_samples=41
    )
    epoch = make_trainer(network, theta.copy(), X, Y, sample_weight, 1, 0.05, 0.001)
    order = rng.permutation(41)
    serial = block.block_sgd_epoch(
        epoch.examples, order, epoch.theta, epoch.structure, epoch.step(0.05),
        epoch.buffers, epoch.blocks, None,
    )  # fmt: skip
    alone = make_trainer(network, theta.copy(), X, Y, sample_weight, 1, 0.05, 0.001)
    crew = Crew(3 * CHUNK_UNITS, threads=4)  # its helpers are never started
    result = block.block_sgd_epoch(
        alone.examples, order, alone.theta, alone.structure, alone.step(0.05),
        alone.buffers, alone.blocks, crew.signals,
    )  # fmt: skip
    np.testing.assert_allclose(result, serial, rtol=1e-12)
    np.testing.assert_allclose(alone.theta, epoch.theta, rtol=1e-12, atol=1e-14)


def test_a_failing_helper_fails_the_fit_and_keeps_the_model(rng, monkeypatch):
    X = rng.normal(size=(300, 100))
    y = (X[:, 0] > 0).astype(int)
    model = FastBPClassifier(hidden_layer_sizes=(96,), n_jobs=2, max_iter=2, random_state=0)
    model.fit(X, y)
    before = [a.copy() for a in model.coefs_ + model.intercepts_]

    def broken(*args):
        raise MemoryError("a helper ran out of memory")

    monkeypatch.setattr("fastbp._crew.help_with_passes", broken)
    with pytest.raises(MemoryError, match="a helper ran out of memory"):
        model.partial_fit(X, y)
    for kept, was in zip(model.coefs_ + model.intercepts_, before, strict=True):
        np.testing.assert_array_equal(kept, was)
    assert crew_threads() == []


@pytest.mark.parametrize("estimator", [FastBPClassifier, FastBPRegressor])
def test_n_jobs_does_not_change_a_wide_networks_fit(rng, estimator):
    # Through the estimators, shuffled epochs, partial_fit after fit: n_jobs only
    # changes how long it takes.
    X = rng.normal(size=(500, 90))
    y = (X[:, :2].sum(axis=1) > 0).astype(int)
    fits = []
    for n_jobs in (1, 2):
        model = estimator(
            hidden_layer_sizes=(100, 7), n_jobs=n_jobs, max_iter=3, random_state=0
        )
        model.fit(X, y)
        model.partial_fit(X, y)
        fits.append(model)
    for one, two in zip(fits[0].coefs_ + fits[0].intercepts_,
                        fits[1].coefs_ + fits[1].intercepts_, strict=True):  # fmt: skip
        np.testing.assert_allclose(one, two, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fits[0].loss_curve_, fits[1].loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("threads", [2, 3])
def test_a_crew_folds_a_small_scale_as_one_thread_does(rng, threads, every_layer_in_blocks):
    # decay = 1 - 0.1 * 5 = 0.5 halves the first layer's scale at every example: it
    # is folded into the weights every 20 examples, between two of the crew's
    # passes, with the steps and products not yet applied (in V's units).
    network, theta, X, Y, sample_weight = make_problem(
        rng, (6, 2 * CHUNK_UNITS + 1, 2), "tanh", "squared_error", "identity",
        n_samples=70,
    )  # fmt: skip
    results = []
    for n_jobs in (1, threads):
        trained = theta.copy()
        epoch = make_trainer(
            network, trained, X, Y, sample_weight, 1, 0.1, 5.0, None, n_jobs
        )
        results.append((trained, epoch(np.arange(70))))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12)


@pytest.mark.parametrize(
    "n_chunks, taken",
    [
        (8, ()),  # a share of OWN_RUN chunks: one run, then all of the helper's
        (8, (3,)),  # the tail of one's own share taken: a shorter run
        (8, (3, 2, 1, 0)),  # all of it taken: only the helper's, from its end
        (8, (4, 5)),  # the helper's first chunks taken by the helper
        (10, ()),  # a share longer than a run: two runs
        (10, (4, 5, 6)),
    ],
)
def test_a_thread_passes_over_what_it_claimed_and_nothing_else(n_chunks, taken):
    # The training thread (0) of a 2-thread crew, with the chunks in `taken` already
    # claimed by the helper (as it claims them: its own share from the start, the
    # training thread's from the end): the training thread runs every other chunk
    # (its own share in runs, then the helper's one by one from the end) as the
    # serial pass does, marks them done, and leaves the taken ones alone.
    from fastbp._kernels.conventions import BlockBuffers
    from fastbp._kernels.weight_pass import (
        GENERATION,
        OWN_RUN,
        _claim_slot,
        _done_slot,
        block_pass,
        start_pass,
        work_on_pass,
    )

    assert OWN_RUN < 5  # (10, ...) has a share of 5 chunks: two runs
    rng = np.random.default_rng(0)
    n_in, n_out = 40, n_chunks * CHUNK_UNITS
    theta = rng.normal(size=n_in * n_out)
    blocks = BlockBuffers.allocate(n_in, n_out, np.float64)
    blocks.x_blocks[:] = rng.normal(size=blocks.x_blocks.shape)
    blocks.pending[:] = rng.normal(size=blocks.pending.shape) * 0.1
    X, order = np.zeros((1, n_in)), np.zeros(1, dtype=np.int64)
    crew = Crew(n_out, threads=2)
    signals = crew.signals
    start_pass(theta, 0, n_in, n_out, blocks, X, order, (0, 1, 0, 1, -1), signals)
    generation = signals[GENERATION]
    for chunk in taken:
        signals[_claim_slot(chunk)] = generation
    expected_theta, expected = theta.copy(), blocks.products[1].copy()
    block_pass(expected_theta, 0, n_in, np.int64(0), n_out, blocks.x_blocks[0],
               blocks.x_blocks[1], blocks.pending[0], expected)  # fmt: skip
    before = theta.copy()
    work_on_pass(theta, 0, n_in, n_out, blocks, X, order, signals, generation, 0)
    for chunk in range(n_chunks):
        rows = slice(chunk * CHUNK_UNITS, (chunk + 1) * CHUNK_UNITS)
        weights = slice(rows.start * n_in, rows.stop * n_in)
        if chunk in taken:
            assert signals[_done_slot(chunk)] != generation
            np.testing.assert_array_equal(theta[weights], before[weights])
            np.testing.assert_array_equal(blocks.products[1][:, rows], 0.0)
        else:
            assert signals[_claim_slot(chunk)] == signals[_done_slot(chunk)] == generation
            np.testing.assert_allclose(theta[weights], expected_theta[weights], rtol=1e-13)
            np.testing.assert_allclose(
                blocks.products[1][:, rows], expected[:, rows], rtol=1e-12
            )
    # The job (no block to load) is the training thread's when no helper took it.
    assert signals[_done_slot(n_chunks)] == generation


def test_ctrl_c_while_a_helper_starts_still_waits_for_it(monkeypatch):
    # Ctrl-C can land in Thread.start() while it waits for the new thread to begin
    # (seen in CI: a helper still starting after the interrupted fit had returned).
    # Here start() hands the start to a timer and raises at once, as that Ctrl-C
    # does: the crew must still wait for the helper and see it end before it leaves.
    import time

    original_start = threading.Thread.start
    ended = []

    def interrupted_start(thread):
        if not thread.name.startswith("fastbp-crew"):
            return original_start(thread)
        threading.Timer(0.05, original_start, (thread,)).start()
        raise KeyboardInterrupt

    def help_and_record(self, *args):
        ended.append(time.perf_counter())

    monkeypatch.setattr(threading.Thread, "start", interrupted_start)
    monkeypatch.setattr(Crew, "_help", help_and_record)
    crew = Crew(n_hidden=4, threads=2)
    structure = make_problem(np.random.default_rng(0), (3, 4, 2), "tanh",
                             "log_loss", "logistic", n_samples=4)[0].structure  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        with crew.running(np.zeros(30), structure, None, None, None):
            pass
    left = time.perf_counter()
    assert len(ended) == 1 and ended[0] <= left
    assert crew_threads() == []


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX signals")
@pytest.mark.parametrize("receiver", ["training thread", "helper"])
def test_ctrl_c_while_joining_a_helper_still_waits_for_it(monkeypatch, receiver):
    # A Ctrl-C that lands while the training thread joins a helper makes CPython 3.11's
    # Thread.join mark the still-running helper as stopped (bpo-45274's fix), so that a
    # second join returns at once (seen in CI: a helper alive, shown as "stopped", after
    # the interrupted fit had returned). Here the helper takes 0.3 s to finish and a
    # real SIGINT reaches the training thread (or, as the system may deliver a Ctrl-C
    # to any thread, the helper) during the join: the crew must still see the helper
    # end before it leaves, and raise the KeyboardInterrupt then.
    import time

    ended = []
    helper_ident = []

    def slow_help(self, *args):
        helper_ident.append(threading.get_ident())
        time.sleep(0.3)
        ended.append(time.perf_counter())

    def interrupt():
        main = threading.main_thread().ident
        signal.pthread_kill(main if receiver == "training thread" else helper_ident[0],
                            signal.SIGINT)  # fmt: skip

    monkeypatch.setattr(Crew, "_help", slow_help)
    crew = Crew(n_hidden=4, threads=2)
    structure = make_problem(np.random.default_rng(0), (3, 4, 2), "tanh",
                             "log_loss", "logistic", n_samples=4)[0].structure  # fmt: skip
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        timer = threading.Timer(0.1, interrupt)
        with pytest.raises(KeyboardInterrupt):
            with crew.running(np.zeros(30), structure, None, None, None):
                timer.start()
        left = time.perf_counter()
        timer.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert signal.getsignal(signal.SIGINT) is previous
    assert len(ended) == 1 and ended[0] <= left
    assert crew_threads() == []
