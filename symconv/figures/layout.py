"""Geometry of the figures, computed once from the taps and drawn by both TikZ and matplotlib.

Connectivity diagram: the padded input along the bottom (padding positions marked), the
outputs along the top, each output above the centre of its window, and one edge per
kernel position from each output down to the padded position it reads. An edge is a tap
(``kind='tap'``) when it reads a real input, directly or through the padding fold, and a
zero pad (``kind='zero'``) otherwise, which contributes nothing. Channels sit side by side.

Matrix picture: one cell per non-zero entry of ``W``, coloured by the weight(s) it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import sympy

from symconv.base import order
from symconv.base.symbols import entries
from symconv.geometry.kernel import padded_sources
from symconv.geometry.transposed_taps import TransposedTaps
from symconv.views.expansion import Expansion

#: One colour per weight (flat index modulo the length), colour-blind friendly (Okabe-Ito, then Tableau).
PALETTE: tuple[str, ...] = (
    "0072B2",
    "D55E00",
    "009E73",
    "CC79A7",
    "E69F00",
    "56B4E9",
    "8C564B",
    "7F7F7F",
    "BCBD22",
    "000000",
)

GAP = 1.0  # horizontal space between channel blocks
HEIGHT = 3.0  # vertical distance between the input and the output rows


@dataclass(frozen=True)
class Node:
    """A circle (input or output) or a square (padding position) at ``(x, y)`` with a LaTeX label."""

    x: float
    y: float
    label: str
    kind: str  # 'input', 'pad' (folded copy of an input), 'zero' (zero pad) or 'output'


@dataclass(frozen=True)
class Edge:
    """An edge from input node ``source`` to output node ``target`` through weight ``weight`` (flat index)."""

    source: int
    target: int
    weight: int
    label: str
    kind: str  # 'tap' or 'zero'
    position: float  # where along the edge (from the input) the label sits


@dataclass(frozen=True)
class Diagram:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    weights: tuple[str, ...]  # LaTeX label of each weight, by flat index
    width: float
    height: float
    note: str = ""  # what the dashed squares and dotted edges mean, if there are any


PAD_NOTE = "dashed squares: padding (0, or the input it copies); dotted: reads a zero pad"
CROP_NOTE = "dashed squares: outputs cropped by the padding p; dotted: taps that land there"


def symbol_label(symbol: Any) -> str:
    return sympy.latex(symbol)


def connectivity(e: Expansion) -> Diagram:
    """The connectivity diagram of an expansion: positions from its axis, edges from its taps' kernel maps."""
    spec, n, axis = e.spec, e.input_length, e.taps.axis
    left = int(axis.padding[0])
    source = padded_sources(axis).tolist()  # the input each padded position copies (-1: a zero pad)
    width = len(source)
    nodes: list[Node] = []
    inputs: dict[tuple[int, int], int] = {}
    for c in range(spec.in_channels):
        base = c * (width + GAP)
        for j, t in enumerate(source):
            kind = "input" if 0 <= j - left < n else ("zero" if t < 0 else "pad")
            label = "0" if t < 0 else symbol_label(e.x[c, t])
            inputs[(c, j)] = len(nodes)
            nodes.append(Node(base + j, 0.0, label, kind))
    outputs: dict[tuple[int, int], int] = {}
    centre = (int(axis.extent) - 1) / 2
    for o in range(spec.out_channels):
        base = o * (width + GAP) + _shift(spec, width)
        for i in range(e.output_length):
            outputs[(o, i)] = len(nodes)
            start = int(axis.index(i, 0)) + left  # where output i's window starts on the padded input
            nodes.append(Node(base + start + centre, HEIGHT, symbol_label(e.z_symbols[o, i]), "output"))
    edges = _edges(e, inputs, outputs, nodes)
    total = max(spec.in_channels, spec.out_channels) * (width + GAP) - GAP
    note = PAD_NOTE if width > n else ""
    return Diagram(tuple(nodes), tuple(edges), tuple(symbol_label(w) for w in entries(e.w)), total, HEIGHT, note)


