"""The inputs :func:`symconv.check` feeds the code under test, and the tolerance it allows.

Small non-zero integers first (every partial sum exact in the dtype, so a mismatch is certain
and locatable), then uniform floats; the input length shows both edges and an interior.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symconv.expansion import Expansion


def default_length(layer: Any) -> int:
    """An input length that shows both edges and an interior, and is not a multiple of the stride.

    Examples:
        >>> from symconv import Conv1d
        >>> default_length(Conv1d(1, 1, 3)), default_length(Conv1d(1, 1, 3, stride=2, dilation=2))
        (11, 19)
    """
    stride = getattr(layer, "stride", 1)
    extent = getattr(layer, "dilation", 1) * (layer.kernel_size - 1) + 1
    length = 2 * extent + 3 * stride + 2
    return length + 1 if stride > 1 and length % stride == 0 else length


def _terms(e: Expansion) -> int:
    return e.spec.in_channels // e.spec.groups * e.spec.kernel_size


def integer_probe(e: Expansion, batch: int, rng: np.random.Generator, dtype: str) -> tuple[Any, Any, Any]:
    """Small non-zero integers; the weights of each kernel row distinct, so a flip always shows.

    The ranges shrink so that every partial sum stays exact in ``dtype``.
    """
    spec = e.spec
    size, rows = spec.kernel_size, spec.out_channels * spec.in_channels // spec.groups
    reach = max(4, (size + 1) // 2)
    limit = 2.0 ** (np.finfo(dtype).nmant + 1)
    top = int(max(1, min(9, (limit - 10) // (_terms(e) * reach))))
    pool = np.r_[-reach:0, 1 : reach + 1]
    w = rng.permuted(np.tile(pool, (rows, 1)), axis=1)[:, :size].reshape(spec.weight_shape)
    shape = (batch, spec.in_channels, e.input_length)
    # raw random bytes folded onto -top..-1, 1..top (nearly uniform: 256 is not a multiple of 2*top),
    # several times faster than rng.integers at real sizes
    x = (np.frombuffer(rng.bytes(int(np.prod(shape))), dtype=np.uint8) % (2 * top)).astype(np.int8).reshape(shape)
    x -= top
    x += x >= 0
    b = rng.choice(np.r_[-9:0, 1:10], size=spec.out_channels) if spec.bias else None
    return x.astype(dtype), w.astype(dtype), None if b is None else b.astype(dtype)


def float_probe(e: Expansion, batch: int, rng: np.random.Generator, dtype: str) -> tuple[Any, Any, Any]:
    """Uniform random floats in ``[-1, 1)``, rounded to ``dtype``."""
    spec = e.spec

    def uniform(shape: Any) -> np.ndarray:
        return rng.random(shape, dtype=np.dtype(dtype).type) * 2 - 1  # drawn in dtype: no float64 copy

    x = uniform((batch, spec.in_channels, e.input_length))
    return x, uniform(spec.weight_shape), uniform(spec.out_channels) if spec.bias else None


def tolerance(e: Expansion, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, eps: float) -> np.ndarray:
    """Per output channel: ``(terms + 2) * eps * (max|x| * sum|w[o]| + |b[o]|)``, a bound on summation error.

    It holds for any order of summation (FFT-based code included) and for code that rounds its
    inputs to ``eps`` first.
    """
    top = max(float(x.max(initial=0.0)), -float(x.min(initial=0.0)))
    scale = top * np.abs(w).reshape(w.shape[0], -1).sum(axis=1, dtype=np.float64)
    if b is not None:
        scale = scale + np.abs(b.astype(np.float64))
    return (_terms(e) + 2) * eps * scale


def dtype_of(got: Any, fallback: np.dtype[Any]) -> np.dtype[Any]:
    """The float dtype of the code's result (the lower precision of it and the input's)."""
    kind = np.asarray(got).dtype
    if kind.kind != "f" or np.finfo(kind).eps < np.finfo(fallback).eps:
        return fallback
    return kind
