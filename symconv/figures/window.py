"""The sliding window (Dumoulin & Visin): the kernel shaded over the padded input at chosen outputs.

One panel per chosen output (small multiples). In each, the padded input is a row of cells (1D)
or a grid (2D): real inputs solid, padding dashed, a zero pad labelled ``0`` and a folded pad
(reflect, replicate, circular, symmetric, wrap) labelled, in grey, with the input it copies. The
cells the kernel reads at that output are shaded and carry the weight they meet, so stride,
dilation (the unshaded gaps) and every padding mode show as they are. Above, the output row or
grid with the chosen output marked. Every position comes from the layer's taps: the axes' index
maps ``t = s*i + d*j - p_l`` and their padding folds (:func:`~symconv.geometry.kernel.padded_sources`).

Long axes are elided: past :data:`ELIDE_1D` (:data:`ELIDE_2D` in a grid) cells, only the ends
and the cells around each window are drawn, a ``\\cdots`` standing for the rest.

Examples:
    >>> from symconv import Conv1d
    >>> fig = window_diagram(Conv1d(1, 1, 3, stride=2, dilation=2), 9, outputs=1)
    >>> sorted(fig.highlighted["input"]), sorted(fig.highlighted["output"])
    ([(0, 2), (0, 4), (0, 6)], [(0, 1)])
    >>> fig = window_diagram(Conv1d(1, 1, 3, padding=1, padding_mode="reflect"), 4, outputs=0)
    >>> sorted(fig.highlighted["pad"]), sorted(fig.highlighted["input"])
    ([(0, -1)], [(0, 0), (0, 1)])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from symconv.figures import marks
from symconv.figures.canvas import (
    FONT_PT,
    KERNEL,
    LIGHT,
    MARK,
    MAX_UNIT_CM,
    MAX_WIDTH_CM,
    Canvas,
    CanvasFigure,
    drawn_channels,
    partner_channel,
    visible,
)
from symconv.geometry.axis import Axis
from symconv.geometry.kernel import padded_sources
from symconv.geometry.taps import Taps
from symconv.views.expansion import Expansion, as_expansion

ELIDE_1D = 26  # a row of more padded cells is elided
ELIDE_2D = 13  # a grid axis of more padded cells is elided
KINDS = ("input", "pad", "output")

Position = tuple[int, ...]


@dataclass(frozen=True)
class Track:
    """Where the shown cells of one axis sit: ``x[index]`` for the kept indices, ``gaps`` for the ellipses."""

    x: dict[int, float]
    gaps: tuple[float, ...]
    width: float


def track(count: int, keep: set[int], limit: int, ends: int = 2) -> Track:
    """All ``count`` cells if there are at most ``limit``; else the kept ones, ``ends`` at each end, and
    one ellipsis cell for each run left out.

    Examples:
        >>> t = track(30, {10, 11}, 12)
        >>> sorted(t.x), t.gaps
        ([0, 1, 10, 11, 28, 29], (2.0, 5.0))
    """
    if count <= limit:
        return Track({j: float(j) for j in range(count)}, (), float(count))
    edges = set(range(ends)) | set(range(count - ends, count))
    inside = {j for j in keep | edges if 0 <= j < count}
    shown = sorted(inside | {j + 1 for j in inside if j + 2 in inside})  # a dot never stands for one cell
    x: dict[int, float] = {}
    gaps: list[float] = []
    at = 0.0
    for before, j in zip([None, *shown], shown):
        if before is not None and j > before + 1:
            gaps.append(at)
            at += 1.0
        x[j] = at
        at += 1.0
    return Track(x, tuple(gaps), at)


@dataclass(frozen=True)
class Panel:
    """One output: ``output`` ``(o, *i)`` and what its window reads; ``highlighted`` by kind."""

    output: Position
    highlighted: dict[str, frozenset[Position]]


class WindowDiagram(CanvasFigure):
    """The kernel over the padded input at one or several outputs (see the module docstring).

    Attributes:
        expansion: The layer at its input size.
        channel: The input channel drawn; ``out_channel`` the output channel.
        panels: One :class:`Panel` per chosen output, in order.
        highlighted: Per kind (``'input'``, ``'pad'``, ``'output'``), the union over the panels:
            input positions ``(c, *t)``; padding cells ``(c, *t)`` in input coordinates (``t``
            outside ``[0, n)`` on some axis); outputs ``(o, *i)``.
    """

    def __init__(self, expansion: Expansion, outputs: Sequence[Position], channel: int, out_channel: int) -> None:
        self.expansion = expansion
        self.channel, self.out_channel = channel, out_channel
        self.cell_cm = 0.0  # the width a 1D cell's labels need (set when the rows are laid out)
        self.labelled = True  # whether the cells are labelled (2D grids too large for them are not)
        self.elided = ""
        self.axes: tuple[Axis, ...] = tuple(a.axis for a in expansion.taps.axes)
        self.sources = tuple(padded_sources(a).tolist() for a in self.axes)
        self.panels = tuple(Panel((out_channel, *i), self._reads(i)) for i in outputs)
        union = {k: set().union(*(p.highlighted[k] for p in self.panels)) for k in KINDS}
        self.highlighted = marks.highlighted(**union)
        self.canvas = self._canvas()
        x0, y0, x1, y1 = self.canvas.bounds()
        unit = self.canvas.unit_cm()
        self.width_cm, self.height_cm = (x1 - x0) * unit + 1.2, (y1 - y0) * unit + 1.2

    # -- what a window reads ---------------------------------------------------------------------
    def window(self, i: Position) -> list[tuple[Position, Position]]:
        """The padded positions output ``i`` reads (0-based in the padded input), each with its kernel index."""
        cells: list[tuple[Position, Position]] = [((), ())]
        for a, p in zip(self.axes, i):
            left = int(a.padding[0])
            step = [(int(a.index(p, j)) + left, int(a.weight_index(j))) for j in range(int(a.kernel_size))]
            cells = [((*r, q), (*k, m)) for r, k in cells for q, m in step]
        return cells

    def source(self, padded: Position) -> Position | None:
        """The input a padded position holds (``None``: a zero pad)."""
        t = tuple(src[q] for src, q in zip(self.sources, padded))
        return None if min(t) < 0 else t

    def is_pad(self, padded: Position) -> bool:
        return any(not 0 <= q - int(a.padding[0]) < int(a.size) for a, q in zip(self.axes, padded))

    def _reads(self, i: Position) -> dict[str, frozenset[Position]]:
        c = self.channel
        inputs: set[Position] = set()
        pads: set[Position] = set()
        for padded, _ in self.window(i):
            at = tuple(q - int(a.padding[0]) for a, q in zip(self.axes, padded))
            (pads if self.is_pad(padded) else inputs).add((c, *at))
        return {"input": frozenset(inputs), "pad": frozenset(pads), "output": frozenset({(self.out_channel, *i)})}

    # -- labels ----------------------------------------------------------------------------------
    def _x(self, t: Position) -> str:
        return sympy.latex(self.expansion.x[(self.channel, *t)])

    def _z(self, i: Position) -> str:
        return sympy.latex(self.expansion.z_symbols[(self.out_channel, *i)])

    def _w(self, k: Position) -> str:
        taps = self.expansion.taps
        cw = self.channel - (self.out_channel // taps.out_per_group) * taps.in_per_group
        return sympy.latex(self.expansion.w[(self.out_channel, cw, *k)])

    # -- drawing ---------------------------------------------------------------------------------
    def _tracks(self) -> tuple[list[Track], list[Track]]:
        """The shown padded-input and output cells per axis, shared by every panel (so they line up)."""
        limit = self._limit_1d() if len(self.axes) == 1 else ELIDE_2D
        cells, outs = [], []
        for a, axis in enumerate(self.axes):
            keep, chosen = set(), set()
            for panel in self.panels:
                reads = [r[a] for r, _ in self.window(panel.output[1:])]
                keep |= set(range(min(reads) - 1, max(reads) + 2))
                chosen |= {panel.output[1 + a] + step for step in (-1, 0, 1)}
            ends = max(int(axis.padding[0]), int(axis.padding[1])) + 2
            cells.append(track(len(self.sources[a]), keep, limit, ends))
            outs.append(track(int(axis.output_size), chosen, limit))
        return cells, outs

    def _limit_1d(self) -> int:
        """The longest row drawn whole: :data:`ELIDE_1D`, fewer when long labels need wider cells."""
        axis = self.axes[0]
        names = [self._x((int(axis.size) - 1,)), self._w((int(axis.kernel_size) - 1,))]
        self.cell_cm = max(len(visible(name)) for name in names) * 0.6 * FONT_PT["scriptsize"] / 28.45 / 0.9
        return max(8, min(ELIDE_1D, int(MAX_WIDTH_CM / max(self.cell_cm, 0.01)) - 2))

    def _canvas(self) -> Canvas:
        one = len(self.axes) == 1
        canvas = Canvas(label_size="scriptsize" if one else "tiny")
        cells, outs = self._tracks()
        self.labelled = one or self._fits(cells)
        self.elided = "Dots stand for the cells left out." if any(t.gaps for t in cells + outs) else ""
        width = max(cells[-1].width, outs[-1].width)
        room = min(28.0, MAX_WIDTH_CM / max(self.cell_cm, 0.01)) if one else 0.0
        per_row = max(1, min(len(self.panels), int(room // (width + 1.5)))) if one else len(self.panels)
        height = 5.0 if one else cells[0].width + outs[0].width + 2.6
        for j, panel in enumerate(self.panels):
            x, y = (j % per_row) * (width + 1.5), -(j // per_row) * height
            draw = self._panel_1d if one else self._panel_2d
            draw(canvas, panel, j, x, y, cells, outs, width)
        x0, y0, x1, _ = canvas.bounds()
        canvas.text(x0, y0 - 0.3, self.caption(), anchor="north west", size="footnotesize", wrap=max(x1 - x0, 8.0))
        return canvas

    def _cell(self, canvas: Canvas, padded: Position, x: float, y: float, label: bool, weight: str = "") -> None:
        t = self.source(padded)
        text = "0" if t is None else (self._x(t) if label else "")
        style: dict[str, Any] = {}
        if self.is_pad(padded):
            style = {"fill": LIGHT, "edge": "777777", "dashed": True, "label_colour": "777777"}
        if not weight:
            canvas.box(x, y, label=text, **style)
            return
        canvas.box(x, y, **style)
        canvas.text(x + 0.5, y + 0.7, f"${text}$", size=canvas.label_size, colour=style.get("label_colour", "000000"))
        canvas.text(x + 0.5, y + 0.28, f"${weight}$", size=canvas.label_size, colour=KERNEL)

    def _shade(self, canvas: Canvas, panel: int, padded: Position, x: float, y: float) -> None:
        c = self.channel
        at = tuple(q - int(a.padding[0]) for a, q in zip(self.axes, padded))
        kind = "pad" if self.is_pad(padded) else "input"
        canvas.box(x, y, fill=KERNEL, opacity=0.3, edge=KERNEL, thick=True, mark=(kind, (c, *at), panel))

    def _output(self, canvas: Canvas, panel: Panel, j: int, p: Position, x: float, y: float, label: bool) -> None:
        chosen = p == panel.output[1:]
        canvas.box(
            x,
            y,
            fill=MARK if chosen else None,
            opacity=0.3,
            thick=chosen,
            edge=MARK if chosen else "000000",
            label=self._z(p) if label else "",
            mark=("output", panel.output, j) if chosen else None,
        )

    def _panel_1d(
        self,
        canvas: Canvas,
        panel: Panel,
        j: int,
        x0: float,
        y: float,
        cells: list[Track],
        outs: list[Track],
        width: float,
    ) -> None:
        (i,) = panel.output[1:]
        window = self.window((i,))
        at = {q: x0 + (width - cells[0].width) / 2 + x for q, x in cells[0].x.items()}
        for q, x in at.items():
            self._cell(canvas, (q,), x, y, label=True)
        for (q,), (k,) in window:
            self._shade(canvas, j, (q,), at[q], y)
            canvas.text(at[q] + 0.5, y - 0.35, f"${self._w((k,))}$", colour=KERNEL)
        for x in cells[0].gaps:
            canvas.text(x0 + (width - cells[0].width) / 2 + x + 0.5, y + 0.5, "$\\cdots$")
        shift, top = x0 + (width - outs[0].width) / 2, y + 2.4
        for p, x in outs[0].x.items():
            self._output(canvas, panel, j, (p,), shift + x, top, label=True)
        for x in outs[0].gaps:
            canvas.text(shift + x + 0.5, top + 0.5, "$\\cdots$")
        centre = shift + outs[0].x[i] + 0.5
        first, last = at[window[0][0][0]], at[window[-1][0][0]] + 1
        canvas.line((first, y + 1), (centre, top), colour=MARK, dashed=True)
        canvas.line((last, y + 1), (centre, top), colour=MARK, dashed=True)
        canvas.text(x0, top + 1.45, self._title(panel), anchor="west", size="footnotesize", wrap=width)

    def _panel_2d(
        self,
        canvas: Canvas,
        panel: Panel,
        j: int,
        x0: float,
        y0: float,
        cells: list[Track],
        outs: list[Track],
        width: float,
    ) -> None:
        i = panel.output[1:]
        window = dict(self.window(i))
        labels = self.labelled
        top = y0 - outs[0].width - 1.4  # the input grid's top; the output grid sits above it
        left = x0 + (width - cells[1].width) / 2
        for q0, y in cells[0].x.items():
            for q1, x in cells[1].x.items():
                k = window.get((q0, q1))
                weight = self._w(k) if k is not None and labels else ""
                self._cell(canvas, (q0, q1), left + x, top - y - 1, labels, weight)
        for q0, q1 in window:
            self._shade(canvas, j, (q0, q1), left + cells[1].x[q1], top - cells[0].x[q0] - 1)
        self._gaps_2d(canvas, cells, left, top)
        self._margins(canvas, cells, left, top)
        shift = x0 + (width - outs[1].width) / 2
        for p0, y in outs[0].x.items():
            for p1, x in outs[1].x.items():
                self._output(canvas, panel, j, (p0, p1), shift + x, y0 - y - 1, labels)
        self._gaps_2d(canvas, outs, shift, y0)
        canvas.text(x0, y0 + 0.45, self._title(panel), anchor="south west", size="footnotesize", wrap=width)

    def _fits(self, cells: list[Track]) -> bool:
        """Whether the cell labels fit their cells at the size the page allows (else the margins' indices
        say where each cell is, and the title names the output)."""
        total = len(self.panels) * (cells[1].width + 1.5) + 1
        unit = min(MAX_UNIT_CM, MAX_WIDTH_CM / total)
        widest = max(len(visible(self._x(tuple(int(a.size) - 1 for a in self.axes)))), 4)
        return widest * 0.55 * FONT_PT["tiny"] / 28.45 <= 0.85 * unit

    def _margins(self, canvas: Canvas, cells: list[Track], left: float, top: float) -> None:
        """Input indices along the top and the left of the padded grid (padding outside ``[0, n)``, shifted
        by the expansion's ``index_base``)."""
        base = self.expansion.index_base
        for a, (tr, axis) in enumerate(zip(cells, self.axes)):
            shift = int(axis.padding[0])
            for q, x in tr.x.items():
                if a == 0:
                    canvas.text(
                        left - 0.15, top - x - 0.5, f"${q - shift + base}$", anchor="east", size="tiny", colour="555555"
                    )
                else:
                    canvas.text(
                        left + x + 0.5,
                        top + 0.05,
                        f"${q - shift + base}$",
                        anchor="south",
                        size="tiny",
                        colour="555555",
                    )

    @staticmethod
    def _gaps_2d(canvas: Canvas, tracks: list[Track], x0: float, top: float) -> None:
        for y in tracks[0].gaps:
            for x in tracks[1].x.values():
                canvas.text(x0 + x + 0.5, top - y - 0.5, "$\\vdots$")
        for x in tracks[1].gaps:
            for y in tracks[0].x.values():
                canvas.text(x0 + x + 0.5, top - y - 0.5, "$\\cdots$")

    def _title(self, panel: Panel) -> str:
        i = panel.output[1:]
        base = self.expansion.index_base
        starts = ", ".join(str(int(a.index(p, 0)) + base) for a, p in zip(self.axes, i))
        where = f"({starts})" if len(i) > 1 else starts
        return f"${self._z(i)}$: window from $t = {where}$"

    def caption(self) -> str:
        """What the figure shows, in a few sentences (TikZ text; matplotlib reads it too)."""
        one = len(self.axes) == 1
        rows = (
            "Bottom row: the padded input; top row: the outputs."
            if one
            else "Below: the padded input; above: the outputs."
        )
        dilated = any(int(x.dilation) > 1 for x in self.axes)
        parts = [
            rows,
            "Shaded: the cells the kernel reads for the marked output"
            + (", with the weight each meets" if self.labelled else "")
            + ("; the unshaded cells between them are the dilation gaps." if dilated else "."),
        ]
        if any(int(x.padding[0]) or int(x.padding[1]) for x in self.axes):
            mode = self.axes[0].padding_mode
            rule = (
                "0 is a zero pad" if mode == "zeros" else f"each shows, in grey, the input it copies ({mode} padding)"
            )
            parts.append(f"Dashed cells: padding; {rule}.")
        if not one:
            parts.append("The margins give the input index $t$ of each row and column.")
        tail = [drawn_channels(self.expansion.spec, self.channel, self.out_channel), self.elided]
        return " ".join(part for part in [*parts, *tail] if part)


def _outputs(e: Expansion, outputs: Any) -> list[Position]:
    shape = e.output_shape
    if outputs is None:
        last = tuple(n - 1 for n in shape)
        second = (*(0 for _ in shape[:-1]), min(1, shape[-1] - 1))
        chosen: list[Position] = []
        for p in (tuple(0 for _ in shape), second, last):
            if p not in chosen:
                chosen.append(p)
        return chosen

    def whole(v: Any) -> bool:  # an int (NumPy's too), not a bool
        return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))

    if whole(outputs) or (isinstance(outputs, tuple) and all(whole(v) for v in outputs)):
        outputs = [outputs]
    if not isinstance(outputs, (list, tuple)):
        raise TypeError(f"'outputs' must be an output position or a list of them (got {outputs!r}).")
    result = []
    for p in outputs:
        if not whole(p) and not isinstance(p, (tuple, list)):
            raise TypeError(
                f"'outputs' must hold output positions: an int per spatial axis (got {p!r} of type {type(p).__name__})."
            )
        p = (int(p),) if whole(p) else tuple(p)
        if len(p) != len(shape) or any(not whole(v) or not 0 <= v < n for v, n in zip(p, shape)):
            raise ValueError(
                f"'outputs' must hold output positions inside the output shape {shape} (one int per spatial axis; "
                f"got {p!r})."
            )
        result.append(tuple(int(v) for v in p))
    if not result:
        raise ValueError("'outputs' must name at least one output position (got an empty list).")
    return result


