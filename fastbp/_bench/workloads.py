"""Every workload the benchmarks train: data, networks and the settings compared.

``python -m fastbp bench`` (:mod:`.compare`), ``bench --scale`` (:mod:`.scale`) and
the asv suite in ``benchmarks/`` all build their data and models here.
"""

import numpy as np

WORKLOADS = {
    "A": "2-4-1, squared error, n=10,000 (the seed's XOR-sized net)",
    "B": "64-32-10 on digits, log-loss",
    "C": "784-128-10, synthetic MNIST-shaped, n=20,000, log-loss",
    "D": "100-1, binary log-loss, n=100,000 (the delta rule)",
}


LEARNING_RATE = 0.01


# What every comparison shares (the performance issue's setting): logistic hidden
# units, no L2, the same step, examples in order, a fixed seed, no early stop.
SETTINGS = dict(
    activation="logistic",
    alpha=0.0,
    learning_rate_init=LEARNING_RATE,
    shuffle=False,
    random_state=0,
    tol=0.0,
)


# Epochs per timed round: enough that a round takes about 0.1 s or more, so that the
# once-per-fit validation of X and y is a small part of it, as in real training.
EPOCHS = {"A": 10, "B": 20, "C": 2, "D": 3}


HOGWILD_EPOCHS = 2


def workload(name, rng=None):
    """``(X, y, hidden, loss)`` of workload A, B, C or D (``rng``: default seed 0)."""
    if rng is None:
        rng = np.random.default_rng(0)
    if name == "A":
        X = rng.random((10_000, 2))
        return X, (X[:, 0] > 0.5) ^ (X[:, 1] > 0.5), (4,), "squared_error"
    if name == "B":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return X / 16.0, y, (32,), "log_loss"
    if name == "C":
        X = rng.random((20_000, 784))
        return X, rng.integers(0, 10, 20_000), (128,), "log_loss"
    X, y = delta_rule_data(100_000, rng)
    return X, y, (), "log_loss"


# Rows of workload D's data in the bench's "as the data grows" rows (800 MB of X).
BIG_ROWS = 1_000_000


def delta_rule_data(n_rows, rng):
    """Workload D's data with ``n_rows`` rows: 100 normal features, a noisy sign label."""
    X = rng.normal(size=(n_rows, 100))
    return X, X[:, 0] + 0.5 * rng.normal(size=n_rows) > 0


def fastbp_model(hidden, loss, batch_size, **params):
    """A FastBPClassifier of a workload's network in the comparison's setting."""
    from fastbp import FastBPClassifier

    return FastBPClassifier(
        hidden_layer_sizes=hidden,
        activation="logistic",
        loss=loss,
        alpha=0.0,
        batch_size=batch_size,
        learning_rate_init=LEARNING_RATE,
        shuffle=False,
        random_state=0,
        **params,
    )


def sklearn_mlp(hidden, batch_size, **params):
    """sklearn's ``MLPClassifier`` in the comparison's setting: plain SGD (no momentum)."""
    from sklearn.neural_network import MLPClassifier

    settings = dict(hidden_layer_sizes=hidden, solver="sgd", momentum=0.0, **SETTINGS)
    return MLPClassifier(batch_size=batch_size, **{**settings, **params})


def sgd_classifier(epochs):
    """sklearn's ``SGDClassifier`` in the comparison's setting: the delta rule."""
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(
        loss="log_loss",
        learning_rate="constant",
        eta0=LEARNING_RATE,
        alpha=0.0,
        shuffle=False,
        max_iter=epochs,
        tol=None,
    )


def hogwild_model(n_jobs, **params):
    """Workload C's network and settings with ``n_jobs`` threads."""
    from fastbp import FastBPClassifier

    settings = dict(hidden_layer_sizes=(128,), max_iter=HOGWILD_EPOCHS, **SETTINGS)
    return FastBPClassifier(n_jobs=n_jobs, **{**settings, **params})


