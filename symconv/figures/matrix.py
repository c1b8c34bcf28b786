"""The picture of the weight-tied matrix ``W``: one cell per non-zero entry, coloured by the weight(s) it holds.

Computed from the taps of the rows it draws (``taps.feeding``), never from the whole matrix: a
long or many-channel layer draws the first and last rows of the first and last channel blocks,
the columns they read, and a marked band where rows or columns are left out (the
:attr:`MatrixLayout.elided` sentence says which). Every drawn row and column keeps its label, and
the legend names every colour drawn. An isolated view (``from_input``, ``from_output``, ``weight``)
highlights the entries of one column, one row or one shared weight and fades the rest.

Examples:
    >>> from symconv import Conv1d
    >>> m = matrix_layout(Conv1d(1, 1, 3).expand(4))
    >>> [(c.row, c.col, c.label) for c in m.cells][:3], m.elided
    ([(0, 0, 'w_{0}'), (0, 1, 'w_{1}'), (0, 2, 'w_{2}')], '')
    >>> big = matrix_layout(Conv1d(8, 8, 3).expand(128))
    >>> len(big.rows.kept), len(big.cols.kept), big.elided.split(";")[0]
    (18, 26, 'Left out: rows of output channels 1..6 of 8')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy

from symconv.base import order
from symconv.base.symbols import entries
from symconv.figures import elision, marks
from symconv.figures.isolated import Focus
from symconv.figures.layout import COLOUR_LIMIT, Cell, distinct_colours, symbol_label
from symconv.views.expansion import Expansion

Position = tuple[int, ...]

ROWS = 16  # more output positions per channel than this: the first ROW_HEAD and the last ROW_TAIL
ROW_HEAD, ROW_TAIL = 6, 3
COLS = 18  # more input positions per channel than this: the columns the drawn rows read
CHANNELS = 3  # more channels than this: the first and the last block
FADE = "DDDDDD"


@dataclass(frozen=True)
class MatrixLayout:
    """What the matrix picture draws: cells (in ``W``'s own row and column indices) and where."""

    cells: tuple[Cell, ...]
    colours: tuple[tuple[str, ...], ...]  # per cell, one hex colour per weight it holds
    hl: tuple[bool, ...]  # per cell: highlighted by the view
    shape: tuple[int, int]
    rows: elision.Track  # kept rows and their coordinates (downwards)
    cols: elision.Track
    row_labels: dict[int, str]
    col_labels: dict[int, str]
    legend: tuple[tuple[str, str], ...]
    legend_title: str
    elided: str = ""
    focus: str = ""
    highlighted: dict[str, frozenset[Position]] = field(default_factory=marks.nothing)

    def caption_lines(self) -> list[str]:
        lines = [f"Isolated view: {self.focus}; the rest faded." if self.focus else "", self.elided]
        return [line for line in lines if line]


def _channels(total: int, must: set[int]) -> list[int]:
    return elision.keep(total, CHANNELS, 1, 1, must, fill=0)


def matrix_layout(e: Expansion, focus: Focus | None = None) -> MatrixLayout:
    """The matrix picture's layout, elided past :data:`ROWS` rows or :data:`CHANNELS` channels per side."""
    n_out, n_in = e.output_length, e.input_length
    c_out, c_in = int(e.spec.out_channels), int(e.spec.in_channels)
    taps = list(focus.taps) if focus else []
    outs = {t.output for t in taps} | ({focus.index} if focus and focus.kind == "output" else set())
    ins = {t.input for t in taps} | ({focus.index} if focus and focus.kind == "input" else set())
    if focus is not None and focus.kind == "weight" and len(outs) > 3:
        outs = set(sorted(outs)[:2] + sorted(outs)[-1:])
        ins = {t.input for t in taps if t.output in outs}
    out_ch = _channels(c_out, {o for o, _ in outs})
    positions = elision.keep(n_out, ROWS, ROW_HEAD, ROW_TAIL, {i for _, i in outs})
    rows = [o * n_out + i for o in out_ch for i in positions]
    read = {row: e.taps.feeding(row // n_out, row % n_out) for row in rows}
    in_ch = _channels(c_in, {c for c, _ in ins} | ({0} if not ins else set()))
    wanted = {tap.input[1] for tps in read.values() for tap in tps} | {t for _, t in ins}
    cols_t = list(range(n_in)) if n_in <= COLS else elision.filled(wanted, 2)
    cols = [c * n_in + t for c in in_ch for t in cols_t]
    kept_cols = set(cols)
    shape = tuple(int(v) for v in e.w.shape)
    held: dict[tuple[int, int], list[int]] = {}
    for row, tps in read.items():
        for tap in tps:
            col = tap.input[0] * n_in + tap.input[1]
            if col in kept_cols:
                held.setdefault((row, col), []).append(int(np.ravel_multi_index(tap.weight, shape)))
    w_flat = entries(e.w)
    cells = tuple(
        Cell(r, c, tuple(ks), order.latex(sympy.Add(*(w_flat[k] for k in ks)))) for (r, c), ks in sorted(held.items())
    )
    hl = tuple(_lit(cell, focus, n_out, n_in, shape) for cell in cells)
    colours, legend, title = _colour(e, cells, hl, focus is not None, n_out)
    highlighted = marks.highlighted(entry=[(c.row, c.col) for c, h in zip(cells, hl) if h])
    return MatrixLayout(
        cells,
        colours,
        hl,
        e.matrix_shape,
        elision.track(rows, total=e.matrix_shape[0]),
        elision.track(cols, total=e.matrix_shape[1]),
        {r: symbol_label(e.z_symbols[r // n_out, r % n_out]) for r in rows},
        {c: symbol_label(e.x[c // n_in, c % n_in]) for c in cols},
        legend,
        title,
        _sentence(out_ch, c_out, positions, n_out, in_ch, c_in, cols_t, n_in),
        focus.describe() if focus else "",
        highlighted,
    )


def _lit(cell: Cell, focus: Focus | None, n_out: int, n_in: int, shape: tuple[int, ...]) -> bool:
    if focus is None:
        return False
    if focus.kind == "output":
        return cell.row == focus.index[0] * n_out + focus.index[1]
    if focus.kind == "input":
        return cell.col == focus.index[0] * n_in + focus.index[1]
    return int(np.ravel_multi_index(focus.index, shape)) in cell.weights


def _colour(
    e: Expansion, cells: tuple[Cell, ...], hl: tuple[bool, ...], focused: bool, n_out: int
) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, str], ...], str]:
    """One colour per weight drawn in colour (or per output channel past :data:`COLOUR_LIMIT`), faded grey
    for what a view does not highlight; the legend names every colour drawn."""
    shown = [c for c, h in zip(cells, hl) if h or not focused]
    flats = sorted({k for c in shown for k in c.weights})
    labels = [symbol_label(w) for w in entries(e.w)]
    if len(flats) <= COLOUR_LIMIT:
        palette = dict(zip(flats, distinct_colours(len(flats))))
        colours = tuple(
            tuple(palette[k] for k in c.weights) if h or not focused else (FADE,) * len(c.weights)
            for c, h in zip(cells, hl)
        )
        return colours, tuple((palette[k], labels[k]) for k in flats), "weights:"
    chans = sorted({c.row // n_out for c in shown})
    palette = dict(zip(chans, distinct_colours(len(chans))))
    colours = tuple(
        (palette[c.row // n_out] if h or not focused else FADE,) * len(c.weights) for c, h in zip(cells, hl)
    )
    return colours, tuple((palette[o], f"o = {o}") for o in chans), f"{len(flats)} weights, coloured by output channel:"


def _sentence(
    out_ch: list[int],
    c_out: int,
    positions: list[int],
    n_out: int,
    in_ch: list[int],
    c_in: int,
    cols_t: list[int],
    n_in: int,
) -> str:
    parts = [
        f"rows of output {elision.count_text(r, 'channels', c_out)}"
        for r in elision.runs(set(range(c_out)) - set(out_ch))
    ]
    parts += [
        f"columns of input {elision.count_text(r, 'channels', c_in)}"
        for r in elision.runs(set(range(c_in)) - set(in_ch))
    ]
    parts += [
        f"rows of output {elision.count_text(r, 'positions', n_out)}"
        for r in elision.runs(set(range(n_out)) - set(positions))
    ]
    parts += [
        f"columns of input {elision.count_text(r, 'positions', n_in)}"
        for r in elision.runs(set(range(n_in)) - set(cols_t))
    ]
    if not parts:
        return ""
    return "Left out: " + "; ".join(parts) + " (in every drawn channel block); 0-based."


__all__ = ["MatrixLayout", "matrix_layout"]
