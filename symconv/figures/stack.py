"""The receptive field growing through a stack (Goodfellow et al., fig. 9.4).

One row per stage: the input, then each layer's output. The chosen final output is marked in
the top row; in every row below, the positions it depends on are shaded, and lines join each
shaded position to the shaded positions below that it reads. Each stage's field is read off that
stage: a convolution's taps (``taps.feeding``), any other layer's local equations (the symbols
they hold), exactly as :meth:`~symconv.stack.sequential.StackExpansion.receptive_field` composes
them. Rows past :data:`ROW_LIMIT` positions per channel keep the field (and one position around
it) and the ends, with marked gaps; ``elided`` says what is left out.

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
HL, HL_FILL, GREY = "D55E00", "FFE3C7", "F2F2F2"
ROW_STEP = 1.9  # vertical distance between stage rows (cell units)
NAMES_CM = 3.0  # room left of the rows for their names


@dataclass(frozen=True)
class Row:
    """One stage drawn: its name, shape ``(C, n)``, field, and per channel the kept positions' x and cell width."""

    name: str
    shape: tuple[int, int]
    field: frozenset[Position]
    x: dict[Position, float]
    width: float
    gaps: tuple[tuple[float, int], ...]  # (x of the marker, positions it stands for)


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
        return {tap.input for tap in stage.expansion.taps.feeding(out[0], out[1])}
    index = {s: j for j, s in enumerate(entries(stage.inputs))}
    expr = stage.local[out[0], out[1]]
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
    c, n = s.shapes[-1]
    if output is None:
        return (0, (n - 1) // 2)
    value = output
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if c != 1:
            raise ValueError(f"'output' must be (c, i) when the stack ends with {c} channels (got {value!r}).")
        value = (0, int(value))
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in value)
    ):
        raise TypeError(f"'output' must be an int i or a pair (c, i) of ints (got {output!r}).")
    if not (0 <= value[0] < c and 0 <= value[1] < n):
        raise ValueError(f"'output' must be (c, i) with 0 <= c < {c} and 0 <= i < {n}, 0-based (got {tuple(value)!r}).")
    return (int(value[0]), int(value[1]))


