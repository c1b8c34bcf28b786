"""Geometry of the figures, computed once from the taps and drawn by both TikZ and matplotlib.

Connectivity diagram: the padded input along the bottom (padding positions marked), the
outputs along the top, each output above the centre of its window, and one edge per
kernel position from each output down to the padded position it reads. An edge is a tap
(``kind='tap'``) when it reads a real input, directly or through the padding fold, and a
zero pad (``kind='zero'``) otherwise, which contributes nothing. Channels sit side by side.

Matrix picture: one cell per non-zero entry of ``W``, coloured by the weight(s) it holds.
"""

from __future__ import annotations

import colorsys
import itertools
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import sympy

from symconv.base import order
from symconv.base.symbols import entries
from symconv.figures import elision, marks
from symconv.figures.isolated import Focus
from symconv.geometry.kernel import padded_sources
from symconv.geometry.transposed_taps import TransposedTaps
from symconv.layers.protocol import Kind
from symconv.views.expansion import Expansion

Position = tuple[int, ...]

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
    """A circle (input or output) or a square (padding position) at ``(x, y)`` with a LaTeX label.

    ``index`` is its position, channel first (a padding square: in input coordinates, outside
    ``[0, n)``; a cropped output of a transposed layer: outside ``[0, L_out)``); ``copies`` the
    real input a padding square holds (``None``: a zero); ``hl`` whether an isolated view highlights it.
    """

    x: float
    y: float
    label: str
    kind: str  # 'input', 'pad' (folded copy of an input), 'zero' (zero pad or cropped output) or 'output'
    index: Position = ()
    copies: Position | None = None
    hl: bool = False

    @property
    def mark(self) -> str:
        """Its kind in the markup contract: ``'input'``, ``'output'`` or ``'pad'``."""
        return self.kind if self.kind in ("input", "output") else "pad"


@dataclass(frozen=True)
class Edge:
    """An edge from input node ``source`` to output node ``target`` through weight ``weight`` (flat index)."""

    source: int
    target: int
    weight: int
    label: str
    kind: str  # 'tap' or 'zero'
    position: float  # where along the edge (from the input) the label sits
    weight_index: Position = ()
    hl: bool = False
    colour: str = "000000"


@dataclass(frozen=True)
class Gap:
    """A marker standing for ``count`` positions (or channels) left out, centred at ``(x, y)``."""

    x: float
    y: float
    count: int
    what: str  # 'positions' or 'channels'


@dataclass(frozen=True)
class Diagram:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    weights: tuple[str, ...]  # LaTeX label of each weight, by flat index
    width: float
    height: float
    note: str = ""  # what the dashed squares and dotted edges mean, if there are any
    gaps: tuple[Gap, ...] = ()
    elided: str = ""  # what is left out, in a sentence ('' when everything is drawn)
    legend: tuple[tuple[str, str], ...] = ()  # (hex colour, LaTeX label): every colour drawn, once
    legend_title: str = "weights:"
    focus: str = ""  # the isolated view, in words ('' when none)
    highlighted: dict[str, frozenset[Position]] = field(default_factory=marks.nothing)

    def caption_lines(self) -> list[str]:
        """What the figure shows beyond its legend: the isolated view, the padding note, what is left out."""
        lines = [f"Isolated view: {self.focus}; the rest faded." if self.focus else "", self.note, self.elided]
        return [line for line in lines if line]


PAD_NOTE = "dashed squares: padding (0, or the input it copies); dotted: reads a zero pad"
CROP_NOTE = "dashed squares: outputs cropped by the padding p; dotted: taps that land there"
FADE = "BBBBBB"  # the edges an isolated view does not highlight

#: No figure refuses a layer any more (it used to, past this many taps). Kept for code that reads it:
#: past this many taps the connectivity diagram draws only the first channel block (and those a view
#: highlights), and rows past :data:`POSITIONS` outputs are elided as always; the figure says so.
DRAW_LIMIT = 400
CHANNELS = 4  # more channels than this, or more channel pairs than PAIRS: only the first (and those a
PAIRS = 9  # view highlights) are drawn, edges between every pair of blocks would cross into a smear
POSITIONS = 16  # more outputs (or inputs of a transposed layer) than this: the ends and the highlighted
PADDED = 24  # more padded positions than this: only those the drawn outputs read (and the highlighted)
HEAD, TAIL = 4, 2
COLOUR_LIMIT = 24  # more weights drawn than this: colour by output channel instead


