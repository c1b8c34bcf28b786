"""Transposed convolution drawn two ways: as a scatter, and as a direct convolution over a zero-inserted input.

A ``ConvTranspose1d`` with stride ``s``, dilation ``d``, kernel ``K``, padding ``p`` and
``output_padding`` ``a`` scatters each input ``x_i`` onto the outputs ``u = s i + d k - p``
(``k < K``), one weighted copy per kernel position (top panel). The same numbers come out of a
plain convolution (bottom panel): insert ``s - 1`` zeros between the inputs, pad with
``d (K-1) - p`` zeros on the left and ``d (K-1) - p + a`` on the right (a negative pad crops), and
slide the *flipped* kernel over it with stride 1. Both are read off the layer's transposed
geometry (:meth:`~symconv.geometry.geometry.Geometry.transposed`: the input dilated by the stride,
the kernel flipped), and the number of taps reaching each output, written under it in both
panels, is the taps' count: with ``s = 2`` and ``K = 3`` it alternates 1, 2, 1, 2, ...: the
checkerboard.

Examples:
    >>> from symconv import ConvTranspose1d
    >>> layer = ConvTranspose1d(1, 1, 3, stride=2)
    >>> zero_inserted_input(layer, np.array([[1, 2, 3]])).tolist()
    [[0, 0, 1, 0, 2, 0, 3, 0, 0]]
    >>> zero_inserted_conv(layer, np.array([[1, 2, 3]]), np.array([[[1, 10, 100]]])).tolist()
    [[1, 10, 102, 20, 203, 30, 300]]
    >>> zero_inserted_diagram(layer, 3).counts
    (1, 1, 2, 1, 2, 1, 1)
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import sympy

from symconv.figures import marks
from symconv.figures.canvas import (
    FONT_PT,
    LIGHT,
    MARK,
    MAX_WIDTH_CM,
    Canvas,
    CanvasFigure,
    distinct_colours,
    drawn_channels,
    partner_channel,
    visible,
)
from symconv.figures.window import Track, track
from symconv.geometry.axis import Axis
from symconv.geometry.transposed_taps import TransposedTaps
from symconv.views.expansion import Expansion, as_expansion

ELIDE = 20  # more output positions than this are elided (the pattern repeats with period s)
LABELLED_EDGES = 24  # label the scatter's edges with their weight up to this many


def _axis(layer: Any, input_length: int) -> Axis:
    """The transposed geometry's axis: stride 1, the input dilated by the stride, the kernel flipped."""
    (axis,) = layer.geometry(input_length).axes
    return axis


def zero_inserted_input(layer: Any, x: np.ndarray) -> np.ndarray:
    """The input of ``layer`` (a ``ConvTranspose1d``), ``(..., C_in, L)``, with ``s - 1`` zeros inserted between
    neighbours and padded by the transposed geometry's ``(left, right)`` (a negative pad crops).

    Examples:
        >>> from symconv import ConvTranspose1d
        >>> layer = ConvTranspose1d(1, 1, 2, stride=3, padding=1, output_padding=1)
        >>> zero_inserted_input(layer, np.array([[5, 6]])).tolist()
        [[5, 0, 0, 6, 0]]
    """
    x = np.asarray(x)
    n = x.shape[-1]
    axis = _axis(layer, n)
    s, (left, right) = int(axis.input_dilation), (int(axis.padding[0]), int(axis.padding[1]))
    dilated = np.zeros((*x.shape[:-1], (n - 1) * s + 1), dtype=x.dtype)
    dilated[..., ::s] = x
    width = [(0, 0)] * (x.ndim - 1) + [(max(left, 0), max(right, 0))]
    padded = np.pad(dilated, width)
    return padded[..., max(-left, 0) : padded.shape[-1] - max(-right, 0)]


