"""The size of a stack's symbolic expansion, from the layers' output-length arithmetic alone.

:meth:`Sequential.expand <symconv.stack.sequential.Sequential.expand>` builds every stage whole: the
input symbols, and per stage its output symbols and its local equations. Their size is counted
here before anything is built, as a single layer's views count it (one term per tap, one per
bias, one per symbol):

* the input symbols ``x``: ``C * L``;
* per stage, its output symbols ``C_out * L_out``, plus its connections (each one reads one
  input symbol) and its biases:

  - ``Conv1d`` / ``ConvTranspose1d``: its taps, plus ``C_out * L_out`` biases if it has bias;
  - ``Activation`` and ``Flatten``: one connection per entry;
  - ``AvgPool1d`` / ``MaxPool1d``: the real input positions of every window, per channel;
  - ``Linear``: ``rows * out_features * in_features`` products, plus ``rows * out_features``
    biases if it has bias.

No symbol is built and nothing is proportional to ``L``, so a stack on ``10**8`` inputs is
measured (and refused) at once.
"""

from __future__ import annotations

from typing import Any

from symconv.layers.protocol import Kind, TapsLayer


def stage_shapes(layers: tuple[Any, ...], shape: tuple[int, int]) -> list[tuple[int, int]]:
    """The ``(channels, length)`` each layer of a stack writes, from its input ``shape``.

    Raises:
        ValueError: A layer that does not fit the shape the stack gives it (channels, features,
            or an input shorter than the kernel or window), as building the stack would.
    """
    shapes = []
    for j, layer in enumerate(layers, start=1):
        if isinstance(layer, TapsLayer):
            if shape[0] != layer.in_channels:
                raise ValueError(f"layer {j} expects {layer.in_channels} channels but the stack gives {shape[0]}.")
            shape = (layer.out_channels, int(layer.geometry(shape[1]).output_sizes[0]))
        else:
            shape = layer.output_shape(shape)
        shapes.append(shape)
    return shapes


def stage_terms(layer: Any, shape: tuple[int, int], out: tuple[int, int]) -> int:
    """The terms of one stage reading ``shape`` and writing ``out``: connections, biases, outputs."""
    rows, length = shape
    outputs = out[0] * out[1]
    kind = getattr(layer, "kind", None)
    if isinstance(layer, TapsLayer):
        return len(layer.make_taps(length)) + (outputs if layer.bias else 0) + outputs
    if kind in (Kind.ACTIVATION, Kind.FLATTEN):
        return rows * length + outputs
    if kind is Kind.POOLING:
        return rows * layer.connections(length) + outputs
    if kind is Kind.DENSE:
        return rows * layer.out_features * layer.in_features + (outputs if layer.bias else 0) + outputs
    raise TypeError(f"'layer' must be a layer of a stack (got {type(layer).__name__}).")


def stack_terms(layers: tuple[Any, ...], in_channels: int, input_length: int) -> int:
    """The terms :meth:`Sequential.expand` builds: the input symbols, then every stage's terms.

    Examples:
        >>> from symconv import Activation, Conv1d, MaxPool1d
        >>> # x: 3; conv: 4 taps + 2 outputs; relu: 2 + 2; pool: 2 + 1
        >>> stack_terms((Conv1d(1, 1, 2, bias=False), Activation("relu"), MaxPool1d(2)), 1, 3)
        16
    """
    shape = (in_channels, input_length)
    total = in_channels * input_length
    for layer, out in zip(layers, stage_shapes(layers, shape)):
        total += stage_terms(layer, shape, out)
        shape = out
    return total
