"""TikZ for the figures: a ``tikzpicture`` to put in a document, or a standalone one-page document."""

from __future__ import annotations

from symconv.figures.layout import PALETTE, Cell, Diagram, colour

MAX_WIDTH_CM = 16.0
UNIT = 1.3  # cm between neighbouring input positions
SHAPE = "every node/.style={transform shape}"
LABELLED_EDGES = 80  # label edges with their weight up to this many edges (the legend names them always)
LABELLED_CELLS = 400


def _colours(count: int) -> str:
    used = min(count, len(PALETTE))
    return "".join(f"\\definecolor{{symconvw{j}}}{{HTML}}{{{PALETTE[j]}}}\n" for j in range(used))


def connectivity_scale(d: Diagram) -> float:
    """The scale that fits the diagram (and its legend) into the text width."""
    return _scale(max(UNIT * (d.width + 1), 1.3 + _step(d) * min(len(d.weights), 9) + 1, 10))


def _step(d: Diagram) -> float:
    """Legend spacing (cm): wider for multi-index weight names."""
    return 1.4 if all("," not in w for w in d.weights) else 2.1


def _scale(width: float) -> float:
    return round(min(1.0, MAX_WIDTH_CM / max(width, 1.0)), 3)


def connectivity_tikz(d: Diagram) -> str:
    """The connectivity diagram as a ``tikzpicture``."""
    out = [
        f"\\begin{{tikzpicture}}[x={UNIT}cm, y=1cm, scale={connectivity_scale(d)}, {SHAPE}]",
        _colours(len(d.weights)),
        "\\tikzset{inp/.style={circle, draw, thick, minimum size=8mm, inner sep=0pt, fill=white},"
        " pad/.style={rectangle, draw, dashed, minimum size=8mm, inner sep=0pt, fill=black!6},"
        " lab/.style={fill=white, inner sep=1pt, font=\\scriptsize}}",
    ]
    for j, node in enumerate(d.nodes):
        style = "inp" if node.kind in ("input", "output") else "pad"
        out.append(f"\\node[{style}] (n{j}) at ({node.x:g},{node.y:g}) {{${node.label}$}};")
    label = len(d.edges) <= LABELLED_EDGES
    for edge in d.edges:
        col = f"symconvw{edge.weight % len(PALETTE)}"
        if edge.kind == "zero":
            out.append(f"\\draw[{col}, densely dotted, opacity=0.5] (n{edge.source}) -- (n{edge.target});")
            continue
        text = f" node[lab, pos={edge.position:.2f}] {{${edge.label}$}}" if label else ""
        out.append(f"\\draw[{col}, thick] (n{edge.source}) --{text} (n{edge.target});")
    out.append(_legend(d))
    out.append("\\end{tikzpicture}")
    return "\n".join(out)


def _legend(d: Diagram) -> str:
    shown = d.weights[:8]
    parts = [f"\\node[font=\\small, anchor=west] at ({-0.6 / UNIT:.3f},-1) {{weights:}};"]
    for j, name in enumerate(shown):
        x = (1.3 + _step(d) * j) / UNIT
        parts.append(f"\\draw[symconvw{j % len(PALETTE)}, very thick] ({x:.3f},-1) -- ++(0.4,0);")
        parts.append(f"\\node[font=\\small, anchor=west] at ({x + 0.4:.3f},-1) {{${name}$}};")
    if len(d.weights) > len(shown):
        at = (1.3 + _step(d) * len(shown)) / UNIT
        parts.append(f"\\node[font=\\small, anchor=west] at ({at:.3f},-1) {{$\\dots$}};")
    if d.note:
        parts.append(f"\\node[font=\\small, anchor=west] at ({-0.6 / UNIT:.3f},-1.6) {{{d.note}}};")
    return "\n".join(parts)


def matrix_tikz(
    cells: list[Cell], shape: tuple[int, int], weights: tuple[str, ...], row_labels: list[str], col_labels: list[str]
) -> str:
    """The weight-tied matrix as a ``tikzpicture``: one coloured cell per non-zero entry."""
    rows, cols = shape
    out = [
        f"\\begin{{tikzpicture}}[x=0.8cm, y=0.8cm, scale={_scale(0.8 * cols + 2)}, {SHAPE}]",
        _colours(len(weights)),
        f"\\draw[black!15] (0,0) grid ({cols},{-rows});",
    ]
    for cell in cells:
        n = len(cell.weights)
        for j, flat in enumerate(cell.weights):
            x0 = cell.col + j / n
            out.append(
                f"\\fill[symconvw{flat % len(PALETTE)}, opacity=0.55] ({x0:g},{-cell.row}) rectangle "
                f"({x0 + 1 / n:g},{-cell.row - 1});"
            )
        if rows * cols <= LABELLED_CELLS:
            out.append(f"\\node[font=\\tiny] at ({cell.col + 0.5:g},{-cell.row - 0.5:g}) {{${cell.label}$}};")
    out.append(f"\\draw[thick] (0,0) rectangle ({cols},{-rows});")
    if rows * cols <= LABELLED_CELLS:
        for r, name in enumerate(row_labels):
            out.append(f"\\node[font=\\scriptsize, anchor=east] at (0,{-r - 0.5:g}) {{${name}$}};")
        for c, name in enumerate(col_labels):
            out.append(f"\\node[font=\\scriptsize, anchor=south] at ({c + 0.5:g},0) {{${name}$}};")
    out.append("\\end{tikzpicture}")
    return "\n".join(out)


def standalone(picture: str, width_cm: float, height_cm: float) -> str:
    """A one-page document holding just ``picture`` (the page sized to it; no standalone class needed)."""
    return (
        "\\documentclass{article}\n"
        f"\\usepackage[paperwidth={width_cm:.1f}cm, paperheight={height_cm:.1f}cm, margin=0.4cm]{{geometry}}\n"
        "\\usepackage{tikz}\n\\pagestyle{empty}\n\\begin{document}\n\\noindent\n"
        f"{picture}\n\\end{{document}}\n"
    )


__all__ = ["colour", "connectivity_tikz", "matrix_tikz", "standalone"]
