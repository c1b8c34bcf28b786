"""A gallery of deliberately wrong 1D convolution implementations, and the diagnosis each deserves.

Each :class:`Wrong` is a layer, an implementation with one classic bug, and the name of the
variant that :func:`symconv.check` must report. Most bugs live in one plain NumPy loop,
:func:`loop_conv1d`, switched on by one keyword; the others come from NumPy, SciPy and
PyTorch functions used with the wrong convention.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from symconv import Conv1d, ConvTranspose1d

NP_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def loop_conv1d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    *,
    stride: int = 1,
    padding: tuple[int, int] = (0, 0),
    dilation: int = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    bug: str = "",
) -> np.ndarray:
    """PyTorch's Conv1d as three plain loops; ``bug`` names one deliberate mistake (``''``: none)."""
    n, _, length = x.shape
    c_out, per_in, size = w.shape
    per_out = c_out // groups
    stride = 1 if bug == "stride ignored" else stride
    meant = (length + sum(padding) - dilation * (size - 1) - 1) // stride + 1
    dilation = {"dilation ignored": 1, "dilation off by one": dilation - 1, "dilation ignored, length kept": 1}.get(
        bug, dilation
    )
    mode = "zeros" if bug == "padding mode zeros" else padding_mode
    xpad = np.pad(x, ((0, 0), (0, 0), padding), mode=NP_PAD[mode])  # type: ignore[call-overload]
    l_out = (length + sum(padding) - dilation * (size - 1) - 1) // stride + 1
    l_out = {"dilation ignored, length kept": meant, "output one short": meant - 1}.get(bug, l_out)
    out = np.zeros((n, c_out, l_out))
    for o in range(c_out):
        group = o % groups if bug == "groups round-robin" else o // per_out
        for i in range(l_out):
            total = 0.0
            for cw in range(per_in):
                c = group * per_in + cw
                for k in range(size):
                    t = stride * i + dilation * k + (1 if bug == "tap shift" else 0)
                    if not 0 <= t < xpad.shape[-1]:
                        continue
                    weight = w[c, o, k] if bug == "weight layout" else w[o, cw, k]
                    total = total + weight * xpad[:, c, t]
                    if bug == "bias per tap" and b is not None and padding[0] <= t < padding[0] + length:
                        total = total + b[o]
            if b is not None and bug not in ("bias missing", "bias per tap", "bias per position"):
                total = total + b[o]
            if bug == "bias per position" and b is not None:
                total = total + b[i % c_out]
            out[:, o, i] = total
    return out


def correct_loop(layer: Conv1d, input_length: int) -> Callable[..., np.ndarray]:
    """The loop without a bug, set up for ``layer``."""
    return loop_for(layer, input_length, "")


def loop_for(layer: Conv1d, input_length: int, bug: str) -> Callable[..., np.ndarray]:
    """:func:`loop_conv1d` with ``layer``'s parameters and one ``bug``."""
    return functools.partial(
        loop_conv1d,
        stride=layer.stride,
        padding=layer.resolve_padding(input_length),
        dilation=layer.dilation,
        groups=layer.groups,
        padding_mode=layer.padding_mode,
        bug=bug,
    )


@dataclass(frozen=True)
class Wrong:
    """A wrong implementation of ``layer`` and the variant it must be diagnosed as."""

    bug: str
    layer: Conv1d | ConvTranspose1d
    fn: Any
    expected: str
    convention: str = "auto"
    input_length: int = 13


def _loop_case(bug: str, layer: Conv1d, expected: str) -> Wrong:
    """The loop with ``bug``, for ``layer`` on 13 inputs."""
    return Wrong(bug, layer, loop_for(layer, 13, bug), expected, "numpy")


def _torch(fn: Callable[..., Any], **options: Any) -> Callable[..., Any]:
    return lambda x, w, b: fn(x, w, b, **options)


TRANSPOSED = ConvTranspose1d(2, 2, 3, stride=2, padding=1, output_padding=1)