def symbol_label(symbol: Any) -> str:
    return sympy.latex(symbol)


def distinct_colours(count: int) -> tuple[str, ...]:
    """``count`` pairwise different hex colours: :data:`PALETTE` first, then evenly spaced hues.

    Examples:
        >>> cols = distinct_colours(30)
        >>> len(set(cols)), cols[:2]
        (30, ('0072B2', 'D55E00'))
    """
    out = list(PALETTE[:count])
    extra = count - len(out)
    j = 0
    while len(out) < count:
        hue = (j // 2) / max(1, (extra + 1) // 2) + (0.5 / max(1, extra) if j % 2 else 0.0)
        sat, val = (0.8, 0.75) if j % 2 == 0 else (0.55, 0.5)
        r, g, b = colorsys.hsv_to_rgb(hue % 1.0, sat, val)
        hexa = f"{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"
        if hexa not in out:
            out.append(hexa)
        j += 1
    return tuple(out)


class _Rows:
    """The two rows of a connectivity diagram, whichever layer kind: a *base* row of padded positions
    ``q`` (the padded input of a convolution; the full, uncropped output of a transposed one) and a
    *window* row whose node ``i`` touches the base positions of its window."""

    def __init__(self, e: Expansion, focus: Focus | None) -> None:
        self.e, self.focus = e, focus
        self.transposed = e.spec.kind is Kind.TRANSPOSED
        spec = e.spec
        if self.transposed:
            taps = cast(TransposedTaps, e.taps)
            self.axis = taps.conv_taps.axis
            self.left = p = int(e.padding[0])
            size = int(self.axis.kernel_size)
            n, n_out = e.input_length, e.output_length
            self.width = max(int(self.axis.index(n - 1, size - 1)) + p + 1, n_out + p)
            self.sources = list(range(-p, self.width - p))
            self.window_len, self.base_channels, self.window_channels = n, spec.out_channels, spec.in_channels
            self.js = [(k, k) for k in range(size)]
        else:
            self.axis = e.taps.axis
            self.left = int(self.axis.padding[0])
            self.sources = padded_sources(self.axis).tolist()
            self.width = len(self.sources)
            self.window_len, self.base_channels, self.window_channels = (
                e.output_length,
                spec.in_channels,
                spec.out_channels,
            )
            self.js = [(j, m.k) for j, m in enumerate(e.taps.maps)]

    def window(self, i: int) -> list[int]:
        return [int(self.axis.index(i, j)) + self.left for j, _ in self.js]

    def pairs(self) -> list[tuple[int, int, int]]:
        """Every (window channel, base channel, flat weight of kernel index 0) joined by edges."""
        spec, size = self.e.spec, len(self.js)
        c_in, c_out = spec.in_channels // spec.groups, spec.out_channels // spec.groups
        out = []
        if self.transposed:
            for c in range(spec.in_channels):
                for q in range(c_out):
                    out.append((c, (c // c_in) * c_out + q, (c * c_out + q) * size))
        else:
            for o in range(spec.out_channels):
                first = (o // c_out) * c_in
                for cw in range(c_in):
                    out.append((o, first + cw, (o * c_in + cw) * size))
        return out

    def focus_sets(self) -> tuple[set[int], set[int], set[int], set[int]]:
        """Window positions, base positions, window channels, base channels the focus needs drawn."""
        f = self.focus
        if f is None:
            return set(), set(), set(), set()
        ends = [(t.output, t.input) for t in f.taps]
        if f.kind == "input":
            ends.append(((-1, -1), f.index))
        if f.kind == "output":
            ends.append((f.index, (-1, -1)))
        copies: dict[int, list[int]] = {}  # input t -> the padded positions holding it
        for q, t in enumerate(self.sources):
            copies.setdefault(t, []).append(q)
        wpos, bpos, wch, bch = set(), set(), set(), set()
        for out, inp in ends:
            win, base = (inp, out) if self.transposed else (out, inp)
            if win[0] >= 0:
                wch.add(win[0])
                wpos.add(win[1])
            if base[0] >= 0:
                bch.add(base[0])
                bpos |= set(copies.get(base[1], [])) if not self.transposed else {base[1] + self.left}
        if f.kind == "weight":
            spec = self.e.spec
            per = (spec.in_channels if not self.transposed else spec.out_channels) // spec.groups
            group = f.index[0] // ((spec.out_channels if not self.transposed else spec.in_channels) // spec.groups)
            wch.add(f.index[0])
            bch.add(group * per + f.index[1])
        return wpos, bpos, wch, bch


def connectivity(e: Expansion, focus: Focus | None = None) -> Diagram:
    """The connectivity diagram: positions from the layer's axis, edges from its kernel maps, elided when long.

    A convolution draws its padded input along the bottom (padding marked) and each output above the
    centre of its window. A transposed convolution draws its inputs below and the full scatter above,
    the outputs the padding crops as dashed squares. An isolated view (``focus``) highlights its edges
    and nodes and fades the rest.
    """
    rows = _Rows(e, focus)
    wpos, bpos, wch, bch = rows.focus_sets()
    if focus is not None and focus.kind == "weight" and len(wpos) > 3:  # a shared weight is everywhere: its ends
        wpos, bpos = set(sorted(wpos)[:2] + sorted(wpos)[-1:]), set()
    crowded = max(rows.window_channels, rows.base_channels) > CHANNELS or len(rows.pairs()) > PAIRS
    crowded = crowded or len(e.taps) > DRAW_LIMIT
    limit = 0 if crowded else CHANNELS
    win_channels = elision.keep(rows.window_channels, limit, 0 if wch else 1, 0, _few(wch), fill=0)
    base_channels = elision.keep(rows.base_channels, limit, 0 if bch else 1, 0, _few(bch), fill=0)
    head, tail = (0, 0) if wpos else (HEAD, TAIL)  # a view: only around what it highlights (if anything)
    around = {min(wpos) - 1, max(wpos) + 1} if wpos else set()
    windows = elision.keep(rows.window_len, POSITIONS, head, tail, wpos | around)
    if rows.width <= PADDED and len(windows) == rows.window_len:
        base = list(range(rows.width))
    else:
        base = elision.filled({q for i in windows for q in rows.window(i)} | bpos, 2)
    return _Builder(rows, win_channels, base_channels, windows, base).diagram()


def _few(channels: set[int]) -> set[int]:
    """The channels a view needs, at most two (the first and the last): the rest are elided."""
    ordered = sorted(channels)
    return set(ordered[:1] + ordered[-1:])


class _Builder:
    def __init__(self, rows: _Rows, wch: list[int], bch: list[int], windows: list[int], base: list[int]) -> None:
        self.rows, self.e = rows, rows.e
        self.wch, self.bch, self.windows = wch, bch, windows
        self.track = elision.track(base, total=rows.width)
        self.nodes: list[Node] = []
        self.gaps: list[Gap] = []
        self.block = self.track.width + 1 + GAP
        self.base_y, self.win_y = (HEIGHT, 0.0) if rows.transposed else (0.0, HEIGHT)
        self.base_at = self._offsets(bch, 0.0, self.base_y)
        shift = (len(bch) - len(wch)) * self.block / 2 + (self._extra(bch) - self._extra(wch)) / 2
        self.win_at = self._offsets(wch, shift, self.win_y)

    def _extra(self, chans: list[int]) -> float:
        return sum(elision.GAP_WIDTH for a, b in itertools.pairwise(chans) if b > a + 1)

    def _offsets(self, chans: list[int], shift: float, y: float) -> dict[int, float]:
        """The left end of each kept channel's block; a gap marker where channels are left out."""
        at, out = shift, {}
        for j, ch in enumerate(chans):
            if j and ch > chans[j - 1] + 1:
                self.gaps.append(Gap(at - GAP / 2 + elision.GAP_WIDTH / 2, y, ch - chans[j - 1] - 1, "channels"))
                at += elision.GAP_WIDTH
            out[ch] = at
            at += self.block
        return out

    def diagram(self) -> Diagram:
        base_ids = self._base_nodes()
        win_ids = self._window_nodes()
        edges = self._edges(base_ids, win_ids)
        edges = self._highlight(edges, base_ids, win_ids)
        edges, legend, title = _colour(self.e, edges, self.rows.focus is not None, self.nodes, self.rows.transposed)
        r = self.rows
        total = max([self.base_at[c] for c in self.bch] + [self.win_at[c] for c in self.wch]) + self.block - GAP
        start = min([self.base_at[c] for c in self.bch] + [self.win_at[c] for c in self.wch])
        nodes = [replace(n, x=n.x - start) for n in self.nodes]
        gaps = tuple(replace(g, x=g.x - start) for g in self.gaps)
        padded = r.left if r.transposed else r.width > self.e.input_length
        note = "" if not padded else CROP_NOTE if r.transposed else PAD_NOTE
        labels = tuple(symbol_label(w) for w in entries(self.e.w))
        highlighted = marks.highlighted(
            **{k: [n.index for n in nodes if n.hl and n.mark == k] for k in ("input", "output", "pad")},
            weight=[ed.weight_index for ed in edges if ed.hl and ed.kind == "tap"],
        )
        return Diagram(
            tuple(nodes),
            tuple(edges),
            labels,
            total - start,
            HEIGHT,
            note,
            gaps,
            self._sentence(),
            legend,
            title,
            r.focus.describe() if r.focus else "",
            highlighted,
        )

    def _sentence(self) -> str:
        r, e = self.rows, self.e
        base, win = ("output", "input") if r.transposed else ("input", "output")
        real = e.output_length if r.transposed else e.input_length
        left_out = [
            (base, "channels", r.base_channels, set(self.bch)),
            (win, "channels", r.window_channels, set(self.wch)),
            (base, "positions", real, {q - r.left for q in self.track.kept}),
            (win, "positions", r.window_len, set(self.windows)),
        ]
        parts = [
            f"{name} " + elision.count_text(run, what, total)
            for name, what, total, kept in left_out
            for run in elision.runs(set(range(total)) - kept)
        ]
        return elision.sentence(parts)

    def _base_nodes(self) -> dict[tuple[int, int], int]:
        r, e, ids = self.rows, self.e, {}
        n = e.input_length
        for c in self.bch:
            for q in self.track.kept:
                x = self.base_at[c] + self.track.x[q]
                t = r.sources[q]
                if r.transposed:
                    inside = 0 <= t < e.output_length
                    label = symbol_label(e.z_symbols[c, t]) if inside else r"\times"
                    node = Node(x, self.base_y, label, "output" if inside else "zero", (c, t))
                else:
                    kind = "input" if 0 <= q - r.left < n else ("zero" if t < 0 else "pad")
                    label = "0" if t < 0 else symbol_label(e.x[c, t])
                    node = Node(x, self.base_y, label, kind, (c, q - r.left), None if t < 0 else (c, t))
                ids[(c, q)] = len(self.nodes)
                self.nodes.append(node)
            for (first, last), gx in zip(self.track.gaps, self.track.gap_x):
                self.gaps.append(Gap(self.base_at[c] + gx, self.base_y, last - first + 1, "positions"))
        return ids

    def _window_nodes(self) -> dict[tuple[int, int], int]:
        r, e, ids = self.rows, self.e, {}
        for c in self.wch:
            xs = []
            for i in self.windows:
                cells = r.window(i)
                x = self.win_at[c] + (self.track.x[min(cells)] + self.track.x[max(cells)]) / 2
                if r.transposed:
                    node = Node(x, self.win_y, symbol_label(e.x[c, i]), "input", (c, i), (c, i))
                else:
                    node = Node(x, self.win_y, symbol_label(e.z_symbols[c, i]), "output", (c, i))
                ids[(c, i)] = len(self.nodes)
                self.nodes.append(node)
                xs.append(x)
            for j in range(1, len(self.windows)):
                if self.windows[j] > self.windows[j - 1] + 1:
                    count = self.windows[j] - self.windows[j - 1] - 1
                    self.gaps.append(Gap((xs[j - 1] + xs[j]) / 2, self.win_y, count, "positions"))
            if self.windows[0] > 0:
                self.gaps.append(Gap(xs[0] - 1.2, self.win_y, self.windows[0], "positions"))
            if self.windows[-1] < r.window_len - 1:
                self.gaps.append(Gap(xs[-1] + 1.2, self.win_y, r.window_len - 1 - self.windows[-1], "positions"))
        return ids

    def _edges(self, base_ids: dict[tuple[int, int], int], win_ids: dict[tuple[int, int], int]) -> list[Edge]:
        r, e = self.rows, self.e
        labels = [symbol_label(w) for w in entries(e.w)]
        shape = tuple(int(v) for v in e.w.shape)
        size = len(r.js)
        edges = []
        for wc, bc, flat0 in r.pairs():
            if wc not in self.win_at or bc not in self.base_at:
                continue
            for j, k in r.js:
                flat = flat0 + k
                place = 0.2 + 0.6 * j / (size - 1) if size > 1 else 0.5
                index = tuple(int(v) for v in np.unravel_index(flat, shape))
                for i in self.windows:
                    q = int(r.axis.index(i, j)) + r.left
                    b, w = base_ids[(bc, q)], win_ids[(wc, i)]
                    kind = "zero" if self.nodes[b].kind == "zero" else "tap"
                    src, dst = (w, b) if r.transposed else (b, w)
                    edges.append(Edge(src, dst, flat, labels[flat], kind, place, index))
        return edges

    def _highlight(self, edges: list[Edge], base_ids: dict[Any, int], win_ids: dict[Any, int]) -> list[Edge]:
        f = self.rows.focus
        if f is None:
            return edges
        nodes = self.nodes

        def chosen(edge: Edge) -> bool:
            if f.kind == "weight":
                return edge.weight_index == f.index
            if f.kind == "input":
                return nodes[edge.source].copies == f.index
            return nodes[edge.target].index == f.index and nodes[edge.target].kind == "output"

        lit = set()
        edges = [replace(ed, hl=chosen(ed)) for ed in edges]
        real = {n.index: j for j, n in enumerate(nodes) if n.kind == "input"}
        for ed in edges:
            if ed.hl and ed.kind == "zero":  # reads a zero pad (or lands in a cropped output): only that square
                lit |= {j for j in (ed.source, ed.target) if nodes[j].kind == "zero"}
            elif ed.hl:
                lit |= {ed.source, ed.target}
                copy = nodes[ed.source].copies
                if ed.kind == "tap" and copy is not None and copy in real:
                    lit.add(real[copy])
        for j, n in enumerate(nodes):
            if (f.kind == "input" and n.copies == f.index) or (
                f.kind == "output" and n.kind == "output" and n.index == f.index
            ):
                lit.add(j)
        self.nodes[:] = [replace(n, hl=j in lit) for j, n in enumerate(nodes)]
        return edges


def _colour(
    e: Expansion, edges: list[Edge], focused: bool, nodes: list[Node], transposed: bool
) -> tuple[list[Edge], tuple[tuple[str, str], ...], str]:
    """Colour the edges: one colour per weight drawn in colour, or per output channel past
    :data:`COLOUR_LIMIT` weights; faded grey for what an isolated view does not highlight."""
    coloured = [ed for ed in edges if ed.hl or not focused]
    flats = sorted({ed.weight for ed in coloured})
    labels = [symbol_label(w) for w in entries(e.w)]
    if len(flats) <= COLOUR_LIMIT:
        palette = dict(zip(flats, distinct_colours(len(flats))))
        key = {id(ed): palette[ed.weight] for ed in coloured}
        legend = tuple((palette[f], labels[f]) for f in flats)
        title = "weights:"
    else:
        channel = {id(ed): nodes[ed.target].index[0] for ed in coloured}
        chans = sorted(set(channel.values()))
        palette = dict(zip(chans, distinct_colours(len(chans))))
        key = {id(ed): palette[channel[id(ed)]] for ed in coloured}
        legend = tuple((palette[c], f"o = {c}") for c in chans)
        title = f"{len(flats)} weights, coloured by output channel:"
    out = [replace(ed, colour=key.get(id(ed), FADE)) for ed in edges]
    return out, legend, title


def connectivity_transposed(e: Expansion, focus: Focus | None = None) -> Diagram:
    """The diagram of a transposed convolution: input ``i`` scatters its kernel onto outputs ``s i + d k - p``.

    The full scatter is drawn; the outputs the padding crops are dashed squares. Every position
    is the matching convolution's index map (its axis), read backwards.
    """
    return connectivity(e, focus)


def spec_padding(e: Expansion) -> int:
    """The padding ``p`` cropped from the left of a transposed convolution's full output (from each end,
    but with TensorFlow's ``'same'``, whose right crop can be one more)."""
    return int(e.padding[0])


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
