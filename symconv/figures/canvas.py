"""A small display list (boxes, lines, texts) drawn the same way by TikZ and by matplotlib.

The window, zero-inserted and 2D block-matrix figures are built once as a :class:`Canvas` in
their own units (one cell = one unit, ``y`` pointing up) and rendered twice: as a
``tikzpicture`` scaled to fit the page, and as a matplotlib figure of the same physical size
(times :data:`MPL_ZOOM`, for a sharper PNG). A box may carry a *mark* ``(kind, index, panel)``:
the SVG then wraps it in a group with ``class="hl"``, ``data-kind`` and ``data-index`` (the
position joined by commas), the explorer's markup contract (:mod:`symconv.figures.marks`).

Examples:
    >>> c = Canvas()
    >>> c.box(0, 0, label="x_{0}", mark=("input", (0, 0), 0))
    >>> c.text(0.5, -0.5, "$w_{0}$")
    >>> c.bounds()[2:]  # the right and top edges (the text's size is estimated)
    (1.0, 1.0)
    >>> "class=\\"hl\\" data-kind=\\"input\\" data-index=\\"0,0\\"" in c.svg()
    True
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass, field
from typing import Any

from symconv.base.extras import require
from symconv.figures import marks, raster
from symconv.figures.base import Figure
from symconv.figures.layout import PALETTE

MAX_WIDTH_CM = 15.5
MAX_HEIGHT_CM = 21.0
MAX_UNIT_CM = 1.0  # a cell is never drawn wider than this
MPL_ZOOM = 1.6  # matplotlib draws at this multiple of the TikZ size (fonts too): a sharper PNG at 100 dpi
FONT_PT = {"normalsize": 10.0, "small": 9.0, "footnotesize": 8.0, "scriptsize": 7.0, "tiny": 5.0}
GREY = "BBBBBB"
LIGHT = "F2F2F2"
KERNEL = "0072B2"  # the shading of the kernel in the window figures
MARK = "D55E00"  # the chosen output


def _pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, with the fixed SVG hash salt :mod:`~symconv.figures.raster` uses."""
    matplotlib = require("figures", "SVG and PNG figures", "or use the TikZ output")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "symconv"
    return plt


def distinct_colours(count: int) -> tuple[str, ...]:
    """``count`` distinct hex colours: the project's palette first, then golden-ratio hues.

    Examples:
        >>> cols = distinct_colours(25)
        >>> len(set(cols)), cols[0]
        (25, '0072B2')
    """
    colours = list(PALETTE[: min(count, len(PALETTE))])
    j = 0
    while len(colours) < count:
        hue = (0.11 + j * 0.618034) % 1.0
        sat, val = (0.75, 0.85) if j % 2 == 0 else (0.55, 0.6)
        r, g, b = colorsys.hsv_to_rgb(hue, sat, val)
        hexa = f"{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"
        if hexa not in colours:
            colours.append(hexa)
        j += 1
    return tuple(colours)


@dataclass(frozen=True)
class Box:
    """A rectangle from ``(x, y)`` of size ``w x h``, optionally filled, outlined and labelled (LaTeX math)."""

    x: float
    y: float
    w: float = 1.0
    h: float = 1.0
    fill: str | None = None
    edge: str | None = "000000"
    dashed: bool = False
    thick: bool = False
    opacity: float = 1.0
    label: str = ""
    label_colour: str = "000000"
    mark: tuple[str, tuple[int, ...], int] | None = None


@dataclass(frozen=True)
class Line:
    """A polyline through ``points``."""

    points: tuple[tuple[float, float], ...]
    colour: str = "000000"
    width: float = 0.6  # pt
    dashed: bool = False
    dotted: bool = False


@dataclass(frozen=True)
class Text:
    """Text at ``(x, y)``: LaTeX (math between dollars); ``anchor`` as TikZ names it; ``wrap`` a width in units."""

    x: float
    y: float
    text: str
    anchor: str = "center"
    size: str = "scriptsize"
    colour: str = "000000"
    wrap: float = 0.0
    mark: tuple[str, tuple[int, ...], int] | None = None


