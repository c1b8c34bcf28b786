"""The base of every figure: TikZ, SVG and PNG renderings, and the highlight contract."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

from symconv.figures import marks, raster, tikz

FORMATS = (".svg", ".png", ".tex")


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
    tight: bool = False  # crop the matplotlib drawing to what is drawn (labels, legend)

    def tikz(self, standalone: bool = False) -> str:
        """The ``tikzpicture``; with ``standalone=True`` a one-page document around it."""
        picture = self._tikz()
        return tikz.standalone(picture, self.width_cm, self.height_cm) if standalone else picture

    def svg(self) -> str:
        """The matplotlib drawing as SVG text (deterministic), the highlighted elements marked."""
        return marks.mark_svg(raster.render(self._draw(), "svg", self.tight).decode("utf-8"))

    def png(self) -> bytes:
        """The matplotlib drawing as PNG bytes (deterministic)."""
        return raster.render(self._draw(), "png", self.tight)

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


__all__ = ["FORMATS", "Figure"]
