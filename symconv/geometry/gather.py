"""A layer with several axes on numbers: per-axis gathers of the input, one product per kernel position.

Each axis says, for each weight index, which input every output reads (its ``sources``: a zero pad
reads a sentinel position past the end). The input gets one zero appended on every axis; then, for
each kernel position, ``np.ix_`` of the axes' sources gathers the ``(C_in, *out)`` patch that
position multiplies, and one batched matrix product per channel group adds it in. The backward
passes scatter through the same gathers (``np.add.at``, so folded taps that share an input add
up). Exact on integers, fractions and objects, as the 1D passes (:mod:`symconv.geometry.numeric`).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Protocol

import numpy as np

from symconv.geometry.geometry import ChannelTaps
from symconv.geometry.kernel import AxisTaps
from symconv.geometry.numeric import as_exact, at_precision, common_dtype


class GatherTaps(ChannelTaps, Protocol):
    """What the gathers read of a layer's taps (:class:`~symconv.geometry.taps.Taps` is one)."""

    axes: tuple[AxisTaps, ...]
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    kernel_shape: tuple[int, ...]


def _zero_extended(x: np.ndarray, dims: int) -> np.ndarray:
    """``x`` with one zero appended on each of its last ``dims`` axes (the sentinel a zero pad reads)."""
    return np.pad(x, [(0, 0)] * (x.ndim - dims) + [(0, 1)] * dims)


def _last(index: tuple[Any, ...]) -> tuple[Any, ...]:
    """An index on the last axes of an array."""
    return (Ellipsis, *index)


def _positions(taps: GatherTaps) -> list[tuple[tuple[int, ...], tuple[np.ndarray, ...]]]:
    """Each kernel position ``k`` with the ``np.ix_`` index of the inputs its outputs read."""
    sources = [a.sources() for a in taps.axes]
    return [
        (k, np.ix_(*(src[kj] for src, kj in zip(sources, k))))
        for k in itertools.product(*map(range, taps.kernel_shape))
    ]


def _affine_reads(src: np.ndarray, size: int) -> tuple[int, int] | None:
    """``(start, step)`` when one weight index's reads on an axis are ``start + step * i`` for every
    output ``i``, the reads that fall outside ``0..size-1`` being exactly the zero pads; else None.

    Read off the sources (a zero pad is ``size``); the zero-padded layers are all of this form,
    the folded paddings (reflect, replicate, circular, symmetric) are not.
    """
    n = src.size
    real = np.flatnonzero(src != size)
    if real.size == 0:
        return None
    if real.size == 1:
        step = 1 if n == 1 else 0
        if step == 0:
            return None
    else:
        step = int(src[real[1]] - src[real[0]]) // int(real[1] - real[0])
    start = int(src[real[0]]) - step * int(real[0])
    if step <= 0:
        return None
    line = start + step * np.arange(n, dtype=np.int64)
    inside = (line >= 0) & (line < size)
    if not np.array_equal(np.where(inside, line, size), src):
        return None
    return start, step


class _AxisReads:
    """How one axis is read for every weight index: by slices of a zero-padded frame, or by a gather."""

    def __init__(self, src: np.ndarray, size: int) -> None:
        self.size, self.outputs = size, src.shape[1]
        lines = [_affine_reads(row, size) for row in src]
        self.lines: list[tuple[int, int]] | None = None
        if all(line is not None for line in lines):
            self.lines = [line for line in lines if line is not None]
            self.before = max(0, -min(a for a, _ in self.lines))
            self.after = max(0, max(a + b * (self.outputs - 1) for a, b in self.lines) - size + 1)
            if self.before + self.after <= max(size, src.size):  # else the frame would be mostly padding
                return
            self.lines = None
        # a gather from the input with one zero appended (the sentinel a zero pad reads)
        self.before, self.after, self.sources = 0, 1, src

    def part(self, k: int, lo: int, hi: int) -> Any:
        """What outputs ``lo..hi-1`` read at weight index ``k``: a slice of the padded frame, or an index array."""
        if self.lines is None:
            return self.sources[k, lo:hi]
        start, step = self.lines[k]
        first = start + self.before + step * lo
        return slice(first, first + step * (hi - lo - 1) + 1, step)


def _read(frame: np.ndarray, index: tuple[Any, ...]) -> np.ndarray:
    """``frame[..., *index]`` with the slices applied as views and each array as an outer gather."""
    dims = len(index)
    view = frame[_last(tuple(i if isinstance(i, slice) else slice(None) for i in index))]
    for axis, i in enumerate(index):
        if not isinstance(i, slice):
            view = np.take(view, i, axis=view.ndim - dims + axis)
    return view


# elements of one block of the unfolded input (4 MB of float32): the input is unfolded a block of
# samples, or of output rows (first spatial axis) of one sample, at a time, into one buffer that
# stays in the cache for the product that reads it
_CHUNK = 1 << 20


