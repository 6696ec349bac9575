"""One per-example backpropagation step, written out as the seed's notes do it.

:func:`explain_step` runs one stochastic-gradient step of a fitted network on one
example through the training kernels' own primitives and returns every quantity of
it: per layer the net inputs ``net_j``, outputs ``o_j = f(net_j)``, slopes
``f'(net_j)``, deltas ``dE/dnet_j``, the gradient ``dE/dw_ji = delta_j o_i`` and the
weights before and after. ``str()`` of the result renders it as text.
"""

from dataclasses import dataclass

import numpy as np
from scipy.sparse import issparse

from ._functions import ACTIVATIONS, LOSSES
from ._kernels.conventions import Step
from ._kernels.dense import explain_example
from .model import fitted_network

_NAMES = {code: name for name, code in ACTIVATIONS.items()}
_LOSS_NAMES = {code: name for name, code in LOSSES.items()}


@dataclass
class LayerStep:
    """The step of one weight layer (``layer`` 1 is the first above the inputs).

    Arrays of weights are in scikit-learn's orientation: ``(n_in, n_out)``, so
    ``coef_before[i, j]`` is ``w_ji``, the weight from input ``i`` to unit ``j``.
    """

    layer: int
    activation: str
    inputs: np.ndarray
    net: np.ndarray
    out: np.ndarray
    slope: np.ndarray
    delta: np.ndarray
    coef_gradient: np.ndarray
    intercept_gradient: np.ndarray
    coef_before: np.ndarray
    coef_after: np.ndarray
    intercept_before: np.ndarray
    intercept_after: np.ndarray


@dataclass
class ExplainedStep:
    """Every quantity of one per-example SGD step; ``str()`` renders it."""

    layers: list
    loss_name: str
    loss: float
    target: np.ndarray
    learning_rate: float
    alpha: float
    coefs_after: list
    intercepts_after: list

    def __str__(self):
        def fmt(values):
            return np.array2string(np.asarray(values), precision=6, suppress_small=True)

        last = self.layers[-1]
        lines = [
            f"One per-example SGD step: learning rate {self.learning_rate:g}, "
            f"alpha {self.alpha:g}, loss '{self.loss_name}'",
            "",
            "Forward pass",
        ]
        for step in self.layers:
            lines += [
                f"  layer {step.layer} ({step.activation}): "
                f"inputs o_i = {fmt(step.inputs)}",
                f"    net_j = b_j + sum_i w_ji o_i = {fmt(step.net)}",
                f"    o_j = f(net_j)               = {fmt(step.out)}",
            ]
        lines += [
            f"  target t = {fmt(self.target)}, loss E = {self.loss:.8g}",
            "",
            "Backward pass (deltas are dE/dnet_j)",
        ]
        for step in reversed(self.layers):
            if step is last:
                if self.loss_name == "squared_error":
                    how = "-(t_j - o_j) f'(net_j)"
                else:
                    how = "o_j - t_j (the loss with its canonical output)"
                lines.append(f"  layer {step.layer}: delta_j = {how}")
            else:
                lines.append(
                    f"  layer {step.layer}: delta_j = f'(net_j) sum_k w_kj delta_k "
                    "(old weights w_kj)"
                )
            if not (step is last and step.activation == "softmax"):
                lines.append(f"    f'(net_j) = {fmt(step.slope)}")
            lines += [
                f"    delta_j   = {fmt(step.delta)}",
                "    dE/dw_ji = delta_j o_i (rows i, columns j):\n"
                f"{fmt(step.coef_gradient)}",
                f"    dE/db_j = delta_j = {fmt(step.intercept_gradient)}",
            ]
        lines += ["", "Update: w <- w - lr * (dE/dw + alpha * w); b <- b - lr * dE/db"]
        for step in self.layers:
            lines += [
                f"  layer {step.layer} weights after (rows i, columns j):\n"
                f"{fmt(step.coef_after)}",
                f"  layer {step.layer} biases after: {fmt(step.intercept_after)}",
            ]
        return "\n".join(lines)


def explain_step(estimator, x, t, *, learning_rate=None):
    """One per-example SGD step of a fitted network on ``(x, t)``, written out.

    The step is plain SGD, the seed notes' rule (no momentum), with the estimator's
    L2 penalty ``alpha`` and step size ``learning_rate`` (default: the one its next
    epoch would use). It runs through the same compiled primitives as training; the
    estimator itself is not changed.

    Parameters
    ----------
    estimator : fitted FastBPClassifier or FastBPRegressor
    x : array-like of shape (n_features,) or (1, n_features), or a sparse row
    t : label (classifier) or target value(s) (regressor) of the example
    learning_rate : float, optional

    Returns
    -------
    ExplainedStep
        ``layers`` (one :class:`LayerStep` per weight layer), ``loss``, and
        ``coefs_after`` / ``intercepts_after`` in the shapes of ``coefs_`` /
        ``intercepts_``.
    """
    model = fitted_network(estimator)
    network = model.network
    layout = network.layout
    y = np.asarray(t)
    y = y.reshape(1) if y.ndim == 0 else y.reshape(1, -1)  # one label or one row
    x = x.toarray() if issparse(x) else np.asarray(x, dtype=np.float64)
    if x.ndim > 2 or (x.ndim == 2 and x.shape[0] != 1):
        raise ValueError(
            f"x must be one example (n_features values, or one row), got an array "
            f"of shape {x.shape}."
        )
    X, Y, sample_weights = model.objective_data(x.reshape(1, -1), y)
    if learning_rate is None:
        learning_rate = model.learning_rate
    alpha = model.alpha
    before = model.theta
    theta = before.copy()
    record = tuple(np.empty(layout.n_units) for _ in range(4))
    step = Step.of(float(learning_rate), alpha, np.float64)
    loss = explain_example(
        X[0], Y[0], float(sample_weights[0]), theta, network.structure, step, record
    )
    nets, outs, slopes, deltas = record
    offsets = layout.unit_offsets
    n_layers = layout.n_weight_layers
    layers = []
    for layer in range(n_layers):
        units = slice(offsets[layer], offsets[layer + 1])
        inputs = X[0] if layer == 0 else outs[offsets[layer - 1] : offsets[layer]]
        code = network.out_code if layer == n_layers - 1 else network.hidden_code
        layers.append(
            LayerStep(
                layer=layer + 1,
                activation=_NAMES[code],
                inputs=inputs.copy(),
                net=nets[units].copy(),
                out=outs[units].copy(),
                slope=slopes[units].copy(),
                delta=deltas[units].copy(),
                coef_gradient=np.outer(inputs, deltas[units]),
                intercept_gradient=deltas[units].copy(),
                coef_before=layout.coefs(before)[layer].copy(),
                coef_after=layout.coefs(theta)[layer].copy(),
                intercept_before=layout.intercepts(before)[layer].copy(),
                intercept_after=layout.intercepts(theta)[layer].copy(),
            )
        )
    return ExplainedStep(
        layers=layers,
        loss_name=_LOSS_NAMES[network.loss_code],
        loss=float(loss),
        target=Y[0].copy(),
        learning_rate=float(learning_rate),
        alpha=alpha,
        coefs_after=[c.copy() for c in layout.coefs(theta)],
        intercepts_after=[b.copy() for b in layout.intercepts(theta)],
    )