def window_diagram(
    layer: Any, shape: Any = None, outputs: Any = None, *, channel: int | None = None, out_channel: int = 0
) -> WindowDiagram:
    """The sliding-window figure of a ``Conv1d`` or ``Conv2d`` at the chosen outputs.

    Args:
        layer: A ``Conv1d``/``Conv2d`` (or an Expansion of one).
        shape: The input length (1D) or shape (2D); left out with an Expansion.
        outputs: One output position (an int in 1D, a tuple in 2D) or a list of them, one panel
            each; by default the first, the second and the last.
        channel: The input channel drawn (default: the first of the output channel's group).
        out_channel: The output channel drawn.

    Raises:
        ValueError: A transposed layer (see :func:`~symconv.figures.zero_inserted.zero_inserted_diagram`),
            a 3D layer (draw a 2D slice), or an output or channel out of range.

    Examples:
        >>> from symconv import Conv2d
        >>> fig = window_diagram(Conv2d(1, 1, 3, stride=2, padding=1), (5, 5), outputs=[(0, 0)])
        >>> len(fig.highlighted["input"]), len(fig.highlighted["pad"])
        (4, 5)
    """
    e = as_expansion(layer, shape, parameter="shape")
    if not isinstance(e.taps, Taps):
        raise ValueError(
            f"window_diagram draws a convolution's window; {type(e.spec).__name__} is transposed: draw it with "
            "zero_inserted_diagram(layer, shape), the direct convolution over its zero-inserted input."
        )
    if e.ndim > 2:
        raise ValueError(
            f"window_diagram draws 1D rows and 2D grids; {type(e.spec).__name__} has {e.ndim} spatial axes: "
            "draw a 2D slice (the same layer as Conv2d on two of its axes)."
        )
    words = ("input", "output", "reads")
    channel = partner_channel(e.taps.channels, out_channel, "out_channel", channel, "channel", words)
    return WindowDiagram(e, _outputs(e, outputs), channel, out_channel)


__all__ = ["Panel", "WindowDiagram", "track", "window_diagram"]
