"""Numeric evaluation from the taps: one array operation per kernel position.

For each kernel position the interior outputs read a strided slice of the input (one
batched matrix product over channels), and the folded edge taps add a few columns. The
result is exact on Python-int and object arrays (SymPy numbers, ``Fraction``), never
overflows silently on fixed-width integers (it moves to Python ints when the bound on the
result does not fit in int64), and is float64 on floats.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symconv.taps import Taps

_INT64_MAX = np.iinfo(np.int64).max


def common_dtype(*arrays: np.ndarray, terms: int) -> np.dtype[Any]:
    """The dtype to compute in: object for object input or integers that could overflow int64."""
    kinds = {a.dtype.kind for a in arrays}
    if "O" in kinds or kinds - set("biufc"):
        return np.dtype(object)
    if kinds <= set("biu"):
        bounds = [max(abs(int(a.min())), abs(int(a.max()))) if a.size else 0 for a in arrays]
        bound = terms * bounds[0] * bounds[1] + sum(bounds[2:])
        return np.dtype(np.int64) if bound <= _INT64_MAX else np.dtype(object)
    return np.result_type(np.float64, *arrays)


def as_exact(array: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """Cast to ``dtype``; integers go to Python ints when the dtype is object."""
    if dtype == object and array.dtype.kind in "biu":
        out = np.empty(array.shape, dtype=object)
        out[...] = array.tolist() if array.ndim else array.item()
        return out
    return array.astype(dtype, copy=False)


def correlate_taps(taps: Taps, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """Apply the layer: ``x`` of shape ``(N, C_in, L)``, ``w`` ``(C_out, C_in/g, K)``, ``b`` ``(C_out,)`` or None.

    Returns ``(N, C_out, L_out)`` in the dtype chosen by :func:`common_dtype`.
    """
    spec = taps.spec
    arrays = (x, w) if b is None else (x, w, b)
    dtype = common_dtype(*arrays, terms=taps.in_per_group * spec.kernel_size)
    x, w = as_exact(x, dtype), as_exact(w, dtype)
    n, g, s = x.shape[0], spec.groups, spec.stride
    xg = x.reshape(n, g, taps.in_per_group, taps.input_length)
    wg = w.reshape(g, taps.out_per_group, taps.in_per_group, spec.kernel_size)
    out = np.zeros((n, g, taps.out_per_group, taps.output_length), dtype=dtype)
    for m in taps.maps:
        wk = wg[..., m.k]
        if m.hi > m.lo:
            start = s * m.lo + m.offset
            out[..., m.lo : m.hi] += wk @ xg[..., start : s * (m.hi - 1) + m.offset + 1 : s]
        if m.edge_out.size:
            out[..., m.edge_out] += wk @ xg[..., m.edge_in]
    out = out.reshape(n, spec.out_channels, taps.output_length)
    if b is not None:
        out += as_exact(b, dtype)[None, :, None]
    return out
