"""The error landscape around a fitted network: lines, planes and interpolations.

The loss evaluated is the estimator's own training objective on the data given (mean
weighted loss plus its L2 term, scikit-learn's convention), so at the origin it is
the loss of the fitted model on that data. Directions follow Li et al., "Visualizing
the Loss Landscape of Neural Nets" (2018): random Gaussian directions, filter
normalised (each unit's block of incoming weights rescaled to the norm of the same
block of the fitted weights; bias directions zero), so that distances mean the same
in every layer whatever its scale.

Directions are given and returned as lists shaped like ``coefs_ + intercepts_``.
Each point of a grid is one batched (BLAS) forward pass over the data with the
shifted parameter vector.
"""

import warnings
from itertools import pairwise

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from . import _objective
from .model import fitted_network

NORMALIZATIONS = ("filter", "layer", None)


def _flatten(model, arrays):
    """A list shaped like ``coefs_ + intercepts_`` -> a flat vector in theta's layout."""
    layout = model.layout
    arrays = list(arrays)
    n_layers = layout.n_weight_layers
    expected = [(n_in, n_out) for n_in, n_out in pairwise(layout.sizes)] + [
        (n_out,) for n_out in layout.sizes[1:]
    ]
    given = [np.shape(a) for a in arrays]
    if given != expected:
        raise ValueError(
            f"A direction must be shaped like coefs_ + intercepts_ {expected}, got {given}."
        )
    flat = np.empty(layout.size)
    for layer in range(n_layers):
        layout.coefs(flat)[layer][...] = arrays[layer]
        layout.intercepts(flat)[layer][...] = arrays[n_layers + layer]
    return flat


def _unflatten(model, flat):
    layout = model.layout
    return [c.copy() for c in layout.coefs(flat)] + [
        b.copy() for b in layout.intercepts(flat)
    ]


def _normalize(model, direction, normalization):
    """Rescale a flat direction as Li et al. do, in place; biases set to zero."""
    layout, theta = model.layout, model.theta
    for layer in range(layout.n_weight_layers):
        block = layout.weights(direction, layer)
        fitted = layout.weights(theta, layer)
        if normalization == "filter":
            # One row of a block holds one unit's incoming weights.
            norms = np.linalg.norm(fitted, axis=1) / np.maximum(
                np.linalg.norm(block, axis=1), np.finfo(np.float64).tiny
            )
            block *= norms[:, None]
        elif normalization == "layer":
            block *= np.linalg.norm(fitted) / max(np.linalg.norm(block), 1e-300)
        layout.biases(direction, layer)[:] = 0.0
    return direction


def random_direction(estimator, random_state=None, normalization="filter"):
    """A random direction in parameter space around a fitted estimator's weights.

    Parameters
    ----------
    estimator : fitted FastBPClassifier or FastBPRegressor
    random_state : int, RandomState instance or None, default=None
        Seeds the Gaussian draw.
    normalization : {'filter', 'layer'} or None, default='filter'
        'filter': each unit's incoming weights are rescaled to the norm of that
        unit's fitted incoming weights (Li et al., 2018); 'layer': each layer's
        block to the norm of the fitted block; None: the raw Gaussian draw. Bias
        directions are zero with either normalisation.

    Returns
    -------
    direction : list of ndarray
        Shaped like ``estimator.coefs_ + estimator.intercepts_``.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}."
        )
    model = fitted_network(estimator)
    return _unflatten(model, _random_direction(model, random_state, normalization))


def _random_direction(model, random_state, normalization="filter"):
    """:func:`random_direction` of a :class:`~fastbp.model.FittedNetwork`, flat."""
    rng = check_random_state(random_state)
    direction = rng.standard_normal(model.layout.size)
    if normalization is not None:
        _normalize(model, direction, normalization)
    return direction


def _objective_on(model, X, y, sample_weight):
    """``loss(theta)`` on (X, y): the estimator's training objective, vectorised data."""
    X, Y, sample_weights = model.objective_data(X, y, sample_weight)

    def loss(theta):
        return _objective.value(model.network, theta, X, Y, sample_weights, model.alpha)

    return loss


