"""The per-example step above the first layer: forward, output delta, back-propagation.

The first layer is the one that differs between kernels (dense rows, blocks of
examples, CSR rows), so each kernel computes the first layer's net inputs and
applies its update itself, and runs everything in between through these functions.
How each kernel includes them (inlined, or as calls) is measured, and recorded in
``docs/architecture.md`` ("The step above the first layer").
"""

from numba import njit

from .._functions import (
    activate,
    derivative,
    inline_options,
    jit_options,
    llvm_inline_options,
    output_step,
)
from .layers import forward_layer, update_layer


@njit(**inline_options)
def example_views(structure, outs, deltas):
    """``(first layer's nets, output layer's outputs, output deltas)`` views."""
    sizes, unit_offsets = structure.sizes, structure.unit_offsets
    n_layers = sizes.shape[0] - 1
    return (
        outs[unit_offsets[0] : unit_offsets[1]],
        outs[unit_offsets[n_layers - 1] : unit_offsets[n_layers]],
        deltas[unit_offsets[n_layers - 1] : unit_offsets[n_layers]],
    )


@njit(**inline_options)
def forward_above_first(theta, structure, outs):
    """Forward pass through the layers above the first, given its activated outputs."""
    sizes, unit_offsets, hidden_code, out_code = (
        structure.sizes,
        structure.unit_offsets,
        structure.hidden_code,
        structure.out_code,
    )
    n_layers = sizes.shape[0] - 1
    for layer in range(1, n_layers):
        inputs = outs[unit_offsets[layer - 1] : unit_offsets[layer]]
        net = forward_layer(theta, structure, layer, inputs, outs)
        activate(out_code if layer == n_layers - 1 else hidden_code, net)


@njit(**inline_options)
def backward_above_first(theta, structure, outs, deltas, step, squared, optimizer):
    """Back-propagate and update from the last layer down to the second.

    Given the output deltas in ``deltas``: updates each layer's weights (adding
    their old squared norm to ``squared``) and ends with the first layer's deltas
    in ``deltas``. The first layer's update is the caller's.
    """
    sizes, unit_offsets, hidden_code = (
        structure.sizes,
        structure.unit_offsets,
        structure.hidden_code,
    )
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers - 1, 0, -1):
        inputs = outs[unit_offsets[layer - 1] : unit_offsets[layer]]
        # dE/do of the layer below, then (times f') its dE/dnet, in place.
        dE_do = deltas[unit_offsets[layer - 1] : unit_offsets[layer]]
        dE_do[:] = 0.0
        delta = deltas[unit_offsets[layer] : unit_offsets[layer + 1]]
        update_layer(
            theta, structure, layer, inputs, delta, step, squared, dE_do, None, None,
            optimizer,
        )  # fmt: skip
        for k in range(dE_do.shape[0]):
            dE_do[k] *= derivative(hidden_code, inputs[k])


# Compiled once per signature as a function of its own, which LLVM inlines: Numba's
# IR inlining of it took 3.9 s of the block kernel's compile, and again for the
# crew's (docs/architecture.md).
@njit(**llvm_inline_options)
def above_first_layer(
    theta, structure, outs, deltas, views, target, weight, step, squared, optimizer, losses
):
    """One example's step above the first layer's weights; returns the running
    ``losses`` (``(total, likelihood)``, :func:`fastbp._functions.add_unit_loss`)
    with its weighted loss added.

    Given the first layer's net inputs in ``outs``: activates them, runs the forward
    pass through the other layers, computes the output delta, and back-propagates
    and updates down to the second layer (:func:`backward_above_first`), ending
    with the first layer's deltas in ``deltas``. ``views`` are
    :func:`example_views`, made once per epoch (slicing them per example costs
    reference counting). The block kernel and the sparse optimiser kernel call it.
    """
    sizes, _, _, _, hidden_code, out_code, loss_code = structure
    n_layers = sizes.shape[0] - 1
    first_net, out, out_delta = views
    activate(out_code if n_layers == 1 else hidden_code, first_net)
    forward_above_first(theta, structure, outs)
    losses = output_step(loss_code, out_code, out, target, weight, out_delta, losses)
    backward_above_first(theta, structure, outs, deltas, step, squared, optimizer)
    return losses


# The same two functions compiled as calls, not inlined: for a kernel whose
# per-example cost is small next to the reference-count pairs of an inlined call's
# array arguments (the sparse kernel), and only for networks with hidden layers.
forward_above_first_call = njit(**jit_options)(forward_above_first.py_func)
backward_above_first_call = njit(**jit_options)(backward_above_first.py_func)
