"""The receptive field growing through a stack (Goodfellow et al., fig. 9.4), in 1D and 2D.

One row per stage: the input, then each layer's output (in 2D a grid per channel). The chosen final output is marked in
the top row; in every row below, the positions it depends on are shaded, and lines join each
shaded position to the shaded positions below that it reads. Each stage's field is read off that
stage: a convolution's taps (``taps.feeding``), any other layer's local equations (the symbols
they hold), exactly as :meth:`~symconv.stack.sequential.StackExpansion.receptive_field` composes
them. Rows past :data:`ROW_LIMIT` positions per channel (grid axes past :data:`GRID_LIMIT`) keep
the field (and one position around it) and the ends, with marked gaps; ``elided`` says what is
left out. In 2D no lines are drawn: the shaded grids show the growth.

Examples:
    >>> from symconv import Activation, Conv1d, MaxPool1d, Sequential
    >>> net = Sequential(Conv1d(1, 1, 3), Activation("relu"), MaxPool1d(2))
    >>> fig = receptive_field_diagram(net, 10, output=1)
    >>> [sorted(t for _, t in f) for f in fig.fields]
    [[2, 3, 4, 5], [2, 3], [2, 3], [1]]
    >>> sorted(fig.highlighted["input"]) == net.expand(10).receptive_field(0, 1)
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from symconv.base.symbols import entries
from symconv.figures import elision, marks, raster, tikz
from symconv.figures.base import Figure
from symconv.layers.protocol import Kind

Position = tuple[int, ...]
ROW_LIMIT = 24  # a stage with more positions per channel is drawn elided
GRID_LIMIT = 9  # 2D: an axis longer than this keeps the field (one around it) and its two ends
HL, HL_FILL, GREY = "D55E00", "FFE3C7", "F2F2F2"
ROW_STEP = 1.9  # vertical distance between stage rows (cell units)
NAMES_CM = 3.0  # room left of the rows for their names


@dataclass(frozen=True)
class Row:
    """One stage drawn: its name, shape ``(C, *spatial)``, field, each kept position's lower-left corner,
    the cell width, where the row's name goes and its gap markers."""

    name: str
    shape: tuple[int, ...]
    field: frozenset[Position]
    cells: dict[Position, tuple[float, float]]
    width: float
    name_at: tuple[float, float]
    gaps: tuple[tuple[float, float, int, str], ...]  # (x, y, positions left out, "cdots" or "vdots")


def _stack(stack: Any, shape: Any) -> Any:
    """A StackExpansion from a Sequential and an input length (or one given)."""
    if getattr(stack, "stages", None) is not None and hasattr(stack, "input_shape"):
        if shape is not None:
            raise ValueError(f"'shape' must be left out with an expanded stack (got {shape!r}).")
        return stack
    if getattr(stack, "kind", None) is not Kind.STACK:
        raise TypeError(f"'stack' must be a symconv.Sequential or its expansion (got {type(stack).__name__}).")
    if shape is None:
        raise ValueError("'shape' (the input length) is required with a Sequential (got None).")
    return stack.expand(shape)


def _reads(stage: Any, out: Position) -> set[Position]:
    """The inputs ``(c, t)`` of ``stage`` that its output ``out`` reads: from its taps, or its local equation."""
    if stage.expansion is not None:
        return {tap.input for tap in stage.expansion.taps.feeding(out[0], out[1] if len(out) == 2 else out[1:])}
    index = {s: j for j, s in enumerate(entries(stage.inputs))}
    expr = stage.local[out[0], int(np.ravel_multi_index(out[1:], stage.output_shape[1:]))]
    return {
        tuple(int(v) for v in np.unravel_index(index[s], stage.input_shape)) for s in expr.free_symbols & index.keys()
    }


def fields(s: Any, output: Position) -> list[frozenset[Position]]:
    """The field of ``output`` in every stage, input first, final output last."""
    current = {output}
    out = [frozenset(current)]
    for stage in reversed(s.stages):
        current = set().union(*(_reads(stage, o) for o in current)) if current else set()
        out.append(frozenset(current))
    return out[::-1]


