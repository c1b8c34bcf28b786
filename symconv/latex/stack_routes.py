"""Second routes for the stack derivation (:mod:`symconv.latex.stack`), each linear in the taps.

Each stage's equations are rebuilt from the layer's general indexed formula by integer arithmetic
per axis (``s i + d k - p``, the padding fold, the pooling divisor), independently of the taps;
the receptive field of every output through the stack is bounded per axis by the window
``J i - P, ..., J i - P + R - 1``; and entries of the composition are composed one at a time.
(:mod:`symconv.latex.stack_gradcheck` checks the gradients.)

Examples:
    >>> from symconv import Conv1d, Sequential, Activation, MaxPool1d
    >>> s = Sequential(Conv1d(1, 1, 3, padding=1), Activation("relu"), MaxPool1d(2)).expand(8)
    >>> [(a.jump, a.size, a.offset) for a in receptive_axes(s)]
    [(2, 4, 1)]
    >>> compose(s, [0])[0]
    Max(0, b1 + w1_1*x_0 + w1_2*x_1, b1 + w1_0*x_0 + w1_1*x_1 + w1_2*x_2)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sympy

from symconv.base.symbols import entries
from symconv.layers.protocol import Kind
from symconv.stack.sequential import StackExpansion, Stage


def per_axis(value: Any, ndim: int) -> tuple[Any, ...]:
    """``value`` as one entry per axis (an int, or a tuple already)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim


def conv_axes(spec: Any, ndim: int) -> list[tuple[int, int, int, int, int]]:
    """``(K, s, d, p_left, p_right)`` of each spatial axis of a convolution spec."""
    pads = spec.padding if ndim > 1 else (spec.padding,)
    ks, ss, ds = (per_axis(getattr(spec, n), ndim) for n in ("kernel_size", "stride", "dilation"))
    return [(int(k), int(s), int(d), int(p[0]), int(p[1])) for k, s, d, p in zip(ks, ss, ds, pads)]


def pool_axes(layer: Any, spatial: tuple[int, ...]) -> list[tuple[int, int, int, int, int]]:
    """``(K, s, d, p_left, p_right)`` of each spatial axis of a pooling layer on inputs ``spatial``."""
    pools = layer.axis_pools() if hasattr(layer, "axis_pools") else (layer,)
    out = []
    for pool, n in zip(pools, spatial):
        left, right = pool.pads(n)
        out.append((int(pool.kernel_size), int(pool.stride), int(getattr(pool, "dilation", 1)), left, right))
    return out


def fold(t: int, n: int, mode: str) -> int | None:
    """The input position that padded position ``t`` reads on an axis of ``n`` (None: a zero pad).

    Examples:
        >>> [fold(t, 4, "reflect") for t in (-2, 4)], fold(-1, 4, "zeros"), fold(5, 4, "circular")
        ([2, 2], None, 1)
    """
    if 0 <= t < n:
        return t
    if mode == "zeros":
        return None
    if mode == "replicate":
        return min(max(t, 0), n - 1)
    if mode == "circular":
        return t % n
    return -t if t < 0 else 2 * (n - 1) - t  # reflect


def _ravel(position: tuple[int, ...], spatial: tuple[int, ...]) -> int:
    flat = 0
    for t, n in zip(position, spatial):
        flat = flat * n + t
    return flat


