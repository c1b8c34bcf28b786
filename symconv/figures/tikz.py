"""TikZ for the figures: a ``tikzpicture`` to put in a document, or a standalone one-page document."""

from __future__ import annotations

import re

from symconv.figures.elision import Track, runs
from symconv.figures.layout import Diagram
from symconv.figures.matrix import MatrixLayout

MAX_WIDTH_CM = 16.0
UNIT = 1.3  # cm between neighbouring input positions
SHAPE = "every node/.style={transform shape}"
LABELLED_EDGES = 80  # label edges with their weight up to this many edges (the legend names them always)
LABELLED_CELLS = 400


def connectivity_scale(d: Diagram) -> float:
    """The scale that fits the diagram (and its legend) into the text width."""
    return _scale(max(UNIT * (d.width + 1), 1.3 + _step(d) * min(len(d.legend), 9) + 1, 10))


def _step(d: Diagram) -> float:
    """Legend spacing (cm): wider for multi-index weight names."""
    return 1.4 if all("," not in name and "=" not in name for _, name in d.legend) else 2.1


def _scale(width: float) -> float:
    return round(min(1.0, MAX_WIDTH_CM / max(width, 1.0)), 3)


def y_stretch(d: Diagram) -> float:
    """How much taller than :data:`~symconv.figures.layout.HEIGHT` the rows stand apart: a wide diagram
    (many positions or channels) would otherwise be a flat smear once scaled to the page."""
    return round(max(1.0, UNIT * (d.width + 1) / (4.5 * d.height)), 3)


