"""Known ways of getting a 2D or 3D layer wrong, each computed exactly from symconv's taps.

The N-D counterparts of :mod:`symconv.checker.variants`, per axis: the kernel flipped on every
axis or on one, the padding shifted or dropped on one axis, the per-axis pairs given in
``F.pad``'s order (last axis first), another padding mode, the stride or dilation ignored or
swapped on one axis, per-axis values read in reverse order, the kernel or the output transposed
(H and W swapped), and the bias missing. Each is a symconv layer evaluated from its taps, or
that layer on transposed arrays.

Examples:
    >>> from symconv import Conv2d
    >>> names = [v.name for v in variants_nd(Conv2d(1, 1, 3, padding=(1, 0)), (6, 6))]
    >>> names[:3]
    ['kernel flipped', 'kernel flipped on axis 0 only', 'kernel flipped on axis 1 only']
    >>> "padding pairs in F.pad's order (last axis first)" in names
    True
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from symconv.checker.channel_variants import groups
from symconv.checker.variant import Variant, evaluator
from symconv.geometry.padding import PADDING_MODES
from symconv.layers.protocol import Kind


def variants_nd(layer: Any, input_shape: tuple[int, ...]) -> list[Variant]:
    """The variants of a 2D/3D convolution, transposed convolution or SciPy mode on ``input_shape``."""
    base = layer.resolve(input_shape)
    shape = tuple(int(n) for n in input_shape)
    transposed = layer.kind is Kind.TRANSPOSED
    found: list[Variant] = []
    makers = (_flips, _transposed_paddings, _forward) if transposed else (_flips, _paddings, _padding_modes)
    for make in (*makers, _steps, _reversed, _transpositions, _layouts, _interleaved_groups, _bias):
        found += list(make(base, shape))
    if not transposed:
        found += list(groups(base, shape))  # type: ignore[arg-type]  # a shape, for N-D
    unique: dict[str, Variant] = {}
    for variant in found:
        unique.setdefault(variant.name, variant)
    return list(unique.values())


def _replaced(spec: Any, shape: tuple[int, ...], name: str, text: str, **changes: Any) -> Iterator[Variant]:
    """``spec`` with ``changes``, evaluated from its taps; nothing when the changed layer is invalid here."""
    try:
        other = dataclasses.replace(spec, **changes)
    except (TypeError, ValueError):
        return
    run = evaluator(other, shape)
    if run is not None:
        yield Variant(name, text, run)


def _on_arrays(spec: Any, shape: tuple[int, ...], name: str, text: str, change: Any) -> Iterator[Variant]:
    """``spec`` evaluated on arrays changed by ``change(x, w, b) -> (x, w, b, after)``."""
    run = evaluator(spec, shape)
    if run is None:
        return

    def compute(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray | None:
        x2, w2, b2, after = change(x, w, b)
        out = run(x2, w2, b2)
        return after(out)

    yield Variant(name, text, compute)


def _flips(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    transposed = spec.kind is Kind.TRANSPOSED
    if not transposed:
        meant = "true convolution" if spec.flip else "cross-correlation (PyTorch's convolution)"
        text = f"the kernel flipped on every axis (w[..., K0-1-k0, K1-1-k1]) where {meant} was meant"
        yield from _replaced(spec, shape, "kernel flipped", text, flip=not spec.flip)
    else:
        yield from _on_arrays(
            spec, shape, "kernel flipped", "the kernel flipped on every axis",
            lambda x, w, b: (x, np.flip(w, axis=tuple(range(2, w.ndim))).copy(), b, lambda out: out),
        )  # fmt: skip
    for a in range(len(shape)):
        text = f"the kernel flipped along axis {a} only (w[..., K{a}-1-k{a}, ...]): one axis reversed"
        yield from _on_arrays(
            spec, shape, f"kernel flipped on axis {a} only", text,
            lambda x, w, b, a=a: (x, np.flip(w, axis=2 + a).copy(), b, lambda out: out),
        )  # fmt: skip


def _pairs(spec: Any, shape: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    return tuple((int(left), int(right)) for left, right in spec.resolve_padding(shape))


def _paddings(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    pairs = _pairs(spec, shape)
    if any(p != (0, 0) for p in pairs):
        yield from _replaced(spec, shape, "no padding", "no padding on any axis ('valid')", padding=0)
    for name in ("tf_same", "jax_same_lower", "same", "full", "causal"):
        try:
            named = _pairs(dataclasses.replace(spec, padding=name), shape)
        except (TypeError, ValueError):
            continue
        if named != pairs:
            text = f"padding {name!r} on every axis, {named}, where {pairs} was meant" + (
                " (TensorFlow's and JAX's 'SAME': the extra padding after, on the right and bottom)"
                if name == "tf_same"
                else ""
            )
            yield from _replaced(spec, shape, f"padding {name!r}", text, padding=named)
    if len(set(pairs)) > 1:
        fpad = tuple(reversed(pairs))
        text = (
            f"the per-axis padding pairs in F.pad's order, last axis first: {fpad} where {pairs} was meant "
            "(F.pad(x, (l_W, r_W, l_H, r_H)) pads the last axis with the first pair)"
        )
        yield from _replaced(spec, shape, "padding pairs in F.pad's order (last axis first)", text, padding=fpad)
    for a, (left, right) in enumerate(pairs):
        options = {(left + 1, right - 1), (left - 1, right + 1), (right, left), (left + 1, right + 1)}
        options |= {(left - 1, right - 1), (0, 0)}
        for pair in sorted(options):
            if pair == (left, right) or min(pair) < 0:
                continue
            changed = tuple(pair if j == a else p for j, p in enumerate(pairs))
            text = f"padding (left, right) = {pair} on axis {a} where {(left, right)} was meant"
            yield from _replaced(spec, shape, f"axis {a} padding {pair}", text, padding=changed)


def _transposed_paddings(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    if spec.padding == "same":
        yield from _torch_for_tf_same(spec, shape)
        return
    for a, p in enumerate(spec.padding):
        for other in (p - 1, p + 1, 0):
            if other < 0 or other == p:
                continue
            changed = tuple(other if j == a else q for j, q in enumerate(spec.padding))
            text = f"padding {other} on axis {a} where {p} was meant"
            yield from _replaced(spec, shape, f"axis {a} padding {other}", text, padding=changed)
    if sum(1 for q in spec.output_padding if q > 0) > 1:
        zeros = (0,) * len(spec.output_padding)
        text = f"output_padding 0 on every axis where {tuple(spec.output_padding)} was meant (the output short)"
        yield from _replaced(spec, shape, "output_padding 0", text, output_padding=zeros)
    for a, q in enumerate(spec.output_padding):
        if q > 0:
            changed = tuple(0 if j == a else v for j, v in enumerate(spec.output_padding))
            text = f"output_padding 0 on axis {a} where {q} was meant (the output one row short)"
            yield from _replaced(spec, shape, f"axis {a} output_padding 0", text, output_padding=changed)


def _torch_for_tf_same(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    """PyTorch's symmetric crop in place of TensorFlow's transposed 'same': ``padding`` the right crop
    and ``output_padding`` the difference, the same size, shifted where the overhang is odd."""
    pairs = _pairs(spec, shape)
    if all(left == right for left, right in pairs):
        return
    rights = tuple(right for _, right in pairs)
    extra = tuple(right - left for left, right in pairs)
    text = (
        f"PyTorch's padding={rights}, output_padding={extra} where TensorFlow's 'same' was meant: the same "
        f"output size, but PyTorch crops {rights} from each end where 'same' crops {pairs} (left, right) per "
        "axis, so the outputs are shifted by one on the axes with an odd overhang"
    )
    yield from _replaced(
        spec, shape, "PyTorch padding for TensorFlow 'same'", text, padding=rights, output_padding=extra
    )


def _padding_modes(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    if all(p == (0, 0) for p in _pairs(spec, shape)):
        return
    for mode in PADDING_MODES:
        if mode != spec.padding_mode:
            text = f"padding_mode={mode!r} where {spec.padding_mode!r} was meant"
            yield from _replaced(
                spec, shape, f"padding_mode {mode!r}", text, padding=_pairs(spec, shape), padding_mode=mode
            )


def _steps(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    fixed = {} if spec.kind is Kind.TRANSPOSED else {"padding": _pairs(spec, shape)}
    ones = (1,) * len(shape)
    if sum(1 for s in spec.stride if s > 1) > 1:
        text = f"stride 1 on every axis where {tuple(spec.stride)} was meant"
        yield from _replaced(spec, shape, "stride ignored", text, stride=ones, **fixed)
    if sum(1 for d in spec.dilation if d > 1) > 1:
        text = f"dilation 1 on every axis where {tuple(spec.dilation)} was meant (dilation dropped)"
        yield from _replaced(spec, shape, "dilation ignored", text, dilation=ones, **fixed)
    for a, (s, d) in enumerate(zip(spec.stride, spec.dilation)):
        one = tuple(1 if j == a else v for j, v in enumerate(spec.stride))
        if s > 1:
            text = f"stride 1 on axis {a} where {s} was meant (every position computed)"
            yield from _replaced(spec, shape, f"axis {a} stride ignored", text, stride=one, **fixed)
        if d > 1:
            ones = tuple(1 if j == a else v for j, v in enumerate(spec.dilation))
            text = f"dilation 1 on axis {a} where {d} was meant"
            yield from _replaced(spec, shape, f"axis {a} dilation ignored", text, dilation=ones, **fixed)
        if s != d:
            strides = tuple(d if j == a else v for j, v in enumerate(spec.stride))
            dilations = tuple(s if j == a else v for j, v in enumerate(spec.dilation))
            text = f"stride and dilation swapped on axis {a} (stride {d}, dilation {s})"
            yield from _replaced(
                spec, shape, f"axis {a} stride and dilation swapped", text, stride=strides, dilation=dilations, **fixed
            )


def _reversed(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    fixed = {} if spec.kind is Kind.TRANSPOSED else {"padding": _pairs(spec, shape)}
    for name in ("stride", "dilation"):
        value = getattr(spec, name)
        if tuple(reversed(value)) != tuple(value):
            text = f"the per-axis {name} read in reverse order, {tuple(reversed(value))} where {tuple(value)} was meant"
            yield from _replaced(
                spec, shape, f"{name} in reverse axis order", text, **{name: tuple(reversed(value))}, **fixed
            )


def _swap_last(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2).copy()


def _transpositions(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    """The kernel or the output with its last two axes swapped (H and W confused), where the shapes allow it."""
    k = tuple(spec.kernel_size)
    if k[-1] == k[-2] and k[-1] > 1:
        text = "the kernel transposed, w[..., k1, k0] where w[..., k0, k1] was meant (H and W swapped in the kernel)"
        yield from _on_arrays(
            spec, shape, "kernel transposed", text, lambda x, w, b: (x, _swap_last(w), b, lambda out: out)
        )
    if shape[-1] == shape[-2] and shape[-1] > 1:
        text = "the layer applied to the input transposed, and its output transposed back (H and W swapped)"
        yield from _on_arrays(
            spec, shape, "input and output transposed", text,
            lambda x, w, b: (_swap_last(x), w, b, _swap_last),
        )  # fmt: skip


def _layouts(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    """Weights ported by a reshape where a permute was meant: a Keras/TensorFlow kernel ``(*K, C_in/groups, C_out)``
    (or a ``(C_in, C_out, *K)`` one) reshaped to PyTorch's ``(C_out, C_in/groups, *K)``."""
    w_shape = tuple(spec.weight_shape)
    n = len(w_shape) - 2
    to_keras = (*range(2, n + 2), 1, 0)
    if math.prod(w_shape[:2]) > 1:
        text = (
            "the kernel ported from Keras' layout (*K, C_in/groups, C_out) with a reshape to PyTorch's shape: "
            f"in PyTorch it is kernel.permute{tuple(reversed(to_keras))}, not kernel.reshape{w_shape}"
        )
        yield from _on_arrays(
            spec, shape, "Keras kernel reshaped, not permuted", text,
            lambda x, w, b: (x, np.transpose(w, to_keras).reshape(w.shape).copy(), b, lambda out: out),
        )  # fmt: skip
    if spec.kind is not Kind.TRANSPOSED and spec.groups == 1 and min(w_shape[:2]) > 1:
        order = (1, 0, *range(2, n + 2))
        text = (
            "the weights ported from (C_in, C_out, *K) with a reshape to PyTorch's (C_out, C_in, *K), not a transpose"
        )
        yield from _on_arrays(
            spec, shape, "weights (C_in, C_out, *K) reshaped, not transposed", text,
            lambda x, w, b: (x, np.transpose(w, order).reshape(w.shape).copy(), b, lambda out: out),
        )  # fmt: skip


