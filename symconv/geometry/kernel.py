"""An axis instantiated at concrete sizes: its compact taps, one :class:`KernelMap` per kernel position.

Examples:
    >>> from symconv.geometry.axis import Axis
    >>> [(m.k, m.lo, m.hi) for m in kernel_maps(Axis(5, 3, padding=(1, 1)))]
    [(0, 1, 5), (1, 0, 5), (2, 0, 4)]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from symconv.geometry.axis import Axis
from symconv.geometry.padding import fold


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


def _ints(axis: Axis) -> tuple[int, int, int, int, int, int]:
    if not axis.concrete:
        raise ValueError(f"the axis {axis} has symbolic sizes: substitute integers to instantiate its taps.")
    return (
        int(axis.size),
        int(axis.kernel_size),
        int(axis.stride),
        int(axis.dilation),
        int(axis.input_dilation),
        int(axis.padding[0]),
    )


def kernel_maps(axis: Axis) -> tuple[KernelMap, ...]:
    """The compact taps: one :class:`KernelMap` per kernel position (concrete sizes only)."""
    n, size, s, d, dil, left = _ints(axis)
    out = int(axis.output_size)
    if dil > 1 and axis.padding_mode != "zeros":
        raise ValueError(f"'padding_mode' {axis.padding_mode!r} cannot pad an input dilated by {dil}: only zeros can.")
    maps = []
    for j in range(size):
        offset = d * j - left
        k = int(axis.weight_index(j))
        if dil == 1:
            lo = min(max(0, -(offset // s)), out)
            hi = max(lo, min(out, (n - 1 - offset) // s + 1))
            maps.append(_edged(axis, k, offset, lo, hi, out, n))
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


def _edged(axis: Axis, k: int, offset: int, lo: int, hi: int, out: int, n: int) -> KernelMap:
    if axis.padding_mode == "zeros":  # every tap outside [lo, hi) reads a zero pad: none is kept
        return KernelMap(k, offset, lo, hi, *_no_edges())  # (and padding=2**40 must not allocate 2**41)
    outside = np.r_[np.arange(lo, dtype=np.int64), np.arange(hi, out, dtype=np.int64)]
    folded = fold(axis.padding_mode, int(axis.stride) * outside + offset, n)
    keep = folded >= 0
    return KernelMap(k, offset, lo, hi, outside[keep], folded[keep])


def padded_sources(axis: Axis) -> np.ndarray:
    """The input each position of the padded input reads (``-1`` for a zero pad), left pad first.

    Examples:
        >>> padded_sources(Axis(3, 2, padding=(2, 1), padding_mode="reflect")).tolist()
        [2, 1, 0, 1, 2, 1]
    """
    n, _, _, _, dil, left = _ints(axis)
    if dil != 1:
        raise ValueError(f"the padded input of an axis dilated by {dil} is not a fold of its input.")
    return fold(axis.padding_mode, np.arange(-left, n + int(axis.padding[1]), dtype=np.int64), n)


def spatial(axis: Axis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Output position, input position and weight index of every tap that reads the input."""
    s, dil = int(axis.stride), int(axis.input_dilation)
    outs, ins, ks = [], [], []
    for m in kernel_maps(axis):
        interior = np.arange(m.lo, m.hi, m.step, dtype=np.int64)
        outs += [interior, m.edge_out]
        ins += [(s * interior + m.offset) // dil, m.edge_in]
        ks.append(np.full(m.size, m.k, dtype=np.int64))
    if not ks:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(outs), np.concatenate(ins), np.concatenate(ks)


def _no_edges() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


class AxisTaps:
    """The taps of one axis at concrete sizes, with the per-axis queries a layer's taps multiply out.

    Every query is arithmetic on the kernel maps: nothing is materialised but the folded edges.

    Examples:
        >>> from symconv.geometry.axis import Axis
        >>> a = AxisTaps(Axis(5, 3, stride=2, padding=(1, 1)))
        >>> a.reading(0), a.read_by(2), a.pairs(1)
        ([(0, 1), (1, 2)], [(1, 1)], [(0, 0), (1, 2), (2, 4)])
    """

    def __init__(self, axis: Axis) -> None:
        self.axis = axis
        self.maps = kernel_maps(axis)
        self.size = int(axis.size)
        self.output_size = int(axis.output_size)
        self.kernel_size = int(axis.kernel_size)
        self.stride = int(axis.stride)

    def __len__(self) -> int:
        return sum(m.size for m in self.maps)

    @cached_property
    def spatial(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Output, input and weight index of every tap of this axis."""
        return spatial(self.axis)

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

    def reading(self, i: int) -> list[tuple[int, int]]:
        """``(t, k)`` for every tap into output position ``i``: one lookup per kernel map."""
        s, out = self.stride, []
        for m, edges in zip(self.maps, self._edges[0]):
            if m.lo <= i < m.hi:
                out.append((s * i + m.offset, m.k))
            elif i in edges:
                out.append((edges[i], m.k))
        return out

    def read_by(self, t: int) -> list[tuple[int, int]]:
        """``(i, k)`` for every tap out of input position ``t``: one division per kernel map."""
        s, out = self.stride, []
        for m, edges in zip(self.maps, self._edges[1]):
            i, r = divmod(t - m.offset, s)
            if r == 0 and m.lo <= i < m.hi:
                out.append((i, m.k))
            out += [(i, m.k) for i in edges.get(t, ())]
        return out

    def pairs(self, k: int, limit: int | None = None) -> list[tuple[int, int]]:
        """Every ``(i, t)`` that weight index ``k`` connects on this axis, sorted by output.

        ``limit`` keeps the first ``limit`` pairs, in time proportional to ``limit``.
        """
        m = next(m for m in self.maps if m.k == k)
        edges = sorted(zip(m.edge_out.tolist(), m.edge_in.tolist()))  # outputs below lo, then from hi on
        below = [p for p in edges if p[0] < m.lo]
        stop = m.hi if limit is None else min(m.hi, m.lo + max(0, limit - len(below)))
        found = below + [(i, self.stride * i + m.offset) for i in range(m.lo, stop)] + edges[len(below) :]
        return found[:limit]

    def distinct(self) -> int:
        """Distinct ``(i, t)`` pairs (folded taps can share one): ``O(K + edges)``, whatever the size.

        The interior taps of different kernel positions never share a pair (their offsets differ),
        so only the folded edge taps are compared, with each other and with the interior taps.
        """
        s = self.stride
        by_offset = {m.offset: m for m in self.maps}
        folded = set()
        for m in self.maps:
            for i, t in zip(m.edge_out.tolist(), m.edge_in.tolist()):
                other = by_offset.get(t - s * i)
                if other is None or not other.lo <= i < other.hi:
                    folded.add((i, t))
        return sum(m.hi - m.lo for m in self.maps) + len(folded)

    def sources(self) -> np.ndarray:
        """``(kernel_size, output_size)``: the input each output reads at each weight index, ``size`` for a zero pad."""
        src = np.full((self.kernel_size, self.output_size), self.size, dtype=np.int64)
        for m in self.maps:
            interior = np.arange(m.lo, m.hi, dtype=np.int64)
            src[m.k, m.lo : m.hi] = self.stride * interior + m.offset
            src[m.k, m.edge_out] = m.edge_in
        return src
