"""Every kernel against the plain-NumPy reference (the seed's equations)."""

from itertools import pairwise

import numba
import numpy as np
import pytest
from conftest import HIDDEN, LOSS_OUTPUTS, make_problem
from scipy import sparse

from fastbp import reference
from fastbp._functions import ACTIVATIONS, LOSSES
from fastbp._kernels import batch, block, dense, hogwild
from fastbp._kernels.conventions import ExampleBuffers, Examples, Momentum, Step
from fastbp._trainers import CREW_MIN_EXAMPLES, make_trainer, optimizer_state


def reference_params(network, theta):
    layout = network.layout
    return [
        (layout.weights(theta, k).copy(), layout.biases(theta, k).copy())
        for k in range(layout.n_weight_layers)
    ]


def flatten(params):
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in params])


def names(network):
    codes = {code: name for name, code in ACTIVATIONS.items()}
    losses = {code: name for name, code in LOSSES.items()}
    return codes[network.hidden_code], codes[network.out_code], losses[network.loss_code]


def random_sizes(rng, n_hidden, out):
    n_out = 3 if out == "softmax" else int(rng.integers(1, 4))
    return (int(rng.integers(1, 6)), *rng.integers(1, 7, n_hidden).tolist(), n_out)


@pytest.mark.parametrize("batch_size", [1, 7, "full"])
@pytest.mark.parametrize("loss,out", LOSS_OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_epoch_matches_reference(rng, hidden, loss, out, batch_size):
    for n_hidden in range(4):
        sizes = random_sizes(rng, n_hidden, out)
        network, theta, X, Y, sample_weight = make_problem(rng, sizes, hidden, loss, out)
        batch = X.shape[0] if batch_size == "full" else batch_size
        check_epoch(rng, network, theta, X, Y, sample_weight, batch, 0.01, 0.01)


def check_epoch(
    rng, network, theta, X, Y, sample_weight, batch, learning_rate, alpha, order=None
):
    """One make_trainer epoch equals the reference's (weights and loss, to 1e-10).

    ``order`` defaults to a random permutation.
    """
    if order is None:
        order = rng.permutation(X.shape[0]).astype(np.int64)
    expected_params, data_loss, penalty = reference.epoch(
        reference_params(network, theta),
        X,
        Y,
        order,
        sample_weight,
        *names(network),
        learning_rate,
        alpha,
        batch,
    )
    expected_loss = data_loss / sample_weight.sum() + penalty / X.shape[0]

    trained = theta.copy()
    epoch = make_trainer(network, trained, X, Y, sample_weight, batch, learning_rate, alpha)
    loss_value = epoch(order)

    expected = flatten(expected_params)
    assert np.isfinite(expected).all()
    assert np.max(np.abs(trained - expected)) <= 1e-10 * np.max(np.abs(expected))
    assert loss_value == pytest.approx(expected_loss, rel=1e-10)
    assert not np.array_equal(trained, theta)


@pytest.fixture
def count_block_epochs(monkeypatch):
    """Every first layer is trained in blocks; returns the list of block epochs run."""
    calls = []
    kernel = block.block_sgd_epoch

    def spy(*args):
        calls.append(args[1].shape[0])  # the examples in order
        return kernel(*args)

    monkeypatch.setattr("fastbp._trainers.BLOCK_MIN_WEIGHTS", 0)
    monkeypatch.setattr("fastbp._trainers.BLOCK_MIN_EXAMPLES", 0)
    monkeypatch.setattr("fastbp._trainers.block_sgd_epoch", spy)
    return calls


@pytest.mark.parametrize("loss,out", LOSS_OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_block_epoch_matches_reference(rng, hidden, loss, out, count_block_epochs):
    # Every number of examples around the block size (the last block partial, a
    # single block, one example), no hidden layer to three, odd and even widths.
    for n_hidden, n_samples in [(0, 9), (1, 1), (1, 23), (2, 4), (3, 6), (1, 3)]:
        sizes = random_sizes(rng, n_hidden, out)
        network, theta, X, Y, sample_weight = make_problem(
            rng, sizes, hidden, loss, out, n_samples=n_samples
        )
        check_epoch(rng, network, theta, X, Y, sample_weight, 1, 0.01, 0.01)
    assert count_block_epochs == [9, 1, 23, 4, 6, 3]


@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_block_epoch_matches_reference_on_a_wide_layer(rng, alpha, count_block_epochs):
    # Wide enough for the two-row pass and its odd last row, many blocks.
    network, theta, X, Y, sample_weight = make_problem(
        rng, (37, 9, 3), "logistic", "log_loss", "softmax", n_samples=101
    )
    check_epoch(rng, network, theta, X, Y, sample_weight, 1, 0.05, alpha)
    assert count_block_epochs == [101]


def test_block_epoch_matches_reference_on_inputs_wider_than_a_span(rng, count_block_epochs):
    # More inputs than one span of the pass (weight_pass.input_span): each row's
    # products are summed over spans, its update applied span by span.
    from fastbp._kernels.weight_pass import input_span

    n_in = 3 * input_span(10**6, 8) + 11  # three spans and a short fourth
    assert input_span(n_in, 8) < n_in
    network, theta, X, Y, sample_weight = make_problem(
        rng, (n_in, 5, 3), "logistic", "log_loss", "softmax", n_samples=13
    )
    check_epoch(rng, network, theta, X, Y, sample_weight, 1, 0.01, 0.01)
    assert count_block_epochs == [13]


def test_block_epoch_folds_a_small_scale(rng, count_block_epochs):
    # decay = 1 - 0.1 * 5 = 0.5 halves the first layer's scale at every example: it
    # falls below SMALLEST_SCALE and is folded into the weights every 20 examples.
    network, theta, X, Y, sample_weight = make_problem(
        rng, (6, 5, 2), "tanh", "squared_error", "identity", n_samples=70
    )
    check_epoch(rng, network, theta, X, Y, sample_weight, 1, 0.1, 5.0)
    assert count_block_epochs == [70]


@pytest.mark.parametrize("alpha", [1.02, 2.0])
def test_steps_that_all_but_erase_the_weights_run_unblocked(rng, alpha, count_block_epochs):
    # learning_rate * alpha = 0.51 and 1: decay is below SMALLEST_BLOCK_DECAY (at 0,
    # the weights could not be held as scale * V at all): the one-example kernel runs.
    network, theta, X, Y, sample_weight = make_problem(
        rng, (6, 5, 2), "tanh", "squared_error", "identity", n_samples=10
    )
    check_epoch(rng, network, theta, X, Y, sample_weight, 1, 0.5, alpha)
    assert count_block_epochs == []


def test_wide_first_layers_are_trained_in_blocks(rng, monkeypatch):
    # Only a first layer of BLOCK_MIN_WEIGHTS or more runs in blocks, only without
    # momentum; with threads, a crew shares its passes (in calls long enough), and
    # Hogwild runs where the block kernel does not.
    ran = []
    kernels = {
        "block_sgd_epoch": block.block_sgd_epoch,
        "sgd_epoch": dense.sgd_epoch,
        "optimizer_epoch": dense.optimizer_epoch,
        "hogwild_epoch": hogwild.hogwild_epoch,
    }

    def spy(name):
        def run(*args):
            crew = name == "block_sgd_epoch" and args[-1] is not None
            ran.append(f"{name}, crew" if crew else name)
            return kernels[name](*args)

        return run

    for name in kernels:
        monkeypatch.setattr(f"fastbp._trainers.{name}", spy(name))
    width = block.BLOCK_MIN_WEIGHTS // 8
    crew_call = CREW_MIN_EXAMPLES
    for sizes, momentum, alpha, n_jobs, n_examples, kernel in [
        ((8, width, 2), 0.0, 1e-4, 1, 8, "block_sgd_epoch"),
        ((8, width, 2), 0.0, 1e-4, 1, 3, "sgd_epoch"),
        ((8, width - 1, 2), 0.0, 1e-4, 1, 8, "sgd_epoch"),
        ((8, width, 2), 0.5, 0.0, 1, 8, "optimizer_epoch"),
        ((8, width, 2), 0.0, 0.0, 2, crew_call, "block_sgd_epoch, crew"),
        ((8, width, 2), 0.0, 1e-4, 2, crew_call, "block_sgd_epoch, crew"),
        ((8, width, 2), 0.0, 1e-4, 2, crew_call - 1, "block_sgd_epoch"),
        ((8, width, 2), 0.0, 1e-4, 2, 3, "sgd_epoch"),
        ((8, width - 1, 2), 0.0, 1e-4, 2, crew_call, "hogwild_epoch"),
        ((8, width, 2), 0.5, 0.0, 2, crew_call, "hogwild_epoch"),
    ]:
        ran.clear()
        network, theta, X, Y, sample_weight = make_problem(
            rng, sizes, "relu", "log_loss", "logistic", n_samples=crew_call
        )
        state = optimizer_state("sgd", theta, momentum=momentum)
        epoch = make_trainer(
            network, theta, X, Y, sample_weight, 1, 0.01, alpha, state, n_jobs
        )
        epoch(np.arange(n_examples))
        assert ran == [kernel]


@pytest.mark.parametrize("batch_size", [1, "1, blocks", 5])
def test_float32_epoch_close_to_float64(rng, batch_size, monkeypatch):
    if batch_size == "1, blocks":
        monkeypatch.setattr("fastbp._trainers.BLOCK_MIN_WEIGHTS", 0)
        batch_size = 1
    network, theta, X, Y, sample_weight = make_problem(
        rng, (4, 6, 5, 2), "tanh", "log_loss", "logistic"
    )
    order = np.arange(X.shape[0], dtype=np.int64)
    results = []
    for dtype in (np.float64, np.float32):
        trained = theta.astype(dtype)
        epoch = make_trainer(
            network,
            trained,
            X.astype(dtype),
            Y.astype(dtype),
            sample_weight.astype(dtype),
            batch_size,
            0.1,
            0.001,
        )
        epoch(order)
        assert trained.dtype == dtype
        results.append(trained)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4, atol=1e-5)


def test_chunks_smaller_than_batch_sum_to_batch_gradient(rng, monkeypatch):
    # A batch larger than the BLAS chunk is processed in several chunks; the update
    # must still be the one step of the whole batch.
    network, theta, X, Y, sample_weight = make_problem(
        rng, (3, 4, 2), "relu", "squared_error", "identity", n_samples=50
    )
    order = rng.permutation(50).astype(np.int64)
    expected_params, _, _ = reference.epoch(
        reference_params(network, theta),
        X,
        Y,
        order,
        sample_weight,
        *names(network),
        0.1,
        0.0,
        50,
    )
    monkeypatch.setattr("fastbp._trainers.CHUNK_ROWS", 8)
    trained = theta.copy()
    make_trainer(network, trained, X, Y, sample_weight, 50, 0.1, 0.0)(order)
    expected = flatten(expected_params)
    assert np.max(np.abs(trained - expected)) <= 1e-10 * np.max(np.abs(expected))


@pytest.mark.parametrize("batch_size", [7, 30])
def test_minibatches_of_consecutive_rows_match_reference(rng, batch_size, monkeypatch):
    # Runs of consecutive rows are used in place (views of X), others copied: an
    # order with both, in chunks of 8 rows, some of whose batches span both kinds.
    monkeypatch.setattr("fastbp._trainers.CHUNK_ROWS", 8)
    network, theta, X, Y, sample_weight = make_problem(
        rng, (5, 6, 3), "tanh", "log_loss", "softmax", n_samples=30
    )
    order = np.concatenate([np.arange(16), rng.permutation(np.arange(16, 30))])
    check_epoch(rng, network, theta, X, Y, sample_weight, batch_size, 0.1, 0.01, order)
    check_epoch(
        rng, network, theta, X, Y, sample_weight, batch_size, 0.1, 0.01, np.arange(30)
    )


@pytest.mark.parametrize("loss,out", LOSS_OUTPUTS)
def test_predict_outputs_match_reference_forward(rng, loss, out):
    network, theta, X, _, _ = make_problem(
        rng, (5, 7, 4, 3), "logistic", loss, out, n_samples=40
    )
    hidden, out_name, _ = names(network)
    params = reference_params(network, theta)
    expected = np.array([reference.forward(params, x, hidden, out_name)[-1] for x in X])
    activations = np.empty(16 * network.layout.n_units)
    outputs = np.empty((40, 3))
    batch.predict_outputs(X, theta, network.structure, activations, outputs)
    np.testing.assert_allclose(outputs, expected, rtol=1e-12, atol=1e-14)


def test_zero_weight_example_takes_no_step(rng):
    # With alpha = 0, a per-example step is scaled by the example's weight, so an
    # example of weight 0 is the same as an example left out.
    network, theta, X, Y, sample_weight = make_problem(
        rng, (3, 4, 1), "tanh", "log_loss", "logistic"
    )
    sample_weight[5] = 0.0
    order = np.arange(X.shape[0], dtype=np.int64)
    with_zero = theta.copy()
    make_trainer(network, with_zero, X, Y, sample_weight, 1, 0.1, 0.0)(order)
    without = theta.copy()
    make_trainer(network, without, X, Y, sample_weight, 1, 0.1, 0.0)(order[order != 5])
    np.testing.assert_array_equal(with_zero, without)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("batch_size", [1, 7, "full"])
@pytest.mark.parametrize("loss,out", LOSS_OUTPUTS)
def test_momentum_epochs_match_reference(rng, loss, out, batch_size, nesterov):
    # Two epochs, so that the velocity carried from the first shapes the second.
    sizes = random_sizes(rng, 2, out)
    network, theta, X, Y, sample_weight = make_problem(rng, sizes, "tanh", loss, out)
    batch = X.shape[0] if batch_size == "full" else batch_size
    params = reference_params(network, theta)
    velocity_ref = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    trained = theta.copy()
    velocity = np.zeros_like(theta)
    epoch = make_trainer(
        network,
        trained,
        X,
        Y,
        sample_weight,
        batch,
        0.01,
        0.01,
        Momentum.of(velocity, 0.9, nesterov),
    )
    for _ in range(2):
        order = rng.permutation(X.shape[0]).astype(np.int64)
        params, _, _ = reference.epoch(
            params,
            X,
            Y,
            order,
            sample_weight,
            *names(network),
            0.01,
            0.01,
            batch,
            momentum=0.9,
            nesterov=nesterov,
            velocity=velocity_ref,
        )
        epoch(order)
    expected = flatten(params)
    assert np.max(np.abs(trained - expected)) <= 1e-10 * np.max(np.abs(expected))
    np.testing.assert_allclose(velocity, flatten(velocity_ref), rtol=1e-8, atol=1e-13)


def adam_reference(params):
    """The reference's Adam state for ``params`` (all zero, t = 0)."""
    zeros = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    return {
        "t": 0, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-6,
        "m": zeros, "v": [(W.copy(), b.copy()) for W, b in zeros],
    }  # fmt: skip


@pytest.mark.parametrize(
    "batch_size,by_weight", [(1, False), (1, True), (7, True), ("full", False)]
)
@pytest.mark.parametrize("loss,out", LOSS_OUTPUTS)
def test_adam_epochs_match_reference(rng, loss, out, batch_size, by_weight):
    # Two epochs in two calls: the moments and the update count carry across calls.
    # Unequal weights with by_weight run batch_size=1 through the mini-batch kernel.
    sizes = random_sizes(rng, 2, out)
    network, theta, X, Y, sample_weight = make_problem(rng, sizes, "tanh", loss, out)
    batch = X.shape[0] if batch_size == "full" else batch_size
    params = reference_params(network, theta)
    adam = adam_reference(params)
    trained = theta.copy()
    state = optimizer_state(
        "adam", trained, beta_1=0.8, beta_2=0.95, epsilon=1e-6, learning_rate=0.01
    )
    epoch = make_trainer(
        network, trained, X, Y, sample_weight, batch, 0.01, 0.01, state,
        by_weight=by_weight,
    )  # fmt: skip
    for _ in range(2):
        order = rng.permutation(X.shape[0]).astype(np.int64)
        params, data_loss, penalty = reference.epoch(
            params, X, Y, order, sample_weight, *names(network), 0.01, 0.01, batch,
            adam=adam, by_weight=by_weight,
        )  # fmt: skip
        loss_value = epoch(order)
    expected = flatten(params)
    assert np.max(np.abs(trained - expected)) <= 1e-10 * np.max(np.abs(expected))
    assert state.updates[0] == adam["t"]
    np.testing.assert_allclose(state.first, flatten(adam["m"]), rtol=1e-8, atol=1e-13)
    np.testing.assert_allclose(state.second, flatten(adam["v"]), rtol=1e-8, atol=1e-15)
    if by_weight:
        assert loss_value == pytest.approx((data_loss + penalty) / len(order), rel=1e-10)


@pytest.mark.parametrize("kernel", ["one example", "momentum"])
def test_hogwild_runs_the_serial_step_on_each_part(rng, kernel):
    # Parts longer than a merge run: without momentum, a thread trains its replica in
    # runs of MERGE_EXAMPLES and merges after each, which on one thread is exact.
    n_parts = hogwild.HOGWILD_PARTS_PER_THREAD
    merge = hogwild.MERGE_EXAMPLES
    network, theta, X, Y, sample_weight = make_problem(
        rng, (4, 5, 3, 2), "tanh", "log_loss", "logistic", n_samples=n_parts * merge + 70
    )
    order = rng.permutation(X.shape[0]).astype(np.int64)
    examples = Examples(X, Y, sample_weight)
    step = Step.of(0.1, 0.01, np.float64)

    def run(threads, parts):
        """Hogwild on ``threads`` threads, or the serial kernel over ``parts``."""
        trained = theta.copy()
        velocity = np.zeros_like(theta)
        momentum = Momentum.of(velocity, 0.9, True) if kernel == "momentum" else None
        pool = max(threads, 1)
        buffers = ExampleBuffers.allocate(network.layout, 0, np.float64, pool)
        rows_per_thread = 0 if momentum else theta.shape[0]
        replicas = np.empty((pool, hogwild.REPLICA_ROWS, rows_per_thread))
        common = (trained, network.structure, step)
        if threads:
            numba.set_num_threads(threads)
            with numba.parallel_chunksize(1):
                losses = hogwild.hogwild_epoch(
                    examples, parts, *common, buffers, momentum, replicas
                )
        else:
            own = hogwild.thread_buffers(buffers, 0)
            losses = np.zeros(2)
            for part in parts:
                losses += (
                    dense.optimizer_epoch(examples, part, *common, own, momentum)
                    if momentum is not None
                    else dense.sgd_epoch(examples, part, *common, own, None)
                )
        return trained, velocity, losses

    def assert_same(parallel, serial):
        # The serial kernel compiled into the parallel loop may sum its fastmath
        # (reassociable) reductions in another order than the serial build (LLVM
        # inlines and vectorises it there on its own terms): equal to rounding, not
        # always to the bit.
        tolerance = 1e-13
        for got, expected in zip(parallel[:2], serial[:2], strict=True):
            np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(parallel[2], serial[2], rtol=1e-14)

    bounds = [k * len(order) // n_parts for k in range(n_parts + 1)]
    run_length = len(order) if kernel == "momentum" else merge
    runs = [
        order[c : min(c + run_length, b)]
        for a, b in pairwise(bounds)
        for c in range(a, b, run_length)
    ]
    assert kernel == "momentum" or len(runs) == 2 * n_parts
    serial = run(0, runs)
    # One thread takes the parts in turn: the serial step on each run of each part.
    assert_same(run(1, order), serial)
    # One example on two threads: every other part is empty.
    assert_same(run(2, order[:1]), run(0, [order[:1]]))


def test_hogwild_merge_adds_both_threads_steps(rng):
    # Since a thread's last merge (base), another thread merged its steps into the
    # shared vector and this thread took its own on its replica (local): the merge
    # keeps both, and leaves the thread's replicas at the merged state.
    base = rng.normal(size=50)
    others, own = rng.normal(size=(2, 50)) * (rng.random((2, 50)) < 0.5)
    shared, local = base + others, base + own
    expected, untouched, own_value = base + others + own, others == 0, local.copy()
    hogwild.merge(shared, local, base)
    np.testing.assert_allclose(shared, expected, rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(local, shared)
    np.testing.assert_array_equal(base, shared)
    # Weights nobody else changed take the thread's value as it is, without rounding.
    np.testing.assert_array_equal(shared[untouched], own_value[untouched])


@pytest.mark.parametrize("blocks", [False, True])
def test_hogwild_epoch_learns_like_the_serial_one(rng, blocks, monkeypatch):
    # Two threads race on theta, so only the outcome can be compared: an epoch of
    # each from the same start lowers the loss about as much. With blocks, every
    # thread runs the block kernel.
    if blocks:
        monkeypatch.setattr("fastbp._trainers.BLOCK_MIN_WEIGHTS", 0)
    network, theta, X, Y, sample_weight = make_problem(
        rng, (6, 8, 3), "tanh", "log_loss", "softmax", n_samples=4000
    )
    order = np.arange(X.shape[0], dtype=np.int64)
    losses = {}
    for threads in (1, 2):
        trained = theta.copy()
        epoch = make_trainer(
            network, trained, X, Y, sample_weight, 1, 0.05, 0.0, n_jobs=threads
        )
        losses[threads] = [epoch(order) for _ in range(3)]
        if threads == 2 and not blocks:  # replicas made by Hogwild's first epoch
            n_threads, rows, length = epoch._replicas.shape  # rows padded to lines
            assert (n_threads, rows) == (2, hogwild.REPLICA_ROWS)
            assert length >= theta.shape[0]
    assert losses[2][-1] < losses[2][0]
    assert losses[2][-1] == pytest.approx(losses[1][-1], rel=0.05)


UNIT_WEIGHT_FAMILIES = {
    # family: (batch_size, solver, momentum, by_weight, sparse X, blocks)
    "one example": (1, "sgd", 0.0, False, False, False),
    "one example, momentum": (1, "sgd", 0.9, False, False, False),
    "one example, adam": (1, "adam", 0.0, False, False, False),
    "blocks": (1, "sgd", 0.0, False, False, True),
    "mini-batch": (5, "sgd", 0.0, False, False, False),
    "mini-batch by weight, adam": (5, "adam", 0.0, True, False, False),
    "sparse": (1, "sgd", 0.0, False, True, False),
    "sparse, adam": (1, "adam", 0.0, False, True, False),
    "sparse mini-batch": (5, "sgd", 0.0, False, True, False),
}


@pytest.mark.parametrize("family", UNIT_WEIGHT_FAMILIES)
def test_no_weights_train_as_weights_of_one(rng, family, monkeypatch):
    # sample_weight=None reaches the kernels as an empty array (no n-array per fit):
    # every kernel family must read it as weights of 1, bit for bit, shuffled or not.
    batch_size, solver, momentum, by_weight, sparse_x, blocks = UNIT_WEIGHT_FAMILIES[family]
    if blocks:
        monkeypatch.setattr("fastbp._trainers.BLOCK_MIN_WEIGHTS", 0)
        monkeypatch.setattr("fastbp._trainers.BLOCK_MIN_EXAMPLES", 0)
    network, theta, X, Y, _ = make_problem(rng, (6, 5, 3), "tanh", "log_loss", "softmax")
    if sparse_x:
        X[rng.random(X.shape) < 0.5] = 0.0
        X = sparse.csr_matrix(X)
    orders = [np.arange(X.shape[0]), rng.permutation(X.shape[0])]
    results = []
    for sample_weight in (None, np.ones(X.shape[0])):
        trained = theta.copy()
        state = optimizer_state(solver, trained, momentum=momentum, learning_rate=0.01)
        epoch = make_trainer(
            network, trained, X, Y, sample_weight, batch_size, 0.05, 0.01, state,
            by_weight=by_weight,
        )  # fmt: skip
        losses = [epoch(order.astype(np.int64)) for order in orders]
        results.append((trained, losses))
    (no_weights, no_weight_losses), (ones, ones_losses) = results
    assert not np.array_equal(no_weights, theta)
    np.testing.assert_array_equal(no_weights, ones)
    assert no_weight_losses == ones_losses


@pytest.mark.parametrize("batch_size", [1, 7])
def test_no_weights_match_the_reference(rng, batch_size):
    network, theta, X, Y, _ = make_problem(
        rng, (4, 6, 2), "logistic", "squared_error", "identity"
    )
    trained = theta.copy()
    order = rng.permutation(X.shape[0]).astype(np.int64)
    expected_params, data_loss, penalty = reference.epoch(
        reference_params(network, theta), X, Y, order, np.ones(X.shape[0]),
        *names(network), 0.05, 0.01, batch_size,
    )  # fmt: skip
    loss = make_trainer(network, trained, X, Y, None, batch_size, 0.05, 0.01)(order)
    expected = flatten(expected_params)
    assert np.max(np.abs(trained - expected)) <= 1e-10 * np.max(np.abs(expected))
    assert loss == pytest.approx((data_loss + penalty) / X.shape[0], rel=1e-10)