def _interleaved_groups(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    """The input channels dealt to the groups round-robin (group j gets j, j+G, ...) instead of in blocks."""
    g, c_in = spec.groups, spec.in_channels
    if spec.kind is Kind.TRANSPOSED or g == 1 or c_in == g:
        return
    order = [c for j in range(g) for c in range(j, c_in, g)]
    text = (
        f"the input channels dealt to the {g} groups round-robin (group j reads channels j, j+{g}, ...) "
        "instead of in contiguous blocks, PyTorch's grouping"
    )
    yield from _on_arrays(
        spec, shape, "groups mixed: input channels interleaved", text,
        lambda x, w, b: (x[:, order], w, b, lambda out: out),
    )  # fmt: skip


def _forward(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    """A forward convolution where the transposed one was meant (same kernel, stride, padding, dilation)."""
    if spec.padding == "same":
        return
    conv_class = spec.conv_class
    try:
        conv = conv_class(
            spec.in_channels, spec.out_channels, spec.kernel_size, spec.stride, spec.padding, spec.dilation,
            spec.groups, spec.bias,
        )  # fmt: skip
    except (TypeError, ValueError):
        return
    run = evaluator(conv, shape)
    if run is None:
        return
    text = (
        "a forward convolution with the same kernel, stride, padding and dilation where the transposed "
        "convolution was meant (the weight's channel axes swapped to fit): conv2d in place of conv_transpose2d"
    )
    g = spec.groups

    def compute(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray | None:
        # the transposed layer's (C_in, C_out/g, *K) read as a convolution's (C_out, C_in/g, *K), per group
        swapped = np.concatenate([np.swapaxes(part, 0, 1) for part in np.split(w, g, axis=0)], axis=0)
        return run(x, swapped, b)

    yield Variant("forward convolution for the transposed one", text, compute)


def _bias(spec: Any, shape: tuple[int, ...]) -> Iterator[Variant]:
    if spec.bias:
        yield from _on_arrays(
            spec, shape, "bias missing", "no bias added", lambda x, w, b: (x, w, None, lambda out: out)
        )
