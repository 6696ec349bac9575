"""The fitted model's parameters as scikit-learn's MLP shows them (views of theta),
and its state in plain types for pickling and skops."""

from dataclasses import asdict

import numpy as np

from ._kernels.conventions import Adam, Momentum
from ._network import Layout, Network
from ._training import Progress

_OPTIMIZERS = {"Momentum": Momentum, "Adam": Adam}


class _FittedParameters:
    """``coefs_``, ``intercepts_``, ``n_layers_``, ``n_outputs_`` of a fitted model.

    The model is ``self._theta`` (one flat vector) and ``self._network`` (its layout
    and codes); ``coefs_`` and ``intercepts_`` are views of theta computed on access,
    so they stay views after pickling and assigning into them changes the model.
    """

    def __sklearn_is_fitted__(self):
        return "_theta" in self.__dict__

    def _fitted_model(self):
        """``(network, theta)``, or AttributeError (so ``hasattr`` is False) if unfitted."""
        try:
            return self.__dict__["_network"], self.__dict__["_theta"]
        except KeyError:
            raise AttributeError(
                f"This {type(self).__name__} instance is not fitted yet: it has no "
                "weights. Call 'fit' or 'partial_fit' first."
            ) from None

    @property
    def coefs_(self):
        """list of ndarray: ``coefs_[l]`` of shape (n_in, n_out), views of the weights."""
        network, theta = self._fitted_model()
        return network.layout.coefs(theta)

    @coefs_.setter
    def coefs_(self, values):
        self._assign(self.coefs_, values, "coefs_")

    @property
    def intercepts_(self):
        """list of ndarray: ``intercepts_[l]`` of shape (n_out,), views of the biases."""
        network, theta = self._fitted_model()
        return network.layout.intercepts(theta)

    @intercepts_.setter
    def intercepts_(self, values):
        self._assign(self.intercepts_, values, "intercepts_")

    @staticmethod
    def _assign(views, values, name):
        values = list(values)
        shapes = [v.shape for v in views]
        given = [np.shape(v) for v in values]
        if given != shapes:
            raise ValueError(f"{name} must have shapes {shapes}, got {given}.")
        for view, value in zip(views, values):
            view[...] = value

    @property
    def n_layers_(self):
        """int: number of layers, input and output included."""
        return len(self._fitted_model()[0].layout.sizes)

    @property
    def n_outputs_(self):
        """int: number of output units."""
        return self._fitted_model()[0].layout.sizes[-1]

    # -- state in plain types -------------------------------------------------------
    # The pickled (and skops-saved) state holds numpy arrays, numbers, strings,
    # lists and dicts only, so that skops needs to trust the estimator class alone.

    def __getstate__(self):
        state = dict(super().__getstate__())  # may be self.__dict__ itself
        if "_network" in state:
            network = state["_network"]
            state["_network"] = {
                "sizes": [int(s) for s in network.layout.sizes],
                "hidden_code": int(network.hidden_code),
                "out_code": int(network.out_code),
                "loss_code": int(network.loss_code),
            }
        if "_progress" in state:
            state["_progress"] = asdict(state["_progress"])
        optimizer = state.get("_optimizer_state")
        if optimizer is not None:
            state["_optimizer_state"] = {
                "kind": type(optimizer).__name__,
                **optimizer._asdict(),
            }
        return state

    def __setstate__(self, state):
        state = dict(state)
        network = state.get("_network")
        if isinstance(network, dict):
            state["_network"] = Network(
                Layout(tuple(network["sizes"])),
                network["hidden_code"],
                network["out_code"],
                network["loss_code"],
            )
        if isinstance(state.get("_progress"), dict):
            state["_progress"] = Progress(**state["_progress"])
        optimizer = state.get("_optimizer_state")
        if isinstance(optimizer, dict):
            fields = dict(optimizer)
            state["_optimizer_state"] = _OPTIMIZERS[fields.pop("kind")](**fields)
        super().__setstate__(state)
