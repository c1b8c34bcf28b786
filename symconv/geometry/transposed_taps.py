"""The taps of a transposed convolution: a convolution's taps read backwards.

A transposed convolution on ``L`` inputs is the adjoint of the matching convolution (channels
swapped, same kernel, stride, padding, dilation and groups) on ``L_out`` inputs, restricted to
its first ``L`` outputs: its taps are that convolution's with rows and columns swapped, so every
view works unchanged. Its geometry (:meth:`~symconv.geometry.geometry.Geometry.transposed`) is
the same connectivity seen as a direct convolution over the input dilated by the stride; the
tests check that both give the same taps.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from symconv.base.validate import check_position
from symconv.geometry.geometry import Geometry, describe
from symconv.geometry.numeric import as_exact, common_dtype
from symconv.geometry.taps import Counts, Position, Tap, Taps, check_spatial


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
        self.input_shape = conv_taps.output_shape
        self.output_shape = conv_taps.input_shape
        self.kernel_shape = conv_taps.kernel_shape
        self.ndim = conv_taps.ndim
        if self.ndim == 1:  # the convolution's own terms, read by the 1D diagnoses
            self.padding = conv_taps.padding
            self.maps = conv_taps.maps

    def __len__(self) -> int:
        return len(self.conv_taps)

    def __repr__(self) -> str:
        where = f"L={self.input_length}" if self.ndim == 1 else f"input shape {self.input_shape}"
        return f"<TransposedTaps on {where}: {describe(self.geometry)}: {len(self)} taps>"

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """``(C_in, C_out/groups, *K)``, as in PyTorch."""
        return (self.channels.in_channels, self.channels.out_per_group, *self.kernel_shape)

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
        out = self.conv_taps.input_grad(x, w)
        if b is not None:
            terms = max(1, self.conv_taps.out_per_group * self.conv_taps.kernel_size)
            dtype = common_dtype(x, w, b, terms=terms)
            out = as_exact(out, dtype)
            out += as_exact(b, dtype).reshape((1, -1) + (1,) * self.ndim)
        return out if precision is None else out.astype(precision)

    def input_grad(self, delta: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``W^T delta``: the convolution's forward pass."""
        return self.conv_taps.apply(delta, w, None)

    def weight_grad(self, x: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """``dL/dw``: the convolution's weight gradient with the roles of ``x`` and ``delta`` exchanged."""
        return self.conv_taps.weight_grad(delta, x)

    @staticmethod
    def _swap(tap: Tap) -> Tap:
        return Tap(tap.input, tap.output, tap.weight)

    def feeding(self, o: int, u: Position) -> list[Tap]:
        """The taps into output ``(o, *u)`` (``u`` an int in 1D)."""
        o, *pos = check_spatial("output position", "ou", o, u, (self.channels.out_channels, *self.output_shape))
        return sorted(self._swap(t) for t in self.conv_taps.fed_by(o, pos[0] if self.ndim == 1 else tuple(pos)))

    def fed_by(self, c: int, i: Position) -> list[Tap]:
        """The taps out of input ``(c, *i)`` (``i`` an int in 1D)."""
        c, *pos = check_spatial("input position", "ci", c, i, (self.channels.in_channels, *self.input_shape))
        return sorted(self._swap(t) for t in self.conv_taps.feeding(c, pos[0] if self.ndim == 1 else tuple(pos)))

    def tying_group(
        self, c: int, ow: int, k: Position, limit: int | None = None
    ) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """Every ``((o, *u), (c, *i))`` pair that weight ``w[c, ow, *k]`` connects, sorted by output."""
        ks = (k,) if isinstance(k, (int, np.integer)) else tuple(k)
        names = ("c", "ow", *(("k",) if self.ndim == 1 else (f"k{a}" for a in range(self.ndim))))
        if len(ks) != self.ndim:
            raise ValueError(f"weight index 'k' must have {self.ndim} kernel indices (got {k!r}).")
        check_position("weight index", names, (c, ow, *ks), self.weight_shape)
        # zero padding only: the conv's pairs (i, s*i + offset) come in the order of s*i + offset too
        return sorted((b, a) for a, b in self.conv_taps.tying_group(c, ow, k, limit))

    def receptive_field(self, o: int, u: Position) -> list[tuple[int, ...]]:
        return sorted({tap.input for tap in self.feeding(o, u)})

    def nonzeros(self) -> int:
        return self.conv_taps.nonzeros()

    def counts(self) -> Counts:
        n_out = self.channels.out_channels * self.output_length
        bias = self.geometry.bias
        dense = n_out * self.channels.in_channels * self.input_length + (n_out if bias else 0)
        weights = math.prod(self.weight_shape)
        return Counts(len(self), weights + (self.channels.out_channels if bias else 0), self.nonzeros(), dense)
