"""Known ways of getting a transposed convolution (``ConvTranspose1d``) wrong, each computed from taps.

The confusions of ``torch.nn.ConvTranspose1d``'s parameters: ``output_padding`` (which only
lengthens the output at the end), ``padding`` (which crops the full output, ``p`` from each
end, instead of padding the input), ``stride`` and ``dilation``; a forward convolution used
in its place; a kernel not flipped in a hand-made transposed convolution; the weight read
in the forward layer's ``(C_out, C_in, K)`` layout; the bias. Each is a
:class:`~symconv.checker.variants.Variant`, found by :func:`symconv.checker.variants.variants`.

Examples:
    >>> from symconv import ConvTranspose1d
    >>> [v.name for v in transposed_variants(ConvTranspose1d(2, 2, 3, stride=2, padding=1), 5)][:4]
    ['kernel flipped', 'output_padding 1', 'padding 0', 'padding 2']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np

from symconv.checker.variant import Compute, Variant
from symconv.layers.conv import Conv1d
from symconv.layers.transposed import ConvTranspose1d


def transposed_variants(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    """The variants of a transposed layer on ``length`` inputs."""
    yield from _flip(layer, length)
    if layer.padding != "same":  # TensorFlow's 'same' has no output_padding and no one padding number
        yield from _output_paddings(layer, length)
        yield from _paddings(layer, length)
        yield from _input_padded(layer, length)
    yield from _crops(layer, length)
    yield from _strides(layer, length)
    yield from _dilations(layer, length)
    yield from _forward(layer, length)
    yield from _layout(layer, length)
    yield from _biases(layer, length)


def _run(spec: ConvTranspose1d, length: int) -> Compute | None:
    """``(x, w, b) -> spec applied from its taps``, or None if ``spec`` cannot take ``length`` inputs."""
    try:
        taps = spec.make_taps(length)
    except ValueError:
        return None
    return lambda x, w, b: taps.apply(x, w, b if spec.bias else None)


def _changed(layer: ConvTranspose1d, length: int, name: str, text: str, **changes: Any) -> Iterator[Variant]:
    """The layer with ``changes``; an ``output_padding`` the change makes invalid is dropped to 0."""
    for extra in ({}, {"output_padding": 0}):
        try:
            other = dataclasses.replace(layer, **{**changes, **extra})
        except ValueError:
            continue
        run = _run(other, length)
        if run is not None:
            yield Variant(name, text, run)
        return


def _flip(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    run = _run(layer, length)
    if run is not None and layer.kernel_size > 1:
        text = (
            "the transposed convolution with the kernel flipped (w[K-1-k]): a hand-made transposed "
            "convolution that correlates the zero-stuffed input without flipping the kernel"
        )
        yield Variant("kernel flipped", text, lambda x, w, b: run(x, w[..., ::-1], b))


def _output_paddings(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    meant = layer.output_padding
    for op in range(max(layer.stride, layer.dilation)):
        if op != meant:
            text = (
                f"output_padding={op} where output_padding={meant} was meant (output_padding only adds "
                "outputs at the end; it pads nothing)"
            )
            yield from _changed(layer, length, f"output_padding {op}", text, output_padding=op)


def _paddings(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    p = int(layer.padding)
    for other in sorted({0, p - 1, p + 1} - {p}):
        if other >= 0:
            text = (
                f"padding={other} where padding={p} was meant (a transposed convolution's padding crops "
                "the full output by p at each end)"
            )
            yield from _changed(layer, length, f"padding {other}", text, padding=other)


def _input_padded(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    """The input zero-padded by ``p`` (as ``Conv1d`` pads), and nothing cropped."""
    p = int(layer.padding)
    run = _run(dataclasses.replace(layer, padding=0), length + 2 * p) if p else None
    if run is not None:
        text = (
            f"the input zero-padded by {p} at each end, as Conv1d pads, where padding={p} of a transposed "
            "convolution crops the full output by p at each end"
        )
        pad = ((0, 0), (0, 0), (p, p))
        yield Variant("padding applied to the input", text, lambda x, w, b: run(np.pad(x, pad), w, b))


def _crops(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    """The full output cropped at another offset: padding on one side only, or a one-position shift
    (with TensorFlow's 'same', PyTorch's symmetric padding in its place)."""
    left, right = layer.resolve_padding(length)
    full = _run(dataclasses.replace(layer, padding=0, output_padding=0), length)
    if full is None or left + right == 0:
        return
    out_length = layer.output_length(length)
    same = layer.padding == "same"
    meant = f"TensorFlow's 'same' crops from position {left}" if same else f"padding={left} crops from position {left}"
    for start in sorted({0, left + right, left - 1, left + 1} - {left}):
        if start < 0:
            continue
        torch_like = same and start == right != left
        notes = [
            note
            for note, applies in (
                ("all the cropping at the right end", start == 0),
                ("all the cropping at the left end", start == left + right),
                ("off by one: every output shifted by one position", abs(start - left) == 1),
                (
                    f"PyTorch's padding={right}, output_padding={right - left}: the same length, but PyTorch "
                    f"crops {right} from each end where TensorFlow crops {left} on the left and {right} on the right",
                    torch_like,
                ),
            )
            if applies
        ]
        text = f"the full output cropped from position {start} where {meant}"
        text += f" ({'; '.join(notes)})" if notes else ""
        yield Variant(f"output cropped at {start}", text, _cropped(full, start, out_length))


def _cropped(full: Compute, start: int, out_length: int) -> Compute:
    def compute(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray | None:
        whole = full(x, w, None)
        if whole is None:
            return None
        wide = np.zeros((*whole.shape[:2], max(whole.shape[2], start + out_length)))
        wide[..., : whole.shape[2]] = whole
        out = wide[..., start : start + out_length]
        return out if b is None else out + b[None, :, None]

    return compute


def _strides(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    s = layer.stride
    if s > 1:
        yield from _changed(layer, length, "stride ignored", f"stride 1 where stride={s} was meant", stride=1)
    for other in (s - 1, s + 1):
        if other > 1:
            text = f"stride {other} where stride={s} was meant (off by one)"
            yield from _changed(layer, length, f"stride {other}", text, stride=other)


def _dilations(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    d = layer.dilation
    if d > 1:
        yield from _changed(layer, length, "dilation ignored", f"dilation 1 where dilation={d} was meant", dilation=1)
    for other in (d - 1, d + 1):
        if other > 1 and layer.kernel_size > 1:
            text = f"dilation {other} where dilation={d} was meant (off by one)"
            yield from _changed(layer, length, f"dilation {other}", text, dilation=other)


def _forward(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    """``conv1d(x, w, b)`` with the same stride, padding and dilation (needs ``C_in == C_out``)."""
    if layer.in_channels != layer.out_channels or layer.padding == "same":
        return
    conv = Conv1d(
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        stride=layer.stride,
        padding=(int(layer.padding), int(layer.padding)),
        dilation=layer.dilation,
        groups=layer.groups,
        bias=layer.bias,
    )
    try:
        taps = conv.make_taps(length)
    except ValueError:
        return
    text = (
        "a forward convolution (conv1d, W x) with the same weights, stride, padding and dilation "
        "where the transposed convolution (conv_transpose1d, W^T x) was meant"
    )
    yield Variant("forward convolution", text, lambda x, w, b: taps.apply(x, w, b if layer.bias else None))


def _layout(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    run = _run(layer, length)
    if run is None or layer.groups != 1 or layer.in_channels * layer.out_channels == 1:
        return
    c_in, c_out, size = layer.in_channels, layer.out_channels, layer.kernel_size

    def compute(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray | None:
        return run(x, w.reshape(c_out, c_in, size).transpose(1, 0, 2), b)

    text = "the weight memory read as Conv1d's (C_out, C_in, K) instead of ConvTranspose1d's (C_in, C_out, K)"
    yield Variant("weight layout (C_out, C_in, K)", text, compute)


def _biases(layer: ConvTranspose1d, length: int) -> Iterator[Variant]:
    run = _run(dataclasses.replace(layer, bias=False), length)
    if run is None or not layer.bias:
        return

    def scaled(factor: int) -> Compute:
        return lambda x, w, b: None if b is None else run(x, w, None) + factor * b[None, :, None]

    yield Variant("bias missing", "no bias added", scaled(0))
    yield Variant("bias added twice", "the bias added twice", scaled(2))
