"""The two adjoints of a layer, on numbers, from the same kernel maps as the forward pass.

``input_grad`` is ``W^T delta`` (a transposed convolution: every tap sends
``w * delta[output]`` back to its input, folded edges adding up) and ``weight_grad`` is the
cross-correlation of the input with ``delta`` (every tap adds ``delta[output] * x[input]`` to
its weight). One batched matrix product per kernel position, exact on ints and objects.
"""

from __future__ import annotations

import numpy as np

from symconv.geometry.geometry import CompactTaps
from symconv.geometry.numeric import as_exact, common_dtype


def _fan_in(taps: CompactTaps) -> int:
    """The largest number of spatial taps that reach one input (folding can stack several)."""
    _, ins, _ = taps.spatial
    return int(np.bincount(ins, minlength=1).max()) if ins.size else 0


def input_grad(taps: CompactTaps, delta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``W^T vec(delta)``: ``delta`` ``(N, C_out, L_out)`` and ``w`` to ``(N, C_in, L)``."""
    s = taps.stride
    dtype = common_dtype(delta, w, terms=max(1, taps.out_per_group * _fan_in(taps)))
    delta, w = as_exact(delta, dtype), as_exact(w, dtype)
    n, g = delta.shape[0], taps.groups
    dg = delta.reshape(n, g, taps.out_per_group, taps.output_length)
    wt = np.swapaxes(w.reshape(g, taps.out_per_group, taps.in_per_group, taps.kernel_size), 1, 2)
    dx = np.zeros((n, g, taps.in_per_group, taps.input_length), dtype=dtype)
    for m in taps.maps:
        wk = wt[..., m.k]
        if m.hi > m.lo:
            start = s * m.lo + m.offset
            dx[..., start : s * (m.hi - 1) + m.offset + 1 : s] += wk @ dg[..., m.lo : m.hi]
        if m.edge_out.size:
            # np.add.at on the positions axis moved first: folded taps can share an input
            np.add.at(np.moveaxis(dx, -1, 0), m.edge_in, np.moveaxis(wk @ dg[..., m.edge_out], -1, 0))
    return dx.reshape(n, taps.in_channels, taps.input_length)


def weight_grad(taps: CompactTaps, x: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``dL/dw``: the correlation of ``x`` ``(N, C_in, L)`` with ``delta``, summed over the batch."""
    s = taps.stride
    dtype = common_dtype(x, delta, terms=max(1, x.shape[0] * taps.output_length))
    x, delta = as_exact(x, dtype), as_exact(delta, dtype)
    n, g = x.shape[0], taps.groups
    xg = x.reshape(n, g, taps.in_per_group, taps.input_length)
    dg = delta.reshape(n, g, taps.out_per_group, taps.output_length)
    dw = np.zeros((g, taps.out_per_group, taps.in_per_group, taps.kernel_size), dtype=dtype)
    for m in taps.maps:
        if m.hi > m.lo:
            start = s * m.lo + m.offset
            xs = xg[..., start : s * (m.hi - 1) + m.offset + 1 : s]
            dw[..., m.k] += (dg[..., m.lo : m.hi] @ np.swapaxes(xs, -1, -2)).sum(axis=0)
        if m.edge_out.size:
            dw[..., m.k] += (dg[..., m.edge_out] @ np.swapaxes(xg[..., m.edge_in], -1, -2)).sum(axis=0)
    return dw.reshape(taps.weight_shape)


def bias_grad(delta: np.ndarray) -> np.ndarray:
    """``dL/db[o] = sum over batch and positions of delta[:, o, :]``, exactly."""
    terms = max(1, delta.size // max(1, delta.shape[1]))
    dtype = common_dtype(delta, np.ones(1, dtype=np.int64), terms=terms)
    return as_exact(delta, dtype).sum(axis=(0, *range(2, delta.ndim)))