def _products(taps: GatherTaps, x: np.ndarray, mats: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """``mats[group] @ unfold(x[n, group])`` for every sample and group: ``(g, N, R, points)``.

    ``mats`` is ``(g, R, K * C_in/g)``, its columns in the unfolded order (kernel position, then
    channel). The input is unfolded (each kernel position's ``(C_in/g, *out)`` reads stacked,
    im2col) a block at a time; zero-padded axes are read by strided slices of a padded copy,
    folded ones by gathers.
    """
    n, g, ci, rows_out = x.shape[0], taps.groups, taps.in_per_group, mats.shape[1]
    size, out_shape = math.prod(taps.kernel_shape), taps.output_shape
    points, per_row = math.prod(out_shape), math.prod(out_shape[1:])
    reads = [_AxisReads(a.sources(), s) for a, s in zip(taps.axes, taps.input_shape)]
    source = x.reshape(n, g, ci, *taps.input_shape)
    out = np.empty((g, n, rows_out, points), dtype=dtype)
    samples = max(1, min(n, _CHUNK // max(1, size * ci * points)))
    lines = out_shape[0] if samples > 1 else max(1, min(out_shape[0], _CHUNK // max(1, size * ci * per_row)))
    col = np.empty((samples, size * ci, lines * per_row), dtype=dtype)
    product = np.empty((samples, rows_out, lines * per_row), dtype=dtype)
    # a block of samples of one group, zero-padded: the borders are written once (zeros), the
    # interior per block, so the padded copy stays small and warm
    frame = np.zeros((samples, ci, *(r.before + s + r.after for r, s in zip(reads, taps.input_shape))), dtype=dtype)
    interior = _last(tuple(slice(r.before, r.before + s) for r, s in zip(reads, taps.input_shape)))
    positions = list(itertools.product(*map(range, taps.kernel_shape)))
    target = out.reshape(g, n, rows_out, out_shape[0], per_row)
    for group in range(g):
        for first in range(0, n, samples):
            m = min(n, first + samples) - first
            padded = frame[:m]
            padded[interior] = as_exact(source[first : first + m, group], dtype)
            for lo in range(0, out_shape[0], lines):
                hi = min(out_shape[0], lo + lines)
                block = col[:m, :, : (hi - lo) * per_row]
                unfolded = block.reshape(m, size, ci, hi - lo, *out_shape[1:])
                for flat, k in enumerate(positions):
                    rest = (r.part(kj, 0, r.outputs) for r, kj in zip(reads[1:], k[1:]))
                    unfolded[:, flat] = _read(padded, (reads[0].part(k[0], lo, hi), *rest))
                result = product[:m, :, : (hi - lo) * per_row]
                np.matmul(mats[group], block, out=result)
                target[group, first : first + m, :, lo:hi] = result.reshape(m, rows_out, hi - lo, per_row)
    return out


def _unfolded_weight(taps: GatherTaps, w: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """``w`` as ``(g, C_out/g, K * C_in/g)``, its columns in the unfolded order."""
    g, ci, co, size = taps.groups, taps.in_per_group, taps.out_per_group, math.prod(taps.kernel_shape)
    return np.moveaxis(as_exact(w, dtype).reshape(g, co, ci, size), 2, 3).reshape(g, co, size * ci)


def correlate_gather(
    taps: GatherTaps, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, precision: Any = None
) -> np.ndarray:
    """``x`` ``(N, C_in, *in)``, ``w`` ``(C_out, C_in/g, *K)``, ``b`` or None to ``(N, C_out, *out)``.

    One matrix product per chunk of samples and group, on the unfolded input (:func:`_products`).
    """
    arrays = (x, w) if b is None else (x, w, b)
    dtype = at_precision(common_dtype(*arrays, terms=taps.in_per_group * math.prod(taps.kernel_shape)), precision)
    n, dims = x.shape[0], len(taps.axes)
    out = _products(taps, x, _unfolded_weight(taps, w, dtype), dtype)
    result = (np.moveaxis(out, 0, 1) if taps.groups > 1 else out[0]).reshape(n, taps.out_channels, *taps.output_shape)
    if b is not None:
        result += as_exact(b, dtype).reshape((1, -1) + (1,) * dims)
    return result


def _products_first(taps: GatherTaps, x: np.ndarray, mats: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """:func:`_products` for few rows ``R``: multiply first, read after. ``(g, N, R, *out)``.

    Each kernel position's ``(R, C_in/g)`` block of ``mats`` multiplies the whole padded input
    (one product for all positions), and each output then adds the position's product at the input
    it reads: ``R`` values per tap instead of ``C_in/g`` copied, with no unfolded input.
    """
    n, g, ci, rows_out = x.shape[0], taps.groups, taps.in_per_group, mats.shape[1]
    size, out_shape = math.prod(taps.kernel_shape), taps.output_shape
    reads = [_AxisReads(a.sources(), s) for a, s in zip(taps.axes, taps.input_shape)]
    padded_shape = tuple(r.before + s + r.after for r, s in zip(reads, taps.input_shape))
    source = x.reshape(n, g, ci, *taps.input_shape)
    # (g, K * R, C_in/g): the rows of every kernel position stacked
    stacked = np.moveaxis(mats.reshape(g, rows_out, size, ci), 2, 1).reshape(g, size * rows_out, ci)
    out = np.zeros((g, n, rows_out, *out_shape), dtype=dtype)
    samples = max(1, min(n, _CHUNK // max(1, size * rows_out * math.prod(padded_shape))))
    frame = np.zeros((samples, ci, *padded_shape), dtype=dtype)
    interior = _last(tuple(slice(r.before, r.before + s) for r, s in zip(reads, taps.input_shape)))
    indices = [
        tuple(r.part(kj, 0, r.outputs) for r, kj in zip(reads, k))
        for k in itertools.product(*map(range, taps.kernel_shape))
    ]
    for group in range(g):
        for first in range(0, n, samples):
            m = min(n, first + samples) - first
            padded = frame[:m]
            padded[interior] = as_exact(source[first : first + m, group], dtype)
            every = np.matmul(stacked[group], padded.reshape(m, ci, -1)).reshape(m, size, rows_out, *padded_shape)
            total = out[group, first : first + m]
            for flat, index in enumerate(indices):
                total += _read(every[:, flat], index)
    return out


def project_gather(taps: GatherTaps, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, a: np.ndarray) -> np.ndarray:
    """``a @ y``: the layer's output ``y`` ``(N, C_out, *out)`` projected on the rows of ``a`` ``(J, C_out)``,
    as ``(N, J, *out)`` float64, at the cost of a layer with ``J`` output channels.

    Computed in float64 from the projected weights ``a @ w`` (per group). Exact when ``x``, ``w``,
    ``b`` and ``a`` are integers and every partial sum of ``|a| @ |y|`` stays below ``2**53``:
    :mod:`symconv.checker.exact` relies on it.
    """
    f64 = np.dtype(np.float64)
    ww = _unfolded_weight(taps, w, f64)
    groups = a.reshape(a.shape[0], taps.groups, taps.out_per_group).astype(f64)
    out = _products_first(taps, x, np.einsum("jgo,goc->gjc", groups, ww), f64).sum(axis=0)
    if b is not None:
        out += (groups.reshape(a.shape[0], -1) @ b.astype(f64)).reshape(1, -1, *(1,) * len(taps.axes))
    return out  # type: ignore[no-any-return]


def input_grad_gather(taps: GatherTaps, delta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``W^T vec(delta)``: ``delta`` ``(N, C_out, *out)`` and ``w`` to ``(N, C_in, *in)``."""
    n, g, ci, co = delta.shape[0], taps.groups, taps.in_per_group, taps.out_per_group
    fan_in = max(1, taps.out_per_group * math.prod(taps.kernel_shape))
    dtype = common_dtype(delta, w, terms=fan_in)
    dg = as_exact(delta, dtype).reshape(n, g, co, -1)
    wt = np.swapaxes(as_exact(w, dtype).reshape(g, co, ci, -1), 1, 2)
    dx = np.zeros((n, g, ci, *(s + 1 for s in taps.input_shape)), dtype=dtype)
    for flat, (_, index) in enumerate(_positions(taps)):
        contribution = (wt[..., flat] @ dg).reshape(n, g, ci, *taps.output_shape)
        np.add.at(dx, _last(index), contribution)  # type: ignore[arg-type]
    trimmed = dx[_last(tuple(slice(0, s) for s in taps.input_shape))]
    return np.ascontiguousarray(trimmed).reshape(n, taps.in_channels, *taps.input_shape)


def weight_grad_gather(taps: GatherTaps, x: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``dL/dw``: every tap adds ``delta[output] * x[input]`` to its weight, summed over the batch."""
    n, g, ci, co, dims = x.shape[0], taps.groups, taps.in_per_group, taps.out_per_group, len(taps.axes)
    dtype = common_dtype(x, delta, terms=max(1, n * math.prod(taps.output_shape)))
    xz = _zero_extended(as_exact(x, dtype), dims).reshape(n, g, ci, *(s + 1 for s in taps.input_shape))
    dg = as_exact(delta, dtype).reshape(n, g, co, -1)
    positions = _positions(taps)
    dw = np.zeros((g, co, ci, len(positions)), dtype=dtype)
    points = math.prod(taps.output_shape)
    for flat, (_, index) in enumerate(positions):
        patch = xz[_last(index)].reshape(n, g, ci, points)
        dw[..., flat] = (dg @ np.swapaxes(patch, -1, -2)).sum(axis=0)
    return dw.reshape(taps.weight_shape)
