"""Per-example SGD over dense rows: the fused one-example kernel, and one explained step.

Loss convention (scikit-learn's): a batch ``B`` minimises
``(1/|B|) sum_{i in B} s_i E_i + alpha / (2 |B|) ||W||^2`` where ``s_i`` is the
example's sample weight and ``W`` the weights (biases are not penalised). With
``|B| = 1`` each example's step is ``lr * (s_i dE_i/dw + alpha w)``.
"""

from numba import njit

from .._functions import (
    activate,
    derivative,
    example_loss,
    jit_options,
    loss_sum,
    output_delta,
    output_step,
)
from .borrowed import borrowed
from .conventions import weight_of
from .layers import forward_layer, sgd_one_unit, sgd_parameters, update_layer
from .prefetch import PREFETCH_AHEAD, PREFETCH_FAR, prefetch_example, prefetch_example_far
from .rules import begin_update
from .step import backward_above_first


def _dense_kernel(plain):
    """The source of both dense kernels; ``plain`` is a constant in it.

    True inlines the plain SGD update (:data:`fastbp._kernels.layers.sgd_parameters`),
    False calls :func:`~fastbp._kernels.layers.update_layer` with the optimiser.
    Numba prunes ``optimizer is None`` before typing only where it is None, and
    inlining one body into two kernels copied its IR for seconds: a constant of the
    closure chooses (docs/architecture.md).
    """

    def epoch(examples, order, theta, structure, step, buffers, optimizer):
        # Views without reference counts: the per-example slices take none.
        theta = borrowed(theta)
        structure = borrowed(structure)
        optimizer = borrowed(optimizer)
        X, Y, sample_weights = borrowed(examples)
        outs, deltas, _, squared_sum = borrowed(buffers)
        sizes, weight_offsets, _, unit_offsets, hidden_code, out_code, loss_code = structure
        n_layers = sizes.shape[0] - 1
        out_start = unit_offsets[n_layers - 1]
        out_stop = unit_offsets[n_layers]
        out = outs[out_start:out_stop]
        out_delta = deltas[out_start:out_stop]
        first_net = outs[unit_offsets[0] : unit_offsets[1]]
        first_delta = deltas[unit_offsets[0] : unit_offsets[1]]
        squared = squared_sum if step.alpha != 0.0 else None
        losses = (0.0, 1.0)  # (total, likelihood): _functions.add_unit_loss
        penalty = 0.0
        n_features = sizes[0]
        n_examples = order.shape[0]
        for position in range(n_examples):
            if position + PREFETCH_FAR < n_examples:
                prefetch_example_far(X, Y, sample_weights, order[position + PREFETCH_FAR])
            if position + PREFETCH_AHEAD < n_examples:
                prefetch_example(X, Y, sample_weights, order[position + PREFETCH_AHEAD])
            i = order[position]
            x = X[i]
            target = Y[i]
            weight = weight_of(sample_weights, i)
            # Forward. The first layer's net inputs were computed by the previous
            # example's update pass, except at the start of the epoch. Written out
            # rather than calling step.forward_above_first: a deliberate copy, as the
            # call measured slower here (docs/architecture.md).
            for layer in range(n_layers):
                net = outs[unit_offsets[layer] : unit_offsets[layer + 1]]
                if layer > 0 or position == 0:
                    inputs = (
                        x
                        if layer == 0
                        else outs[unit_offsets[layer - 1] : unit_offsets[layer]]
                    )
                    forward_layer(theta, structure, layer, inputs, outs)
                activate(out_code if layer == n_layers - 1 else hidden_code, net)
            losses = output_step(
                loss_code, out_code, out, target, weight, out_delta, losses
            )

            # Backward and update, last layer first: the step above the first layer
            # written out rather than calling step.backward_above_first (as above).
            begin_update(optimizer)
            if squared is not None:
                squared[0] = 0.0
            for layer in range(n_layers - 1, 0, -1):
                inputs = outs[unit_offsets[layer - 1] : unit_offsets[layer]]
                dE_do = deltas[unit_offsets[layer - 1] : unit_offsets[layer]]
                dE_do[:] = 0.0
                delta = deltas[unit_offsets[layer] : unit_offsets[layer + 1]]
                if plain:
                    sgd_parameters(
                        theta, weight_offsets[layer], sizes[layer + 1], sizes[layer],
                        inputs, delta, step, squared, dE_do, None, None, None,
                    )  # fmt: skip
                else:
                    update_layer(
                        theta, structure, layer, inputs, delta, step, squared, dE_do,
                        None, None, optimizer,
                    )  # fmt: skip
                for k in range(dE_do.shape[0]):
                    dE_do[k] *= derivative(hidden_code, inputs[k])
            # The first layer's pass also computes the next example's net inputs. After
            # the last example it computes them for the last row again, into a buffer
            # nobody reads before the next epoch recomputes it (one code path, not two).
            # Rows are read in place: aligned copies did not pay (docs/architecture.md).
            ahead = X[order[min(position + 1, n_examples - 1)]]
            if plain:
                if sizes[1] == 1:  # the delta rule's layer, in scalars (layers.py)
                    sgd_one_unit(
                        theta, weight_offsets[0], n_features, x, first_delta[0], step,
                        squared, ahead, first_net,
                    )  # fmt: skip
                else:
                    sgd_parameters(
                        theta, weight_offsets[0], sizes[1], n_features, x, first_delta,
                        step, squared, None, ahead, first_net, None,
                    )  # fmt: skip
            else:
                update_layer(
                    theta, structure, 0, x, first_delta, step, squared, None, ahead,
                    first_net, optimizer,
                )  # fmt: skip
            if squared is not None:
                penalty += 0.5 * step.alpha * squared[0]
        return loss_sum(losses), penalty

    epoch.__qualname__ = "sgd_epoch" if plain else "optimizer_epoch"
    return epoch


