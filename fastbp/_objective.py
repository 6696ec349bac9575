"""The training objective of a network on data, as a function of theta: value and gradient.

``J(theta) = (1/n) sum_i s_i E_i(theta) + alpha / (2n) ||W||^2`` over the ``n`` rows
given: the loss one batch of those rows minimises (scikit-learn's convention).
"""

import numpy as np
from scipy import sparse

from ._kernels.batch import data_gradient, predict_outputs, weighted_loss_sum
from ._kernels.conventions import ChunkBuffers, Examples, csr
from ._kernels.sparse import sparse_predict_outputs
from ._trainers import CHUNK_ROWS


def _capacity(n_rows):
    return max(1, min(n_rows, CHUNK_ROWS))


def outputs(network, theta, X):
    """Network outputs for every row of ``X`` (C-contiguous or CSR, theta's dtype)."""
    layout = network.layout
    activations = np.empty(_capacity(X.shape[0]) * layout.n_units, dtype=theta.dtype)
    result = np.empty((X.shape[0], layout.sizes[-1]), dtype=theta.dtype)
    if sparse.issparse(X):
        sparse_predict_outputs(csr(X), theta, network.structure, activations, result)
    else:
        predict_outputs(X, theta, network.structure, activations, result)
    return result


def mean_data_loss(network, outputs_, Y, sample_weight):
    """``sum_i s_i E_i / sum_i s_i`` for outputs computed by :func:`outputs`."""
    total = weighted_loss_sum(
        outputs_, Y, sample_weight, network.loss_code, network.out_code
    )
    return total / float(np.sum(sample_weight))


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
    """``dJ/dtheta`` by backpropagation (the kernels' mini-batch code path).

    Parameters are as for :func:`value`. Returns an array shaped like ``theta``.
    """
    layout = network.layout
    chunks = ChunkBuffers.allocate(
        layout, 0, 0, _capacity(X.shape[0]), theta.dtype
    )  # the examples are read in place: no rows to gather
    data_gradient(Examples(X, Y, sample_weight), theta, network.structure, chunks)
    result = chunks.gradient
    mask = layout.weight_mask()
    result[mask] += alpha * theta[mask]
    return result / X.shape[0]
