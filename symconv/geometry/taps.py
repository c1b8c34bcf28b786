"""Taps: the one source of truth. Every view of a layer is derived from them.

A tap is an integer triple (output, input, weight): output position ``(o, i)`` reads input
position ``(c, t)`` through weight ``w[o, c - gamma_o, k]``. A layer with many channels and a long
input has hundreds of millions of taps, so they are kept compact: one affine map per kernel
position (``t = stride*i + offset`` on an interior range of outputs) plus the padding fold
(the few taps near the edges that land on reflected, replicated or wrapped inputs). The
spatial taps are the same for every channel pair; the channel pairs multiply them out only
when :meth:`Taps.triples` is asked for.

Layout (used by every view): rows of the layer's matrix are ``vec(z)``, channel-major
(``o*L_out + i``); columns are ``vec(x)``, channel-major (``c*L + t``); the flat weight index
is ``(o*(C_in/groups) + c - gamma_o)*K + k``, the C-order position in ``w`` of shape
``(C_out, C_in/groups, K)``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from symconv.base.validate import as_index, as_int, check_position
from symconv.geometry.geometry import Geometry, describe
from symconv.geometry.kernel import KernelMap as KernelMap  # Taps.maps holds them: importable from here too
from symconv.geometry.kernel import kernel_maps


class Tap(NamedTuple):
    """One tap: ``z[output] += w[weight] * x[input]``; output ``(o, i)``, input ``(c, t)``, weight ``(o, cw, k)``.

    ``cw = c - gamma_o`` is the input channel counted within output channel o's group.
    """

    output: tuple[int, int]
    input: tuple[int, int]
    weight: tuple[int, int, int]


class Counts(NamedTuple):
    """Sizes of a layer at one input length (T25)."""

    taps: int
    parameters: int
    nonzeros: int
    dense_parameters: int


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
        if len(geometry.axes) != 1:
            raise ValueError(f"'geometry' must have one axis here (got {len(geometry.axes)}).")
        (axis,) = geometry.axes
        if not axis.concrete:
            raise ValueError(f"'geometry' must have integer sizes to give taps (got {axis}).")
        if axis.input_dilation != 1:
            raise ValueError(
                f"'geometry' must read an undilated input (got input_dilation={axis.input_dilation}); "
                "a transposed layer's taps are its convolution's, read backwards (TransposedTaps)."
            )
        self.geometry = geometry
        self.axis = axis
        self.channels = geometry.channels
        self.input_length = int(axis.size)
        self.output_length = int(axis.output_size)
        self.padding = (int(axis.padding[0]), int(axis.padding[1]))
        self.stride = int(axis.stride)
        self.kernel_size = int(axis.kernel_size)
        self.maps = kernel_maps(axis)

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
    def weight_shape(self) -> tuple[int, int, int]:
        """``(C_out, C_in/groups, K)``: the weight the taps index."""
        return (self.out_channels, self.in_per_group, self.kernel_size)

    def apply(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, precision: Any = None) -> np.ndarray:
        """The layer on numbers: ``x`` ``(N, C_in, L)`` to ``(N, C_out, L_out)`` (see :mod:`symconv.geometry.numeric`).

        ``precision=np.float32`` computes float data in single precision (for speed).
        """
        from symconv.geometry.numeric import correlate_taps

        return correlate_taps(self, x, w, b, precision)

    def input_grad(self, delta: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``W^T vec(delta)`` on numbers (see :mod:`symconv.geometry.adjoint`)."""
        from symconv.geometry.adjoint import input_grad

        return input_grad(self, delta, w)

    def weight_grad(self, x: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """``dL/dw`` on numbers, summed over the batch (see :mod:`symconv.geometry.adjoint`)."""
        from symconv.geometry.adjoint import weight_grad

        return weight_grad(self, x, delta)

    def __len__(self) -> int:
        return sum(m.size for m in self.maps) * self.out_channels * self.in_per_group

    def __repr__(self) -> str:
        return f"<Taps on L={self.input_length}: {describe(self.geometry)}: {len(self)} taps>"

    @cached_property
    def spatial(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Output position, input position and kernel index of every spatial tap (one channel pair)."""
        outs, ins, ks = [], [], []
        for m in self.maps:
            interior = np.arange(m.lo, m.hi, dtype=np.int64)
            outs += [interior, m.edge_out]
            ins += [self.stride * interior + m.offset, m.edge_in]
            ks.append(np.full(m.size, m.k, dtype=np.int64))
        if not outs:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(outs), np.concatenate(ins), np.concatenate(ks)

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

    def feeding(self, o: int, i: int) -> list[Tap]:
        """The taps into output ``(o, i)``: which inputs, through which weights."""
        o, i = check_position("output position", ("o", "i"), (o, i), (self.out_channels, self.output_length))
        first = self._pairs_for_group(o).start
        spatial = self._reading(i)
        return sorted(Tap((o, i), (c, t), (o, c - first, k)) for c in self._pairs_for_group(o) for t, k in spatial)

    def fed_by(self, c: int, t: int) -> list[Tap]:
        """The taps out of input ``(c, t)``: which outputs it reaches, through which weights."""
        c, t = check_position("input position", ("c", "t"), (c, t), (self.in_channels, self.input_length))
        group = c // self.in_per_group
        cw = c - group * self.in_per_group
        outs = range(group * self.out_per_group, (group + 1) * self.out_per_group)
        spatial = self._read_by(t)
        return sorted(Tap((o, i), (c, t), (o, cw, k)) for o in outs for i, k in spatial)

    def tying_group(
        self, o: int, cw: int, k: int, limit: int | None = None
    ) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """Every ``((o, i), (c, t))`` pair that weight ``w[o, cw, k]`` connects: the matrix entries it appears in.

        Sorted by output; ``limit`` keeps only the first ``limit`` pairs (in time proportional to
        ``limit``: a weight of a long layer has a pair per output position).
        """
        shape = self.weight_shape
        o, cw, k = (as_index(name, value) for name, value in (("o", o), ("cw", cw), ("k", k)))
        for name, value, bound in zip(("o", "cw", "k"), (o, cw, k), shape):
            if not 0 <= value < bound:
                raise ValueError(f"weight index '{name}' must be in [0, {bound}) (got {value}).")
        c = self._pairs_for_group(o).start + cw
        limit = None if limit is None else as_int("limit", limit, minimum=0)
        m = next(m for m in self.maps if m.k == k)
        edges = sorted(zip(m.edge_out.tolist(), m.edge_in.tolist()))  # outputs below lo, then from hi on
        below = [p for p in edges if p[0] < m.lo]
        stop = m.hi if limit is None else min(m.hi, m.lo + max(0, limit - len(below)))
        pairs = below + [(i, self.stride * i + m.offset) for i in range(m.lo, stop)] + edges[len(below) :]
        return [((o, i), (c, t)) for i, t in pairs[:limit]]

    def receptive_field(self, o: int, i: int) -> list[tuple[int, int]]:
        """The distinct inputs ``(c, t)`` that output ``(o, i)`` depends on, sorted."""
        return sorted({tap.input for tap in self.feeding(o, i)})

    def nonzeros(self) -> int:
        """Structurally non-zero entries of the matrix (folded taps can share an entry).

        Arithmetic: the interior taps of different kernel positions never share an entry (their
        offsets differ), so only the folded edge taps are compared, with each other and with the
        interior taps: ``O(K + edges)``, whatever the input length.
        """
        s = self.stride
        by_offset = {m.offset: m for m in self.maps}
        folded = set()
        for m in self.maps:
            for i, t in zip(m.edge_out.tolist(), m.edge_in.tolist()):
                other = by_offset.get(t - s * i)
                if other is None or not other.lo <= i < other.hi:
                    folded.add((i, t))
        distinct = sum(m.hi - m.lo for m in self.maps) + len(folded)
        return distinct * self.out_channels * self.in_per_group

    @cached_property
    def _edges(self) -> tuple[list[dict[int, int]], list[dict[int, list[int]]]]:
        """Per kernel map, the folded taps: ``{output: input}`` and ``{input: [outputs]}``."""
        forward, backward = [], []
        for m in self.maps:
            pairs = list(zip(m.edge_out.tolist(), m.edge_in.tolist()))
            forward.append(dict(pairs))
            back: dict[int, list[int]] = {}
            for i, t in pairs:
                back.setdefault(t, []).append(i)
            backward.append(back)
        return forward, backward

    def _reading(self, i: int) -> list[tuple[int, int]]:
        """``(t, k)`` for every spatial tap into output position ``i``: one lookup per kernel map."""
        s, out = self.stride, []
        for m, edges in zip(self.maps, self._edges[0]):
            if m.lo <= i < m.hi:
                out.append((s * i + m.offset, m.k))
            elif i in edges:
                out.append((edges[i], m.k))
        return out

    def _read_by(self, t: int) -> list[tuple[int, int]]:
        """``(i, k)`` for every spatial tap out of input position ``t``: one division per kernel map."""
        s, out = self.stride, []
        for m, edges in zip(self.maps, self._edges[1]):
            i, r = divmod(t - m.offset, s)
            if r == 0 and m.lo <= i < m.hi:
                out.append((i, m.k))
            out += [(i, m.k) for i in edges.get(t, ())]
        return out

    def counts(self) -> Counts:
        """Taps, parameters, matrix non-zeros, and the parameters of the equivalent dense layer."""
        n_out = self.out_channels * self.output_length
        bias = self.geometry.bias
        dense = n_out * self.in_channels * self.input_length + (n_out if bias else 0)
        parameters = self.out_channels * self.in_per_group * self.kernel_size + (self.out_channels if bias else 0)
        return Counts(len(self), parameters, self.nonzeros(), dense)
