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


def correlate_gather(
    taps: GatherTaps, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, precision: Any = None
) -> np.ndarray:
    """``x`` ``(N, C_in, *in)``, ``w`` ``(C_out, C_in/g, *K)``, ``b`` or None to ``(N, C_out, *out)``."""
    arrays = (x, w) if b is None else (x, w, b)
    dtype = at_precision(common_dtype(*arrays, terms=taps.in_per_group * math.prod(taps.kernel_shape)), precision)
    n, g, ci, co, dims = x.shape[0], taps.groups, taps.in_per_group, taps.out_per_group, len(taps.axes)
    xz = _zero_extended(as_exact(x, dtype), dims).reshape(n, g, ci, *(s + 1 for s in taps.input_shape))
    ww = as_exact(w, dtype).reshape(g, co, ci, -1)
    points = math.prod(taps.output_shape)
    out = np.zeros((n, g, co, points), dtype=dtype)
    for flat, (_, index) in enumerate(_positions(taps)):
        patch = xz[_last(index)].reshape(n, g, ci, points)
        out += ww[..., flat] @ patch
    result = out.reshape(n, taps.out_channels, *taps.output_shape)
    if b is not None:
        result += as_exact(b, dtype).reshape((1, -1) + (1,) * dims)
    return result


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