def connectivity_transposed(e: Expansion) -> Diagram:
    """The diagram of a transposed convolution: input ``i`` scatters its kernel onto outputs ``s i + d k - p``.

    The full scatter is drawn; the outputs the padding crops are dashed squares. Every position
    is the matching convolution's index map (its axis), read backwards.
    """
    spec, n, n_out, p = e.spec, e.input_length, e.output_length, spec_padding(e)
    taps = cast(TransposedTaps, e.taps)
    axis = taps.conv_taps.axis  # the convolution's axis: its output i, kernel k meet input u = s*i + d*k - p
    size = int(axis.kernel_size)
    width = max(int(axis.index(n - 1, size - 1)) + p + 1, n_out + p)
    nodes: list[Node] = []
    inputs = {}
    for c in range(spec.in_channels):
        for i in range(n):
            inputs[(c, i)] = len(nodes)
            centre = int(axis.index(i, 0)) + p + (int(axis.extent) - 1) / 2
            nodes.append(Node(c * (width + GAP) + centre, 0.0, symbol_label(e.x[c, i]), "input"))
    outputs = {}
    for o in range(spec.out_channels):
        base = o * (width + GAP) + _shift(spec, width)
        for u in range(-p, width - p):
            outputs[(o, u)] = len(nodes)
            inside = 0 <= u < n_out
            label = symbol_label(e.z_symbols[o, u]) if inside else r"\times"
            nodes.append(Node(base + u + p, HEIGHT, label, "output" if inside else "zero"))
    c_in, c_out = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    w_labels = [symbol_label(w) for w in entries(e.w)]
    edges = []
    for c in range(spec.in_channels):
        for q in range(c_out):
            o = (c // c_in) * c_out + q
            for k in range(size):
                flat = (c * c_out + q) * size + k
                place = 0.2 + 0.6 * k / (size - 1) if size > 1 else 0.5
                for i in range(n):
                    u = int(axis.index(i, k))
                    kind = "tap" if 0 <= u < n_out else "zero"
                    edges.append(Edge(inputs[(c, i)], outputs[(o, u)], flat, w_labels[flat], kind, place))
    total = max(spec.in_channels, spec.out_channels) * (width + GAP) - GAP
    note = CROP_NOTE if p else ""
    return Diagram(tuple(nodes), tuple(edges), tuple(w_labels), total, HEIGHT, note)


def spec_padding(e: Expansion) -> int:
    """The padding ``p`` cropped from the left of a transposed convolution's full output (from each end,
    but with TensorFlow's ``'same'``, whose right crop can be one more)."""
    return int(e.padding[0])


def _shift(spec: Any, width: int) -> float:
    """Centre the output blocks over the input blocks when the channel counts differ."""
    return (spec.in_channels - spec.out_channels) * (width + GAP) / 2


def _edges(e: Expansion, inputs: dict[Any, int], outputs: dict[Any, int], nodes: list[Node]) -> list[Edge]:
    """One edge per output and kernel position, to the padded position the axis's index map gives."""
    spec, taps = e.spec, e.taps
    axis, left = taps.axis, int(taps.axis.padding[0])
    size, per = spec.kernel_size, taps.in_per_group
    w_labels = [symbol_label(w) for w in entries(e.w)]
    edges = []
    for o in range(spec.out_channels):
        first = (o // taps.out_per_group) * per
        for cw in range(per):
            for j, m in enumerate(taps.maps):
                flat = (o * per + cw) * size + m.k
                place = 0.2 + 0.6 * j / (size - 1) if size > 1 else 0.5
                for i in range(e.output_length):
                    padded = int(axis.index(i, j)) + left
                    source = inputs[(first + cw, padded)]
                    kind = "zero" if nodes[source].kind == "zero" else "tap"
                    edges.append(Edge(source, outputs[(o, i)], flat, w_labels[flat], kind, place))
    return edges


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    weights: tuple[int, ...]  # flat weight indices (several under reflect/replicate/circular folds)
    label: str


def matrix_cells(e: Expansion) -> tuple[list[Cell], tuple[int, int]]:
    """The non-zero entries of ``W`` (from the taps), each with the weights it holds, and the shape."""
    rows, cols, weights = e.taps.triples()
    held: dict[tuple[int, int], list[int]] = {}
    for r, c, k in zip(rows.tolist(), cols.tolist(), weights.tolist()):
        held.setdefault((r, c), []).append(k)
    matrix = e.matrix
    cells = [Cell(r, c, tuple(ks), order.latex(matrix[r, c])) for (r, c), ks in sorted(held.items())]
    return cells, e.matrix_shape


def colour(flat: int) -> str:
    """The hex colour of weight ``flat``."""
    return PALETTE[flat % len(PALETTE)]
