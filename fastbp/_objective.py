"""The training objective of a network on data, as a function of theta: value and gradient.

``J(theta) = (1/n) sum_i s_i E_i(theta) + alpha / (2n) ||W||^2`` over the ``n`` rows
given: the loss one batch of those rows minimises (scikit-learn's convention).
"""

import numpy as np
from scipy import sparse

from . import _ahead
from ._kernels.batch import data_gradient, predict_outputs, weighted_loss_sum
from ._kernels.conventions import ChunkBuffers, csr, examples_of, kernel_weights
from ._trainers import CHUNK_ROWS


def _capacity(n_rows):
    return max(1, min(n_rows, CHUNK_ROWS))


def outputs(network, theta, X):
    """Network outputs for every row of ``X`` (C-contiguous or CSR, theta's dtype)."""
    layout = network.layout
    activations = np.empty(_capacity(X.shape[0]) * layout.n_units, dtype=theta.dtype)
    result = np.empty((X.shape[0], layout.sizes[-1]), dtype=theta.dtype)
    rows = csr(X) if sparse.issparse(X) else X
    call = (rows, theta, network.structure, activations, result)
    (_ahead.kernel("predict_outputs", call) or predict_outputs)(*call)
    return result


def mean_data_loss(network, outputs_, Y, sample_weight):
    """``sum_i s_i E_i / sum_i s_i`` for outputs computed by :func:`outputs`
    (``sample_weight`` None: unit weights)."""
    weights = kernel_weights(sample_weight, Y.dtype)
    total = weighted_loss_sum(outputs_, Y, weights, network.loss_code, network.out_code)
    return total / (Y.shape[0] if sample_weight is None else float(np.sum(sample_weight)))


def value(network, theta, X, Y, sample_weight, alpha):
    """``J(theta)`` on (X, Y) with the given sample weights.

    Parameters
    ----------
    network : fastbp._network.Network
    theta : ndarray of shape (network.layout.size,)
    X, Y : C-contiguous 2-D arrays of theta's dtype
    sample_weight : ndarray of shape (n_samples,)
    alpha : float

    Returns
    -------
    float
    """
    data_loss = weighted_loss_sum(
        outputs(network, theta, X), Y, sample_weight, network.loss_code, network.out_code
    )
    W = theta[network.layout.weight_mask()]
    return (data_loss + 0.5 * alpha * float(W @ W)) / X.shape[0]


def gradient(network, theta, X, Y, sample_weight, alpha):
    """``dJ/dtheta`` by backpropagation (the kernels' mini-batch code path), in
    float64.

    Parameters are as for :func:`value`. Returns an array shaped like ``theta``.
    """
    objective = Objective(network, X, Y, sample_weight, alpha, X.shape[0], theta.dtype)
    return objective(theta)[1]


class Objective:
    """``theta -> (J, dJ/dtheta)`` on fixed (X, Y, weights), buffers allocated once:
    the function L-BFGS calls.

    ``J = (sum_i s_i E_i + alpha / 2 ||W||^2) / divisor`` (``sample_weight`` None:
    every ``s_i = 1``): ``divisor`` is the number
    of rows (fastbp's and :func:`value`'s convention) or the weight sum
    (scikit-learn's MLP). ``J`` and the gradient are float64 whatever theta's dtype.
    ``data_loss_scale`` multiplies the data term of ``J`` only, not the gradient:
    scikit-learn's squared error reports the mean over the outputs (``1 /
    n_outputs``) but back-propagates the sum, and its L-BFGS line search sees both.
    """

    def __init__(
        self, network, X, Y, sample_weight, alpha, divisor, dtype, data_loss_scale=1.0
    ):
        self.network = network
        self.examples = examples_of(csr(X) if sparse.issparse(X) else X, Y, sample_weight)
        self.alpha = float(alpha)
        self.divisor = float(divisor)
        self.data_loss_scale = float(data_loss_scale)
        self.mask = network.layout.weight_mask()
        self.theta = np.empty(network.layout.size, dtype=dtype)
        self.chunks = ChunkBuffers.allocate(
            network.layout, 0, 0, _capacity(X.shape[0]), dtype
        )  # the examples are read in place: no rows to gather

    def __call__(self, theta):
        self.theta[:] = theta
        data_loss = data_gradient(
            self.examples, self.theta, self.network.structure, self.chunks
        )
        grad = self.chunks.gradient.astype(np.float64)
        W = self.theta[self.mask].astype(np.float64)
        grad[self.mask] += self.alpha * W
        penalty = 0.5 * self.alpha * float(W @ W)
        loss = (self.data_loss_scale * data_loss + penalty) / self.divisor
        return loss, grad / self.divisor
