"""The size of a stack's symbolic expansion, from the layers' output-length arithmetic alone.

:meth:`Sequential.expand <symconv.stack.sequential.Sequential.expand>` builds every stage whole: the
input symbols, and per stage its output symbols and its local equations. Their size is counted
here before anything is built, as a single layer's views count it (one term per tap, one per
bias, one per symbol):

* the input symbols ``x``: ``C * L`` (``C * H * W`` in 2D);
* per stage, its output symbols ``C_out * L_out``, plus its connections (each one reads one
  input symbol) and its biases:

  - convolutions and transposed convolutions: their taps, plus one bias per output if they have bias;
  - ``Activation`` and ``Flatten``: one connection per entry;
  - pooling: the real input positions of every window, per channel (in N-D the product of the
    axes' counts);
  - ``Linear``: ``rows * out_features * in_features`` products, plus ``rows * out_features``
    biases if it has bias (``rows``: every entry but the last axis).

No symbol is built and nothing is proportional to ``L``, so a stack on ``10**8`` inputs is
measured (and refused) at once.
"""

from __future__ import annotations

import math
from typing import Any

from symconv.layers.protocol import Kind, TapsLayer


def stage_shapes(layers: tuple[Any, ...], shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The ``(channels, *spatial)`` each layer of a stack writes, from its input ``shape``.

    Raises:
        ValueError: A layer that does not fit the shape the stack gives it (channels, features,
            or an input shorter than the kernel or window), as building the stack would.
    """
    shapes = []
    for j, layer in enumerate(layers, start=1):
        if isinstance(layer, TapsLayer):
            if shape[0] != layer.in_channels:
                raise ValueError(f"layer {j} expects {layer.in_channels} channels but the stack gives {shape[0]}.")
            if layer.ndim != len(shape) - 1:
                raise ValueError(
                    f"layer {j} ({type(layer).__name__}) has {layer.ndim} spatial axes but the stack gives "
                    f"shape {tuple(shape)!r} ({len(shape) - 1} spatial axes)."
                )
            size = shape[1] if len(shape) == 2 else shape[1:]
            shape = (layer.out_channels, *(int(n) for n in layer.geometry(size).output_sizes))
        else:
            try:
                shape = tuple(layer.output_shape(shape))
            except ValueError as exc:
                raise ValueError(f"layer {j} ({type(layer).__name__}): {exc}") from None
        shapes.append(shape)
    return shapes


def stage_terms(layer: Any, shape: tuple[int, ...], out: tuple[int, ...]) -> int:
    """The terms of one stage reading ``shape`` and writing ``out``: connections, biases, outputs."""
    outputs = math.prod(out)
    size = shape[1] if len(shape) == 2 else shape[1:]
    kind = getattr(layer, "kind", None)
    if isinstance(layer, TapsLayer):
        return len(layer.make_taps(size)) + (outputs if layer.bias else 0) + outputs
    if kind in (Kind.ACTIVATION, Kind.FLATTEN):
        return math.prod(shape) + outputs
    if kind is Kind.POOLING:
        return shape[0] * layer.connections(size) + outputs
    if kind is Kind.DENSE:
        rows = math.prod(shape[:-1])
        return rows * layer.out_features * layer.in_features + (outputs if layer.bias else 0) + outputs
    raise TypeError(f"'layer' must be a layer of a stack (got {type(layer).__name__}).")


def stack_terms(layers: tuple[Any, ...], in_channels: int, input_length: int | tuple[int, ...]) -> int:
    """The terms :meth:`Sequential.expand` builds: the input symbols, then every stage's terms.

    Examples:
        >>> from symconv import Activation, Conv1d, MaxPool1d
        >>> # x: 3; conv: 4 taps + 2 outputs; relu: 2 + 2; pool: 2 + 1
        >>> stack_terms((Conv1d(1, 1, 2, bias=False), Activation("relu"), MaxPool1d(2)), 1, 3)
        16
    """
    spatial = tuple(input_length) if isinstance(input_length, (tuple, list)) else (input_length,)
    shape = (in_channels, *spatial)
    total = math.prod(shape)
    for layer, out in zip(layers, stage_shapes(layers, shape)):
        total += stage_terms(layer, shape, out)
        shape = out
    return total