sgd_epoch = njit(**jit_options)(_dense_kernel(plain=True))
sgd_epoch.__doc__ = """One epoch of plain per-example SGD over ``examples`` in ``order``
(theta in place); ``optimizer`` is None.

Each example: forward pass, output delta, then from the last layer down one fused
pass over each layer's weights (:func:`fastbp._kernels.layers.update_parameters`)
that back-propagates the deltas with the old weights, applies the step and, in the
first layer, already computes the next example's net inputs with the new weights.

``step`` is a :class:`~fastbp._kernels.conventions.Step`, ``buffers``
:class:`~fastbp._kernels.conventions.ExampleBuffers` (``dense_row`` unused); X's
rows are read in place.

Returns
-------
data_loss : float
    ``sum_i s_i E_i`` over the epoch, each with the weights it was seen with.
penalty : float
    ``sum_i alpha / 2 ||W_i||^2``, the L2 term of every one-example batch.
"""

optimizer_epoch = njit(**jit_options)(_dense_kernel(plain=False))
optimizer_epoch.__doc__ = """:func:`sgd_epoch` with an ``optimizer`` state (momentum,
Adam: :mod:`fastbp._kernels.rules`), which takes one update per example."""


@njit(**jit_options)
def explain_example(x, target, weight, theta, structure, step, record):
    """One per-example SGD step of ``theta`` (in place) that records its quantities.

    The same primitives as :func:`sgd_epoch`, unfused, so that
    :mod:`fastbp.explain` can show every intermediate of the step the kernels take.
    ``record`` is ``(nets, outs, slopes, deltas)``, each ``n_units`` long in the
    layer layout of ``unit_offsets``: net inputs, outputs ``f(net)``, ``f'(net)``
    and ``dE/dnet``. Returns the example's weighted loss.
    """
    nets, outs, slopes, deltas = record
    sizes, _, _, unit_offsets, hidden_code, out_code, loss_code = structure
    n_layers = sizes.shape[0] - 1
    inputs = x
    for layer in range(n_layers):
        net = forward_layer(theta, structure, layer, inputs, outs)
        code = out_code if layer == n_layers - 1 else hidden_code
        for k in range(net.shape[0]):
            nets[unit_offsets[layer] + k] = net[k]
        activate(code, net)
        for k in range(net.shape[0]):
            slopes[unit_offsets[layer] + k] = derivative(code, net[k])
        inputs = net
    out = outs[unit_offsets[n_layers - 1] : unit_offsets[n_layers]]
    loss = weight * example_loss(loss_code, out_code, out, target)
    output_delta(
        loss_code, out_code, out, target, weight,
        deltas[unit_offsets[n_layers - 1] : unit_offsets[n_layers]],
    )  # fmt: skip
    backward_above_first(theta, structure, outs, deltas, step, None, None)
    first_delta = deltas[unit_offsets[0] : unit_offsets[1]]
    update_layer(theta, structure, 0, x, first_delta, step, None, None, None, None, None)
    return loss
