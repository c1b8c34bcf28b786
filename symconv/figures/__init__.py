"""Figures of a layer: the connectivity diagram and the matrix picture, as TikZ, SVG or PNG.

Both are computed once from the taps (:mod:`symconv.figures.layout`) and drawn by TikZ
(:mod:`~symconv.figures.tikz`, inside a derivation or as a standalone document) or by
matplotlib (:mod:`~symconv.figures.raster`). In Jupyter they display themselves
(``_repr_svg_``).

Examples:
    >>> import symconv
    >>> fig = symconv.connectivity_diagram(symconv.Conv1d(1, 1, 3), 4)
    >>> len(fig.layout.edges), fig.tikz().splitlines()[0][:19]
    (6, '\\\\begin{tikzpicture}')
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

from symconv.base.symbols import entries
from symconv.figures import layout, marks, raster, tikz
from symconv.figures.isolated import Focus, focus
from symconv.layers.protocol import Kind
from symconv.views.expansion import Expansion, as_expansion

FORMATS = (".svg", ".png", ".tex")

#: Layers with more taps are not drawn: past a few hundred edges a figure is unreadable, and
#: matplotlib takes minutes over it (the same limit leaves the figures out of a derivation).
DRAW_LIMIT = 400


def drawable(expansion: Expansion, what: str) -> Expansion:
    """``expansion`` if its figure has at most :data:`DRAW_LIMIT` taps, else a ``ValueError`` naming the limit."""
    expansion.one_axis(f"the {what}")
    taps = len(expansion.taps)
    if taps > DRAW_LIMIT:
        raise ValueError(
            f"the {what} of {expansion.layer!r} on L={expansion.input_length} would draw {taps} taps, above "
            f"the limit of {DRAW_LIMIT} (symconv.figures.DRAW_LIMIT) past which a figure is unreadable; draw a "
            "shorter input or fewer channels: the pattern is the same at every length."
        )
    return expansion


class Figure:
    """A figure with TikZ, SVG and PNG renderings; subclasses set how to draw.

    The contract every figure keeps (:mod:`symconv.figures.marks`):

    Attributes:
        highlighted: Kind -> frozenset of positions (channel first) the figure highlights, one entry for
            every kind of :data:`~symconv.figures.marks.KINDS` (``'input'``, ``'output'``, ``'weight'``,
            ``'entry'``, ``'pad'``), empty when it highlights none. Only what is drawn: its SVG marks
            exactly these with ``class="hl"``, ``data-kind`` and ``data-index``.
        elided: ``""`` when everything is drawn, else a sentence saying what is left out (a figure too
            large is drawn elided, never dropped).
    """

    width_cm: float = 16.0
    height_cm: float = 8.0
    highlighted: marks.Highlighted = MappingProxyType(marks.nothing())
    elided: str = ""

    def tikz(self, standalone: bool = False) -> str:
        """The ``tikzpicture``; with ``standalone=True`` a one-page document around it."""
        picture = self._tikz()
        return tikz.standalone(picture, self.width_cm, self.height_cm) if standalone else picture

    def svg(self) -> str:
        """The matplotlib drawing as SVG text (deterministic), the highlighted elements marked."""
        return marks.mark_svg(raster.render(self._draw(), "svg").decode("utf-8"))

    def png(self) -> bytes:
        """The matplotlib drawing as PNG bytes (deterministic)."""
        return raster.render(self._draw(), "png")

    def save(self, path: str | Path) -> Path:
        """Write to ``path``; the suffix chooses the format: ``.svg``, ``.png`` or ``.tex`` (standalone TikZ)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".svg":
            path.write_text(self.svg(), encoding="utf-8")
        elif suffix == ".png":
            path.write_bytes(self.png())
        elif suffix == ".tex":
            path.write_text(self.tikz(standalone=True), encoding="utf-8")
        else:
            raise ValueError(f"'path' must end in one of {', '.join(FORMATS)} (got {path.name!r}).")
        return path

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_png_(self) -> bytes:
        return self.png()

    def _tikz(self) -> str:
        raise NotImplementedError

    def _draw(self) -> Any:
        raise NotImplementedError