def _output(s: Any, output: Any) -> Position:
    """The final output ``(c, *i)``: validated, or the middle of channel 0."""
    c, *sizes = s.shapes[-1]
    if output is None:
        return (0, *((n - 1) // 2 for n in sizes))
    value = output
    one = len(sizes) == 1
    names = "(c, i)" if one else "(c, i, j)" if len(sizes) == 2 else "(c, i, j, k)"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and one:
        if c != 1:
            raise ValueError(f"'output' must be (c, i) when the stack ends with {c} channels (got {value!r}).")
        value = (0, int(value))
    if isinstance(value, (tuple, list)) and len(value) == len(sizes) and c == 1 and not one:
        value = (0, *value)
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 1 + len(sizes)
        or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in value)
    ):
        raise TypeError(f"'output' must be {'an int i or ' if one else ''}a tuple {names} of ints (got {output!r}).")
    bounds = [c, *sizes]
    if any(not 0 <= v < n for v, n in zip(value, bounds)):
        ranges = " and ".join(f"0 <= {n} < {b}" for n, b in zip(names.strip("()").split(", "), bounds))
        raise ValueError(f"'output' must be {names} with {ranges}, 0-based (got {tuple(value)!r}).")
    return tuple(int(v) for v in value)


class ReceptiveFieldDiagram(Figure):
    """The receptive field of one final output through every stage of a 1D or 2D stack (see the module docstring).

    Attributes:
        fields: Per stage (input first), the frozenset of ``(c, t)`` the chosen output depends on.
        highlighted: ``'input'``: the field in the input; ``'output'``: the chosen output. The rows
            between are in :attr:`fields` (their SVG cells carry no mark: the contract has no kind for them).
    """

    tight = True

    def __init__(self, s: Any, output: Position) -> None:
        if any(len(shape) not in (2, 3) for shape in s.shapes):
            raise ValueError(f"the receptive field diagram draws 1D and 2D stacks (got shapes {s.shapes}).")
        self.stack, self.output = s, output
        self.fields = fields(s, output)
        self.rows = self._rows() if len(s.shapes[0]) == 2 else self._grids()
        self.highlighted = marks.highlighted(input=self.fields[0], output=[output])
        self.elided = self._sentence()
        self.extent = max(x + r.width for r in self.rows for x, _ in r.cells.values())
        self.top = max(y + 1 for r in self.rows for _, y in r.cells.values())
        self.bottom = min(y for r in self.rows for _, y in r.cells.values())
        self.unit = round(min(0.8, (tikz.MAX_WIDTH_CM - NAMES_CM) / self.extent, 18.0 / (self.top - self.bottom)), 3)
        self.width_cm = self.extent * self.unit + NAMES_CM + 1.2
        text = 0.5 * (1 + len(self.elided) * 0.17 // (self.width_cm - 1.2)) if self.elided else 0
        self.height_cm = (self.top - self.bottom + 1.2) * self.unit + text + 1.5

    def _names(self) -> list[str]:
        names = ["input $x$"]
        for st in self.stack.stages:
            layer = st.layer
            kind = getattr(layer, "f", None) or type(layer).__name__
            names.append(f"$h_{{{st.index}}}$: {kind}")
        return names

    def _rows(self) -> list[Row]:
        rows: list[Row] = []
        shapes = self.stack.shapes
        n0 = shapes[0][1]
        long = any(n > ROW_LIMIT for _, n in shapes)
        for name, (c, n), field in zip(self._names(), shapes, self.fields):
            around = {t + d for _, t in field for d in (-1, 0, 1)}
            kept = elision.keep(n, 0 if long else n, 2, 1, around) if long else list(range(n))
            step = 1.0 if long else n0 / n
            track = elision.track(kept, step, total=n)
            block = track.width + step + 0.6
            y = len(rows) * ROW_STEP
            cells: dict[Position, tuple[float, float]] = {
                (ch, t): (ch * block + track.x[t], y) for ch in range(c) for t in kept
            }
            gaps = tuple(
                (ch * block + gx, y, last - first + 1, "cdots")
                for ch in range(c)
                for (first, last), gx in zip(track.gaps, track.gap_x)
            )
            rows.append(Row(name, (c, n), field, cells, step if not long else 1.0, (-0.4, y + 0.5), gaps))
        return rows

    def _grids(self) -> list[Row]:
        """2D: each stage a grid per channel (side by side), stages stacked upwards; long axes elided."""
        rows: list[Row] = []
        y0 = 0.0
        for name, (c, h, w), field in zip(self._names(), self.stack.shapes, self.fields):
            tracks = []
            for axis, n in ((1, h), (2, w)):
                around = {p[axis] + d for p in field for d in (-1, 0, 1)}
                kept = elision.keep(n, GRID_LIMIT, 1, 1, around)
                tracks.append(elision.track(kept, 1.0, total=n))
            th, tw = tracks
            block = tw.width + 1 + 1.0
            height = th.width + 1
            cells: dict[Position, tuple[float, float]] = {
                (ch, i, j): (ch * block + tw.x[j], y0 + height - 1 - th.x[i])
                for ch in range(c)
                for i in th.kept
                for j in tw.kept
            }
            gaps = [
                (ch * block + gx, y0 + height / 2 - 0.5, last - first + 1, "cdots")
                for ch in range(c)
                for (first, last), gx in zip(tw.gaps, tw.gap_x)
            ]
            gaps += [
                (ch * block + (tw.width + 1) / 2 - 0.5, y0 + height - 1 - gy, last - first + 1, "vdots")
                for ch in range(c)
                for (first, last), gy in zip(th.gaps, th.gap_x)
            ]
            rows.append(Row(name, (c, h, w), field, cells, 1.0, (-0.4, y0 + height / 2), tuple(gaps)))
            y0 += height + 1.2
        return rows

    def _sentence(self) -> str:
        parts = []
        for row in self.rows:
            plain = re.sub(r"[${}_]", "", row.name.split(":")[0]).replace("input ", "")
            for axis, n in enumerate(row.shape[1:], start=1):
                kept = {p[axis] for p in row.cells}
                what = "positions" if len(row.shape) == 2 else ("rows" if axis == 1 else "columns")
                for run in elision.runs(set(range(n)) - kept):
                    parts.append(f"{plain} " + elision.count_text(run, what, n))
        return elision.sentence(parts).replace(" (with their edges)", "") if parts else ""

    # -- drawing: boxes, lines and texts in cell units, y up ------------------------------------
    def _items(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        boxes, lines, texts = [], [], []
        top = len(self.rows) - 1
        one = len(self.rows[0].shape) == 2
        for j, row in enumerate(self.rows):
            for p, (x, y) in sorted(row.cells.items()):
                lit = p in row.field
                kind = "input" if j == 0 else ("output" if j == top else "")
                mark = (kind, p) if lit and kind else None
                label = (f"{p[1]}" if row.shape[0] == 1 else f"{p[0]},{p[1]}") if one else ""
                boxes.append((x, y, row.width, lit, label, mark))
            for gx, gy, count, dots in row.gaps:
                texts.append(
                    (gx + row.width / 2, gy + 0.5, f"$\\{dots}$", "center", "normalsize" if one else "scriptsize")
                )
                if one:
                    texts.append((gx + row.width / 2, gy - 0.15, f"{count}", "north", "tiny"))
            texts.append((*row.name_at, row.name, "east", "scriptsize"))
            if j and one:
                below = self.rows[j - 1]
                stage = self.stack.stages[j - 1]
                for out in sorted(row.field):
                    for src in sorted(_reads(stage, out)):
                        if out in row.cells and src in below.cells:
                            (ox, oy), (sx, sy) = row.cells[out], below.cells[src]
                            lines.append(((ox + row.width / 2, oy), (sx + below.width / 2, sy + 1)))
        return boxes, lines, texts

    def caption(self) -> str:
        o, i = self.output
        return (
            f"The receptive field of output ({o}, {i}) of the stack (top row, 0-based), shaded in every stage below: "
            "the positions it depends on, read off each stage's taps or equations; lines join each shaded "
            "position to those it reads." + (f" {self.elided}" if self.elided else "")
        )

    def _tikz(self) -> str:
        boxes, lines, texts = self._items()
        out = [
            f"\\begin{{tikzpicture}}[x={self.unit}cm, y={self.unit}cm]",
            f"\\definecolor{{schl}}{{HTML}}{{{HL}}}\\definecolor{{schlfill}}{{HTML}}{{{HL_FILL}}}",
        ]
        for (ax, ay), (bx, by) in lines:
            out.append(f"\\draw[schl, thin] ({ax:g},{ay:g}) -- ({bx:g},{by:g});")
        for x, y, w, lit, label, _ in boxes:
            style = "draw=schl, very thick, fill=schlfill" if lit else "draw=black!60, fill=white"
            out.append(
                f"\\path[{style}] ({x:g},{y:g}) rectangle ({x + w:g},{y + 1:g}) node[midway, font=\\tiny] {{{label}}};"
            )
        for x, y, text, anchor, size in texts:
            out.append(f"\\node[anchor={anchor}, font=\\{size}] at ({x:g},{y:g}) {{{tikz.tex_text(text)}}};")
        if self.elided:
            width = self.extent * self.unit + NAMES_CM
            out.append(
                f"\\node[anchor=north west, font=\\small, text width={width:.2f}cm, inner sep=0pt] "
                f"at ({-NAMES_CM / self.unit:.3f},-0.9) {{{tikz.tex_text(self.elided)}}};"
            )
        out.append("\\end{tikzpicture}")
        return "\n".join(out)

    def _draw(self) -> Any:
        plt = raster._pyplot()
        boxes, lines, texts = self._items()
        width = self.extent + 0.5
        tall = self.top - self.bottom
        fig, ax = plt.subplots(figsize=(min(18.0, 1.5 + width * 0.55), 0.8 + (tall + 0.6) * 0.55))
        for (ax_, ay), (bx, by) in lines:
            ax.plot([ax_, bx], [ay, by], color="#" + HL, lw=0.9, zorder=1)
        for j, (x, y, w, lit, label, mark) in enumerate(boxes):
            patch = plt.Rectangle(
                (x, y),
                w,
                1,
                facecolor="#" + (HL_FILL if lit else "FFFFFF"),
                edgecolor="#" + (HL if lit else "999999"),
                lw=1.8 if lit else 0.7,
                zorder=2,
            )
            if mark is not None:
                patch.set_gid(marks.gid(mark[0], mark[1], j))
            ax.add_patch(patch)
            if label:
                ax.text(x + w / 2, y + 0.5, label, ha="center", va="center", fontsize=7, zorder=3)
        sizes = {"normalsize": 11, "scriptsize": 8, "tiny": 6}
        align = {"center": ("center", "center"), "east": ("right", "center"), "north": ("center", "top")}
        for x, y, text, anchor, size in texts:
            ha, va = align[anchor]
            ax.text(x, y, text, ha=ha, va=va, fontsize=sizes[size])
        if self.elided:
            ax.set_title(self.elided, fontsize=8, loc="left", y=-0.12, wrap=True)
        ax.set_xlim(-4.5, width)
        ax.set_ylim(self.bottom - 0.8, self.top + 0.3)
        ax.set_aspect("equal")
        ax.axis("off")
        return fig


def receptive_field_diagram(stack: Any, shape: Any = None, output: Any = None) -> ReceptiveFieldDiagram:
    """The receptive field of one final output drawn through every stage of a 1D or 2D stack.

    Args:
        stack: A :class:`~symconv.Sequential` (with ``shape``, its input length or 2D shape) or its expansion.
        shape: The input length (1D) or ``(H, W)`` (2D); left out with an expanded stack.
        output: The final output ``(c, i)`` (or ``i`` with one channel; 2D ``(c, i, j)`` or ``(i, j)``
            with one channel), 0-based; default the middle output of channel 0.

    Examples:
        >>> from symconv import Conv2d, Sequential
        >>> fig = receptive_field_diagram(Sequential(Conv2d(1, 1, 3), Conv2d(1, 1, 3)), (7, 7))
        >>> fig.output, len(fig.fields[0]), len(fig.fields[1])
        ((0, 1, 1), 25, 9)

    Raises:
        TypeError, ValueError: Naming the argument, the rule and the value.
    """
    s = _stack(stack, shape)
    return ReceptiveFieldDiagram(s, _output(s, output))


__all__ = ["ReceptiveFieldDiagram", "fields", "receptive_field_diagram"]
