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
from symconv.figures import marks
from symconv.figures.layout import Cell, Diagram, colour

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
    chars = max(40, int(width_in * 11))
    title = "\n".join(textwrap.fill(line, chars) for line in [*d.caption_lines(), d.legend_title])
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=max(1, min(len(handles), 8)),
        frameon=False,
        fontsize=9,
        title=title,
        title_fontsize=8,
    )
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


def draw_matrix(cells: list[Cell], shape: tuple[int, int], row_labels: list[str], col_labels: list[str]) -> Any:
    """A matplotlib ``Figure`` of the weight-tied matrix, one colour per weight."""
    plt = _pyplot()
    rows, cols = shape
    size = 0.45 if cols <= 30 else 14 / cols
    fig, ax = plt.subplots(figsize=(max(3.0, cols * size + 1.2), max(2.0, rows * size + 1.0)))
    for cell in cells:
        n = len(cell.weights)
        for j, flat in enumerate(cell.weights):
            ax.add_patch(plt.Rectangle((cell.col + j / n, cell.row), 1 / n, 1, color="#" + colour(flat), alpha=0.55))
        if rows * cols <= LABELLED_CELLS:
            ax.text(cell.col + 0.5, cell.row + 0.5, f"${cell.label}$", ha="center", va="center", fontsize=7)
    labelled = rows * cols <= LABELLED_CELLS
    ax.set_xticks([c + 0.5 for c in range(cols)] if labelled else [])
    ax.set_xticklabels([f"${s}$" for s in col_labels] if labelled else [], fontsize=8)
    ax.set_yticks([r + 0.5 for r in range(rows)] if labelled else [])
    ax.set_yticklabels([f"${s}$" for s in row_labels] if labelled else [], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_aspect("equal")
    ax.tick_params(length=0)
    for r in range(rows + 1):
        ax.axhline(r, color="#dddddd", lw=0.5, zorder=0)
    for c in range(cols + 1):
        ax.axvline(c, color="#dddddd", lw=0.5, zorder=0)
    fig.tight_layout()
    return fig


def render(fig: Any, fmt: str) -> bytes:
    """The figure as SVG or PNG bytes (deterministic), closing it."""
    plt = _pyplot()
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buffer, format=fmt, dpi=100, metadata=metadata)
    plt.close(fig)
    return buffer.getvalue()
