"""The inputs :func:`symconv.check` feeds the code under test, and the tolerance it allows.

Small non-zero integers first (every partial sum exact in the dtype, so a mismatch is certain
and locatable), then uniform floats; the input length shows both edges and an interior.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np

from symconv.layers.protocol import Kind
from symconv.views.expansion import Expansion


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


def default_size(layer: Any) -> int | tuple[int, ...]:
    """:func:`default_length` for a layer with one spatial axis; one such length per axis beyond.

    Examples:
        >>> from symconv import Conv2d
        >>> default_size(Conv2d(1, 1, (3, 2), stride=(1, 2)))
        (11, 13)
    """
    if layer.ndim == 1:
        return default_length(layer)
    ones = (1,) * layer.ndim  # NumPy/SciPy modes have neither stride nor dilation
    strides, dilations = getattr(layer, "stride", ones), getattr(layer, "dilation", ones)
    return tuple(
        default_length(SimpleNamespace(kernel_size=k, stride=s, dilation=d))
        for k, s, d in zip(layer.kernel_size, strides, dilations)
    )


def kernel_count(e: Expansion) -> int:
    """The kernel positions of one (output, input) channel pair: ``K`` in 1D, ``K0*K1`` in 2D."""
    return math.prod(e.taps.kernel_shape)


def _terms(e: Expansion) -> int:
    return e.spec.in_channels // e.spec.groups * kernel_count(e)


def integer_probe(e: Expansion, batch: int, rng: np.random.Generator, dtype: str) -> tuple[Any, Any, Any]:
    """Small non-zero integers; the weights of each kernel row distinct, so a flip always shows.

    The ranges shrink so that every partial sum stays exact in ``dtype``.
    """
    spec = e.spec
    size, rows = kernel_count(e), spec.out_channels * spec.in_channels // spec.groups
    reach = max(4, (size + 1) // 2)
    limit = 2.0 ** (np.finfo(dtype).nmant + 1)
    top = int(max(1, min(9, (limit - 10) // (_terms(e) * reach))))
    pool = np.r_[-reach:0, 1 : reach + 1]
    w = rng.permuted(np.tile(pool, (rows, 1)), axis=1)[:, :size].reshape(spec.weight_shape)
    shape = (batch, spec.in_channels, *e.input_shape)
    # the generator's raw 64-bit words cut into bytes, folded onto -top..-1, 1..top (nearly uniform:
    # 256 is not a multiple of 2*top); several times faster than rng.integers or rng.bytes at real sizes
    count = math.prod(shape)
    raw = rng.bit_generator.random_raw(-(-count // 8)).view(np.uint8)[:count]
    x = (raw % (2 * top)).view(np.int8).reshape(shape)
    x -= top
    x += x >= 0
    b = rng.choice(np.r_[-9:0, 1:10], size=spec.out_channels) if spec.bias else None
    return x.astype(dtype), w.astype(dtype), None if b is None else b.astype(dtype)


def float_probe(e: Expansion, batch: int, rng: np.random.Generator, dtype: str) -> tuple[Any, Any, Any]:
    """Uniform random floats in ``[-1, 1)``, rounded to ``dtype``."""
    spec = e.spec

    def uniform(shape: Any) -> np.ndarray:
        return rng.random(shape, dtype=np.dtype(dtype).type) * 2 - 1  # drawn in dtype: no float64 copy

    x = uniform((batch, spec.in_channels, *e.input_shape))
    return x, uniform(spec.weight_shape), uniform(spec.out_channels) if spec.bias else None


# One per transform (input, kernel, inverse) of an FFT convolution; see tolerance().
FFT_TRANSFORMS = 3


def tolerance(
    e: Expansion, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, eps: float, reference_eps: float = 0.0
) -> np.ndarray:
    """A bound on the rounding error of correct code, per sample and output channel: shape ``(N, C_out, 1, ...)``
    (one trailing 1 per spatial axis).

    The sum of two terms, for the two ways correct code computes a convolution:

    * direct summation in any order (loops, pairwise or blocked sums, BLAS, im2col):
      ``(T + 2) * eps * (max|x[n]| * ||w[o]||_1 + |b[o]|)``, with ``T = C_in/groups * K`` the terms
      of one output (the classical ``gamma_T`` bound, plus the rounding of the inputs and the bias);
    * FFT and overlap-add: ``3 * log2(2 n) * eps * sum_c ||xpad[n, c]||_2 * ||w[o, c]||_1``, the
      normwise bound of an FFT convolution (each of its three transforms of ``log2 n`` butterfly
      stages adds about ``eps`` times the 2-norm per stage), with ``n`` the padded length
      (doubled for Bluestein's algorithm on prime lengths) and ``xpad`` the padded input.

    ``reference_eps`` adds the direct-summation error of a reference computed in that precision.
    With several axes ``K`` is the product of the kernel sizes and ``n`` of the padded sizes.
    """
    local, fft = _scales(e, x, w, b)
    bound = (_terms(e) + 2) * (eps + reference_eps) * local + FFT_TRANSFORMS * eps * fft
    return bound.reshape(*bound.shape, *(1,) * e.ndim)


def local_tolerance(e: Expansion, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, eps: float) -> np.ndarray:
    """The direct-summation term of :func:`tolerance` alone, ``(N, C_out, 1, ...)``."""
    local = (_terms(e) + 2) * eps * _scales(e, x, w, b)[0]
    return local.reshape(*local.shape, *(1,) * e.ndim)


def _scales(e: Expansion, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``(max|x[n]| * ||w[o]||_1 + |b[o]|, log2(2n) * sum_c ||xpad[n, c]||_2 * ||w[o, c]||_1)``, each ``(N, C_out)``."""
    pairs = pair_norms(e, w)  # (C_in, C_out)
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    top = np.maximum(flat.max(axis=2, initial=0.0), -flat.min(axis=2, initial=0.0)).astype(np.float64)  # (N, C_in)
    local = top.max(axis=1, initial=0.0)[:, None] * pairs.sum(axis=0)[None, :]
    if b is not None:
        local = local + np.abs(b.astype(np.float64))[None, :]
    pairs_per_axis = [e.padding] if e.ndim == 1 else list(e.padding)
    sizes = []
    for (left, right), n_in, n_out, k, d in zip(
        pairs_per_axis, e.input_shape, e.output_shape, e.taps.kernel_shape, _per_axis(e.spec.dilation, e.ndim)
    ):
        sizes.append(max(n_in + left + right, n_out) + d * (k - 1) + 1)
    padded = math.prod(n + left + right for n, (left, right) in zip(e.input_shape, pairs_per_axis))
    pad = padded - e.input_length  # the padding positions of one channel
    norms = np.sqrt(np.einsum("ncl,ncl->nc", flat, flat, dtype=np.float64) + pad * top**2)
    return local, np.log2(2 * math.prod(sizes)) * (norms @ pairs)


def _per_axis(value: Any, ndim: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, tuple) else (int(value),) * ndim


def pair_norms(e: Expansion, w: np.ndarray) -> np.ndarray:
    """``||w[o, c]||_1`` (over the kernel) for every input channel ``c`` and output channel ``o``: ``(C_in, C_out)``.

    Zero for channel pairs in different groups. Works for both weight layouts: PyTorch's
    ``(C_out, C_in/groups, K)`` and the transposed layer's ``(C_in, C_out/groups, K)``.
    """
    spec = e.spec
    g = spec.groups
    per_in, per_out = spec.in_channels // g, spec.out_channels // g
    l1 = np.abs(w, dtype=np.float64).reshape(*w.shape[:2], -1).sum(axis=-1)
    out = np.zeros((spec.in_channels, spec.out_channels))
    for group in range(g):
        rows, cols = slice(group * per_in, (group + 1) * per_in), slice(group * per_out, (group + 1) * per_out)
        out[rows, cols] = l1[rows] if spec.kind is Kind.TRANSPOSED else l1[cols].T
    return out


def dtype_of(got: Any, fallback: np.dtype[Any]) -> np.dtype[Any]:
    """The float dtype of the code's result (the lower precision of it and the input's)."""
    kind = np.asarray(got).dtype
    if kind.kind != "f" or np.finfo(kind).eps < np.finfo(fallback).eps:
        return fallback
    return kind