def zero_inserted_conv(layer: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """``layer`` (a ``ConvTranspose1d``) evaluated as a direct convolution: the flipped kernel slid with stride 1
    over :func:`zero_inserted_input`; ``x`` ``(..., C_in, L)``, ``w`` ``(C_in, C_out/groups, K)`` as in PyTorch.

    Exact for integer data (NumPy integer arithmetic); equal to ``torch.nn.functional.conv_transpose1d``.
    """
    x, w = np.asarray(x), np.asarray(w)
    axis = _axis(layer, x.shape[-1])
    xp = zero_inserted_input(layer, x)
    size, d, out = int(axis.kernel_size), int(axis.dilation), int(axis.output_size)
    groups, c_in = layer.groups, x.shape[-2]
    per_in, per_out = c_in // groups, w.shape[1]
    z = np.zeros((*x.shape[:-2], per_out * groups, out), dtype=np.result_type(x, w))
    for j in range(size):
        k = int(axis.weight_index(j))  # flipped: position j of the window meets w[..., K-1-j]
        window = xp[..., d * j : d * j + out]
        for g in range(groups):
            part = window[..., g * per_in : (g + 1) * per_in, :]
            z[..., g * per_out : (g + 1) * per_out, :] += np.einsum(
                "...cu,co->...ou", part, w[g * per_in : (g + 1) * per_in, :, k]
            )
    if b is not None:
        z = z + np.asarray(b)[:, None]
    return z


class ZeroInsertedDiagram(CanvasFigure):
    """The scatter view above, the zero-inserted direct convolution below (see the module docstring).

    Attributes:
        counts: Taps reaching each output position (from the taps), written under each output.
        scatter_counts: The same, counted on the scatter drawing; ``window_counts``: the real inputs
            each output's window covers in the zero-inserted drawing. All three are equal.
        output: The output whose window is shaded; ``highlighted``: that output, the inputs its window
            covers and the weights they meet.
    """

    def __init__(self, expansion: Expansion, output: int | None, channel: int, out_channel: int) -> None:
        self.expansion = expansion
        self.channel, self.out_channel = channel, out_channel
        taps = expansion.taps
        assert isinstance(taps, TransposedTaps)
        self.n, self.n_out = expansion.input_length, expansion.output_length
        self.conv_axis = taps.conv_taps.axis  # its output i and kernel k meet the transposed output s*i + d*k - p
        self.axis = _axis(expansion.spec, self.n)
        self.size = int(self.axis.kernel_size)
        outs = taps.spatial[0]
        self.counts = tuple(np.bincount(outs, minlength=self.n_out).tolist())
        self.scatter = [(i, k, int(self.conv_axis.index(i, k))) for i in range(self.n) for k in range(self.size)]
        landed = [u for _, _, u in self.scatter if 0 <= u < self.n_out]
        self.scatter_counts = tuple(np.bincount(np.array(landed, dtype=np.int64), minlength=self.n_out).tolist())
        self.left = int(self.axis.padding[0])
        self.window_counts = tuple(len(self.window(j)) for j in range(self.n_out))
        self.output = int(np.argmax(self.counts)) if output is None else output
        cw = out_channel - (channel // taps.channels.in_per_group) * taps.channels.out_per_group
        self.out_in_group = cw
        reads = self.window(self.output)
        self.highlighted = marks.highlighted(
            output=[(out_channel, self.output)],
            input=[(channel, i) for i, _ in reads],
            weight=[(channel, cw, k) for _, k in reads],
        )
        self.colours = distinct_colours(self.size)
        self.limit = self._limit()
        self.canvas = self._canvas()
        x0, y0, x1, y1 = self.canvas.bounds()
        unit = self.canvas.unit_cm()
        self.width_cm, self.height_cm = (x1 - x0) * unit + 1.2, (y1 - y0) * unit + 1.2

    def window(self, j: int) -> list[tuple[int, int]]:
        """The real inputs output ``j``'s window covers in the zero-inserted input, with the weight each meets."""
        s, d = int(self.axis.input_dilation), int(self.axis.dilation)
        found = []
        for pos in range(self.size):
            u = j + d * pos - self.left  # the position in the dilated input
            if u % s == 0 and 0 <= u // s < self.n:
                found.append((u // s, int(self.axis.weight_index(pos))))
        return found

    # -- labels ----------------------------------------------------------------------------------
    def _x(self, i: int) -> str:
        return sympy.latex(self.expansion.x[self.channel, i])

    def _z(self, u: int) -> str:
        return sympy.latex(self.expansion.z_symbols[self.out_channel, u])

    def _w(self, k: int) -> str:
        return sympy.latex(self.expansion.w[self.channel, self.out_in_group, k])

    # -- drawing ---------------------------------------------------------------------------------
    def _canvas(self) -> Canvas:
        canvas = Canvas(label_size="scriptsize")
        p = int(self.conv_axis.padding[0])
        lo = min(-p, 0)
        hi = max(max(u for _, _, u in self.scatter), self.n_out - 1)
        half = self.limit // 2
        keep = set(range(lo, lo + half)) | set(range(hi - half + 1, hi + 1))
        full = _shifted(track(hi - lo + 1, {u - lo for u in keep}, self.limit, ends=0), lo)
        self.elided = ""
        if full.gaps:
            self.elided = (
                "Dots stand for the positions left out: the pattern repeats with period "
                f"{int(self.axis.input_dilation)}."
            )
        self._direct_panel(canvas, 0.0)
        self._scatter_panel(canvas, full, canvas.bounds(canvas.unit_cm())[3] + 1.0)
        x0, y0, x1, _ = canvas.bounds()
        canvas.text(x0, y0 - 0.3, self.caption(), anchor="north west", size="footnotesize", wrap=max(x1 - x0, 8.0))
        return canvas

    def _limit(self) -> int:
        """The most output positions drawn whole: :data:`ELIDE`, fewer when long labels need wider cells."""
        names = [self._z(self.n_out - 1), self._x(self.n - 1), self._w(self.size - 1)]
        cell_cm = max(len(visible(name)) for name in names) * 0.6 * FONT_PT["scriptsize"] / 28.45 / 0.9
        extent = int(self.axis.dilation) * (self.size - 1)
        return max(8, min(ELIDE, int(MAX_WIDTH_CM / cell_cm) - 4 - extent))

    def _count(self, canvas: Canvas, x: float, y: float, u: int) -> None:
        if 0 <= u < self.n_out:
            canvas.text(x + 0.5, y, f"${self.counts[u]}$", size="footnotesize", colour="555555")

    def _output(self, canvas: Canvas, x: float, y: float, u: int, chosen: bool = False) -> None:
        if 0 <= u < self.n_out:
            mark = ("output", (self.out_channel, u), 0) if chosen else None
            canvas.box(
                x,
                y,
                label=self._z(u),
                fill=MARK if chosen else None,
                opacity=0.3,
                thick=chosen,
                edge=MARK if chosen else "000000",
                mark=mark,
            )
        else:
            canvas.box(x, y, fill=LIGHT, edge="777777", dashed=True, label="\\times", label_colour="777777")

    def _scatter_panel(self, canvas: Canvas, full: Track, y: float) -> None:
        """Inputs on top, each scattering ``K`` weighted copies onto the full output below it (cropped ones dashed)."""
        top, bottom = y + 3.4, y
        x_of = full.x
        for u, x in x_of.items():
            self._output(canvas, x, bottom, u)
            self._count(canvas, x, bottom - 0.4, u)
        for x in full.gaps:
            canvas.text(x + 0.5, bottom + 0.5, "$\\cdots$")
        shown = [(i, k, u) for i, k, u in self.scatter if u in x_of]
        label = len(shown) <= LABELLED_EDGES
        for i in range(self.n):
            span = [self.scatter[i * self.size + k][2] for k in range(self.size)]
            if not all(u in x_of for u in span):
                continue
            centre = (x_of[span[0]] + x_of[span[-1]]) / 2
            canvas.box(centre, top, label=self._x(i))
            for k, u in enumerate(span):
                colour = self.colours[k]
                start, end = (centre + 0.5, top), (x_of[u] + 0.5, bottom + 1)
                canvas.line(start, end, colour=colour, width=1.0)
                if label:
                    t = 0.3 + 0.4 * (k / max(self.size - 1, 1))
                    mid = (start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]))
                    canvas.text(mid[0], mid[1], f"${self._w(k)}$", size="scriptsize", colour=colour)
        s, d, p = (int(v) for v in (self.conv_axis.stride, self.conv_axis.dilation, self.conv_axis.padding[0]))
        title = f"Scatter: input $x_i$ adds $w_k x_i$ to output $u = {_affine(s, d, p)}$"
        left = min(x_of.values())
        canvas.text(left, top + 1.3, title, anchor="south west", size="footnotesize", wrap=max(full.width, 12))
        canvas.text(left - 0.2, bottom - 0.4, "taps", anchor="east", size="footnotesize", colour="555555")

    def _direct_panel(self, canvas: Canvas, y: float) -> None:
        """The outputs on top, the zero-inserted and padded input below, the flipped kernel at one output."""
        s, d, left = int(self.axis.input_dilation), int(self.axis.dilation), self.left
        extent = d * (self.size - 1)
        cells = int(self.axis.output_size) + extent  # the zero-inserted, padded input's length
        half = self.limit // 2
        keep = set(range(0, half + extent)) | set(range(cells - half - extent, cells))
        keep |= set(range(self.output, self.output + extent + 1))
        row = track(cells, keep, self.limit + extent, ends=0)
        top, bottom = y + 3.0, y
        for q, x in row.x.items():
            self._zero_inserted_cell(canvas, q, x, bottom)
        for x in row.gaps:
            canvas.text(x + 0.5, bottom + 0.5, "$\\cdots$")
        x_out = {  # output j over the middle of its window, where the whole window is drawn
            j: row.x[j] + extent / 2 for j in range(self.n_out) if all(q in row.x for q in range(j, j + extent + 1))
        }
        for j, x in x_out.items():
            self._output(canvas, x, top, j, chosen=j == self.output)
            self._count(canvas, x, top + 1.35, j)
            for i, k in self.window(j):
                end = (row.x[s * i + left] + 0.5, bottom + 1)
                canvas.line((x + 0.5, top), end, colour=self.colours[k], width=0.8, dotted=j != self.output)
        shown = sorted(x_out)
        for before, after in itertools.pairwise(shown):
            if after > before + 1:
                canvas.text((x_out[before] + x_out[after]) / 2 + 0.5, top + 0.5, "$\\cdots$")
        pads = f"{_zeros(left)} on the left, {_zeros(int(self.axis.padding[1]))} on the right"
        title = f"Direct: {s - 1} zero{'s' if s != 2 else ''} between inputs, {pads}; kernel flipped, stride 1"
        first = min(row.x.values())
        canvas.text(first, top + 1.7, title, anchor="south west", size="footnotesize", wrap=max(row.width, 12))
        canvas.text(min(x_out.values()) - 0.2, top + 1.35, "taps", anchor="east", size="footnotesize", colour="555555")

    def _zero_inserted_cell(self, canvas: Canvas, q: int, x: float, y: float) -> None:
        """Cell ``q`` of the zero-inserted, padded input; shaded with its weight if the chosen window reads it."""
        s, d = int(self.axis.input_dilation), int(self.axis.dilation)
        u = q - self.left  # its place in the dilated input
        real = u % s == 0 and 0 <= u // s < self.n
        inserted = not real and 0 <= u <= (self.n - 1) * s
        grey: dict[str, Any] = {"fill": LIGHT, "edge": "777777", "dashed": not inserted, "label_colour": "777777"}
        canvas.box(x, y, label=self._x(u // s) if real else "0", **({} if real else grey))
        offset = q - self.output
        if 0 <= offset <= d * (self.size - 1) and offset % d == 0:
            k = int(self.axis.weight_index(offset // d))
            mark = ("input", (self.channel, u // s), 0) if real else None
            canvas.box(x, y, fill=self.colours[k], opacity=0.3, edge=self.colours[k], thick=True, mark=mark)
            weight = ("weight", (self.channel, self.out_in_group, k), 0) if real else None
            canvas.text(x + 0.5, y - 0.35, f"${self._w(k)}$", colour=self.colours[k], mark=weight)

    def caption(self) -> str:
        """What the figure shows (TikZ text; matplotlib reads it too)."""
        parts = [
            "Top: the scatter view; bottom: the same layer as a convolution with stride 1 over the zero-inserted, "
            "padded input, with the kernel flipped. The numbers by the outputs count the taps reaching each "
            "(the overlap): the lines into an output are its taps. Grey cells: the inserted zeros (solid) and "
            "the padding (dashed); shaded: the flipped kernel at the marked output.",
        ]
        if int(self.conv_axis.padding[0]):
            parts.append("Crossed cells: outputs the padding crops.")
        tail = [drawn_channels(self.expansion.spec, self.channel, self.out_channel), self.elided]
        return " ".join(part for part in [*parts, *tail] if part)


def _affine(s: int, d: int, p: int) -> str:
    """``s i + d k - p`` with the numbers put in, ones and zeros left out."""
    text = ("i" if s == 1 else f"{s} i") + (" + k" if d == 1 else f" + {d} k")
    return text + (f" - {p}" if p else "")


def _zeros(count: int) -> str:
    if count >= 0:
        return f"{count} zero{'' if count == 1 else 's'}"
    return f"{-count} position{'' if count == -1 else 's'} cropped"


def _shifted(t: Track, lo: int) -> Track:
    return Track({j + lo: x for j, x in t.x.items()}, t.gaps, t.width)


def channels_and_expansion(
    layer: Any, shape: Any, channel: int, out_channel: int | None, ndim: int
) -> tuple[Expansion, int, int]:
    """The expansion of a transposed layer with ``ndim`` spatial axes, the input channel and the output channel
    (default: the first that ``channel`` feeds), checked."""
    e = as_expansion(layer, shape, parameter="shape")
    if not isinstance(e.taps, TransposedTaps) or e.ndim != ndim:
        what = (
            "zero_inserted_diagram draws a ConvTranspose1d"
            if ndim == 1
            else "zero_inserted_grid draws a ConvTranspose2d"
        )
        raise ValueError(
            f"{what} (got {type(e.spec).__name__} with {e.ndim} spatial axes); draw a convolution's window with "
            "window_diagram, a ConvTranspose1d with zero_inserted_diagram, a ConvTranspose2d with zero_inserted_grid."
        )
    feeds = e.taps.channels.swapped()  # input channel -> the output channels it feeds
    out_channel = partner_channel(feeds, channel, "channel", out_channel, "out_channel", ("output", "input", "feeds"))
    return e, channel, out_channel


def zero_inserted_diagram(
    layer: Any, shape: Any = None, output: int | None = None, *, channel: int = 0, out_channel: int | None = None
) -> ZeroInsertedDiagram:
    """Transposed convolution as a scatter and as a direct convolution over the zero-inserted input.

    Args:
        layer: A ``ConvTranspose1d`` (or an Expansion of one).
        shape: Its input length; left out with an Expansion.
        output: The output whose window is shaded (default: the first with the most taps).
        channel: The input channel drawn; ``out_channel`` the output channel (default: the first
            that ``channel`` feeds).

    Raises:
        ValueError: A layer that is not a 1D transposed convolution, or a position or channel out of range.
    """
    e, channel, out_channel = channels_and_expansion(layer, shape, channel, out_channel, ndim=1)
    if output is not None and not 0 <= output < e.output_length:
        raise ValueError(f"'output' must be in [0, {e.output_length}) (got {output!r}).")
    return ZeroInsertedDiagram(e, output, channel, out_channel)


__all__ = [
    "ZeroInsertedDiagram",
    "channels_and_expansion",
    "zero_inserted_conv",
    "zero_inserted_diagram",
    "zero_inserted_input",
]