class ReceptiveFieldDiagram(Figure):
    """The receptive field of one final output through every stage of a 1D stack (see the module docstring).

    Attributes:
        fields: Per stage (input first), the frozenset of ``(c, t)`` the chosen output depends on.
        highlighted: ``'input'``: the field in the input; ``'output'``: the chosen output. The rows
            between are in :attr:`fields` (their SVG cells carry no mark: the contract has no kind for them).
    """

    tight = True

    def __init__(self, s: Any, output: Position) -> None:
        if any(len(shape) != 2 for shape in s.shapes):
            raise ValueError(f"the receptive field diagram draws 1D stacks (shapes {s.shapes}); 2D is not drawn yet.")
        self.stack, self.output = s, output
        self.fields = fields(s, output)
        self.rows = self._rows()
        self.highlighted = marks.highlighted(input=self.fields[0], output=[output])
        self.elided = self._sentence()
        self.extent = max(max(r.x.values()) + r.width for r in self.rows)
        self.unit = round(min(0.8, (tikz.MAX_WIDTH_CM - NAMES_CM) / self.extent), 3)
        self.width_cm = self.extent * self.unit + NAMES_CM + 1.2
        text = 0.5 * (1 + len(self.elided) * 0.17 // (self.width_cm - 1.2)) if self.elided else 0
        self.height_cm = (ROW_STEP * len(self.rows) + 0.5) * self.unit + text + 1.5

    def _names(self) -> list[str]:
        names = ["input $x$"]
        for st in self.stack.stages:
            layer = st.layer
            kind = getattr(layer, "f", None) or type(layer).__name__
            names.append(f"$h_{{{st.index}}}$: {kind}")
        return names

    def _rows(self) -> list[Row]:
        rows = []
        shapes = self.stack.shapes
        n0 = shapes[0][1]
        long = any(n > ROW_LIMIT for _, n in shapes)
        for name, (c, n), field in zip(self._names(), shapes, self.fields):
            around = {t + d for _, t in field for d in (-1, 0, 1)}
            kept = elision.keep(n, 0 if long else n, 2, 1, around) if long else list(range(n))
            step = 1.0 if long else n0 / n
            track = elision.track(kept, step, total=n)
            block = track.width + step + 0.6
            x: dict[Position, float] = {(ch, t): ch * block + track.x[t] for ch in range(c) for t in kept}
            gaps = tuple(
                (ch * block + gx, last - first + 1)
                for ch in range(c)
                for (first, last), gx in zip(track.gaps, track.gap_x)
            )
            rows.append(Row(name, (c, n), field, x, step if not long else 1.0, gaps))
        return rows

    def _sentence(self) -> str:
        parts = []
        for row in self.rows:
            kept = {t for _, t in row.x}
            for run in elision.runs(set(range(row.shape[1])) - kept):
                plain = re.sub(r"[${}_]", "", row.name.split(":")[0]).replace("input ", "")
                parts.append(f"{plain} " + elision.count_text(run, "positions", row.shape[1]))
        return elision.sentence(parts).replace(" (with their edges)", "") if parts else ""

    # -- drawing: boxes, lines and texts in cell units, y up ------------------------------------
    def _items(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        boxes, lines, texts = [], [], []
        top = len(self.rows) - 1
        for j, row in enumerate(self.rows):
            y = j * ROW_STEP
            for (c, t), x in sorted(row.x.items()):
                lit = (c, t) in row.field
                kind = "input" if j == 0 else ("output" if j == top else "")
                mark = (kind, (c, t)) if lit and kind else None
                label = f"{t}" if row.shape[0] == 1 else f"{c},{t}"
                boxes.append((x, y, row.width, lit, label, mark))
            for gx, count in row.gaps:
                texts.append((gx + row.width / 2, y + 0.5, "$\\cdots$", "center", "normalsize"))
                texts.append((gx + row.width / 2, y - 0.15, f"{count}", "north", "tiny"))
            texts.append((-0.4, y + 0.5, row.name, "east", "scriptsize"))
            if j:
                below = self.rows[j - 1]
                stage = self.stack.stages[j - 1]
                for out in sorted(row.field):
                    for src in sorted(_reads(stage, out)):
                        if out in row.x and src in below.x:
                            a = (row.x[out] + row.width / 2, y)
                            b = (below.x[src] + below.width / 2, y - ROW_STEP + 1)
                            lines.append((a, b))
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
        fig, ax = plt.subplots(figsize=(min(18.0, 1.5 + width * 0.55), 0.8 + ROW_STEP * len(self.rows) * 0.55))
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
            ax.text(x + w / 2, y + 0.5, label, ha="center", va="center", fontsize=7, zorder=3)
        sizes = {"normalsize": 11, "scriptsize": 8, "tiny": 6}
        align = {"center": ("center", "center"), "east": ("right", "center"), "north": ("center", "top")}
        for x, y, text, anchor, size in texts:
            ha, va = align[anchor]
            ax.text(x, y, text, ha=ha, va=va, fontsize=sizes[size])
        if self.elided:
            ax.set_title(self.elided, fontsize=8, loc="left", y=-0.12, wrap=True)
        ax.set_xlim(-4.5, width)
        ax.set_ylim(-0.8, ROW_STEP * (len(self.rows) - 1) + 1.3)
        ax.set_aspect("equal")
        ax.axis("off")
        return fig


def receptive_field_diagram(stack: Any, shape: Any = None, output: Any = None) -> ReceptiveFieldDiagram:
    """The receptive field of one final output drawn through every stage of a 1D stack.

    Args:
        stack: A :class:`~symconv.Sequential` (with ``shape``, its input length) or its expansion.
        shape: The input length; left out with an expanded stack.
        output: The final output ``(c, i)`` (or ``i`` with one channel), 0-based; default the middle
            output of channel 0.

    Raises:
        TypeError, ValueError: Naming the argument, the rule and the value.
    """
    s = _stack(stack, shape)
    return ReceptiveFieldDiagram(s, _output(s, output))


__all__ = ["ReceptiveFieldDiagram", "fields", "receptive_field_diagram"]
