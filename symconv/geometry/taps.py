"""Taps: the one source of truth. Every view of a layer is derived from them.

A tap is an integer triple (output, input, weight): output position ``(o, *i)`` reads input
position ``(c, *t)`` through weight ``w[o, c - gamma_o, *k]``. A layer with many channels and a
long input has hundreds of millions of taps, so they are kept compact: per axis, one affine map
per kernel position (``t = stride*i + offset`` on an interior range of outputs) plus the padding
fold (the few taps near the edges that land on reflected, replicated or wrapped inputs); a layer
with several axes has the product of its axes' taps. The spatial taps are the same for every
channel pair; the channel pairs multiply them out only when :meth:`Taps.triples` is asked for.

Layout (used by every view): spatial positions are flattened in C order, so an axis-by-axis
position ``(i_0, ..., i_{N-1})`` is one flat ``i`` (row-major, PyTorch's ``flatten`` order);
``input_length`` and ``output_length`` are the flat counts per channel (in 1D, ``L`` and
``L_out``). Rows of the layer's matrix are ``vec(z)``, channel-major (``o*L_out + i``); columns
are ``vec(x)``, channel-major (``c*L + t``); the flat weight index is
``(o*(C_in/groups) + c - gamma_o)*K + k``, with ``K`` the number of kernel positions: the
C-order position in ``w`` of shape ``(C_out, C_in/groups, *kernel_shape)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from symconv.base.validate import as_index, as_int, check_position
from symconv.geometry.geometry import Geometry, describe
from symconv.geometry.kernel import AxisTaps
from symconv.geometry.kernel import KernelMap as KernelMap  # Taps.maps holds them: importable from here too

Position = int | Sequence[int]


class Tap(NamedTuple):
    """One tap: ``z[output] += w[weight] * x[input]``; output ``(o, *i)``, input ``(c, *t)``, weight ``(o, cw, *k)``.

    ``cw = c - gamma_o`` is the input channel counted within output channel o's group.
    """

    output: tuple[int, ...]
    input: tuple[int, ...]
    weight: tuple[int, ...]


class Counts(NamedTuple):
    """Sizes of a layer at one input length (T25)."""

    taps: int
    parameters: int
    nonzeros: int
    dense_parameters: int


def check_spatial(what: str, names: str, channel: int, position: Position, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``(channel, *position)`` checked against ``shape`` (channels first); a position is an int for one
    spatial axis and a tuple of one index per axis beyond (named ``i0``, ``i1``, ... in messages)."""
    ndim = len(shape) - 1
    spatial = (position,) if isinstance(position, (int, np.integer)) or ndim == 1 else tuple(position)
    if ndim > 1 and len(spatial) != ndim:
        raise ValueError(f"'{what}' must have {ndim} spatial indices (got {position!r}).")
    labels = (names[0], *(names[1] if ndim == 1 else f"{names[1]}{a}" for a in range(ndim)))
    return tuple(check_position(what, labels, (channel, *spatial), shape))


