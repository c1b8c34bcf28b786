"""A ``ConvTranspose2d`` as a direct convolution over its zero-inserted input (Dumoulin & Visin, ch. 4).

The input grid with ``s - 1`` zeros inserted between neighbours along each axis and padded by
``d (K-1) - p`` (plus ``output_padding`` on the far side) is drawn on the left, the flipped kernel
shaded at one output; the output grid on the right holds in each cell the number of taps reaching
it, shaded by that number: with stride 2 and kernel 3 the checkerboard of overlaps is plain to see.
Positions come from the layer's transposed geometry; the counts from its taps, and the tests check
them against the windows drawn.

Examples:
    >>> from symconv import ConvTranspose2d
    >>> fig = zero_inserted_grid(ConvTranspose2d(1, 1, 3, stride=2), (2, 2))
    >>> fig.counts.tolist()
    [[1, 1, 2, 1, 1], [1, 1, 2, 1, 1], [2, 2, 4, 2, 2], [1, 1, 2, 1, 1], [1, 1, 2, 1, 1]]
    >>> sorted(fig.highlighted["input"])
    [(0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1)]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from symconv.figures import marks
from symconv.figures.canvas import KERNEL, LIGHT, MARK, Canvas, CanvasFigure
from symconv.figures.window import ELIDE_2D, Track, track
from symconv.figures.zero_inserted import channels_and_expansion
from symconv.geometry.axis import Axis
from symconv.views.expansion import Expansion

Position = tuple[int, ...]


class ZeroInsertedGrid(CanvasFigure):
    """The zero-inserted, padded input grid with the flipped kernel at one output, and the overlap counts.

    Attributes:
        counts: Taps reaching each output position (from the taps), an ``(H_out, W_out)`` array.
        output: The output whose window is shaded; ``highlighted``: it, the inputs its window covers
            and the weights they meet.
    """

    def __init__(self, expansion: Expansion, output: Position | None, channel: int, out_channel: int) -> None:
        self.expansion = expansion
        self.channel, self.out_channel = channel, out_channel
        spec: Any = expansion.spec
        self.axes: tuple[Axis, ...] = tuple(spec.geometry(expansion.input_shape).axes)
        self.shape, self.out_shape = expansion.input_shape, expansion.output_shape
        flat = np.bincount(expansion.taps.spatial[0], minlength=expansion.output_length)
        self.counts = flat.reshape(self.out_shape)
        self.output = tuple(int(v) for v in np.unravel_index(int(np.argmax(flat)), self.out_shape))
        if output is not None:
            self.output = output
        channels = expansion.taps.channels
        self.out_in_group = out_channel - (channel // channels.in_per_group) * channels.out_per_group
        reads = self.window(self.output)
        self.highlighted = marks.highlighted(
            output=[(out_channel, *self.output)],
            input=[(channel, *t) for t, _ in reads],
            weight=[(channel, self.out_in_group, *k) for _, k in reads],
        )
        self.elided = ""
        self.canvas = self._canvas()
        x0, y0, x1, y1 = self.canvas.bounds()
        unit = self.canvas.unit_cm()
        self.width_cm, self.height_cm = (x1 - x0) * unit + 1.2, (y1 - y0) * unit + 1.2

    def _axis_reads(self, a: int, j: int) -> list[tuple[int, int, int]]:
        """Along axis ``a``: ``(padded position, input index or -1, weight index)`` of output ``j``'s window."""
        axis = self.axes[a]
        s, d, left, n = int(axis.input_dilation), int(axis.dilation), int(axis.padding[0]), self.shape[a]
        found = []
        for pos in range(int(axis.kernel_size)):
            u = j + d * pos - left
            real = u % s == 0 and 0 <= u // s < n
            found.append((j + d * pos, u // s if real else -1, int(axis.weight_index(pos))))
        return found

    def window(self, j: Position) -> list[tuple[Position, Position]]:
        """The real inputs output ``j``'s window covers, each with the weight (kernel position) it meets."""
        rows, cols = self._axis_reads(0, j[0]), self._axis_reads(1, j[1])
        return [((t0, t1), (k0, k1)) for _, t0, k0 in rows for _, t1, k1 in cols if t0 >= 0 and t1 >= 0]

    def cell(self, a: int, q: int) -> int:
        """What padded position ``q`` of axis ``a`` holds: an input index, ``-1`` an inserted zero, ``-2`` a pad."""
        axis = self.axes[a]
        s, u = int(axis.input_dilation), q - int(axis.padding[0])
        if not 0 <= u <= (self.shape[a] - 1) * s:
            return -2
        return u // s if u % s == 0 else -1

    # -- drawing -----------------------------------------------------------------------------------
    def _tracks(self) -> list[Track]:
        tracks = []
        for a, axis in enumerate(self.axes):
            cells = int(axis.output_size) + int(axis.dilation) * (int(axis.kernel_size) - 1)
            reads = [q for q, _, _ in self._axis_reads(a, self.output[a])]
            tracks.append(track(cells, set(range(min(reads) - 1, max(reads) + 2)), ELIDE_2D, ends=3))
        return tracks

    def _canvas(self) -> Canvas:
        canvas = Canvas(label_size="tiny")
        rows, cols = self._tracks()
        outs = [track(n, {p - 1, p, p + 1}, ELIDE_2D) for n, p in zip(self.out_shape, self.output)]
        if any(t.gaps for t in (rows, cols, *outs)):
            self.elided = "Dots stand for the rows and columns left out."
        reads = {
            (q0, q1): (k0, k1)
            for q0, _, k0 in self._axis_reads(0, self.output[0])
            for q1, _, k1 in self._axis_reads(1, self.output[1])
        }
        for q0, y in rows.x.items():
            for q1, x in cols.x.items():
                self._input_cell(canvas, (q0, q1), x, -y - 1, reads.get((q0, q1)))
        _dots(canvas, rows, cols, 0.0, 0.0)
        x0 = cols.width + 2.0
        peak = max(int(self.counts.max()), 1)
        for p0, y in outs[0].x.items():
            for p1, x in outs[1].x.items():
                chosen = (p0, p1) == self.output
                count = int(self.counts[p0, p1])
                canvas.box(
                    x0 + x,
                    -y - 1,
                    fill=MARK,
                    opacity=0.08 + 0.5 * count / peak,
                    thick=chosen,
                    edge=MARK if chosen else "000000",
                    label=str(count),
                    mark=("output", (self.out_channel, p0, p1), 0) if chosen else None,
                )
        _dots(canvas, outs[0], outs[1], x0, 0.0)
        z = sympy.latex(self.expansion.z_symbols[(self.out_channel, *self.output)])
        canvas.text(
            0,
            0.5,
            f"Zero-inserted, padded input; the flipped kernel at ${z}$",
            anchor="south west",
            size="footnotesize",
            wrap=max(cols.width, 8),
        )
        canvas.text(x0, 0.5, "Taps per output", anchor="south west", size="footnotesize")
        bottom = min(b.y for b in canvas.boxes) - 0.4
        canvas.text(
            0, bottom, self.caption(), anchor="north west", size="footnotesize", wrap=max(x0 + outs[1].width, 12)
        )
        return canvas

    def _input_cell(self, canvas: Canvas, q: Position, x: float, y: float, k: Position | None) -> None:
        t0, t1 = self.cell(0, q[0]), self.cell(1, q[1])
        real = t0 >= 0 and t1 >= 0
        pad = t0 == -2 or t1 == -2
        style: dict[str, Any] = (
            {} if real else {"fill": LIGHT, "edge": "777777", "dashed": pad, "label_colour": "777777"}
        )
        label = sympy.latex(self.expansion.x[self.channel, t0, t1]) if real else "0"
        if k is None:
            canvas.box(x, y, label=label, **style)
            return
        canvas.box(x, y, **style)
        mark = ("input", (self.channel, t0, t1), 0) if real else None
        canvas.box(x, y, fill=KERNEL, opacity=0.3, edge=KERNEL, thick=True, mark=mark)
        canvas.text(x + 0.5, y + 0.7, f"${label}$", size="tiny", colour="000000" if real else "777777")
        weight = sympy.latex(self.expansion.w[(self.channel, self.out_in_group, *k)])
        wmark = ("weight", (self.channel, self.out_in_group, *k), 0) if real else None
        canvas.text(x + 0.5, y + 0.28, f"${weight}$", size="tiny", colour=KERNEL, mark=wmark)

    def caption(self) -> str:
        """What the figure shows (TikZ text; matplotlib reads it too)."""
        s = [int(a.input_dilation) - 1 for a in self.axes]
        zeros = f"{s[0]} and {s[1]} zeros" if s[0] != s[1] else f"{s[0]} zero{'' if s[0] == 1 else 's'}"
        where = "along the rows and the columns" if s[0] != s[1] else "along each axis"
        parts = [
            f"The transposed convolution as a convolution with stride 1: {zeros} inserted between neighbouring "
            f"inputs {where} (grey, solid), the padding (grey, dashed), "
            "the kernel flipped. Right: the number of taps reaching each output, the darker the more; the marked "
            "output is the shaded window's."
        ]
        spec = self.expansion.spec
        if spec.in_channels > 1 or spec.out_channels > 1:
            parts.append(f"Input channel {self.channel} and output channel {self.out_channel} are drawn.")
        if self.elided:
            parts.append(self.elided)
        return " ".join(parts)


def _dots(canvas: Canvas, rows: Track, cols: Track, x0: float, top: float) -> None:
    for y in rows.gaps:
        for x in cols.x.values():
            canvas.text(x0 + x + 0.5, top - y - 0.5, "$\\vdots$")
    for x in cols.gaps:
        for y in rows.x.values():
            canvas.text(x0 + x + 0.5, top - y - 0.5, "$\\cdots$")


def zero_inserted_grid(
    layer: Any, shape: Any = None, output: Position | None = None, *, channel: int = 0, out_channel: int | None = None
) -> ZeroInsertedGrid:
    """A ``ConvTranspose2d`` drawn as a direct convolution over its zero-inserted input, with its overlap counts.

    Args:
        layer: A ``ConvTranspose2d`` (or an Expansion of one); ``shape`` its input shape.
        output: The output ``(i, j)`` whose window is shaded (default: the first with the most taps).
        channel: The input channel drawn; ``out_channel`` the output channel (default: the first it feeds).

    Raises:
        ValueError: Not a 2D transposed layer, or a position or channel out of range.
    """
    e, channel, out_channel = channels_and_expansion(layer, shape, channel, out_channel, ndim=2)
    if output is not None:
        output = tuple(output)
        if len(output) != 2 or not all(isinstance(v, int) and 0 <= v < n for v, n in zip(output, e.output_shape)):
            raise ValueError(f"'output' must be a position inside the output shape {e.output_shape} (got {output!r}).")
    return ZeroInsertedGrid(e, output, channel, out_channel)


__all__ = ["ZeroInsertedGrid", "zero_inserted_grid"]
