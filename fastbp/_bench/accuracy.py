"""Time to accuracy, epoch by epoch: fastbp next to scikit-learn's MLP on digits,
two threads (n_jobs=2) next to one and ParallelSGD's two Dask workers next to one on
workload C's network.

Each gives ``curves``, ``{name: (seconds, accuracies)}`` (cumulative training time and
test accuracy after each epoch), the form :func:`fastbp.plot.time_to_accuracy` draws.
"""

import time
from functools import partial

import numpy as np

from .workloads import hogwild_model, mnist_shaped

# The threads' comparison (issue 16's setting): MNIST-shaped data, a 500-example warm-up,
# then one partial_fit epoch at a time; n_jobs=2 is judged by the time it takes to
# reach the serial fit's test accuracy after TARGET_EPOCHS epochs.
CURVE_EPOCHS = 6
TARGET_EPOCHS = (3, 5)


def digits_time_to_accuracy(epochs=15, hidden=64, learning_rate=0.01, random_state=0):
    """Per-epoch time and test accuracy of fastbp and sklearn's MLP on digits.

    Both train per example (batch size 1, no momentum) with the same network,
    learning rate and L2 penalty, one epoch per ``partial_fit`` call; returns
    ``curves`` for :func:`time_to_accuracy`.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    from fastbp import FastBPClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, stratify=y, random_state=random_state
    )
    common = dict(
        hidden_layer_sizes=(hidden,), learning_rate_init=learning_rate,
        random_state=random_state, alpha=1e-4, batch_size=1,
    )  # fmt: skip
    models = {
        "fastbp": FastBPClassifier(**common),
        "sklearn MLPClassifier": MLPClassifier(solver="sgd", momentum=0.0, **common),
    }
    FastBPClassifier(**common).partial_fit(X_train[:50], y_train[:50], np.unique(y))
    curves = {}
    for name, model in models.items():
        elapsed, seconds, accuracies = 0.0, [], []
        for _ in range(epochs):
            started = time.perf_counter()
            model.partial_fit(X_train, y_train, classes=np.unique(y))
            elapsed += time.perf_counter() - started
            seconds.append(elapsed)
            accuracies.append(model.score(X_test, y_test))
        curves[name] = (np.array(seconds), np.array(accuracies))
    return curves


def hogwild_curves(
    seed, epochs=CURVE_EPOCHS, size=15_000, warm_up=500, features="standardized"
):
    """Time to accuracy of workload C's network with ``n_jobs=1`` and ``n_jobs=2``.

    Two models (``random_state=seed``), each first trained on ``warm_up`` examples
    (which also compiles or loads the kernels), then one ``partial_fit`` epoch over
    ``size`` MNIST-shaped rows at a time, the two models' epochs interleaved in
    alternating order so that a noisy neighbour slows both alike; test accuracy on
    ``size // 3`` held-out rows, not timed. Returns ``curves`` keyed ``"n_jobs=1"``
    and ``"n_jobs=2"``. ``features``: :func:`~fastbp._bench.workloads.mnist_shaped`'s.
    """
    (X, y), (X_test, y_test) = mnist_shaped(size, size // 3, features)
    classes = np.unique(y)
    models = {f"n_jobs={n}": hogwild_model(n, random_state=seed) for n in (1, 2)}
    for model in models.values():
        model.partial_fit(X[:warm_up], y[:warm_up], classes=classes)
    return _interleaved_curves(
        {name: partial(model.partial_fit, X, y) for name, model in models.items()},
        lambda name: models[name].score(X_test, y_test),
        epochs,
    )


def _interleaved_curves(epoch_fits, score, epochs):
    """``curves`` of ``epochs`` rounds: each round runs every one of ``epoch_fits``
    (name -> one epoch of training) once, timed, in alternating order (so that each
    follows the other as often), then ``score(name)``, not timed."""
    names = list(epoch_fits)
    elapsed = dict.fromkeys(names, 0.0)
    curves = {name: ([], []) for name in names}
    for epoch in range(epochs):
        for name in names if epoch % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            epoch_fits[name]()
            elapsed[name] += time.perf_counter() - started
            curves[name][0].append(elapsed[name])
            curves[name][1].append(score(name))
    return {name: (np.array(s), np.array(a)) for name, (s, a) in curves.items()}


def curve_line(curve):
    """``curve = (seconds, accuracies)`` as text: ``accuracy (seconds)`` per epoch."""
    return " ".join(f"{a:.3f} ({t:.2f})" for t, a in zip(*curve))


def seconds_to_reach(curve, accuracy):
    """The first time in ``curve = (seconds, accuracies)`` with an accuracy of at least
    ``accuracy``; ``inf`` if there is none."""
    seconds, accuracies = curve
    reached = np.flatnonzero(np.asarray(accuracies) >= accuracy)
    return float(seconds[reached[0]]) if reached.size else np.inf


def speedups_to_accuracy(
    curves, target_epochs=TARGET_EPOCHS, baseline="n_jobs=1", contender="n_jobs=2"
):
    """``{k: t_1 / t_2}`` for each ``k`` in ``target_epochs``: ``t_1`` the time of
    ``k`` epochs of ``curves[baseline]``, ``t_2`` the time ``curves[contender]`` takes
    to reach the accuracy the baseline had then (0.0 if it never does)."""
    seconds, accuracies = curves[baseline]
    return {
        k: float(seconds[k - 1] / seconds_to_reach(curves[contender], accuracies[k - 1]))
        for k in target_epochs
    }


def dask_curves(epochs=CURVE_EPOCHS, size=20_000, rounds_per_epoch=2, seed=0):
    """Time to accuracy of :class:`fastbp.dask.ParallelSGD` on workload C's network,
    on a local cluster of one worker process and one of two (one thread each).

    Two rounds per epoch: a round of 20,000 rows on two workers is then 5,000
    examples (about 80 ms) per worker, against a Dask round trip of about 22 ms
    (2-core Zen 4 VM); with 8, two workers reached one worker's accuracy after 3
    epochs 1.38x and 1.51x sooner in two runs, with 2 1.69x (README).

    Point ``k`` of a curve is a fit of ``k`` epochs from the start, timed whole:
    what a user waits for a model trained that long, the fit's set-up (the blocks
    found on the workers, the classes) paid once, as in one ``fit``. The two
    clusters' fits of each ``k`` run one after the other, in alternating order, so
    that a noisy spell slows both alike. The MNIST-shaped rows are sent to the
    workers (four blocks, :func:`_persisted`) before the clock starts, as data
    already spread over a cluster is. Returns ``curves`` keyed ``"1 worker"`` and
    ``"2 workers"``.
    """
    from distributed import Client, LocalCluster, wait

    from ..dask import ParallelSGD

    (X, y), (X_test, y_test) = mnist_shaped(size, size // 3)
    clusters, clients, data = {}, {}, {}
    try:
        for workers in (1, 2):
            name = f"{workers} worker{'s' if workers > 1 else ''}"
            # A free loopback port for the scheduler's HTTP server: with None it still
            # takes 8787, and the second cluster warned that the port was in use.
            clusters[name] = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address="127.0.0.1:0",
            )  # fmt: skip
            client = clients[name] = Client(clusters[name], set_as_default=False)
            data[name] = _persisted(client, X, y, wait)
            # Compile, or load, the kernels on every worker, and import the module
            # of ParallelSGD's tasks there (dask.array with it: 0.13 s a worker).
            client.run(_train_a_little, X[:16], y[:16], np.unique(y))

        def fit(name, k):
            model = ParallelSGD(
                hogwild_model(1, random_state=seed), max_iter=k,
                rounds_per_epoch=rounds_per_epoch, client=clients[name],
            )  # fmt: skip
            return model.fit(*data[name])

        def score(model):
            return model.score(X_test, y_test)

        return _curves_of_fits(fit, list(clients), score, epochs)
    finally:
        # Last made, first closed: each LocalCluster restores, on closing, the log
        # level it found; closed first, the first cluster let the second one's
        # closing print distributed's INFO lines.
        for name in reversed(clients):
            clients[name].close()
            clusters[name].close()


def _curves_of_fits(fit, names, score, epochs):
    """``curves`` whose point ``k`` (1 to ``epochs``) is ``fit(name, k)``, a model
    trained ``k`` epochs from the start, timed, then ``score(model)``, not timed;
    each ``k`` runs every name once, in alternating order."""
    curves = {name: ([], []) for name in names}
    for k in range(1, epochs + 1):
        for name in names if k % 2 else names[::-1]:
            started = time.perf_counter()
            model = fit(name, k)
            curves[name][0].append(time.perf_counter() - started)
            curves[name][1].append(score(model))
    return {name: (np.array(s), np.array(a)) for name, (s, a) in curves.items()}


def _train_a_little(X, y, classes):
    import fastbp.dask  # noqa: F401

    hogwild_model(1).partial_fit(X, y, classes=classes)


def _persisted(client, X, y, wait):
    """X as a dask array of four row blocks, each sent to a worker as it is
    (``scatter`` spreads them over the workers), not inside the task graph; y (small)
    in the graph, in the same blocks."""
    import dask.array as da

    rows = -(-len(X) // 4)
    blocks = [X[start : start + rows] for start in range(0, len(X), rows)]
    parts = client.scatter(blocks)
    with client.as_current():
        wait(parts)
    X = da.concatenate([
        da.from_delayed(part, shape=block.shape, dtype=block.dtype)
        for part, block in zip(parts, blocks)
    ])  # fmt: skip
    return X, da.from_array(y, chunks=rows)