@dataclass
class Canvas:
    """The display list of one figure, in cell units."""

    boxes: list[Box] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    label_size: str = "scriptsize"  # the font of box labels

    def box(self, x: float, y: float, **options: Any) -> None:
        self.boxes.append(Box(x, y, **options))

    def line(self, *points: tuple[float, float], **options: Any) -> None:
        self.lines.append(Line(tuple(points), **options))

    def text(self, x: float, y: float, text: str, **options: Any) -> None:
        self.texts.append(Text(x, y, text, **options))

    def bounds(self, unit: float = MAX_UNIT_CM) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` around every box, line and text, texts by their estimated size at ``unit`` cm."""
        xs = [b.x for b in self.boxes] + [b.x + b.w for b in self.boxes]
        ys = [b.y for b in self.boxes] + [b.y + b.h for b in self.boxes]
        xs += [p[0] for ln in self.lines for p in ln.points]
        ys += [p[1] for ln in self.lines for p in ln.points]
        for t in self.texts:
            w, h = text_size(t, unit)
            left = t.x - (w if "east" in t.anchor else (0 if "west" in t.anchor else w / 2))
            low = t.y - (h if "north" in t.anchor else (0 if "south" in t.anchor else h / 2))
            xs += [left, left + w]
            ys += [low, low + h]
        return min(xs), min(ys), max(xs), max(ys)

    def unit_cm(self, margin: float = 0.6) -> float:
        """The size of one unit in cm: as large as :data:`MAX_UNIT_CM`, small enough to fit the page."""
        unit = MAX_UNIT_CM
        for _ in range(4):  # texts keep their size in cm as the unit shrinks: settle the fixed point
            x0, y0, x1, y1 = self.bounds(unit)
            unit = min(MAX_UNIT_CM, MAX_WIDTH_CM / (x1 - x0 + margin), MAX_HEIGHT_CM / (y1 - y0 + margin))
        return unit

    # -- TikZ ------------------------------------------------------------------------------------
    def tikz(self) -> str:
        """The ``tikzpicture`` (every colour defined inside it, so pictures can share a document)."""
        unit = round(self.unit_cm(), 3)
        colours = sorted(
            {b.fill for b in self.boxes if b.fill}
            | {b.edge for b in self.boxes if b.edge}
            | {b.label_colour for b in self.boxes}
            | {ln.colour for ln in self.lines}
            | {t.colour for t in self.texts}
        )
        out = [f"\\begin{{tikzpicture}}[x={unit}cm, y={unit}cm]"]
        out += [f"\\definecolor{{sc{c}}}{{HTML}}{{{c}}}" for c in colours]
        for b in self.boxes:
            out.append(_tikz_box(b, self.label_size))
        for ln in self.lines:
            style = [f"sc{ln.colour}", f"line width={ln.width}pt"]
            style += ["dashed"] if ln.dashed else []
            style += ["densely dotted"] if ln.dotted else []
            out.append(f"\\draw[{', '.join(style)}] " + " -- ".join(f"({x:g},{y:g})" for x, y in ln.points) + ";")
        for t in self.texts:
            width = f", text width={t.wrap * unit:.2f}cm, align=left, inner sep=0pt" if t.wrap else ""
            node = f"anchor={t.anchor}, font=\\{t.size}, text=sc{t.colour}{width}"
            out.append(f"\\node[{node}] at ({t.x:g},{t.y:g}) {{{t.text}}};")
        out.append("\\end{tikzpicture}")
        return "\n".join(out)

    # -- matplotlib ------------------------------------------------------------------------------
    def draw(self) -> Any:
        """A matplotlib ``Figure`` of the same physical size as the TikZ picture (times :data:`MPL_ZOOM`)."""
        plt = _pyplot()
        unit = self.unit_cm() * MPL_ZOOM / 2.54  # inches per unit
        x0, y0, x1, y1 = self.bounds(self.unit_cm())
        pad = 0.3
        fig = plt.figure(figsize=((x1 - x0 + 2 * pad) * unit, (y1 - y0 + 2 * pad) * unit))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        ax.axis("off")
        for j, b in enumerate(self.boxes):
            _mpl_box(ax, plt, b, j, FONT_PT[self.label_size] * MPL_ZOOM)
        for ln in self.lines:
            style = ":" if ln.dotted else ("--" if ln.dashed else "-")
            xs, ys = zip(*ln.points)
            ax.plot(xs, ys, color="#" + ln.colour, lw=ln.width * MPL_ZOOM, ls=style, zorder=3)
        for j, t in enumerate(self.texts):
            _mpl_text(ax, t, unit, len(self.boxes) + j)
        return fig

    def svg(self) -> str:
        """The matplotlib drawing as SVG, the marked boxes carrying the markup contract (deterministic)."""
        return marks.mark_svg(raster.render(self.draw(), "svg").decode("utf-8"))


def _tikz_box(b: Box, size: str) -> str:
    style = []
    if b.fill:
        style.append(f"fill=sc{b.fill}")
        if b.opacity < 1:
            style.append(f"fill opacity={b.opacity:g}")
    style.append(f"draw=sc{b.edge}" if b.edge else "draw=none")
    style += ["dashed"] if b.dashed else []
    style += ["very thick"] if b.thick else []
    text = ""
    if b.label:
        text = f" node[midway, font=\\{size}, text=sc{b.label_colour}, text opacity=1, inner sep=0pt] {{${b.label}$}}"
    return f"\\path[{', '.join(style)}] ({b.x:g},{b.y:g}) rectangle ({b.x + b.w:g},{b.y + b.h:g}){text};"


def _mpl_box(ax: Any, plt: Any, b: Box, j: int, font: float) -> None:
    patch = plt.Rectangle(
        (b.x, b.y),
        b.w,
        b.h,
        facecolor=("#" + b.fill) if b.fill else "none",
        alpha=None,
        edgecolor=("#" + b.edge) if b.edge else "none",
        linestyle="--" if b.dashed else "-",
        linewidth=(1.6 if b.thick else 0.5) * MPL_ZOOM,
        zorder=2 if b.thick else 1,
    )
    if b.fill and b.opacity < 1:
        patch.set_facecolor(_blend(b.fill, b.opacity))
    if b.mark is not None:
        kind, index, panel = b.mark
        patch.set_gid(marks.gid(kind, index, j, panel))
    ax.add_patch(patch)
    if b.label:
        ax.text(
            b.x + b.w / 2,
            b.y + b.h / 2,
            f"${b.label}$",
            ha="center",
            va="center",
            fontsize=font,
            color="#" + b.label_colour,
            zorder=4,
        )


def _blend(hexa: str, opacity: float) -> str:
    """``hexa`` at ``opacity`` over white, as an opaque colour (the same in SVG and PNG)."""
    rgb = [int(hexa[i : i + 2], 16) for i in (0, 2, 4)]
    mixed = [round(opacity * c + (1 - opacity) * 255) for c in rgb]
    return "#" + "".join(f"{c:02X}" for c in mixed)


def visible(text: str) -> str:
    """Roughly the characters ``text`` prints (LaTeX commands, braces and dollars dropped)."""
    text = re.sub(r"\\(cdots|vdots|dots)", "...", text)
    text = re.sub(r"\\[a-zA-Z]+", "", text)
    return re.sub(r"[${}_^]", "", text)


def text_size(t: Text, unit: float) -> tuple[float, float]:
    """The estimated width and height of ``t`` in units when a unit is ``unit`` cm (generous)."""
    pt = FONT_PT[t.size]
    char_cm, line_cm = 0.6 * pt / 28.45, 1.35 * pt / 28.45
    lines = t.text.split("\\\\")
    width = max(len(visible(line)) for line in lines) * char_cm / unit
    if t.wrap:
        chars = max(10, int(t.wrap * unit / char_cm))  # as matplotlib wraps it (:func:`_mpl_text`)
        rows = sum(_wrap(line, chars).count("\n") + 1 for line in lines)
        return t.wrap, (rows + 0.5) * line_cm / unit
    return width, len(lines) * line_cm / unit


HA = {"west": "left", "east": "right", "north west": "left", "south west": "left", "north east": "right"}
VA = {"north": "top", "south": "bottom", "north west": "top", "south west": "bottom", "north east": "top"}


def _wrap(text: str, chars: int) -> str:
    """Greedy line breaks at spaces outside math, counting the characters that print (:func:`visible`)."""
    words = re.findall(r"(?:\$[^$]*\$|[^\s$])+", text)
    lines: list[str] = []
    for word in words:
        if lines and len(visible(lines[-1] + " " + word)) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def _mpl_text(ax: Any, t: Text, unit_in: float, serial: int) -> None:
    text = t.text.replace("\\\\", "\n").replace("\\,", " ").replace("~", " ")
    text = re.sub(r"\\(emph|textbf|textit)\{([^}]*)\}", r"\2", text)
    font = FONT_PT[t.size] * MPL_ZOOM
    if t.wrap:
        chars = max(10, int(t.wrap * unit_in / MPL_ZOOM * 2.54 / (0.6 * FONT_PT[t.size] / 28.45)))
        text = "\n".join(_wrap(part, chars) for part in text.split("\n"))
    artist = ax.text(
        t.x,
        t.y,
        text,
        ha=HA.get(t.anchor, "center"),
        va=VA.get(t.anchor, "center"),
        fontsize=font,
        color="#" + t.colour,
        zorder=5,
        linespacing=1.3,
    )
    if t.mark is not None:
        kind, index, panel = t.mark
        artist.set_gid(marks.gid(kind, index, serial, panel))


class CanvasFigure(Figure):
    """A figure drawn from one :class:`Canvas` (``self.canvas``), by TikZ and by matplotlib alike."""

    canvas: Canvas

    def _tikz(self) -> str:
        return self.canvas.tikz()

    def _draw(self) -> Any:
        return self.canvas.draw()


def partner_channel(
    channels: Any, chosen: int, chosen_name: str, partner: int | None, partner_name: str, words: tuple[str, str, str]
) -> int:
    """The channel drawn with ``chosen``: ``partner`` checked to be in ``chosen``'s group, or the group's first.

    ``channels`` maps each ``chosen`` channel to the group of partner channels it meets
    (:class:`~symconv.geometry.geometry.Channels`: an output channel to the input channels it reads; its
    ``swapped()`` for an input channel of a transposed layer and the outputs it feeds); ``words`` names them in
    the errors: ``("input", "output", "reads")`` or ``("output", "input", "feeds")``.

    Examples:
        >>> from symconv.geometry.geometry import Channels
        >>> partner_channel(Channels(4, 2, groups=2), 1, "out_channel", None, "channel", ("input", "output", "reads"))
        2
    """
    if not 0 <= chosen < channels.out_channels:
        raise ValueError(f"'{chosen_name}' must be in [0, {channels.out_channels}) (got {chosen!r}).")
    first = channels.first_input(chosen)
    partner = first if partner is None else partner
    if not first <= partner < first + channels.in_per_group:
        kind, chosen_kind, verb = words
        raise ValueError(
            f"'{partner_name}' must be an {kind} channel that {chosen_kind} channel {chosen} {verb}, in "
            f"[{first}, {first + channels.in_per_group}) (got {partner!r})."
        )
    return partner


def drawn_channels(spec: Any, channel: int, out_channel: int) -> str:
    """The sentence a figure of one channel pair of a multi-channel layer adds to its caption (``''`` for one
    channel)."""
    if spec.in_channels == 1 and spec.out_channels == 1:
        return ""
    return (
        f"Input channel {channel} of {spec.in_channels} and output channel {out_channel} of {spec.out_channels} "
        "are drawn."
    )


__all__ = [
    "Box",
    "Canvas",
    "CanvasFigure",
    "Line",
    "Text",
    "distinct_colours",
    "drawn_channels",
    "partner_channel",
    "text_size",
    "visible",
]
