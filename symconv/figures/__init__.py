"""Figures of a layer: the connectivity diagram, the matrix picture and a stack's receptive field, as TikZ, SVG or PNG.

Each is computed once from the taps (:mod:`symconv.figures.layout`, :mod:`~symconv.figures.matrix`,
:mod:`~symconv.figures.stack`) and drawn by TikZ (:mod:`~symconv.figures.tikz`, inside a
derivation or as a standalone document) or by matplotlib (:mod:`~symconv.figures.raster`). In
Jupyter they display themselves (``_repr_svg_``, ``_repr_png_``). Isolated views
(:mod:`~symconv.figures.isolated`) highlight the taps of one input, one output or one weight;
every figure says what it highlights (``.highlighted``, marked in its SVG: :mod:`~symconv.figures.marks`)
and, when a layer is too long or has too many channels to draw whole, what it leaves out
(``.elided``, :mod:`~symconv.figures.elision`): no figure is refused or dropped.

Examples:
    >>> import symconv
    >>> fig = symconv.connectivity_diagram(symconv.Conv1d(1, 1, 3), 4)
    >>> len(fig.layout.edges), fig.tikz().splitlines()[0][:19]
    (6, '\\\\begin{tikzpicture}')
"""

from __future__ import annotations

from typing import Any

from symconv.figures import layout, matrix, raster, tikz
from symconv.figures.base import FORMATS, Figure
from symconv.figures.isolated import Focus, focus
from symconv.figures.layout import DRAW_LIMIT
from symconv.figures.stack import ReceptiveFieldDiagram, receptive_field_diagram
from symconv.views.expansion import Expansion, as_expansion


class ConnectivityDiagram(Figure):
    """Inputs below, outputs above, one edge per tap, coloured and labelled by weight, padding marked."""

    tight = True

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
    """The weight-tied matrix ``W``, one colour per weight: the band, stride and dilation made visible.

    Drawn from the taps of the rows it shows; elided past a few dozen rows or three channels (see
    :mod:`symconv.figures.matrix`). ``highlighted['entry']`` holds the ``(row, col)`` entries a view highlights.
    """

    tight = True

    def __init__(self, expansion: Expansion, focus: Focus | None = None) -> None:
        self.expansion = expansion.one_axis("the matrix picture")
        self.focus = focus
        self.layout = matrix.matrix_layout(expansion, focus)
        self.cells, self.shape = list(self.layout.cells), self.layout.shape
        self.highlighted = self.layout.highlighted
        self.elided = self.layout.elided
        m = self.layout
        scale = tikz.matrix_scale(m)
        labels = 1.2 if any("," in s for s in m.col_labels.values()) else 0.6
        below = 0.7 * tikz.matrix_legend_rows(m) + 0.6 * len(m.caption_lines()) + 1.5
        self.width_cm = (0.8 * (m.cols.width + 1) + 3.0) * scale + 1
        self.height_cm = (0.8 * (m.rows.width + 1) + labels + below) * scale + 1.5

    def _tikz(self) -> str:
        return tikz.matrix_tikz(self.layout)

    def _draw(self) -> Any:
        return raster.draw_matrix(self.layout)


def _one_axis(e: Expansion, what: str) -> Expansion:
    """``e`` if it has one spatial axis; else the refusal, naming the figures that draw 2D layers."""
    try:
        return e.one_axis(what)
    except ValueError as exc:
        raise ValueError(
            f"{exc} For a 2D layer, window_diagram(layer, shape) draws the kernel over the padded grid and "
            "block_matrix_picture(layer, shape) the block structure of W."
        ) from None


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
    e = _one_axis(as_expansion(layer, shape, parameter="shape"), "the connectivity diagram")
    return ConnectivityDiagram(e, focus(e, from_input, from_output, weight))


def matrix_picture(
    layer: Any, shape: int | None = None, from_input: Any = None, from_output: Any = None, weight: Any = None
) -> MatrixPicture:
    """The picture of the weight-tied matrix of ``layer`` on ``shape`` inputs (or of an Expansion).

    ``from_input``, ``from_output`` and ``weight`` choose an isolated view as for
    :func:`connectivity_diagram`: the column of one input, the row of one output, or every entry
    holding one shared weight.

    Examples:
        >>> from symconv import Conv1d
        >>> sorted(matrix_picture(Conv1d(1, 1, 3), 5, weight=1).highlighted["entry"])
        [(0, 1), (1, 2), (2, 3)]
    """
    e = _one_axis(as_expansion(layer, shape, parameter="shape"), "the matrix picture")
    return MatrixPicture(e, focus(e, from_input, from_output, weight))


__all__ = [
    "DRAW_LIMIT",
    "FORMATS",
    "ConnectivityDiagram",
    "Figure",
    "MatrixPicture",
    "ReceptiveFieldDiagram",
    "connectivity_diagram",
    "matrix_picture",
    "receptive_field_diagram",
]
