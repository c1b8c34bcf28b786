"""The weight-tied matrix of a 2D layer with its block structure visible.

Rows are ``vec(z)`` and columns ``vec(x)`` in C order, so the matrix of one channel pair falls
into ``H_out x H`` blocks of ``W_out x W`` entries: block ``(a, b)`` holds the taps from input row
``b`` into output row ``a`` (:meth:`~symconv.views.expansion.Expansion.blocks`). The picture draws
the block grid in thick lines, fills the zero blocks light grey, colours every non-zero entry by
the weight it holds (a folded entry, under reflect, replicate, circular or symmetric padding,
in stripes, one per weight of its sum), names the distinct blocks ``A``, ``B``, ... in a block map,
and lists every weight in the legend with its own colour.

Large layers are drawn in part: the first block rows and columns (the block map still shows the
whole pattern, itself cropped past :data:`MAP_LIMIT`), and a sentence (``.elided``) says so.

Examples:
    >>> from symconv import Conv2d
    >>> pic = block_matrix_picture(Conv2d(1, 1, 2, bias=False), (3, 3))
    >>> pic.grid, pic.block_shape, len(pic.highlighted["entry"])
    ((2, 3), (2, 3), 16)
    >>> print(pic.pattern)
    A B .
    . A B
"""

from __future__ import annotations

import math
from typing import Any

import sympy

from symconv.base.symbols import entries
from symconv.figures import marks
from symconv.figures.canvas import LIGHT, Canvas, CanvasFigure, distinct_colours, partner_channel
from symconv.views.expansion import Expansion, as_expansion

MAX_CELLS = 48  # entries drawn along each side, at most
MAP_LIMIT = 16  # block-map rows and columns drawn, at most
BLOCK_CROP = 12  # entries drawn of each distinct block when the blocks are too big to draw whole
DISTINCT_BLOCKS = 5  # distinct blocks drawn, at most
LABELLED = 30  # entries labelled with their weight while the matrix has at most this many columns


