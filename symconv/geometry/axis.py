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
index map are then SymPy expressions. :meth:`Axis.kernel_maps` and :meth:`Axis.spatial`
instantiate the axis at concrete sizes.

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

import numpy as np
import sympy

from symconv.geometry.padding import PADDING_MODES, fold

Size: TypeAlias = int | sympy.Expr


def _concrete(*values: Size) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def floor_div(a: Size, b: Size) -> Size:
    """``floor(a / b)``: exact integer division for ints, ``sympy.floor`` for expressions."""
    if _concrete(a, b):
        return int(a) // int(b)
    return sympy.floor(sympy.sympify(a) / b)


@dataclass(frozen=True, eq=False)
class KernelMap:
    """The taps of one kernel position ``j`` on an axis.

    Outputs ``i`` in ``range(lo, hi, step)`` read input ``(stride*i + offset) // input_dilation``
    directly (``step`` is 1 unless the input is dilated); ``edge_out[m]`` reads ``edge_in[m]``
    through the padding fold. ``k`` is the weight index (for true convolution, the flipped position).
    """

    k: int
    offset: int
    lo: int
    hi: int
    edge_out: np.ndarray
    edge_in: np.ndarray
    step: int = 1

    def __repr__(self) -> str:
        fields = f"k={self.k}, offset={self.offset}, lo={self.lo}, hi={self.hi}, "
        fields += f"edge_out={self.edge_out!r}, edge_in={self.edge_in!r}"
        return f"KernelMap({fields}{'' if self.step == 1 else f', step={self.step}'})"

    @property
    def interior(self) -> int:
        """How many outputs read the input directly."""
        return len(range(self.lo, self.hi, self.step))

    @property
    def size(self) -> int:
        return self.interior + self.edge_out.size


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

    def _ints(self) -> tuple[int, int, int, int, int, int]:
        if not self.concrete:
            raise ValueError(f"the axis {self} has symbolic sizes: substitute integers to instantiate its taps.")
        return (
            int(self.size),
            int(self.kernel_size),
            int(self.stride),
            int(self.dilation),
            int(self.input_dilation),
            int(self.padding[0]),
        )

    def kernel_maps(self) -> tuple[KernelMap, ...]:
        """The compact taps: one :class:`KernelMap` per kernel position (concrete sizes only)."""
        n, size, s, d, dil, left = self._ints()
        out = int(self.output_size)
        if dil > 1 and self.padding_mode != "zeros":
            raise ValueError(
                f"'padding_mode' {self.padding_mode!r} cannot pad an input dilated by {dil}: only zeros can."
            )
        maps = []
        for j in range(size):
            offset = d * j - left
            k = int(self.weight_index(j))
            if dil == 1:
                lo = min(max(0, -(offset // s)), out)
                hi = max(lo, min(out, (n - 1 - offset) // s + 1))
                maps.append(self._edged(k, offset, lo, hi, out, n))
                continue
            # stepped outputs: s*i + offset must be a multiple of dil, inside [0, dil*(n-1)]
            first = next((i for i in range(dil) if (s * i + offset) % dil == 0), None)
            step = dil // np.gcd(s, dil)
            if first is None or out <= 0:
                maps.append(KernelMap(k, offset, 0, 0, *_no_edges(), step=int(step)))
                continue
            low = max(0, -(offset // s))  # the first i with s*i + offset >= 0
            lo = first + -(-(low - first) // step) * step if low > first else first
            top = (dil * (n - 1) - offset) // s  # the last i with s*i + offset <= dil*(n-1)
            hi = min(out, top + 1)
            maps.append(KernelMap(k, offset, lo, max(lo, hi), *_no_edges(), step=int(step)))
        return tuple(maps)

    def _edged(self, k: int, offset: int, lo: int, hi: int, out: int, n: int) -> KernelMap:
        if self.padding_mode == "zeros":  # every tap outside [lo, hi) reads a zero pad: none is kept
            return KernelMap(k, offset, lo, hi, *_no_edges())  # (and padding=2**40 must not allocate 2**41)
        outside = np.r_[np.arange(lo, dtype=np.int64), np.arange(hi, out, dtype=np.int64)]
        folded = fold(self.padding_mode, int(self.stride) * outside + offset, n)
        keep = folded >= 0
        return KernelMap(k, offset, lo, hi, outside[keep], folded[keep])

    def spatial(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Output position, input position and weight index of every tap that reads the input."""
        s, dil = int(self.stride), int(self.input_dilation)
        outs, ins, ks = [], [], []
        for m in self.kernel_maps():
            interior = np.arange(m.lo, m.hi, m.step, dtype=np.int64)
            outs += [interior, m.edge_out]
            ins += [(s * interior + m.offset) // dil, m.edge_in]
            ks.append(np.full(m.size, m.k, dtype=np.int64))
        if not ks:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(outs), np.concatenate(ins), np.concatenate(ks)

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


def _no_edges() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