def conv_reads(stage: Stage) -> Iterator[tuple[int, int, tuple[int, ...], int, int]]:
    """Every tap of a convolution stage by its general formula: ``(o, r, k, c, t)`` for output channel ``o``
    at flat position ``r`` reading weight ``w[o, c', *k]`` (kernel reversed when ``flip``) times input channel
    ``c`` at flat position ``t = s i + d k - p`` per axis, folded by the padding mode (zero pads left out)."""
    layer = stage.layer
    spatial, out_spatial = stage.input_shape[1:], stage.output_shape[1:]
    axes = conv_axes(layer, len(spatial))
    cg, og = layer.in_channels // layer.groups, layer.out_channels // layer.groups
    for o in range(layer.out_channels):
        for r, position in enumerate(itertools.product(*(range(n) for n in out_spatial))):
            for c in range(cg):
                for ks in itertools.product(*(range(ax[0]) for ax in axes)):
                    read = [
                        fold(s * i + d * k - pl, n, layer.padding_mode)
                        for (_, s, d, pl, _), i, k, n in zip(axes, position, ks, spatial)
                    ]
                    if None in read:
                        continue
                    kk = tuple(ax[0] - 1 - k for ax, k in zip(axes, ks)) if layer.flip else ks
                    yield o, r, (c, *kk), (o // og) * cg + c, _ravel(tuple(read), spatial)  # type: ignore[arg-type]


def conv_equations(stage: Stage) -> list[Any]:
    """A convolution stage's outputs from the general formula ``b_o + sum_c sum_k w_{o,c,k} h_{c, s i + d k - p}``
    (:func:`conv_reads`); C order."""
    w, b, h = stage.params["w"], stage.params.get("b"), stage.inputs
    n = math.prod(stage.output_shape[1:])
    terms: list[list[Any]] = [
        [b[o]] if b is not None else [] for o in range(stage.layer.out_channels) for _ in range(n)
    ]
    for o, r, k, c, t in conv_reads(stage):
        terms[o * n + r].append(w[(o, *k)] * h[c, t])
    return [sympy.Add(*parts) for parts in terms]


def conv_parameter_gradients(stage: Stage, delta: Any) -> dict[str, list[Any]]:
    """``dL/dw_{o,c,k} = sum_i delta_{o,i} h_{c, s i + d k - p}`` and ``dL/db_o = sum_i delta_{o,i}`` by the
    general formula (:func:`conv_reads`), for ``delta = dL/d(output)`` (a ``(C_out, N)`` matrix); C order."""
    w = stage.params["w"]
    shape, n = tuple(w.shape), math.prod(stage.output_shape[1:])
    terms: dict[tuple[int, ...], list[Any]] = {index: [] for index in itertools.product(*(range(m) for m in shape))}
    for o, r, k, c, t in conv_reads(stage):
        terms[(o, *k)].append(delta[o, r] * stage.inputs[c, t])
    out = {"w": [sympy.Add(*terms[index]) for index in itertools.product(*(range(m) for m in shape))]}
    if "b" in stage.params:
        out["b"] = [sympy.Add(*[delta[o, r] for r in range(n)]) for o in range(stage.layer.out_channels)]
    return out


def pool_windows(layer: Any, spatial: tuple[int, ...]) -> list[tuple[list[int], int]]:
    """Each output's window (flat real input positions) and PyTorch's divisor, from the axes' arithmetic."""
    axes = pool_axes(layer, spatial)
    out_spatial = layer.output_shape((1, *spatial))[1:]
    per_axis_windows = []
    for (k, s, d, left, right), n, m in zip(axes, spatial, out_spatial):
        rows = []
        for i in range(m):
            start = s * i - left
            real = [start + d * j for j in range(k) if 0 <= start + d * j < n]
            include = getattr(layer, "count_include_pad", True)
            rows.append((real, min(start + k, n + right) - start if include else len(real)))
        per_axis_windows.append(rows)
    override = getattr(layer, "divisor_override", None)
    out = []
    for combo in itertools.product(*per_axis_windows):
        flat = [_ravel(p, spatial) for p in itertools.product(*(real for real, _ in combo))]
        out.append((flat, override or math.prod(div for _, div in combo)))
    return out


def pool_equations(stage: Stage) -> list[Any]:
    """A pooling stage's outputs: the maximum, or the sum over the divisor, of each window; C order."""
    h, wins = stage.inputs, pool_windows(stage.layer, stage.input_shape[1:])
    if stage.layer.takes_max:
        return [sympy.Max(*[h[c, t] for t in win]) for c in range(h.shape[0]) for win, _ in wins]
    return [sympy.Add(*[h[c, t] for t in win]) / div for c in range(h.shape[0]) for win, div in wins]


@dataclass(frozen=True)
class ReceptiveAxis:
    """One axis of the receptive field through the stack: output ``i`` reads inputs ``J i - P, ..., J i - P + R - 1``.

    ``contiguous`` is true when every layer's taps lie at most one field apart (``d_l J_{l-1} <= R_{l-1}``),
    so that each window holds no gap.
    """

    jump: int
    size: int
    offset: int
    contiguous: bool

    def window(self, i: int, n: int) -> range:
        """The window of output ``i`` clipped to ``0, ..., n - 1``."""
        start = self.jump * i - self.offset
        return range(max(start, 0), min(start + self.size, n))

    def inside(self, i: int, n: int) -> bool:
        """Whether the window of output ``i`` lies inside ``0, ..., n - 1`` (no padding read)."""
        start = self.jump * i - self.offset
        return start >= 0 and start + self.size <= n


def receptive_axes(s: StackExpansion) -> list[ReceptiveAxis] | None:
    """The per-axis window of the receptive field, for stacks of zero-padded convolutions, pools and
    activations (None otherwise: a dense layer, a transposed convolution or a folding padding mode)."""
    ndim = len(s.input_shape) - 1
    state = [(1, 1, 0, True)] * ndim  # jump, size, offset, contiguous
    for stage in s.stages:
        layer = stage.layer
        if layer.kind is Kind.ACTIVATION:
            continue
        if layer.kind is Kind.CONVOLUTION and layer.padding_mode == "zeros":
            axes = conv_axes(layer, ndim)
        elif layer.kind is Kind.POOLING:
            axes = pool_axes(layer, stage.input_shape[1:])
        else:
            return None
        state = [
            (j * st, r + d * (k - 1) * j, p + pl * j, ok and (k == 1 or d * j <= r))
            for (j, r, p, ok), (k, st, d, pl, _) in zip(state, axes)
        ]
    return [ReceptiveAxis(*axis) for axis in state]


def compose(s: StackExpansion, rows: list[int]) -> list[Any]:
    """The stack's outputs ``rows`` (flat, C order) in ``x`` and the parameters, composed one entry at a time."""
    locals_ = [entries(stage.local) for stage in s.stages]
    index = [{v: j for j, v in enumerate(entries(stage.inputs))} for stage in s.stages]
    memo: dict[tuple[int, int], Any] = {}

    def entry(level: int, r: int) -> Any:
        key = (level, r)
        if key not in memo:
            expr = locals_[level][r]
            if level:
                needed = expr.free_symbols & index[level].keys()
                expr = expr.xreplace({v: entry(level - 1, index[level][v]) for v in needed})
            memo[key] = expr
        return memo[key]

    return [entry(len(s.stages) - 1, r) for r in rows]
