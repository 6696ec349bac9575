"""The Numba kernels, one module per job (the map: ``docs/architecture.md``).

- :mod:`.conventions`: the named groups of arguments every kernel receives;
- :mod:`.rules`: the update rules (SGD, momentum, Nesterov, Adam), one home each,
  and the optimiser interface the kernels call;
- :mod:`.rows`: a mini-batch chunk's inputs, dense rows or CSR rows;
- :mod:`.layers`: one layer's forward product and fused update;
- :mod:`.step`: the per-example step above the first layer;
- :mod:`.lazy_decay`: the first layer held as ``scale * V``;
- kernels: :mod:`.dense` (one example at a time), :mod:`.block` (the first layer
  in blocks of examples), :mod:`.sparse` (CSR rows), :mod:`.hogwild` (threads),
  :mod:`.batch` (mini-batches, gradients and prediction through BLAS).

Importing compiles nothing: every kernel is compiled on first use and cached.
"""