def legend_rows(d: Diagram) -> int:
    """How many rows the legend takes (every entry is shown)."""
    return -(-len(d.legend) // _per_row(d)) if d.legend else 0


def _per_row(d: Diagram) -> int:
    return max(1, int((UNIT * (d.width + 1) - 1.3) // _step(d)))


def connectivity_tikz(d: Diagram) -> str:
    """The connectivity diagram as a ``tikzpicture``: highlighted nodes filled, faded edges grey."""
    colours = sorted({e.colour for e in d.edges} | {c for c, _ in d.legend})
    out = [
        f"\\begin{{tikzpicture}}[x={UNIT}cm, y=1cm, scale={connectivity_scale(d)}, {SHAPE}]",
        "".join(f"\\definecolor{{sc{c}}}{{HTML}}{{{c}}}\n" for c in colours),
        "\\definecolor{schl}{HTML}{D55E00}\\definecolor{schlfill}{HTML}{FFE3C7}",
        "\\tikzset{inp/.style={circle, draw, thick, minimum size=8mm, inner sep=0pt, fill=white},"
        " pad/.style={rectangle, draw, dashed, minimum size=8mm, inner sep=0pt, fill=black!6},"
        " hl/.style={draw=schl, fill=schlfill, very thick},"
        " lab/.style={fill=white, inner sep=1pt, font=\\scriptsize}}",
    ]
    stretch = y_stretch(d)
    for j, node in enumerate(d.nodes):
        style = "inp" if node.kind in ("input", "output") else "pad"
        style += ", hl" if node.hl else ""
        out.append(f"\\node[{style}] (n{j}) at ({node.x:g},{node.y * stretch:g}) {{${node.label}$}};")
    focused = bool(d.focus)
    label = sum(e.hl or not focused for e in d.edges) <= LABELLED_EDGES
    for edge in d.edges:
        col = f"sc{edge.colour}"
        if edge.kind == "zero":
            out.append(f"\\draw[{col}, densely dotted, opacity=0.5] (n{edge.source}) -- (n{edge.target});")
            continue
        width = "thin" if focused and not edge.hl else ("ultra thick" if edge.hl else "thick")
        text = f" node[lab, pos={edge.position:.2f}] {{${edge.label}$}}" if label and (edge.hl or not focused) else ""
        out.append(f"\\draw[{col}, {width}] (n{edge.source}) --{text} (n{edge.target});")
    for gap in d.gaps:
        above = gap.y > 0
        y = gap.y * stretch
        out.append(f"\\node at ({gap.x:g},{y:g}) {{$\\cdots$}};")
        anchor, dy = ("south", 0.45) if above else ("north", -0.45)
        out.append(f"\\node[font=\\scriptsize, anchor={anchor}] at ({gap.x:g},{y + dy:g}) {{{gap.count} {gap.what}}};")
    out.append(_legend(d))
    out.append("\\end{tikzpicture}")
    return "\n".join(out)


def _legend(d: Diagram) -> str:
    """Every colour drawn, with what it means, in rows; then the caption lines."""
    per = _per_row(d)
    x0 = -0.6 / UNIT
    parts = [f"\\node[font=\\small, anchor=west] at ({x0:.3f},-1) {{{d.legend_title}}};"]
    top = -1.0 if len(d.legend_title) <= 12 else -1.55  # a long title: the entries start below it
    y = top
    for j, (col, name) in enumerate(d.legend):
        row, place = divmod(j, per)
        y = top - 0.55 * row
        x = (1.3 + _step(d) * place) / UNIT
        parts.append(f"\\draw[sc{col}, very thick] ({x:.3f},{y:g}) -- ++(0.4,0);")
        parts.append(f"\\node[font=\\small, anchor=west] at ({x + 0.4:.3f},{y:g}) {{${name}$}};")
    text = "\\\\ ".join(tex_text(line) for line in d.caption_lines())
    if text:
        width = UNIT * (d.width + 1)
        parts.append(
            f"\\node[font=\\small, anchor=north west, text width={width:.2f}cm, align=left, inner sep=0pt] "
            f"at ({x0:.3f},{y - 0.4:g}) {{{text}}};"
        )
    return "\n".join(parts)


def tex_text(text: str) -> str:
    """Plain text for LaTeX: ``..`` ranges as en dashes, ``w[...]`` in math."""
    text = re.sub(r"w\[([0-9, ]+)\]", lambda m: f"$w_{{{m.group(1).replace(' ', '')}}}$", text)
    return text.replace("..", "--").replace("_", "\\_") if "$" not in text else text.replace("..", "--")


def matrix_scale(m: MatrixLayout) -> float:
    """The scale that fits the matrix picture, its row labels and its legend into the text width."""
    return _scale(0.8 * (m.cols.width + 1) + 2.5)


def matrix_legend_rows(m: MatrixLayout) -> int:
    return -(-len(m.legend) // _matrix_per_row(m)) if m.legend else 0


def _matrix_per_row(m: MatrixLayout) -> int:
    step = 1.4 if all("," not in name and "=" not in name for _, name in m.legend) else 2.1
    return max(1, int((0.8 * (m.cols.width + 1) + 1.5) // step))


def matrix_tikz(m: MatrixLayout) -> str:
    """The weight-tied matrix as a ``tikzpicture``: one coloured cell per drawn non-zero entry, every drawn
    row and column labelled, bands where rows or columns are left out, the legend complete."""
    rows, cols = m.rows.width + 1, m.cols.width + 1
    colours = sorted({c for cs in m.colours for c in cs} | {c for c, _ in m.legend})
    out = [
        f"\\begin{{tikzpicture}}[x=0.8cm, y=0.8cm, scale={matrix_scale(m)}, {SHAPE}]",
        "".join(f"\\definecolor{{sc{c}}}{{HTML}}{{{c}}}\n" for c in colours),
        "\\definecolor{schl}{HTML}{D55E00}",
    ]
    for c0, c1 in _spans(m.cols):
        for r0, r1 in _spans(m.rows):
            out.append(f"\\draw[black!15, shift={{({c0:g},{-r1:g})}}] (0,0) grid ({c1 - c0:g},{r1 - r0:g});")
    labelled = len(m.cells) <= LABELLED_CELLS and cols <= 40
    for cell, cs, hl in zip(m.cells, m.colours, m.hl):
        x, y, n = m.cols.x[cell.col], m.rows.x[cell.row], len(cell.weights)
        for j, col in enumerate(cs):
            x0 = x + j / n
            out.append(f"\\fill[sc{col}, opacity=0.55] ({x0:g},{-y:g}) rectangle ({x0 + 1 / n:g},{-y - 1:g});")
        if hl:
            out.append(f"\\draw[schl, very thick] ({x:g},{-y:g}) rectangle ({x + 1:g},{-y - 1:g});")
        if labelled:
            out.append(f"\\node[font=\\tiny] at ({x + 0.5:g},{-y - 0.5:g}) {{${cell.label}$}};")
    rotate = any("," in s for s in m.col_labels.values())
    for r in m.rows.kept:
        out.append(f"\\node[font=\\scriptsize, anchor=east] at (0,{-m.rows.x[r] - 0.5:g}) {{${m.row_labels[r]}$}};")
    for c in m.cols.kept:
        style = "anchor=west, rotate=90" if rotate else "anchor=south"
        out.append(f"\\node[font=\\scriptsize, {style}] at ({m.cols.x[c] + 0.5:g},0) {{${m.col_labels[c]}$}};")
    for gx in m.cols.gap_x:
        for r0, r1 in _spans(m.rows):
            out.append(f"\\node at ({gx + 0.5:g},{-(r0 + r1) / 2:g}) {{$\\cdots$}};")
    for gy in m.rows.gap_x:
        for c0, c1 in _spans(m.cols):
            out.append(f"\\node at ({(c0 + c1) / 2:g},{-gy - 0.5:g}) {{$\\vdots$}};")
    out.append(_matrix_legend(m, rows))
    out.append("\\end{tikzpicture}")
    return "\n".join(out)


def _spans(track: Track) -> list[tuple[float, float]]:
    return [(track.x[a], track.x[b] + 1) for a, b in runs(track.kept)]


def _matrix_legend(m: MatrixLayout, rows: float) -> str:
    per = _matrix_per_row(m)
    step = 1.4 if all("," not in name and "=" not in name for _, name in m.legend) else 2.1
    top = -rows - 0.8
    parts = [f"\\node[font=\\small, anchor=west] at (-1,{top:g}) {{{m.legend_title}}};"]
    first = top - (0.7 if len(m.legend_title) > 12 else 0)
    y = first
    for j, (col, name) in enumerate(m.legend):
        row, place = divmod(j, per)
        y = first - 0.7 * row
        x = (1.3 + step * place) / 0.8 - (0 if len(m.legend_title) <= 12 else 1.6)
        parts.append(f"\\fill[sc{col}, opacity=0.55] ({x:.3f},{y - 0.2:g}) rectangle ++(0.4,0.4);")
        parts.append(f"\\node[font=\\small, anchor=west] at ({x + 0.45:.3f},{y:g}) {{${name}$}};")
    text = "\\\\ ".join(tex_text(line) for line in m.caption_lines())
    if text:
        width = 0.8 * (m.cols.width + 1) + 1.5
        parts.append(
            f"\\node[font=\\small, anchor=north west, text width={width:.2f}cm, align=left, inner sep=0pt] "
            f"at (-1,{y - 0.5:g}) {{{text}}};"
        )
    return "\n".join(parts)


def standalone(picture: str, width_cm: float, height_cm: float) -> str:
    """A one-page document holding just ``picture`` (the page sized to it; no standalone class needed)."""
    return (
        "\\documentclass{article}\n"
        f"\\usepackage[paperwidth={width_cm:.1f}cm, paperheight={height_cm:.1f}cm, margin=0.4cm]{{geometry}}\n"
        "\\usepackage{tikz}\n\\pagestyle{empty}\n\\begin{document}\n\\noindent\n"
        f"{picture}\n\\end{{document}}\n"
    )


__all__ = ["connectivity_tikz", "matrix_tikz", "standalone"]
