"""Deciding the integer probe without computing every reference output: exact random projections.

On the integer probe the layer's output ``y`` is a tensor of integers, computed exactly, and
correct code returns it within a tolerance below 1/2. So the code's result ``got`` passes exactly
when

1. every value is within its tolerance of an integer, ``|got - rint(got)| <= tol``, and
2. those integers are the layer's: ``rint(got) == y``.

(2) is decided by Freivalds' method: for a random integer matrix ``A`` ``(J, C_out)`` with entries
uniform in ``-M..M``, ``A @ rint(got) == A @ y`` at every sample and position. ``A @ y`` is the layer
with ``J`` output channels and weights ``A @ w`` (:func:`~symconv.geometry.gather.project_gather`),
about ``C_out / J`` times cheaper than ``y``. Both sides are integers whose every partial sum stays
below ``2**(mantissa + 1)`` of the dtype (``M`` is chosen so), so both are exact. If
``rint(got) != y`` at some output, the error vector ``e`` over the channels there is non-zero, and
``a @ e == 0`` for at most one of the ``2M + 1`` values of the entry of ``a`` at a non-zero of ``e``:
each row of ``A`` misses with probability at most ``1 / (2M + 1)``, all ``J`` rows with at most
``2**-MISS_BITS``.

Anything else (a value not within tolerance of an integer, one beyond the layer's bound, a shape
or dtype this does not cover, or a projection that differs) returns None, and the checker compares
every output with the full reference, which also makes the report.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from symconv.geometry.taps import Taps
from symconv.layers.protocol import Kind
from symconv.views.expansion import Expansion

# the chance that code with a wrong output passes is at most 2**-MISS_BITS
MISS_BITS = 64
# below this many outputs, or when the projections would not be at least this many times cheaper
# than the layer, the full reference is as fast
MIN_OUTPUTS = 1 << 16
MIN_SAVING = 4
# values of the result handled at once (a block of samples)
CHUNK = 1 << 20


def passes(e: Expansion, arrays: tuple[Any, Any, Any], got: np.ndarray, tol: np.ndarray, seed: int) -> float | None:
    """The largest error of ``got`` when it is proven equal to the layer on the integer probe ``arrays``
    within ``tol`` (``(N, C_out, 1, ...)``, every value below 1/2); None when undecided.

    Examples:
        >>> import numpy as np
        >>> from symconv import Conv2d
        >>> e = Conv2d(16, 32, 3, padding=1).expand((64, 64))
        >>> rng = np.random.default_rng(0)
        >>> x = rng.integers(-3, 4, (2, 16, 64, 64)).astype(np.float32)
        >>> w = rng.integers(-3, 4, (32, 16, 3, 3)).astype(np.float32)
        >>> y = e.taps.apply(x, w, None, np.float32)
        >>> tol = np.full((2, 32, 1, 1), 0.25)
        >>> passes(e, (x, w, None), y + np.float32(0.125), tol, seed=0)
        0.125
        >>> y[1, 5, 10, 20] += 1  # one wrong output among 262,144
        >>> passes(e, (x, w, None), y, tol, seed=0) is None
        True
    """
    x, w, b = arrays
    taps = e.taps
    if e.spec.kind is not Kind.CONVOLUTION or not isinstance(taps, Taps) or x.dtype.kind != "f":
        return None
    shape = (x.shape[0], e.spec.out_channels, *taps.output_shape)
    if got.shape != shape or got.dtype != x.dtype or got.size < MIN_OUTPUTS:
        return None
    limit = 2.0**53  # the projections are computed in float64
    bound = _bounds(x, w, b, e)  # (N, C_out): |y[n, o]| <= bound
    total = float(bound.sum(axis=1).max(initial=0.0))
    m = min(1 << 30, int((limit - 1) // max(total, 1.0)))
    if m < 1:
        return None
    rows = math.ceil(MISS_BITS / math.log2(2 * m + 1))
    if rows * MIN_SAVING > e.spec.out_channels // e.spec.groups:  # the projections cost J rows per group
        return None
    within = tol.astype(got.dtype).reshape(shape[:2])
    within = np.where(within > tol.reshape(shape[:2]), np.nextafter(within, 0), within)  # never above tol
    flat = got.reshape(shape[0], shape[1], -1)
    rng = np.random.default_rng((seed, 0x5EED))
    a = rng.integers(-m, m + 1, size=(rows, e.spec.out_channels)).astype(np.float64)
    ours = np.empty((shape[0], rows, flat.shape[2]))
    residual = np.empty(shape[:2], dtype=got.dtype)
    step = max(1, CHUNK // max(1, flat[0].size))
    for first in range(0, shape[0], step):  # a block of samples at a time: no copy of the whole result
        block = slice(first, first + step)
        rounded = np.rint(flat[block])
        top = np.abs(rounded).max(axis=2)  # NaN if any value is NaN
        if not bool((top <= bound[block]).all()):
            return None
        np.matmul(a, rounded.astype(np.float64), out=ours[block])
        residual[block] = np.abs(np.subtract(flat[block], rounded, out=rounded), out=rounded).max(axis=2)
    if not bool((residual <= within).all()):
        return None
    theirs = taps.project(x, w, b, a)
    if not np.array_equal(ours, theirs.reshape(ours.shape)):
        return None
    return float(residual.max(initial=0.0))


def _bounds(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, e: Expansion) -> np.ndarray:
    """``max(1, max|x[n]|) * ||w[o]||_1 + |b[o]|`` ``(N, C_out)``: no partial sum of output ``(n, o)``
    exceeds it, nor (times ``|a[o]|``, summed over ``o``) any entry or partial sum of its projections."""
    flat = x.reshape(x.shape[0], -1)
    top = np.maximum(1.0, np.maximum(flat.max(axis=1), -flat.min(axis=1)).astype(np.float64))
    l1 = np.abs(w, dtype=np.float64).reshape(e.spec.out_channels, -1).sum(axis=1)
    out = top[:, None] * l1[None, :]
    return out if b is None else out + np.abs(b.astype(np.float64))[None, :]