class BlockMatrixPicture(CanvasFigure):
    """The matrix of one channel pair of a 2D layer, block grid drawn, entries coloured by weight.

    Attributes:
        grid: ``(H_out, H)``, the blocks per column and per row; ``block_shape`` ``(W_out, W)``.
        cells: ``(row, col) -> flat weight indices`` of every non-zero entry of the pair (matrix
            coordinates of the whole layer), from the taps.
        names: Block ``(a, b)`` (within the pair) -> its name, equal blocks sharing one.
        pattern: The block map as text (``.`` for a zero block).
        highlighted: ``'entry'``: the non-zero entries drawn.
    """

    def __init__(self, expansion: Expansion, out_channel: int, in_channel: int) -> None:
        self.expansion = expansion
        self.out_channel, self.in_channel = out_channel, in_channel
        (h_out, w_out), (h, w) = expansion.output_shape, expansion.input_shape
        self.grid, self.block_shape = (h_out, h), (w_out, w)
        self.row0, self.col0 = out_channel * h_out * w_out, in_channel * h * w
        rows, cols, weights = expansion.taps.triples()
        pair = (rows // (h_out * w_out) == out_channel) & (cols // (h * w) == in_channel)
        self.cells: dict[tuple[int, int], list[int]] = {}
        for r, c, k in zip(rows[pair].tolist(), cols[pair].tolist(), weights[pair].tolist()):
            self.cells.setdefault((r, c), []).append(k)
        kernel = math.prod(expansion.taps.kernel_shape)
        self.first_weight = min(weights[pair].tolist(), default=0) // kernel * kernel
        self.weight_names = [sympy.latex(x) for x in entries(expansion.w)][
            self.first_weight : self.first_weight + kernel
        ]
        self.colours = distinct_colours(kernel)
        blocks = expansion.blocks()
        everything = blocks.labels()
        self.names = {
            (a - out_channel * h_out, b - in_channel * h): name
            for (a, b), name in everything.items()
            if a // h_out == out_channel and b // h == in_channel
        }
        self.pattern = "\n".join(" ".join(self.names.get((a, b), ".") for b in range(h)).rstrip() for a in range(h_out))
        self.shown = self._shown()
        drawn = [(r, c) for r, c in self.cells if self.position(r, c) is not None]
        self.highlighted = marks.highlighted(entry=drawn)
        self.canvas = self._canvas()
        x0, y0, x1, y1 = self.canvas.bounds()
        unit = self.canvas.unit_cm()
        self.width_cm, self.height_cm = (x1 - x0) * unit + 1.2, (y1 - y0) * unit + 1.2

    # -- what is drawn -----------------------------------------------------------------------------
    def _shown(self) -> tuple[int, int]:
        """The block rows and block columns drawn (0 and 0: the entries are too many, only the block map)."""
        (h_out, h), (w_out, w) = self.grid, self.block_shape
        if w_out > MAX_CELLS or w > MAX_CELLS:
            self.elided = (
                f"Each block has {w_out} x {w} entries, too many to draw the matrix: the block map shows where "
                "the non-zero blocks are and which are equal."
            )
            return 0, 0
        rows, cols = min(h_out, max(1, MAX_CELLS // w_out)), min(h, max(1, MAX_CELLS // w))
        if (rows, cols) != (h_out, h):
            self.elided = (
                f"Only the first {rows} of {h_out} block rows and {cols} of {h} block columns are drawn; the "
                "block map shows the whole pattern."
            )
        return rows, cols

    def position(self, r: int, c: int) -> tuple[int, int] | None:
        """Where entry ``(r, c)`` sits in the drawing (row, col), if it is drawn."""
        (w_out, w), (rows, cols) = self.block_shape, self.shown
        r, c = r - self.row0, c - self.col0
        return (r, c) if r < rows * w_out and c < cols * w else None

    # -- drawing -----------------------------------------------------------------------------------
    def _canvas(self) -> Canvas:
        canvas = Canvas(label_size="tiny")
        (w_out, w), (rows, cols) = self.block_shape, self.shown
        height, width = float(rows * w_out), float(cols * w)
        if rows:
            self._matrix(canvas, rows * w_out, cols * w)
        else:
            height, width = self._distinct_blocks(canvas)
        top = -height - 1.5
        scale = max(1.0, width / 24)  # the legend and the map keep a readable size beside a big matrix
        self._legend(canvas, top, scale)
        self._block_map(canvas, top - 2.2 * scale, scale)
        x0, y0, x1, _ = canvas.bounds()
        canvas.text(
            x0, y0 - 0.3 * scale, self.caption(), anchor="north west", size="footnotesize", wrap=max(x1 - x0, 8)
        )
        return canvas

    def _matrix(self, canvas: Canvas, height: int, width: int) -> None:
        (w_out, w), (rows, cols) = self.block_shape, self.shown
        for a in range(rows):
            for b in range(cols):
                if (a, b) not in self.names:
                    canvas.box(b * w, -(a + 1) * w_out, w=w, h=w_out, fill=LIGHT, edge=None)
        label = width <= LABELLED
        for (r, c), ks in sorted(self.cells.items()):
            at = self.position(r, c)
            if at is None:
                continue
            y, x = -at[0] - 1, at[1]
            for j, k in enumerate(ks):
                colour = self.colours[k - self.first_weight]
                mark = ("entry", (r, c), 0) if j == 0 else None
                canvas.box(x + j / len(ks), y, w=1 / len(ks), fill=colour, opacity=0.55, edge=None, mark=mark)
            if label and (len(ks) == 1 or width <= LABELLED // 2):
                text = "+".join(self.weight_names[k - self.first_weight] for k in ks)
                canvas.text(x + 0.5, y + 0.5, f"${text}$", size="tiny")
        if width <= 3 * MAX_CELLS // 2:  # the fine grid, while cells are big enough to show it
            for r in range(1, height):
                canvas.line((0, -r), (width, -r), colour="DDDDDD", width=0.2)
            for c in range(1, width):
                canvas.line((c, 0), (c, -height), colour="DDDDDD", width=0.2)
        for a in range(rows + 1):
            canvas.line((0, -a * w_out), (width, -a * w_out), width=1.0)
        for b in range(cols + 1):
            canvas.line((b * w, 0), (b * w, -height), width=1.0)
        for a in range(rows):
            canvas.text(-0.2, -(a + 0.5) * w_out, f"$i_0 = {a}$", anchor="east", size="tiny")
        for b in range(cols):
            canvas.text((b + 0.5) * w, 0.15, f"$t_0 = {b}$", anchor="south", size="tiny")

    def _distinct_blocks(self, canvas: Canvas) -> tuple[float, float]:
        """The distinct non-zero blocks side by side, each cropped to its top-left corner; their height and width."""
        (w_out, w), crop = self.block_shape, BLOCK_CROP
        first: dict[str, tuple[int, int]] = {}
        for position, name in sorted(self.names.items()):
            first.setdefault(name, position)
        shown = sorted(first.items(), key=lambda item: item[1])[:DISTINCT_BLOCKS]
        rows, cols = min(w_out, crop), min(w, crop)
        for j, (name, (a, b)) in enumerate(shown):
            x0 = j * (cols + 2.5)
            canvas.text(x0 + cols / 2, 0.2, f"block ${name}$", anchor="south", size="scriptsize")
            for r in range(rows):
                for c in range(cols):
                    ks = self.cells.get((self.row0 + a * w_out + r, self.col0 + b * w + c), [])
                    for i, k in enumerate(ks):
                        colour = self.colours[k - self.first_weight]
                        canvas.box(x0 + c + i / len(ks), -r - 1, w=1 / len(ks), fill=colour, opacity=0.55, edge=None)
            canvas.box(x0, -rows, w=cols, h=rows, edge="000000")
            if cols < w:
                canvas.text(x0 + cols + 0.2, -rows / 2, "$\\cdots$", anchor="west")
            if rows < w_out:
                canvas.text(x0 + cols / 2, -rows - 0.1, "$\\vdots$", anchor="north")
        more = len(first) - len(shown)
        self.elided += f" The distinct blocks are drawn (their top-left {rows} x {cols} entries)" + (
            f", the first {len(shown)} of {len(first)}." if more else "."
        )
        return rows + 1.0, len(shown) * (cols + 2.5)

    def _legend(self, canvas: Canvas, top: float, scale: float) -> None:
        names = self.weight_names
        per_row = 9
        for j, name in enumerate(names):
            x, y = (j % per_row) * 2.6 * scale, top - (j // per_row) * 1.1 * scale
            canvas.box(x, y - 0.8 * scale, w=0.8 * scale, h=0.8 * scale, fill=self.colours[j], opacity=0.55, edge=None)
            canvas.text(x + 0.95 * scale, y - 0.4 * scale, f"${name}$", anchor="west", size="scriptsize")
        self._legend_rows = -(-len(names) // per_row)

    def _block_map(self, canvas: Canvas, top: float, scale: float) -> None:
        (h_out, h) = self.grid
        top -= (self._legend_rows - 1) * 1.1 * scale
        canvas.text(
            0,
            top,
            "Block map: one letter per distinct block; grey: a zero block",
            anchor="north west",
            size="scriptsize",
        )
        rows, cols = min(h_out, MAP_LIMIT), min(h, MAP_LIMIT)
        step = 0.9 * scale
        y0 = top - 0.9 * scale
        for a in range(rows):
            for b in range(cols):
                name = self.names.get((a, b))
                canvas.box(
                    b * step,
                    y0 - (a + 1) * step,
                    w=step,
                    h=step,
                    fill=None if name else LIGHT,
                    edge="999999",
                    label=name or "",
                )
        if cols < h:
            canvas.text(cols * step + 0.3, y0 - rows * step / 2, "$\\cdots$", anchor="west")
        if rows < h_out:
            canvas.text(cols * step / 2, y0 - rows * step - 0.3, "$\\vdots$", anchor="north")

    def caption(self) -> str:
        """What the picture shows (TikZ text; matplotlib reads it too)."""
        spec = self.expansion.spec
        (h_out, h), (w_out, w) = self.grid, self.block_shape
        parts = [
            f"The matrix $W$ of {type(spec).__name__} on {h} x {w} inputs: rows $\\mathrm{{vec}}(z)$, columns "
            f"$\\mathrm{{vec}}(x)$ in C order, in {h_out} x {h} blocks of {w_out} x {w} entries; block $(i_0, t_0)$ "
            "holds the taps from input row $t_0$ into output row $i_0$.",
            "Each non-zero entry has the colour of its weight (stripes: a sum of weights, folded by the padding); "
            "grey blocks are zero.",
        ]
        if spec.in_channels > 1 or spec.out_channels > 1:
            parts.append(
                f"The block of output channel {self.out_channel} and input channel {self.in_channel} is drawn."
            )
        if self.elided:
            parts.append(self.elided)
        return " ".join(parts)


def block_matrix_picture(
    layer: Any, shape: Any = None, *, out_channel: int = 0, in_channel: int | None = None
) -> BlockMatrixPicture:
    """The weight-tied matrix of a 2D layer (``Conv2d``, ``ConvTranspose2d``) with its blocks drawn.

    Args:
        layer: A layer with two spatial axes, or an Expansion of one.
        shape: Its input shape ``(H, W)``; left out with an Expansion.
        out_channel: The output channel whose rows are drawn.
        in_channel: The input channel whose columns are drawn (default: the first ``out_channel`` reads).

    Raises:
        ValueError: A layer without two spatial axes, or a channel out of range.
    """
    e = as_expansion(layer, shape, parameter="shape")
    if e.ndim != 2:
        raise ValueError(
            f"block_matrix_picture draws a layer with 2 spatial axes (got {type(e.spec).__name__} with {e.ndim}); "
            "draw a 1D layer with matrix_picture."
        )
    words = ("input", "output", "reads")
    in_channel = partner_channel(e.taps.channels, out_channel, "out_channel", in_channel, "in_channel", words)
    return BlockMatrixPicture(e, out_channel, in_channel)


__all__ = ["BlockMatrixPicture", "block_matrix_picture"]
