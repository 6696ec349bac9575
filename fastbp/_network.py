"""The flat parameter vector ``theta`` and the layout that says where each layer lives.

Layer ``l`` maps ``n_in = sizes[l]`` units to ``n_out = sizes[l + 1]`` units. Its
weights are a C-ordered ``(n_out, n_in)`` block of theta starting at
``weight_offsets[l]`` (so ``net_j = b_j + sum_i W[j, i] o_i`` reads one contiguous
row), followed by its ``n_out`` biases at ``bias_offsets[l]``.
"""

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from ._aligned import aligned_empty
from ._functions import LOGISTIC
from ._kernels.conventions import Structure


@dataclass(frozen=True)
class Layout:
    """Where the weights and biases of every layer live in the flat vector ``theta``.

    Parameters
    ----------
    sizes : tuple of int
        Units per layer, input first and output last.
    """

    sizes: tuple
    weight_offsets: np.ndarray = field(init=False, repr=False, compare=False)
    bias_offsets: np.ndarray = field(init=False, repr=False, compare=False)
    unit_offsets: np.ndarray = field(init=False, repr=False, compare=False)
    size: int = field(init=False, compare=False)

    def __post_init__(self):
        sizes = tuple(int(s) for s in self.sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                f"A layout needs at least two layers of >= 1 unit, got {sizes}."
            )
        weight_offsets, bias_offsets = [], []
        offset = 0
        for n_in, n_out in pairwise(sizes):
            weight_offsets.append(offset)
            offset += n_in * n_out
            bias_offsets.append(offset)
            offset += n_out
        # unit_offsets[l] is where layer l + 1's outputs start in an activation buffer
        # that holds every non-input layer back to back.
        unit_offsets = np.concatenate([[0], np.cumsum(sizes[1:])])
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "weight_offsets", np.array(weight_offsets, dtype=np.int64))
        object.__setattr__(self, "bias_offsets", np.array(bias_offsets, dtype=np.int64))
        object.__setattr__(self, "unit_offsets", unit_offsets.astype(np.int64))
        object.__setattr__(self, "size", offset)

    @property
    def n_weight_layers(self):
        """Number of weight layers (sklearn's ``n_layers_ - 1``)."""
        return len(self.sizes) - 1

    @property
    def n_units(self):
        """Number of non-input units: the length of one example's activation buffer."""
        return int(self.unit_offsets[-1])

    @property
    def largest_block(self):
        """Entries of the largest weight block: the size of a gradient scratch buffer."""
        return max(n_in * n_out for n_in, n_out in pairwise(self.sizes))

    @property
    def sizes_array(self):
        """``sizes`` as an int64 array, the form kernels take."""
        return np.array(self.sizes, dtype=np.int64)

    def weights(self, theta, layer):
        """View of layer ``layer``'s ``(n_out, n_in)`` weight block of ``theta``."""
        n_in, n_out = self.sizes[layer], self.sizes[layer + 1]
        start = self.weight_offsets[layer]
        return theta[start : start + n_in * n_out].reshape(n_out, n_in)

    def biases(self, theta, layer):
        """View of layer ``layer``'s biases in ``theta``."""
        start = self.bias_offsets[layer]
        return theta[start : start + self.sizes[layer + 1]]

    def coefs(self, theta):
        """scikit-learn's ``coefs_``: ``(n_in, n_out)`` views of ``theta``."""
        return [self.weights(theta, layer).T for layer in range(self.n_weight_layers)]

    def intercepts(self, theta):
        """scikit-learn's ``intercepts_``: views of ``theta``."""
        return [self.biases(theta, layer) for layer in range(self.n_weight_layers)]

    def weight_mask(self):
        """Boolean mask of theta's entries that are weights (not biases)."""
        mask = np.zeros(self.size, dtype=bool)
        for layer in range(self.n_weight_layers):
            start = self.weight_offsets[layer]
            mask[start : self.bias_offsets[layer]] = True
        return mask


def init_theta(layout, dtype, rng, hidden_code):
    """Glorot-uniform initial parameters, as scikit-learn's MLP draws them.

    Weights and biases of a layer are uniform in ``+-sqrt(factor / (fan_in + fan_out))``
    with ``factor = 2`` for logistic hidden units and 6 otherwise.

    Parameters
    ----------
    layout : Layout
    dtype : numpy dtype
    rng : numpy.random.Generator
    hidden_code : int
        Activation code of the hidden layers.

    Returns
    -------
    theta : ndarray of shape (layout.size,)
    """
    theta = aligned_empty(layout.size, dtype)
    factor = 2.0 if hidden_code == LOGISTIC else 6.0
    for layer in range(layout.n_weight_layers):
        fan_in, fan_out = layout.sizes[layer], layout.sizes[layer + 1]
        bound = np.sqrt(factor / (fan_in + fan_out))
        for block in (layout.weights(theta, layer), layout.biases(theta, layer)):
            _uniform(rng, -bound, bound, block)
    return theta


def init_theta_sklearn(layout, dtype, random_state, hidden_code):
    """:func:`init_theta` drawn as scikit-learn's MLP draws it, for the same weights.

    Layer by layer from ``random_state`` (a ``numpy.random.RandomState``): the
    ``(fan_in, fan_out)`` weights, then the ``fan_out`` biases, in float64, then cast
    to ``dtype``; theta holds each weight block transposed.
    """
    theta = aligned_empty(layout.size, dtype)
    factor = 2.0 if hidden_code == LOGISTIC else 6.0
    for layer in range(layout.n_weight_layers):
        fan_in, fan_out = layout.sizes[layer], layout.sizes[layer + 1]
        bound = np.sqrt(factor / (fan_in + fan_out))
        weights = random_state.uniform(-bound, bound, (fan_in, fan_out))
        layout.weights(theta, layer)[...] = weights.astype(dtype).T
        layout.biases(theta, layer)[...] = random_state.uniform(-bound, bound, fan_out)
    return theta


def _uniform(rng, low, high, out):
    """``out[...] = rng.uniform(low, high, out.shape)``, drawn in place for float64.

    The same numbers (``uniform`` computes ``low + (high - low) * u`` from the same
    stream) without a temporary: a hashed-text first layer has 2^18 or more weights
    per unit, and the copy was a visible part of a short fit. float32 keeps the
    float64 draw, rounded, which in-place float32 draws would not reproduce.
    """
    if out.dtype == np.float64:
        rng.random(out=out)
        out *= high - low
        out += low
    else:
        out[...] = rng.uniform(low, high, out.shape)


@dataclass(frozen=True)
class Network:
    """A layout plus what its units compute: everything a kernel needs but ``theta``.

    Parameters
    ----------
    layout : Layout
    hidden_code, out_code : int
        Activation codes (:data:`fastbp._functions.ACTIVATIONS`).
    loss_code : int
        Loss code (:data:`fastbp._functions.LOSSES`).
    """

    layout: Layout
    hidden_code: int
    out_code: int
    loss_code: int

    @property
    def structure(self):
        """The layout arrays and codes, as the kernels take them."""
        layout = self.layout
        return Structure(
            layout.sizes_array,
            layout.weight_offsets,
            layout.bias_offsets,
            layout.unit_offsets,
            self.hidden_code,
            self.out_code,
            self.loss_code,
        )