GALLERY: list[Wrong] = [
    Wrong(
        "kernel flipped: np.convolve where PyTorch's cross-correlation was meant",
        Conv1d(1, 1, 3, bias=False),
        lambda x, w: np.convolve(x, w, "valid"),
        "kernel flipped",
    ),
    Wrong(
        "NumPy 'same' for an even kernel where PyTorch 'same' was meant",
        Conv1d(1, 1, 4, padding="same", bias=False),
        lambda x, w: np.correlate(x, w, "same"),
        "padding (2, 1)",
    ),
    Wrong(
        "centred padding where causal padding was meant",
        Conv1d(2, 2, 3, padding="causal"),
        _torch(F.conv1d, padding=1),
        "padding (1, 1)",
        "torch",
    ),
    Wrong(
        "causal padding where centred ('same') padding was meant",
        Conv1d(1, 2, 5, padding="same"),
        lambda x, w, b: F.conv1d(F.pad(x, (4, 0)), w, b),
        "padding (4, 0)",
        "torch",
    ),
    _loop_case("padding mode zeros", Conv1d(2, 3, 3, padding=2, padding_mode="reflect"), "padding_mode 'zeros'"),
    Wrong(
        "padding mode replicate where circular was meant",
        Conv1d(1, 1, 3, padding=1, padding_mode="circular"),
        torch.nn.Conv1d(1, 1, 3, padding=1, padding_mode="replicate"),
        "padding_mode 'replicate'",
    ),
    _loop_case("stride ignored", Conv1d(2, 2, 3, stride=2, padding=1), "stride ignored"),
    _loop_case("dilation ignored", Conv1d(1, 2, 3, dilation=2), "dilation ignored"),
    _loop_case("dilation off by one", Conv1d(1, 1, 3, dilation=3, padding=1), "dilation 2"),
    _loop_case("weight layout", Conv1d(3, 3, 3), "weight layout (C_in, C_out, K)"),
    _loop_case("groups round-robin", Conv1d(4, 4, 3, groups=2, padding=1), "groups mixed: groups assigned round-robin"),
    _loop_case("bias missing", Conv1d(2, 2, 3, padding=1), "bias missing"),
    _loop_case("bias per tap", Conv1d(2, 2, 3, padding="same"), "bias added once per tap"),
    _loop_case("bias per position", Conv1d(1, 3, 3), "bias indexed by output position"),
    _loop_case("tap shift", Conv1d(2, 2, 3), "taps shifted by +1"),
    _loop_case("tap shift", Conv1d(1, 1, 3, padding=1), "padding (0, 2)"),
    Wrong(
        "transposed convolution where a convolution was meant",
        Conv1d(2, 2, 3, stride=2, padding=1),
        _torch(F.conv_transpose1d, stride=2, padding=1),
        "transposed convolution",
        "torch",
    ),
    _loop_case("dilation ignored, length kept", Conv1d(2, 2, 3, dilation=3), "dilation ignored, output length kept"),
    _loop_case("output one short", Conv1d(1, 2, 3, padding=1), "output one short (last missing)"),
    Wrong(
        "output_padding forgotten in a transposed convolution",
        TRANSPOSED,
        _torch(F.conv_transpose1d, stride=2, padding=1),
        "output_padding 0",
        "torch",
    ),
    Wrong(
        "padding of a transposed convolution read as padding of its input",
        TRANSPOSED,
        lambda x, w, b: F.conv_transpose1d(F.pad(x, (1, 1)), w, b, stride=2, output_padding=1),
        "padding applied to the input",
        "torch",
        11,
    ),
    Wrong(
        "stride confused in a transposed convolution",
        TRANSPOSED,
        _torch(F.conv_transpose1d, stride=3, padding=1, output_padding=1),
        "stride 3",
        "torch",
    ),
    Wrong(
        "a forward convolution where the transposed one was meant",
        TRANSPOSED,
        _torch(F.conv1d, stride=2, padding=1),
        "forward convolution",
        "torch",
    ),
    Wrong(
        "weights in TensorFlow's (K, C_in, C_out) layout",
        Conv1d(2, 3, 3, bias=False),
        lambda x, w, b: F.conv1d(x, w.reshape(3, 2, 3).permute(2, 1, 0).contiguous()),
        "weight layout (K, C_in, C_out)",
        "torch",
    ),
]


def two_bugs(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """Kernel flipped and bias missing at once, for ``Conv1d(2, 2, 3, stride=2, padding=1)``: no single variant."""
    return loop_conv1d(x, w[..., ::-1], None, stride=2, padding=(1, 1))