# mnist_shaped's feature scalings, each with what it is.
MNIST_FEATURES = {
    "standardized": "standardized features",
    "unit": "features scaled to [0, 1], a steep accuracy curve",
}


def mnist_shaped(n_train=20_000, n_test=4_000, features="standardized"):
    """Learnable 784-feature, 10-class data of workload C's shape (train, test).

    ``features="standardized"`` (zero mean, unit variance on the training rows) or
    ``"unit"``: scaled by the training rows' range to [0, 1], MNIST's pixel range.
    The network then learns over several epochs, where standardized features take
    it near its plateau in the first (a steep accuracy curve against a flat one).
    """
    from sklearn.datasets import make_classification

    if features not in MNIST_FEATURES:
        raise ValueError(
            f"features must be one of {list(MNIST_FEATURES)}, got {features!r}."
        )
    X, y = make_classification(
        n_samples=n_train + n_test,
        n_features=784,
        n_informative=60,
        n_redundant=0,
        n_classes=10,
        class_sep=2.0,
        random_state=0,
    )
    train = X[:n_train]
    if features == "unit":
        low = train.min(axis=0)
        X = (X - low) / (train.max(axis=0) - low)
    else:
        X = (X - train.mean(axis=0)) / train.std(axis=0)
    return (X[:n_train], y[:n_train]), (X[n_train:], y[n_train:])


def text_like(n_documents=20_000, n_features=2**18, words=100, vocabulary=20_000):
    """Hashed bag-of-words of generated documents (about ``words`` non-zeros each).

    Word frequencies follow Zipf's law; the label is a fixed random linear rule on
    the words, so that there is something to learn.
    """
    from sklearn.feature_extraction.text import HashingVectorizer

    rng = np.random.default_rng(0)
    ranks = np.arange(1, vocabulary + 1)
    frequencies = 1.0 / ranks / np.sum(1.0 / ranks)
    tokens = rng.choice(vocabulary, size=(n_documents, words), p=frequencies)
    documents = [" ".join(f"w{t}" for t in row) for row in tokens]
    X = HashingVectorizer(n_features=n_features, alternate_sign=False).transform(documents)
    weights = rng.normal(size=vocabulary)
    y = weights[tokens].sum(axis=1) > np.median(weights[tokens].sum(axis=1))
    return X.tocsr(), y


def grid_candidates():
    """The 8-candidate grid of the threaded GridSearchCV benchmark."""
    return {
        "hidden_layer_sizes": [(32,), (64,)],
        "learning_rate_init": [0.01, 0.03],
        "alpha": [1e-4, 1e-3],
    }


# The import swap (issue: sklearn parity): scikit-learn's own MLP settings, run by
# sklearn.neural_network and by fastbp with the same parameters. name -> (data,
# parameters). Defaults are scikit-learn's (adam, batch 'auto'); every case fixes
# random_state, and runs a fixed number of epochs where a fit could stop early.
SOLVER_CASES = {
    "digits, defaults (adam, batch 'auto')": ("digits", dict(max_iter=200)),
    "C, adam, batch 200": (
        "C",
        dict(hidden_layer_sizes=(128,), batch_size=200, max_iter=3, tol=0.0),
    ),
    "digits, adam, batch 1": (
        "digits",
        dict(hidden_layer_sizes=(32,), batch_size=1, max_iter=2, tol=0.0),
    ),
    "digits, sgd, batch 1": (
        "digits",
        dict(hidden_layer_sizes=(32,), solver="sgd", batch_size=1, max_iter=2, tol=0.0),
    ),
    "digits, lbfgs": ("digits", dict(solver="lbfgs", max_iter=100)),
}


def solver_case(name):
    """``(X, y, params)`` of a :data:`SOLVER_CASES` entry (random_state=0 added)."""
    data, params = SOLVER_CASES[name]
    if data == "digits":
        X, y, _, _ = workload("B")
    else:
        X, y, _, _ = workload(data)
    return X, y, {**params, "random_state": 0}