def line(estimator, X, y, *, distance=1.0, steps=51, random_state=None, direction=None,
         sample_weight=None):  # fmt: skip
    """The loss along one direction: ``L(theta* + alpha * delta)``.

    Parameters
    ----------
    estimator : fitted FastBPClassifier or FastBPRegressor
    X, y : the data the loss is measured on
    distance : float, default=1.0
        ``alpha`` runs from ``-distance`` to ``distance``.
    steps : int, default=51
        Points on the line; an odd number includes ``alpha = 0`` (a single step
        is the fitted model itself).
    random_state : int, RandomState instance or None, default=None
        Seeds :func:`random_direction` (filter normalised) when ``direction`` is None.
    direction : list of ndarray, optional
        Shaped like ``coefs_ + intercepts_``.
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    alphas : ndarray of shape (steps,)
    losses : ndarray of shape (steps,)
    """
    model = fitted_network(estimator)
    if direction is None:
        delta = _random_direction(model, random_state)
    else:
        delta = _flatten(model, direction)
    theta = model.theta
    loss = _objective_on(model, X, y, sample_weight)
    alphas = _axis(-distance, distance, steps)
    return alphas, np.array([loss(theta + a * delta) for a in alphas])


def _axis(low, high, steps):
    """``steps`` evenly spaced values from ``low`` to ``high``; one step is 0, the
    fitted model (``np.linspace`` would give ``low``)."""
    _check_count(steps, "steps")
    if steps == 1:
        return np.zeros(1)
    return np.linspace(low, high, steps)


