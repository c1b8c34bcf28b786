"""Known ways of getting a convolution layer wrong, each computed exactly from symconv's taps.

A :class:`Variant` is a plausible misreading of a layer (kernel flipped, padding on the other
side, stride ignored, weights read as ``(C_in, C_out, K)``, bias added once per tap, the
transposed convolution ...) with a function that computes it on numbers. :func:`variants`
lists the ones that make sense for a layer at one input length; :mod:`symconv.checker.check` runs
them on the integer probe to say which one a wrong implementation actually computes.

Every variant is a symconv layer evaluated from its taps (or simple array operations on
such a result); nothing is lambdified.

Examples:
    >>> from symconv import Conv1d
    >>> names = [v.name for v in variants(Conv1d(1, 1, 4, padding="same"), 8)]
    >>> names[:3]
    ['kernel flipped', 'padding (2, 1)', 'padding (0, 3)']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np

from symconv.checker.channel_variants import biases, groups, layouts
from symconv.checker.transposed_variants import transposed_variants
from symconv.checker.variant import Compute, Variant, evaluator
from symconv.geometry.padding import PADDING_MODES, PADDING_NAMES
from symconv.layers.conv import Conv1d
from symconv.layers.modes import CONVENTIONS, MODES, NumpyMode
from symconv.layers.protocol import Kind


def variants(layer: Any, input_length: int) -> list[Variant]:
    """The variants of ``layer`` (a :class:`~symconv.Conv1d` or NumPy mode) on ``input_length`` inputs.

    Examples:
        >>> from symconv import Conv1d
        >>> [v.name for v in variants(Conv1d(2, 2, 3, stride=2), 9)][-3:]
        ['bias added once per tap', 'bias added once per kernel entry', 'bias indexed by output position']
    """
    if layer.kind is Kind.TRANSPOSED:
        return list(transposed_variants(layer, input_length))
    base = layer.resolve(input_length) if isinstance(layer, NumpyMode) else layer
    found: list[Variant] = []
    for make in (_flip, _paddings, _padding_modes, _strides, _dilations, _shifts, _numpy_modes):
        found += list(make(layer, base, input_length))
    for more in (layouts, groups, _transposed, biases):
        found += list(more(base, input_length))
    return found


def _replaced(spec: Conv1d, length: int, name: str, text: str, **changes: Any) -> Iterator[Variant]:
    try:
        other = dataclasses.replace(spec, **changes)
    except ValueError:
        return
    run = evaluator(other, length)
    if run is not None:
        yield Variant(name, text, run)


def _flip(layer: Conv1d | NumpyMode, base: Conv1d, length: int) -> Iterator[Variant]:
    if base.flip:
        text = "cross-correlation (kernel not flipped, as PyTorch's Conv1d) where true convolution was meant"
    else:
        text = "true convolution (kernel flipped, w[K-1-k]) where cross-correlation (PyTorch's Conv1d) was meant"
    yield from _replaced(base, length, "kernel flipped", text, flip=not base.flip)


def pair_names(spec: Conv1d, length: int, pair: tuple[int, int]) -> list[str]:
    """The padding names (symconv's and NumPy/SciPy 'same') that resolve to ``pair`` for this layer.

    Examples:
        >>> pair_names(Conv1d(1, 1, 4), 8, (2, 1))
        ["'jax_same_lower'", "NumPy/SciPy 'same' (extra zero on the left)"]
    """
    names = []
    for name in PADDING_NAMES:
        try:
            if dataclasses.replace(spec, padding=name).resolve_padding(length) == pair:
                names.append(repr(name))
        except ValueError:
            continue
    size, d = spec.kernel_size, spec.dilation
    if d == 1 and pair == (size // 2, size - 1 - size // 2) and size % 2 == 0:
        names.append("NumPy/SciPy 'same' (extra zero on the left)")
    return names


def _pair_text(spec: Conv1d, length: int, pair: tuple[int, int]) -> str:
    names = pair_names(spec, length, pair)
    return f"({pair[0]}, {pair[1]})" + (f" = {' or '.join(names)}" if names else "")


def _paddings(layer: Conv1d | NumpyMode, base: Conv1d, length: int) -> Iterator[Variant]:
    left, right = base.resolve_padding(length)
    candidates = [(right, left), (left + 1, right - 1), (left - 1, right + 1), (left + 1, right + 1)]
    candidates += [(left - 1, right - 1), (0, 0), (left + right, 0), (0, left + right)]
    for name in PADDING_NAMES:
        try:
            candidates.append(dataclasses.replace(base, padding=name).resolve_padding(length))
        except ValueError:
            continue
    seen = {(left, right)}
    meant = _pair_text(base, length, (left, right))
    for pair in candidates:
        if min(pair) < 0 or pair in seen:
            continue
        seen.add(pair)
        text = f"padding (left, right) = {_pair_text(base, length, pair)} where {meant} was meant"
        if sum(pair) == left + right:
            step = left - pair[0]
            text += f"; the same as every tap reading x[t{step:+d}] (an off-by-{abs(step)} tap index)"
        yield from _replaced(base, length, f"padding {pair}", text, padding=pair)


def _padding_modes(layer: Conv1d | NumpyMode, base: Conv1d, length: int) -> Iterator[Variant]:
    if base.resolve_padding(length) == (0, 0):
        return
    for mode in PADDING_MODES:
        if mode != base.padding_mode:
            text = f"padding_mode={mode!r} where padding_mode={base.padding_mode!r} was meant"
            yield from _replaced(base, length, f"padding_mode {mode!r}", text, padding_mode=mode)


def _respecified(base: Conv1d, length: int, name: str, text: str, **changes: Any) -> Iterator[Variant]:
    """The change with the padding rule re-applied, then with the resolved padding kept."""
    yield from _replaced(base, length, name, text, **changes)
    pair = base.resolve_padding(length)
    if base.padding != pair:
        yield from _replaced(base, length, name, text + f", padding kept at {pair}", padding=pair, **changes)


def _strides(layer: Conv1d | NumpyMode, base: Conv1d, length: int) -> Iterator[Variant]:
    s = base.stride
    if s > 1:
        yield from _respecified(base, length, "stride ignored", f"stride 1 where stride={s} was meant", stride=1)
    for other in (s - 1, s + 1):
        if other > 1:
            text = f"stride {other} where stride={s} was meant (off by one)"
            yield from _respecified(base, length, f"stride {other}", text, stride=other)


def _dilations(layer: Conv1d | NumpyMode, base: Conv1d, length: int) -> Iterator[Variant]:
    d = base.dilation
    if d > 1:
        yield from _respecified(
            base, length, "dilation ignored", f"dilation 1 where dilation={d} was meant", dilation=1
        )
        yield from _length_kept(base, length)
    for other in (d - 1, d + 1):
        if other > 1 and base.kernel_size > 1:
            text = f"dilation {other} where dilation={d} was meant (off by one)"
            yield from _respecified(base, length, f"dilation {other}", text, dilation=other)


def _length_kept(base: Conv1d, length: int) -> Iterator[Variant]:
    """Dilation 1 in the sum, but the dilated layer's output length (the loop bound) kept."""
    pair = base.resolve_padding(length)
    undilated = dataclasses.replace(base, dilation=1, padding=pair)
    taps, keep = undilated.make_taps(length), base.output_length(length)
    text = (
        f"dilation 1 where dilation={base.dilation} was meant, with the output length ({keep}) "
        "of the dilated layer kept: the taps read x[s*i + k] instead of x[s*i + d*k]"
    )
    yield Variant(
        "dilation ignored, output length kept",
        text,
        lambda x, w, b: taps.apply(x, w, b if base.bias else None)[..., :keep],
    )


def _shifts(layer: Conv1d | NumpyMode, base: Conv1d, length: int) -> Iterator[Variant]:
    run = evaluator(base, length)
    if run is None:
        return
    for step, where in ((1, "x[t+1]"), (-1, "x[t-1]")):
        for wrap in (False, True):
            fill = "wrapping around at the ends" if wrap else "zero past the ends"
            text = f"every tap reads {where} instead of x[t] (tap index off by one, {fill})"
            yield Variant(
                f"taps shifted by {step:+d}" + (" (wrapped)" if wrap else ""), text, _shifted(run, step, wrap)
            )


def _shifted(run: Compute, step: int, wrap: bool) -> Compute:
    def compute(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray | None:
        moved = np.roll(x, -step, axis=-1)  # moved[t] = x[t + step]
        if not wrap and step > 0:
            moved[..., -step:] = 0
        elif not wrap:
            moved[..., :-step] = 0
        return run(moved, w, b)

    return compute


def _numpy_modes(layer: Conv1d | NumpyMode, base: Conv1d, length: int) -> Iterator[Variant]:
    if base.in_channels != 1 or base.out_channels != 1:
        return
    for operation in ("correlate", "convolve"):
        for convention in CONVENTIONS:
            for mode in MODES:
                mode_layer = NumpyMode(operation, base.kernel_size, mode, convention)
                if mode_layer == layer:
                    continue
                where = "np" if convention == "numpy" else "scipy.signal"
                text = f"{where}.{operation}(x, w, mode={mode!r})" + (" + b" if base.bias else "")
                spec = dataclasses.replace(mode_layer.resolve(length), bias=base.bias)
                run = evaluator(spec, length)
                if run is not None:
                    yield Variant(f"{where}.{operation} {mode!r}", text, run)


def _transposed(base: Conv1d, length: int) -> Iterator[Variant]:
    """``conv_transpose1d(x, w)``: the adjoint of the layer with the same weights (square layers, zero padding)."""
    if base.in_channels != base.out_channels or base.padding_mode != "zeros":
        return
    left, right = base.resolve_padding(length)
    s, d, size = base.stride, base.dilation, base.kernel_size
    out_length = (length - 1) * s - left - right + d * (size - 1) + 1
    adjoint = dataclasses.replace(base, padding=(left, right), bias=False)
    try:
        if out_length < 1 or adjoint.output_length(out_length) != length:
            return
    except ValueError:
        return
    taps = adjoint.make_taps(out_length)
    text = (
        f"the transposed convolution (conv_transpose1d, W^T x, output length {out_length}) "
        "with the same weights where a convolution was meant"
    )
    yield Variant("transposed convolution", text, _adjoint_of(taps, out_length))


def _adjoint_of(taps: Any, out_length: int) -> Compute:
    from symconv.geometry.adjoint import input_grad

    def compute(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        y = input_grad(taps, x, w)  # W^T x, with the roles of the layer's inputs and outputs swapped
        return y if b is None else y + b[None, :, None]

    return compute
