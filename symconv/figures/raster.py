"""matplotlib drawings of the figures, saved as deterministic SVG or PNG.

matplotlib is imported only here, lazily, with the non-interactive Agg backend. SVG output
has a fixed hash salt and no date, PNG output no software tag, so the same layer always
gives the same bytes.
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

from symconv.base.extras import require
from symconv.figures import elision, marks
from symconv.figures.layout import Diagram
from symconv.figures.matrix import MatrixLayout

LABELLED_EDGES = 80
LABELLED_CELLS = 400


def _pyplot() -> Any:
    matplotlib = require("figures", "SVG and PNG figures", "or use the TikZ output")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "symconv"
    return plt


def draw_connectivity(d: Diagram) -> Any:
    """A matplotlib ``Figure`` of the connectivity diagram, highlighted elements carrying their marks."""
    plt = _pyplot()
    scale = 0.75 if d.width < 24 else 18 / d.width
    width_in = max(4.0, (d.width + 2) * scale)
    tall = max(3.6, width_in / 4.0)  # a wide diagram stands taller, or it is a flat smear
    fig, ax = plt.subplots(figsize=(width_in, tall + 0.25 * len(d.caption_lines())))
    focused = bool(d.focus)
    label = sum(e.hl or not focused for e in d.edges) <= LABELLED_EDGES
    for j, edge in enumerate(d.edges):
        _edge(ax, d, edge, j, label and (edge.hl or not focused), focused)
    for j, node in enumerate(d.nodes):
        square = node.kind in ("pad", "zero")
        dots = ax.scatter(
            [node.x],
            [node.y],
            s=520,
            marker="s" if square else "o",
            zorder=2,
            facecolors=HL_FILL if node.hl else ("#eeeeee" if square else "white"),
            edgecolors=HL_EDGE if node.hl else "black",
            linestyles="dashed" if square else "solid",
            linewidths=2.2 if node.hl else 1.2,
        )
        if node.hl:
            dots.set_gid(marks.gid(node.mark, node.index, j))
        ax.text(node.x, node.y, f"${node.label}$", fontsize=9, ha="center", va="center", zorder=4)
    for gap in d.gaps:
        ax.text(gap.x, gap.y, "$\\cdots$", fontsize=14, ha="center", va="center", zorder=4)
        above = gap.y > 0
        y = gap.y + (0.45 if above else -0.45)
        ax.text(gap.x, y, f"{gap.count} {gap.what}", fontsize=6.5, ha="center", va="bottom" if above else "top")
    handles = [plt.Line2D([], [], color="#" + col, lw=2.5, label=f"${name}$") for col, name in d.legend]
    _legend(ax, handles, [*d.caption_lines(), d.legend_title], width_in, fontsize=9)
    ax.set_xlim(-0.8, d.width + 0.8)
    ax.set_ylim(-0.6, d.height + 0.6)
    ax.axis("off")
    fig.tight_layout()
    return fig


HL_FILL, HL_EDGE = "#FFE3C7", "#D55E00"  # a highlighted node


def _edge(ax: Any, d: Diagram, edge: Any, j: int, label: bool, focused: bool) -> None:
    a, b = d.nodes[edge.source], d.nodes[edge.target]
    col = "#" + edge.colour
    faded = focused and not edge.hl
    if edge.kind == "zero":
        ax.plot([a.x, b.x], [a.y, b.y], color=col, lw=1.6 if edge.hl else 1, ls=":", alpha=0.5, zorder=1)
        return
    (line,) = ax.plot([a.x, b.x], [a.y, b.y], color=col, lw=0.8 if faded else (2.4 if edge.hl else 1.6), zorder=1)
    if edge.hl:
        line.set_gid(marks.gid("weight", edge.weight_index, j))
    if label:
        p = edge.position
        x, y = a.x + p * (b.x - a.x), a.y + p * (b.y - a.y)
        ax.text(
            x,
            y,
            f"${edge.label}$",
            fontsize=8,
            ha="center",
            va="center",
            color=col,
            zorder=3,
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"},
        )


def draw_matrix(m: MatrixLayout) -> Any:
    """A matplotlib ``Figure`` of the weight-tied matrix: labelled rows and columns, a complete legend,
    marked bands where rows or columns are left out, highlighted entries carrying their marks."""
    plt = _pyplot()
    rows, cols = m.rows.width + 1, m.cols.width + 1
    size = 0.45 if cols <= 30 else 14 / cols
    lines = m.caption_lines()
    fig, ax = plt.subplots(figsize=(max(4.0, cols * size + 1.6), max(2.5, rows * size + 1.6 + 0.25 * len(lines))))
    labelled = len(m.cells) <= LABELLED_CELLS and cols <= 40
    for j, (cell, colours, hl) in enumerate(zip(m.cells, m.colours, m.hl)):
        x, y, n = m.cols.x[cell.col], m.rows.x[cell.row], len(cell.weights)
        for part, col in enumerate(colours):
            patch = plt.Rectangle((x + part / n, y), 1 / n, 1, color="#" + col, alpha=0.55)
            ax.add_patch(patch)
        if hl:
            frame = plt.Rectangle((x, y), 1, 1, fill=False, edgecolor="#D55E00", lw=1.8, zorder=3)
            frame.set_gid(marks.gid("entry", (cell.row, cell.col), j))
            ax.add_patch(frame)
        if labelled:
            ax.text(x + 0.5, y + 0.5, f"${cell.label}$", ha="center", va="center", fontsize=7)
    for r in m.rows.kept:
        for c0, c1 in _spans(m.cols):
            ax.plot([c0, c1], [m.rows.x[r], m.rows.x[r]], color="#dddddd", lw=0.5, zorder=0)
            ax.plot([c0, c1], [m.rows.x[r] + 1] * 2, color="#dddddd", lw=0.5, zorder=0)
    for c in m.cols.kept:
        for r0, r1 in _spans(m.rows):
            ax.plot([m.cols.x[c]] * 2, [r0, r1], color="#dddddd", lw=0.5, zorder=0)
            ax.plot([m.cols.x[c] + 1] * 2, [r0, r1], color="#dddddd", lw=0.5, zorder=0)
    for gx in m.cols.gap_x:
        for r0, r1 in _spans(m.rows):
            ax.text(gx + 0.5, (r0 + r1) / 2, "$\\cdots$", ha="center", va="center", fontsize=12)
    for gy in m.rows.gap_x:
        for c0, c1 in _spans(m.cols):
            ax.text((c0 + c1) / 2, gy + 0.5, "$\\vdots$", ha="center", va="center", fontsize=12)
    ax.set_xticks([m.cols.x[c] + 0.5 for c in m.cols.kept])
    rotate = 90 if any("," in s for s in m.col_labels.values()) else 0
    ax.set_xticklabels([f"${m.col_labels[c]}$" for c in m.cols.kept], fontsize=8, rotation=rotate)
    ax.set_yticks([m.rows.x[r] + 0.5 for r in m.rows.kept])
    ax.set_yticklabels([f"${m.row_labels[r]}$" for r in m.rows.kept], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_xlim(-0.1, cols + 0.1)
    ax.set_ylim(rows + 0.1, -0.1)
    ax.set_aspect("equal")
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    handles = [plt.Rectangle((0, 0), 1, 1, color="#" + col, alpha=0.55, label=f"${name}$") for col, name in m.legend]
    _legend(ax, handles, [*lines, m.legend_title], cols * size + 1.6, fontsize=8)
    fig.tight_layout()
    return fig


def _spans(track: elision.Track) -> list[tuple[float, float]]:
    """The drawn extent of each run of kept positions along a track."""
    return [(track.x[a], track.x[b] + 1) for a, b in elision.runs(track.kept)]


def render(fig: Any, fmt: str, tight: bool = False) -> bytes:
    """The figure as SVG or PNG bytes (deterministic), closing it; ``tight``: cropped to what is drawn
    (labels and a legend outside the axes included)."""
    plt = _pyplot()
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    extra = {"bbox_inches": "tight", "pad_inches": 0.15} if tight else {}
    fig.savefig(buffer, format=fmt, dpi=100, metadata=metadata, **extra)
    plt.close(fig)
    return buffer.getvalue()


def _legend(ax: Any, handles: list[Any], lines: list[str], width_in: float, fontsize: float) -> None:
    """The legend under a figure: one entry per colour drawn, up to 8 a row, titled by ``lines`` (the caption
    and the legend's title) wrapped to the figure's width (``width_in`` inches)."""
    chars = max(40, int(width_in * 11))
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=max(1, min(len(handles), 8)),
        frameon=False,
        fontsize=fontsize,
        title="\n".join(textwrap.fill(line, chars) for line in lines),
        title_fontsize=8,
    )
