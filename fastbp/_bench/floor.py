"""The floor of ``python -m fastbp bench``: the per-example step as a plain Numba loop.

The same step as fastbp's per-example SGD on the bench's workloads (logistic hidden
units, no L2, examples in order), with the loss of every example, written as
plainly as possible: no options, no fusion, no buffers passed in, no tricks. What
fastbp's ``fit`` costs per example against it is what its options, bookkeeping and
estimator layer cost (the speed issue's target: within 1.3x).
"""

import math

import numpy as np
from numba import njit


@njit(cache=True)
def hidden_epochs(X, T, W1, b1, W2, b2, learning_rate, epochs, squared_error):
    """``epochs`` per-example SGD epochs of a one-hidden-layer network, in place.

    ``T`` holds one-hot rows (softmax and log-loss) or one column of 0/1 targets
    (logistic output, log-loss or ``squared_error``). Returns the summed loss.
    """
    n_hidden, n_features = W1.shape
    n_out = W2.shape[0]
    hidden = np.empty(n_hidden, X.dtype)
    out = np.empty(n_out, X.dtype)
    out_delta = np.empty(n_out, X.dtype)
    hidden_delta = np.empty(n_hidden, X.dtype)
    total = 0.0
    for _ in range(epochs):
        for e in range(X.shape[0]):
            x = X[e]
            t = T[e]
            for j in range(n_hidden):
                net = b1[j]
                for i in range(n_features):
                    net += W1[j, i] * x[i]
                hidden[j] = 1.0 / (1.0 + math.exp(-net))
            for k in range(n_out):
                net = b2[k]
                for j in range(n_hidden):
                    net += W2[k, j] * hidden[j]
                out[k] = net
            total += _output(out, t, out_delta, squared_error)
            for j in range(n_hidden):
                back = 0.0
                for k in range(n_out):
                    back += W2[k, j] * out_delta[k]
                hidden_delta[j] = back * hidden[j] * (1.0 - hidden[j])
            for k in range(n_out):
                for j in range(n_hidden):
                    W2[k, j] -= learning_rate * out_delta[k] * hidden[j]
                b2[k] -= learning_rate * out_delta[k]
            for j in range(n_hidden):
                for i in range(n_features):
                    W1[j, i] -= learning_rate * hidden_delta[j] * x[i]
                b1[j] -= learning_rate * hidden_delta[j]
    return total


@njit(cache=True)
def linear_epochs(X, T, w, b, learning_rate, epochs):
    """``epochs`` per-example SGD epochs of logistic regression (log-loss), in place;
    ``b`` is a one-element array. Returns the summed loss."""
    out = np.empty(1, X.dtype)
    out_delta = np.empty(1, X.dtype)
    total = 0.0
    for _ in range(epochs):
        for e in range(X.shape[0]):
            x = X[e]
            net = b[0]
            for i in range(x.shape[0]):
                net += w[i] * x[i]
            out[0] = net
            total += _output(out, T[e], out_delta, False)
            for i in range(x.shape[0]):
                w[i] -= learning_rate * out_delta[0] * x[i]
            b[0] -= learning_rate * out_delta[0]
    return total


@njit(cache=True)
def _output(net, t, delta, squared_error):
    """Output activation, loss and ``dE/dnet`` of one example (``net`` becomes the
    output): logistic for one output, softmax for more."""
    tiny = 1e-15  # log's clip
    if net.shape[0] == 1:
        p = 1.0 / (1.0 + math.exp(-net[0]))
        net[0] = p
        if squared_error:
            delta[0] = (p - t[0]) * p * (1.0 - p)
            return 0.5 * (p - t[0]) ** 2
        delta[0] = p - t[0]
        p = min(max(p, tiny), 1.0 - tiny)
        return -(t[0] * math.log(p) + (1.0 - t[0]) * math.log(1.0 - p))
    largest = net.max()
    norm = 0.0
    for k in range(net.shape[0]):
        net[k] = math.exp(net[k] - largest)
        norm += net[k]
    loss = 0.0
    for k in range(net.shape[0]):
        net[k] /= norm
        delta[k] = net[k] - t[k]
        if t[k] > 0:
            loss -= t[k] * math.log(max(net[k], tiny))
    return loss


def first_fit(X, y, hidden, epochs, learning_rate=0.01, seed=0):
    """The plain loop trained from scratch on ``(X, y)``: one-hot targets (softmax),
    Glorot-uniform weights as scikit-learn draws them, ``epochs`` epochs in order.

    The floor of the bench's time to a first fit (``compare.FIRST_FIT_CASES``): what
    a fresh interpreter takes to import, compile or load and run the plainest Numba
    kernel of this step. Returns the trained ``[W1, b1, W2, b2]`` (``W`` as
    ``(n_out, n_in)``).
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    _, codes = np.unique(y, return_inverse=True)
    T = np.eye(codes.max() + 1)[codes]
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in ((X.shape[1], hidden), (hidden, T.shape[1])):
        bound = np.sqrt(2.0 * 6.0 / (n_in + n_out))  # sklearn's, for logistic units
        layers += [rng.uniform(-bound, bound, (n_out, n_in))]
        layers += [rng.uniform(-bound, bound, n_out)]
    hidden_epochs(X, T, *layers, learning_rate, epochs, False)
    return layers


def floor_fit(model, X, y, epochs):
    """A ``fit()`` of the plain loop from ``model``'s fitted weights (copies), for
    ``epochs`` epochs over ``X``: the bench's floor contender."""
    from sklearn.preprocessing import label_binarize

    dtype = X.dtype
    T = label_binarize(y, classes=model.classes_).astype(dtype)  # fastbp's targets
    weights = [np.ascontiguousarray(c.T, dtype=dtype) for c in model.coefs_]
    biases = [np.array(b, dtype=dtype) for b in model.intercepts_]
    rate = dtype.type(model.learning_rate_init)
    squared = model.loss == "squared_error"
    if len(weights) == 1:

        def fit():
            w, b = weights[0][0].copy(), biases[0].copy()
            return linear_epochs(X, T, w, b, rate, epochs)

    else:

        def fit():
            W1, W2 = weights[0].copy(), weights[1].copy()
            b1, b2 = biases[0].copy(), biases[1].copy()
            return hidden_epochs(X, T, W1, b1, W2, b2, rate, epochs, squared)

    return fit
