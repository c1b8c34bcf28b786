"""What an explorer page embeds: a layer's taps as compact typed arrays, and the pad cells its taps land on.

The page draws and highlights from these arrays only; it never recomputes an index. The taps are
:meth:`~symconv.geometry.taps.Taps.triples`: flat ``(row, column, weight)`` indices in the matrix
layout of :mod:`symconv.geometry.taps` (rows ``vec(z)``, columns ``vec(x)``, channel-major, C order).
The pad taps are computed here, in Python, from each axis's kernel maps (``t = stride*i + offset``,
the padded coordinate that the fold then maps back): one ``(row, pad cell)`` pair for every tap
that lands outside the input, zero pad or folded. A transposed layer's padding crops its output,
so it has no pad cells.

Every array is base64 of little-endian bytes, in the smallest of ``uint8``/``uint16``/``int8``/
``int16``/``int32`` that holds it (JavaScript reads them as typed arrays).

Examples:
    >>> from symconv import Conv1d
    >>> data = page_data(Conv1d(1, 1, 3, padding=1), 4)
    >>> data["taps"]["rows"]["dtype"], data["taps"]["rows"]["length"]
    ('uint8', 10)
    >>> decode(data["pads"]["cells"]).reshape(-1, 2).tolist()
    [[0, -1], [0, 4]]
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from symconv.explore.code import numpy_call, pytorch_call
from symconv.geometry.kernel import padded_sources
from symconv.geometry.taps import Taps

#: The largest layer a page shows: taps, and cells drawn (inputs, pads and outputs of every channel).
MAX_TAPS = 1_000_000
MAX_CELLS = 60_000

_DTYPES = (np.uint8, np.uint16, np.int8, np.int16, np.int32)


def encode(values: Any) -> dict[str, Any]:
    """An integer array as ``{"dtype", "length", "data"}``: base64 of its bytes in the smallest dtype that holds it.

    Examples:
        >>> encode([1, 300])
        {'dtype': 'uint16', 'length': 2, 'data': 'AQAsAQ=='}
    """
    a = np.asarray(values, dtype=np.int64).ravel()
    lo, hi = (int(a.min()), int(a.max())) if a.size else (0, 0)
    dtype = next(t for t in _DTYPES if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max)
    raw = a.astype(np.dtype(dtype).newbyteorder("<")).tobytes()
    return {"dtype": np.dtype(dtype).name, "length": int(a.size), "data": base64.b64encode(raw).decode("ascii")}


def decode(field: dict[str, Any]) -> np.ndarray:
    """The int64 array that :func:`encode` wrote (what the page's JavaScript reads as a typed array)."""
    raw = base64.b64decode(field["data"])
    a = np.frombuffer(raw, dtype=np.dtype(field["dtype"]).newbyteorder("<"))
    if a.size != field["length"]:
        raise ValueError(f"embedded array: 'length' says {field['length']}, the data holds {a.size}.")
    return a.astype(np.int64)


def _spatial_pad_taps(taps: Taps) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    """Per spatial tap that lands outside the input: its flat output and flat padded position; the outside mask
    of the padded frame (flat, C order), and the frame's shape."""
    outs = pflat = np.zeros(1, dtype=np.int64)
    inside = np.ones(1, dtype=bool)
    frame_inside = np.ones(1, dtype=bool)
    frame: list[int] = []
    for ax in taps.axes:
        left, right = (int(p) for p in ax.axis.padding)
        size = ax.size + left + right
        offsets = np.array([m.offset for m in ax.maps], dtype=np.int64)
        i = np.repeat(np.arange(ax.output_size, dtype=np.int64), offsets.size)
        t = (ax.stride * np.arange(ax.output_size, dtype=np.int64)[:, None] + offsets[None, :]).ravel()
        outs = (outs[:, None] * ax.output_size + i[None, :]).ravel()
        pflat = (pflat[:, None] * size + (t + left)[None, :]).ravel()
        inside = (inside[:, None] & ((t >= 0) & (t < ax.size))[None, :]).ravel()
        here = np.zeros(size, dtype=bool)
        here[left : left + ax.size] = True
        frame_inside = (frame_inside[:, None] & here[None, :]).ravel()
        frame.append(size)
    return outs[~inside], pflat[~inside], ~frame_inside, tuple(frame)


def pad_taps(taps: Taps) -> dict[str, np.ndarray]:
    """The pad cells of a convolution's padded input, and the taps that land on them.

    Returns:
        ``cells`` ``(n, 1 + ndim)``: each pad cell's ``(c, *t)``, ``t`` in the input's frame (negative
        or past the size); ``sources`` ``(n,)``: the flat input column it folds to, ``-1`` for a zero
        pad; ``rows`` and ``cells_of``: one pair per tap that lands on a pad cell (matrix row, cell).
    """
    outs, pflat, outside, frame = _spatial_pad_taps(taps)
    positions = np.flatnonzero(outside)
    pad_id = np.full(outside.size, -1, dtype=np.int64)
    pad_id[positions] = np.arange(positions.size)
    lefts = [int(ax.axis.padding[0]) for ax in taps.axes]
    coords = np.stack([c - left for c, left in zip(np.unravel_index(positions, frame), lefts)], axis=1)
    source = np.zeros(positions.size, dtype=np.int64)
    for a, ax in enumerate(taps.axes):
        s = padded_sources(ax.axis)[coords[:, a] + lefts[a]]
        source = np.where((source < 0) | (s < 0), -1, source * ax.size + s)
    channels = np.arange(taps.in_channels, dtype=np.int64)
    cells = np.concatenate(
        [np.repeat(channels, positions.size)[:, None], np.tile(coords, (taps.in_channels, 1))], axis=1
    )
    spatial_source = np.tile(source, taps.in_channels)
    sources = np.where(spatial_source < 0, -1, cells[:, 0] * taps.input_length + spatial_source)
    o, c, _ = taps.channel_pairs()
    rows = (o[:, None] * taps.output_length + outs[None, :]).ravel()
    cells_of = (c[:, None] * positions.size + pad_id[pflat][None, :]).ravel()
    return {"cells": cells.reshape(-1, 1 + taps.ndim), "sources": sources, "rows": rows, "cells_of": cells_of}


def _no_pads(ndim: int) -> dict[str, np.ndarray]:
    empty = np.zeros(0, dtype=np.int64)
    return {"cells": np.zeros((0, 1 + ndim), dtype=np.int64), "sources": empty, "rows": empty, "cells_of": empty}


def _check_size(layer: Any, taps: Any) -> None:
    """Refuse a layer too large to draw, naming the figure and the limit."""
    if len(taps) > MAX_TAPS:
        raise ValueError(
            f"the layer has {len(taps)} taps: more than the {MAX_TAPS} a page holds; use a smaller input or padding, "
            "or fewer channels."
        )
    frame = taps.input_length
    if isinstance(taps, Taps):  # a convolution draws its padded input
        frame = math.prod(ax.size + sum(int(p) for p in ax.axis.padding) for ax in taps.axes)
    cells = taps.channels.in_channels * frame + taps.channels.out_channels * taps.output_length
    if cells > MAX_CELLS:
        raise ValueError(
            f"the layer has {cells} input (padding included) and output cells: more than the {MAX_CELLS} a page "
            "draws; use a smaller input or padding, or fewer channels."
        )


def _padding(layer: Any, taps: Any) -> list[list[int]]:
    if isinstance(taps, Taps):
        return [[int(p) for p in ax.axis.padding] for ax in taps.axes]
    p = layer.padding if isinstance(layer.padding, tuple) else (layer.padding,)
    return [[int(v), int(v)] for v in p]


def page_data(layer: Any, size: int | tuple[int, ...]) -> dict[str, Any]:
    """Everything an explorer page embeds for ``layer`` on an input of ``size`` (an int in 1D, a shape in 2D).

    Raises:
        ValueError: A 3D layer, a layer too large to draw, or an input the layer refuses.
    """
    ndim = int(layer.ndim)
    if ndim not in (1, 2):
        raise ValueError(
            f"'layer': the explorer draws 1D and 2D layers; {type(layer).__name__} has {ndim} spatial axes "
            "(its taps are all there: Expansion.taps, symconv explain)."
        )
    taps = layer.make_taps(size)
    _check_size(layer, taps)
    transposed = not isinstance(taps, Taps)
    pads = _no_pads(ndim) if transposed else pad_taps(taps)
    rows, cols, weights = taps.triples()
    ch = taps.channels
    padding = _padding(layer, taps)
    return {
        "format": 1,
        "layer": repr(layer),
        "kind": type(layer).__name__,
        "transposed": transposed,
        "ndim": ndim,
        "in_channels": ch.in_channels,
        "out_channels": ch.out_channels,
        "groups": ch.groups,
        "bias": bool(layer.bias),
        "flip": bool(getattr(layer, "flip", False)),
        "input_shape": [int(n) for n in taps.input_shape],
        "output_shape": [int(n) for n in taps.output_shape],
        "weight_shape": [int(n) for n in taps.weight_shape],
        "padding": padding,
        "padding_mode": layer.padding_mode,
        "taps": {"rows": encode(rows), "cols": encode(cols), "weights": encode(weights)},
        "pads": {name: encode(values) for name, values in pads.items()},
        "code": {"pytorch": pytorch_call(layer, padding), "numpy": numpy_call(layer, padding)},
        "counts": {
            "taps": len(taps),
            "weights": math.prod(taps.weight_shape),
            "rows": ch.out_channels * taps.output_length,
            "cols": ch.in_channels * taps.input_length,
        },
    }
