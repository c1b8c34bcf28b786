"""One spatial axis of a layer: sizes, index map and fold, for concrete or symbolic sizes.

An axis reads an input of ``size`` positions, with ``input_dilation - 1`` zeros inserted between
neighbours (JAX's ``lhs_dilation``, as a transposed convolution does), padded by
``padding = (left, right)`` (negative padding crops), through a kernel of ``kernel_size`` taps
``dilation`` apart, moved ``stride`` at a time. Output ``i`` and kernel position ``j`` meet at

    ``t = stride*i + dilation*j - left``

on the dilated input; that is input ``t / input_dilation`` when the division is exact and ``t`` is
inside, a padding position otherwise (read as zero, or folded back onto the input by the padding
mode: reflect, replicate, circular). The weight index is ``j``, or ``kernel_size - 1 - j`` when
the kernel is flipped (true convolution).

The arithmetic uses no NumPy, so the sizes may be SymPy integer symbols: the output size and the
index map are then SymPy expressions. :func:`symconv.geometry.kernel.kernel_maps` instantiates an
axis at concrete sizes.

Examples:
    >>> Axis(size=7, kernel_size=3, stride=2, padding=(1, 1)).output_size
    4
    >>> import sympy
    >>> L, K = sympy.symbols("L K", integer=True, positive=True)
    >>> Axis(size=L, kernel_size=K).output_size
    -K + L + 1
    >>> i, j = sympy.symbols("i j", integer=True)
    >>> Axis(size=L, kernel_size=K, stride=2, dilation=3, padding=(1, 1)).index(i, j)
    2*i + 3*j - 1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import sympy

from symconv.geometry.padding import PADDING_MODES

Size: TypeAlias = int | sympy.Expr


def _concrete(*values: Size) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def floor_div(a: Size, b: Size) -> Size:
    """``floor(a / b)``: exact integer division for ints, ``sympy.floor`` for expressions."""
    if _concrete(a, b):
        return int(a) // int(b)
    return sympy.floor(sympy.sympify(a) / b)


@dataclass(frozen=True)
class Axis:
    """One spatial dimension of a layer (see the module docstring for the index map).

    Sizes are ints, or SymPy integer expressions for a symbolic build; ``padding`` is the resolved
    ``(left, right)`` pair. The axis does no validation of its own: the layers validate their
    parameters and then build their axes.
    """

    size: Size
    kernel_size: Size
    stride: Size = 1
    dilation: Size = 1
    input_dilation: Size = 1
    padding: tuple[Size, Size] = (0, 0)
    padding_mode: str = "zeros"
    flip: bool = False

    def __post_init__(self) -> None:
        if self.padding_mode not in PADDING_MODES:
            raise ValueError(f"'padding_mode' must be one of {PADDING_MODES} (got {self.padding_mode!r}).")

    @property
    def concrete(self) -> bool:
        """Whether every size is an int (the axis can be instantiated as taps)."""
        return _concrete(self.size, self.kernel_size, self.stride, self.dilation, self.input_dilation, *self.padding)

    @property
    def dilated_size(self) -> Size:
        """``(size - 1)*input_dilation + 1``: the input with its inserted zeros."""
        return (self.size - 1) * self.input_dilation + 1

    @property
    def padded_size(self) -> Size:
        """``dilated_size + left + right``."""
        return self.dilated_size + self.padding[0] + self.padding[1]

    @property
    def extent(self) -> Size:
        """``dilation*(kernel_size - 1) + 1``: the span of the dilated kernel."""
        return self.dilation * (self.kernel_size - 1) + 1

    @property
    def output_size(self) -> Size:
        """``floor((padded_size - extent) / stride) + 1``."""
        return floor_div(self.padded_size - self.extent, self.stride) + 1

    def index(self, i: Size, j: Size) -> Size:
        """``stride*i + dilation*j - left``: where output ``i`` and kernel position ``j`` meet."""
        return self.stride * i + self.dilation * j - self.padding[0]

    def weight_index(self, j: Size) -> Size:
        """The weight read at kernel position ``j``: ``j``, or ``kernel_size - 1 - j`` when flipped."""
        return self.kernel_size - 1 - j if self.flip else j

    def at(self, values: dict[Any, int]) -> Axis:
        """This axis with SymPy symbols replaced by the ints in ``values``."""

        def put(v: Size) -> Size:
            return int(sympy.sympify(v).subs(values)) if not isinstance(v, int) else v

        return Axis(
            put(self.size),
            put(self.kernel_size),
            put(self.stride),
            put(self.dilation),
            put(self.input_dilation),
            (put(self.padding[0]), put(self.padding[1])),
            self.padding_mode,
            self.flip,
        )
