"""The fitted model's parameters as scikit-learn's MLP shows them: views of theta."""

import numpy as np


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