def _check_count(value, name):
    """Raise if ``value`` (the parameter ``name``) is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def _covering(coordinates, distance):
    """The ``(low, high)`` of each plane axis: ``[-distance, distance]``, or with
    ``coordinates`` their range and the origin with a tenth of margin."""
    if coordinates is None:
        return [(-distance, distance)] * 2
    coordinates = np.asarray(coordinates, dtype=np.float64)
    if coordinates.ndim != 2 or coordinates.shape[1] != 2 or not coordinates.size:
        raise ValueError(
            "cover must be (alpha, beta) points of shape (n_points, 2), e.g. the "
            f"coordinates of trajectory_directions; got shape {coordinates.shape}."
        )
    if not np.isfinite(coordinates).all():
        raise ValueError("cover holds NaN or infinite coordinates.")
    ranges = []
    for values in coordinates.T:
        low, high = min(values.min(), 0.0), max(values.max(), 0.0)
        margin = 0.1 * (high - low) or distance
        ranges.append((low - margin, high + margin))
    return ranges


def plane(estimator, X, y, *, distance=1.0, steps=51, random_state=None,
          directions=None, sample_weight=None, cover=None):  # fmt: skip
    """The loss on a plane: ``L(theta* + alpha * delta + beta * eta)``.

    Parameters are as for :func:`line`; ``directions`` is a pair ``(delta, eta)``
    (e.g. from :func:`trajectory_directions`), else two filter-normalised random
    directions are drawn from ``random_state``. ``cover``, points of shape
    ``(n_points, 2)`` (e.g. a trajectory's coordinates), makes each axis span their
    range and the origin, with a tenth of margin, instead of ``[-distance,
    distance]``.

    Returns
    -------
    alphas, betas : ndarray of shape (steps,)
    losses : ndarray of shape (steps, steps)
        ``losses[i, j]`` is the loss at ``(alphas[i], betas[j])``.
    """
    model = fitted_network(estimator)
    if directions is None:
        rng = check_random_state(random_state)
        delta, eta = _random_direction(model, rng), _random_direction(model, rng)
    else:
        delta, eta = (_flatten(model, d) for d in directions)
    theta = model.theta
    loss = _objective_on(model, X, y, sample_weight)
    (a_low, a_high), (b_low, b_high) = _covering(cover, distance)
    alphas = _axis(a_low, a_high, steps)
    betas = _axis(b_low, b_high, steps)
    losses = np.array([[loss(theta + a * delta + b * eta) for b in betas] for a in alphas])
    return alphas, betas, losses


def interpolate(estimator_a, estimator_b, X, y, *, steps=51, sample_weight=None):
    """The loss along the segment between two fitted models of the same network.

    ``theta(t) = (1 - t) theta_a + t theta_b`` for ``t`` in [0, 1], measured with
    ``estimator_a``'s objective (its loss and ``alpha``), e.g. between a per-example
    and a full-batch fit from the same initial weights.

    Returns
    -------
    ts : ndarray of shape (steps,)
    losses : ndarray of shape (steps,)
    """
    a, b = fitted_network(estimator_a), fitted_network(estimator_b)
    if a.layout.sizes != b.layout.sizes:
        raise ValueError(
            f"Both models need the same layer sizes to interpolate between them, got "
            f"{a.layout.sizes} and {b.layout.sizes}."
        )
    theta_a, theta_b = a.theta, b.theta
    loss = _objective_on(a, X, y, sample_weight)
    ts = np.linspace(0.0, 1.0, steps)
    return ts, np.array([loss((1 - t) * theta_a + t * theta_b) for t in ts])


def record_trajectory(estimator, X, y, *, epochs, sample_weight=None):
    """Train a clone of ``estimator`` epoch by epoch, keeping the weights after each.

    Each epoch is one warm-started ``fit`` of one epoch over (X, y), so every
    setting of the estimator applies as in ``fit`` (early stopping, holding out its
    validation split; ``class_weight='balanced'``). Returns the trained clone (with
    the estimator's own ``max_iter`` and ``warm_start``) and the flat parameter
    vectors after each epoch, shape ``(epochs, n_parameters)``, for
    :func:`trajectory_directions`.
    """
    _check_count(epochs, "epochs")
    model = clone(estimator)
    own = {"max_iter": model.max_iter, "warm_start": model.warm_start}
    model.set_params(max_iter=1, warm_start=True)
    thetas = []
    with warnings.catch_warnings():
        # Each one-epoch fit reaches its max_iter.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(epochs):
            model.fit(X, y, sample_weight=sample_weight)
            thetas.append(fitted_network(model).theta)
    return model.set_params(**own), np.array(thetas)


def trajectory_directions(estimator, thetas):
    """The plane through a fitted model that best holds its training trajectory.

    The first two principal components of ``thetas - theta*`` (``theta*`` the
    estimator's weights), as Li et al. do to draw optimiser paths.

    Returns
    -------
    directions : (delta, eta), each shaped like ``coefs_ + intercepts_``
    coordinates : ndarray of shape (len(thetas), 2)
        Each trajectory point projected on the plane.
    explained : ndarray of shape (2,)
        Share of the trajectory's variance along each direction.
    """
    model = fitted_network(estimator)
    offsets = np.asarray(thetas, dtype=np.float64) - model.theta
    _, singular, components = np.linalg.svd(offsets, full_matrices=False)
    basis = _two_directions(components[:2])
    coordinates = offsets @ basis.T
    explained = np.zeros(2)
    explained[: singular[:2].size] = singular[:2] ** 2 / max(np.sum(singular**2), 1e-300)
    directions = tuple(_unflatten(model, d) for d in basis)
    return directions, coordinates, explained


def _two_directions(basis):
    """``basis`` (one or two orthonormal rows) completed to two: a trajectory of one
    point has one principal component; the second is then a fixed random direction
    orthogonal to it."""
    if basis.shape[0] == 2:
        return basis
    extra = np.random.default_rng(0).standard_normal(basis.shape[1])
    extra -= (basis @ extra) @ basis
    return np.vstack([basis, extra / np.linalg.norm(extra)])