class ConnectivityDiagram(Figure):
    """Inputs below, outputs above, one edge per tap, coloured and labelled by weight, padding marked."""

    def __init__(self, expansion: Expansion, focus: Focus | None = None) -> None:
        self.expansion = expansion.one_axis("the connectivity diagram")
        self.focus = focus
        self.layout = layout.connectivity(expansion, focus)
        self.highlighted = self.layout.highlighted
        self.elided = self.layout.elided
        scale = tikz.connectivity_scale(self.layout)
        self.width_cm = max(tikz.UNIT * (self.layout.width + 1), 12.5) * scale + 1.2
        below = 0.55 * tikz.legend_rows(self.layout) + 0.6 * len(self.layout.caption_lines()) + 0.6
        self.height_cm = (self.layout.height * tikz.y_stretch(self.layout) + 3.0 + below) * scale + 1

    def _tikz(self) -> str:
        return tikz.connectivity_tikz(self.layout)

    def _draw(self) -> Any:
        return raster.draw_connectivity(self.layout)


class MatrixPicture(Figure):
    """The weight-tied matrix ``W``, one colour per weight: the band, stride and dilation made visible."""

    def __init__(self, expansion: Expansion) -> None:
        self.expansion = drawable(expansion, "matrix picture")
        self.cells, self.shape = layout.matrix_cells(expansion)
        self.weights = tuple(layout.symbol_label(w) for w in entries(expansion.w))
        self.row_labels = [layout.symbol_label(z) for z in entries(expansion.z_symbols)]
        self.col_labels = [layout.symbol_label(x) for x in entries(expansion.x)]
        rows, cols = self.shape
        scale = min(1.0, tikz.MAX_WIDTH_CM / (0.8 * cols + 2))
        self.width_cm = (0.8 * cols + 2.5) * scale + 1
        self.height_cm = (0.8 * rows + 1.5) * scale + 1

    def _tikz(self) -> str:
        return tikz.matrix_tikz(self.cells, self.shape, self.weights, self.row_labels, self.col_labels)

    def _draw(self) -> Any:
        return raster.draw_matrix(self.cells, self.shape, self.row_labels, self.col_labels)


def connectivity_diagram(
    layer: Any, shape: int | None = None, from_input: Any = None, from_output: Any = None, weight: Any = None
) -> ConnectivityDiagram:
    """The connectivity diagram of ``layer`` on ``shape`` inputs (or of an Expansion), optionally an isolated view.

    Args:
        layer: A one-axis layer (``Conv1d``, ``ConvTranspose1d``) or an Expansion of one.
        shape: The input length; left out with an Expansion.
        from_input: ``(c, t)`` (or ``t`` with one input channel): highlight the outputs this input feeds.
        from_output: ``(o, i)`` (or ``i`` with one output channel): highlight the inputs this output reads.
        weight: ``(o, c', k)`` as the weight tensor is indexed (``(c, o', k)`` transposed) or its flat
            index: highlight every edge of this shared weight (Goodfellow et al., fig. 9.5).

    Positions are 0-based. At most one of the three views; the rest of the figure is faded. Past a
    few dozen positions or four channels the figure is drawn elided (:attr:`Figure.elided` says what
    is left out), keeping what the view highlights.

    Examples:
        >>> from symconv import Conv1d
        >>> fig = connectivity_diagram(Conv1d(1, 1, 3, stride=2), 9, from_input=4)
        >>> sorted(fig.highlighted["output"]), sorted(fig.highlighted["weight"])
        ([(0, 1), (0, 2)], [(0, 0, 0), (0, 0, 2)])
        >>> connectivity_diagram(Conv1d(8, 8, 3), 128).elided.split(";")[0]
        'Left out (with their edges): input channels 1..7 of 8'
    """
    e = as_expansion(layer, shape)
    e.one_axis("the connectivity diagram")
    return ConnectivityDiagram(e, focus(e, from_input, from_output, weight))


def matrix_picture(layer: Any, input_length: int | None = None) -> MatrixPicture:
    """The picture of the weight-tied matrix of ``layer`` on ``input_length`` inputs (or of an Expansion)."""
    return MatrixPicture(as_expansion(layer, input_length))


__all__ = ["DRAW_LIMIT", "ConnectivityDiagram", "Figure", "MatrixPicture", "connectivity_diagram", "matrix_picture"]
