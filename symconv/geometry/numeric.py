"""Numeric evaluation from the taps: im2col over kernel positions, then one matrix product.

The outputs are computed in blocks of positions. For each block, every kernel position
contributes one row block of an "im2col" array: its interior outputs copy a strided slice
of the input (one array assignment per kernel position), the outputs whose tap lands on a
zero pad get zeros, and the folded edge taps (reflect, replicate, circular) copy their few
input columns. One batched matrix product with the weights, reshaped to
``(groups, C_out/groups, C_in/groups * K)``, then gives the block's outputs. Measured on
``Conv1d(16, 16, 9)``, this beats one product per kernel position (which reads strided
slices and adds into the output ``K`` times), markedly so for strided and grouped layers.

The result is exact on Python-int and object arrays (SymPy numbers, ``Fraction``), never
overflows silently on fixed-width integers (it moves to Python ints when the bound on the
result does not fit in int64), and is float64 on floats. Integer data whose bound on every
partial sum is below ``2**53`` is multiplied in float64 (BLAS) and converted back: every
intermediate value is then an integer that float64 represents exactly, so the result is
exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symconv.geometry.geometry import CompactTaps

_INT64_MAX = np.iinfo(np.int64).max
_FLOAT_EXACT = 2**53
_BLOCK_ELEMENTS = 1 << 22
"""Elements in one im2col block (32 MiB of float64). Measured on ``Conv1d(16, 16, 9)`` and
``(1, 16, 65536)`` on 2 shared cores: blocks of 2**16..2**18 are at best ~10% faster on an
idle machine but several times slower under load (every product is a multi-threaded BLAS
call that waits for a busy core), 2**20..2**22 hold steady, one block of all is slower."""


def int_bound(*arrays: np.ndarray, terms: int) -> int:
    """A bound on ``|result|`` of ``terms`` products of ``arrays[0]`` and ``arrays[1]`` entries plus ``arrays[2:]``."""
    bounds = [max(abs(int(a.min())), abs(int(a.max()))) if a.size else 0 for a in arrays]
    return terms * bounds[0] * bounds[1] + sum(bounds[2:])


def common_dtype(*arrays: np.ndarray, terms: int) -> np.dtype[Any]:
    """The dtype to compute in: object for object input or integers that could overflow int64."""
    kinds = {a.dtype.kind for a in arrays}
    if "O" in kinds or kinds - set("biufc"):
        return np.dtype(object)
    if kinds <= set("biu"):
        return np.dtype(np.int64) if int_bound(*arrays, terms=terms) <= _INT64_MAX else np.dtype(object)
    return np.result_type(np.float64, *arrays)


def as_exact(array: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """Cast to ``dtype``; integers go to Python ints when the dtype is object."""
    if np.dtype(dtype).kind == "O" and array.dtype.kind in "biu":
        out = np.empty(array.shape, dtype=object)
        out[...] = array.tolist() if array.ndim else array.item()
        return out
    return array.astype(dtype, copy=False)


def at_precision(dtype: np.dtype[Any], precision: Any) -> np.dtype[Any]:
    """``dtype``, or ``precision`` (``np.float32``/``np.float64``) in its place for real float data."""
    if precision is None:
        return dtype
    if np.dtype(precision) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"'precision' must be np.float32, np.float64 or None (got {precision!r}).")
    if dtype.kind != "f":
        raise ValueError(f"'precision' applies to real float data (got {dtype} data).")
    return np.dtype(precision)


def correlate_taps(
    taps: CompactTaps, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, precision: Any = None
) -> np.ndarray:
    """Apply the layer: ``x`` of shape ``(N, C_in, L)``, ``w`` ``(C_out, C_in/g, K)``, ``b`` ``(C_out,)`` or None.

    Returns ``(N, C_out, L_out)`` in the dtype chosen by :func:`common_dtype`. ``precision``
    (``np.float32`` or ``np.float64``) computes real float data in that dtype instead of
    float64: float32 is faster and exact on integers whose partial sums stay below ``2**24``.
    """

    arrays = (x, w) if b is None else (x, w, b)
    terms = taps.in_per_group * taps.kernel_size
    dtype = at_precision(common_dtype(*arrays, terms=terms), precision)
    work = dtype
    if dtype == np.int64 and int_bound(x, w, terms=terms) < _FLOAT_EXACT:
        work = np.dtype(np.float64)
    xw, ww = as_exact(x, work), as_exact(w, work)
    n, g, s = x.shape[0], taps.groups, taps.stride
    ci, co, size = taps.in_per_group, taps.out_per_group, taps.kernel_size
    n_out = taps.output_length
    xg = xw.reshape(n, g, ci, taps.input_length)
    wg = ww.reshape(g, co, ci * size)
    out = np.empty((n, g, co, n_out), dtype=work)
    block = max(1, min(n_out, _BLOCK_ELEMENTS // max(1, n * g * ci * size)))
    cols = np.empty((n, g, ci, size, block), dtype=work)
    for first in range(0, n_out, block):
        last = min(n_out, first + block)
        part = cols[..., : last - first]
        for m in taps.maps:
            dst = part[..., m.k, :]
            lo, hi = max(m.lo, first), min(m.hi, last)
            if hi > lo:
                dst[..., : lo - first] = 0
                dst[..., lo - first : hi - first] = xg[..., s * lo + m.offset : s * (hi - 1) + m.offset + 1 : s]
                dst[..., hi - first :] = 0
            else:
                dst[...] = 0
            if m.edge_out.size:
                inside = (m.edge_out >= first) & (m.edge_out < last)
                if inside.any():
                    dst[..., m.edge_out[inside] - first] = xg[..., m.edge_in[inside]]
        np.matmul(wg, part.reshape(n, g, ci * size, last - first), out=out[..., first:last])
    result = out.reshape(n, taps.out_channels, n_out)
    if work != dtype:
        result = result.astype(dtype)
    if b is not None:
        result += as_exact(b, dtype)[None, :, None]
    return result
