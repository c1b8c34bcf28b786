"""The taps of a transposed convolution: a convolution's taps read backwards.

A transposed convolution on ``L`` inputs is the adjoint of the matching convolution (channels
swapped, same kernel, stride, padding, dilation and groups) on ``L_out`` inputs, restricted to
its first ``L`` outputs: its taps are that convolution's with rows and columns swapped, so every
view works unchanged. Its geometry (:meth:`~symconv.geometry.geometry.Geometry.transposed`) is
the same connectivity seen as a direct convolution over the input dilated by the stride; the
tests check that both give the same taps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symconv.base.validate import check_position
from symconv.geometry.adjoint import input_grad, weight_grad
from symconv.geometry.geometry import Geometry, describe
from symconv.geometry.numeric import as_exact, common_dtype, correlate_taps
from symconv.geometry.taps import Counts, Tap, Taps


class TransposedTaps:
    """The taps of a transposed convolution: its matching convolution's taps, read backwards.

    ``geometry`` is the transposed geometry (:meth:`~symconv.geometry.geometry.Geometry.transposed`
    of the convolution's); ``conv_taps`` are the convolution's taps, whose rows and columns are
    swapped here. Every query answers in the transposed layer's own indices.
    """

    def __init__(self, geometry: Geometry, conv_taps: Taps) -> None:
        self.geometry = geometry
        self.channels = geometry.channels
        self.conv_taps = conv_taps
        self.input_length = conv_taps.output_length
        self.output_length = conv_taps.input_length
        self.padding = conv_taps.padding
        self.maps = conv_taps.maps
        self.input_shape = (self.input_length,)
        self.output_shape = (self.output_length,)
        self.ndim = 1

    def __len__(self) -> int:
        return len(self.conv_taps)

    def __repr__(self) -> str:
        return f"<TransposedTaps on L={self.input_length}: {describe(self.geometry)}: {len(self)} taps>"

    @property
    def weight_shape(self) -> tuple[int, int, int]:
        """``(C_in, C_out/groups, K)``, as in PyTorch."""
        return (self.channels.in_channels, self.channels.out_per_group, self.conv_taps.kernel_size)

    @property
    def spatial(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        i, t, k = self.conv_taps.spatial
        return t, i, k

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, cols, weights = self.conv_taps.triples()
        return cols, rows, weights

    def apply(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, precision: Any = None) -> np.ndarray:
        """The layer on numbers: ``W^T x + b``, cast to ``precision`` when given.

        The result's dtype comes from all three arguments, as for ``Conv1d``
        (:func:`~symconv.geometry.numeric.common_dtype`): integer ``x`` and ``w`` with a float,
        ``Fraction`` or complex bias give floats, ``Fraction``s or complex numbers, and
        integers that could overflow int64 are computed with Python ints.
        """
        out = input_grad(self.conv_taps, x, w)
        if b is not None:
            terms = max(1, self.conv_taps.out_per_group * self.conv_taps.kernel_size)
            dtype = common_dtype(x, w, b, terms=terms)
            out = as_exact(out, dtype)
            out += as_exact(b, dtype)[None, :, None]
        return out if precision is None else out.astype(precision)

    def input_grad(self, delta: np.ndarray, w: np.ndarray) -> np.ndarray:
        return correlate_taps(self.conv_taps, delta, w, None)

    def weight_grad(self, x: np.ndarray, delta: np.ndarray) -> np.ndarray:
        return weight_grad(self.conv_taps, delta, x)

    @staticmethod
    def _swap(tap: Tap) -> Tap:
        return Tap(tap.input, tap.output, tap.weight)

    def feeding(self, o: int, u: int) -> list[Tap]:
        o, u = check_position("output position", ("o", "u"), (o, u), (self.channels.out_channels, self.output_length))
        return sorted(self._swap(t) for t in self.conv_taps.fed_by(o, u))

    def fed_by(self, c: int, i: int) -> list[Tap]:
        c, i = check_position("input position", ("c", "i"), (c, i), (self.channels.in_channels, self.input_length))
        return sorted(self._swap(t) for t in self.conv_taps.feeding(c, i))

    def tying_group(
        self, c: int, ow: int, k: int, limit: int | None = None
    ) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        check_position("weight index", ("c", "ow", "k"), (c, ow, k), self.weight_shape)
        # zero padding only: the conv's pairs (i, s*i + offset) come in the order of s*i + offset too
        return sorted((b, a) for a, b in self.conv_taps.tying_group(c, ow, k, limit))

    def receptive_field(self, o: int, u: int) -> list[tuple[int, ...]]:
        return sorted({tap.input for tap in self.feeding(o, u)})

    def nonzeros(self) -> int:
        return self.conv_taps.nonzeros()

    def counts(self) -> Counts:
        n_out = self.channels.out_channels * self.output_length
        bias = self.geometry.bias
        dense = n_out * self.channels.in_channels * self.input_length + (n_out if bias else 0)
        c, o, k = self.weight_shape
        return Counts(len(self), c * o * k + (self.channels.out_channels if bias else 0), self.nonzeros(), dense)