class Taps:
    """The connectivity of a layer at one input length, with queries.

    Indices passed to and returned by the queries are 0-based array positions, whatever
    ``index_base`` the symbols use.

    Examples:
        >>> from symconv import Conv1d
        >>> taps = Conv1d(1, 1, 3).expand(5).taps
        >>> [tap.input for tap in taps.feeding(0, 1)]
        [(0, 1), (0, 2), (0, 3)]
        >>> taps.tying_group(0, 0, 2)
        [((0, 0), (0, 2)), ((0, 1), (0, 3)), ((0, 2), (0, 4))]
        >>> taps.counts()
        Counts(taps=9, parameters=4, nonzeros=9, dense_parameters=18)
    """

    def __init__(self, geometry: Geometry) -> None:
        for a, axis in enumerate(geometry.axes):
            if not axis.concrete:
                raise ValueError(f"'geometry' axis {a} must have integer sizes to give taps (got {axis}).")
            if axis.input_dilation != 1:
                raise ValueError(
                    f"'geometry' axis {a} must read an undilated input (got input_dilation={axis.input_dilation}); "
                    "a transposed layer's taps are its convolution's, read backwards (TransposedTaps)."
                )
        self.geometry = geometry
        self.channels = geometry.channels
        self.axes = tuple(AxisTaps(axis) for axis in geometry.axes)
        self.input_shape = tuple(a.size for a in self.axes)
        self.output_shape = tuple(a.output_size for a in self.axes)
        self.kernel_shape = tuple(a.kernel_size for a in self.axes)
        self.input_length = math.prod(self.input_shape)
        self.output_length = math.prod(self.output_shape)
        self.kernel_size = math.prod(self.kernel_shape)
        if len(self.axes) == 1:  # the one axis's own terms, read by the 1D numeric passes
            (first,) = self.axes
            self.axis = first.axis
            self.maps = first.maps
            self.stride = first.stride
            self.padding = (int(self.axis.padding[0]), int(self.axis.padding[1]))

    @property
    def ndim(self) -> int:
        """The number of spatial axes."""
        return len(self.axes)

    @property
    def in_channels(self) -> int:
        return self.channels.in_channels

    @property
    def out_channels(self) -> int:
        return self.channels.out_channels

    @property
    def groups(self) -> int:
        return self.channels.groups

    @property
    def in_per_group(self) -> int:
        return self.channels.in_per_group

    @property
    def out_per_group(self) -> int:
        return self.channels.out_per_group

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """``(C_out, C_in/groups, *kernel_shape)``: the weight the taps index."""
        return (self.out_channels, self.in_per_group, *self.kernel_shape)

    def apply(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, precision: Any = None) -> np.ndarray:
        """The layer on numbers: ``x`` ``(N, C_in, L)`` to ``(N, C_out, L_out)`` (see :mod:`symconv.geometry.numeric`).

        ``precision=np.float32`` computes float data in single precision (for speed).
        """
        if self.ndim == 1:
            from symconv.geometry.numeric import correlate_taps

            return correlate_taps(self, x, w, b, precision)
        from symconv.geometry.gather import correlate_gather

        return correlate_gather(self, x, w, b, precision)

    def project(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, a: np.ndarray) -> np.ndarray:
        """``a @ y`` over the output channels of the layer's output ``y``, ``(N, J, *out)`` for ``a`` ``(J, C_out)``,
        at the cost of a layer with ``J`` output channels, in ``x``'s dtype (see
        :func:`~symconv.geometry.gather.project_gather`)."""
        from symconv.geometry.gather import project_gather

        return project_gather(self, x, w, b, a)

    def input_grad(self, delta: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``W^T vec(delta)`` on numbers (see :mod:`symconv.geometry.adjoint`)."""
        if self.ndim == 1:
            from symconv.geometry.adjoint import input_grad

            return input_grad(self, delta, w)
        from symconv.geometry.gather import input_grad_gather

        return input_grad_gather(self, delta, w)

    def weight_grad(self, x: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """``dL/dw`` on numbers, summed over the batch (see :mod:`symconv.geometry.adjoint`)."""
        if self.ndim == 1:
            from symconv.geometry.adjoint import weight_grad

            return weight_grad(self, x, delta)
        from symconv.geometry.gather import weight_grad_gather

        return weight_grad_gather(self, x, delta)

    def __len__(self) -> int:
        return math.prod(len(a) for a in self.axes) * self.out_channels * self.in_per_group

    def __repr__(self) -> str:
        return f"<Taps on L={self.input_length}: {describe(self.geometry)}: {len(self)} taps>"

    @cached_property
    def spatial(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flat output position, input position and kernel index of every spatial tap (one channel pair).

        With several axes: the product of the axes' taps, each flattened in C order.
        """
        if self.ndim == 1:
            return self.axes[0].spatial
        outs, ins, ks = self.axes[0].spatial
        for a in self.axes[1:]:
            i, t, k = a.spatial
            outs = (outs[:, None] * a.output_size + i[None, :]).ravel()
            ins = (ins[:, None] * a.size + t[None, :]).ravel()
            ks = (ks[:, None] * a.kernel_size + k[None, :]).ravel()
        return outs, ins, ks

    def channel_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every ``(o, c, cw)``: output channel, input channel, and ``cw = c - gamma_o``, its index within o's group."""
        o = np.repeat(np.arange(self.out_channels, dtype=np.int64), self.in_per_group)
        cw = np.tile(np.arange(self.in_per_group, dtype=np.int64), self.out_channels)
        return o, (o // self.out_per_group) * self.in_per_group + cw, cw

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All taps as flat ``(row, column, weight)`` int64 arrays (layout in the module docstring).

        Materialised on request: this is ``len(self)`` entries each.
        """
        i, t, k = self.spatial
        o, c, cw = self.channel_pairs()
        size = self.kernel_size
        rows = (o[:, None] * self.output_length + i[None, :]).ravel()
        cols = (c[:, None] * self.input_length + t[None, :]).ravel()
        weights = ((o * self.in_per_group + cw)[:, None] * size + k[None, :]).ravel()
        return rows, cols, weights

    def _pairs_for_group(self, o: int) -> range:
        first = (o // self.out_per_group) * self.in_per_group
        return range(first, first + self.in_per_group)

    def feeding(self, o: int, i: Position) -> list[Tap]:
        """The taps into output ``(o, *i)``: which inputs, through which weights (``i`` an int in 1D)."""
        o, *pos = check_spatial("output position", "oi", o, i, (self.out_channels, *self.output_shape))
        first = self._pairs_for_group(o).start
        per_axis = [a.reading(p) for a, p in zip(self.axes, pos)]
        return sorted(
            Tap((o, *pos), (c, *(t for t, _ in combo)), (o, c - first, *(k for _, k in combo)))
            for c in self._pairs_for_group(o)
            for combo in itertools.product(*per_axis)
        )

    def fed_by(self, c: int, t: Position) -> list[Tap]:
        """The taps out of input ``(c, *t)``: which outputs it reaches, through which weights (``t`` an int in 1D)."""
        c, *pos = check_spatial("input position", "ct", c, t, (self.in_channels, *self.input_shape))
        group = c // self.in_per_group
        cw = c - group * self.in_per_group
        outs = range(group * self.out_per_group, (group + 1) * self.out_per_group)
        per_axis = [a.read_by(p) for a, p in zip(self.axes, pos)]
        return sorted(
            Tap((o, *(i for i, _ in combo)), (c, *pos), (o, cw, *(k for _, k in combo)))
            for o in outs
            for combo in itertools.product(*per_axis)
        )

    def tying_group(
        self, o: int, cw: int, k: Position, limit: int | None = None
    ) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """Every ``((o, *i), (c, *t))`` pair that weight ``w[o, cw, *k]`` connects: the matrix entries it appears in.

        ``k`` is an int in 1D, a tuple of kernel indices in N-D. Sorted by output; ``limit`` keeps
        only the first ``limit`` pairs (in 1D in time proportional to ``limit``: a weight of a long
        layer has a pair per output position).
        """
        ks = (k,) if self.ndim == 1 or isinstance(k, (int, np.integer)) else tuple(k)
        if len(ks) != self.ndim:
            raise ValueError(f"weight index 'k' must have {self.ndim} kernel indices (got {k!r}).")
        names = ("o", "cw", *(("k",) if self.ndim == 1 else (f"k{a}" for a in range(self.ndim))))
        values = tuple(as_index(name, value) for name, value in zip(names, (o, cw, *ks)))
        for name, value, bound in zip(names, values, self.weight_shape):
            if not 0 <= value < bound:
                raise ValueError(f"weight index '{name}' must be in [0, {bound}) (got {value}).")
        o, cw, *kk = values
        c = self._pairs_for_group(o).start + cw
        limit = None if limit is None else as_int("limit", limit, minimum=0)
        if self.ndim == 1:
            return [((o, i), (c, t)) for i, t in self.axes[0].pairs(kk[0], limit)]
        per_axis = [a.pairs(kj) for a, kj in zip(self.axes, kk)]
        combos = itertools.islice(itertools.product(*per_axis), limit)
        return [((o, *(i for i, _ in combo)), (c, *(t for _, t in combo))) for combo in combos]

    def receptive_field(self, o: int, i: Position) -> list[tuple[int, ...]]:
        """The distinct inputs ``(c, *t)`` that output ``(o, *i)`` depends on, sorted."""
        return sorted({tap.input for tap in self.feeding(o, i)})

    def nonzeros(self) -> int:
        """Structurally non-zero entries of the matrix (folded taps can share an entry).

        Arithmetic: per axis, the distinct ``(i, t)`` pairs (:meth:`AxisTaps.distinct`, ``O(K +
        edges)``); an N-D entry is one pair per axis, so the counts multiply.
        """
        return math.prod(a.distinct() for a in self.axes) * self.out_channels * self.in_per_group

    def counts(self) -> Counts:
        """Taps, parameters, matrix non-zeros, and the parameters of the equivalent dense layer."""
        n_out = self.out_channels * self.output_length
        bias = self.geometry.bias
        dense = n_out * self.in_channels * self.input_length + (n_out if bias else 0)
        parameters = self.out_channels * self.in_per_group * self.kernel_size + (self.out_channels if bias else 0)
        return Counts(len(self), parameters, self.nonzeros(), dense)
