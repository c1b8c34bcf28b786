"""Variants in the channels and the bias: weight layouts, mixed-up groups, a bias added wrongly.

Part of :func:`symconv.checker.variants.variants` (see there); each is computed from symconv's taps.

Examples:
    >>> from symconv import Conv1d
    >>> [v.name for v in layouts(Conv1d(2, 3, 3), 8)]
    ['weight layout (C_in, C_out, K)', 'weight layout (K, C_in, C_out)']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from symconv.checker.variant import Compute, Variant, evaluator
from symconv.layers.conv import Conv1d


def layouts(base: Conv1d, length: int) -> Iterator[Variant]:
    c_in, c_out, size = base.in_channels, base.out_channels, base.kernel_size
    run = evaluator(base, length)
    if run is None or base.groups != 1 or c_in * c_out == 1:
        return

    def read_as(order: tuple[int, ...], shape: tuple[int, ...]) -> Compute:
        return lambda x, w, b: run(x, w.reshape(shape).transpose(order).reshape(w.shape), b)

    if c_in == c_out:
        text = "weights indexed w[c, o, k], the (C_in, C_out, K) layout, instead of PyTorch's w[o, c, k]"
        yield Variant("weight layout (C_in, C_out, K)", text, read_as((1, 0, 2), (c_in, c_out, size)))
    else:
        text = "the weight memory read as (C_in, C_out, K) instead of PyTorch's (C_out, C_in, K)"
        yield Variant("weight layout (C_in, C_out, K)", text, read_as((1, 0, 2), (c_in, c_out, size)))
    text = "the weight memory read as (K, C_in, C_out), TensorFlow's layout, instead of PyTorch's (C_out, C_in, K)"
    yield Variant("weight layout (K, C_in, C_out)", text, read_as((2, 1, 0), (size, c_in, c_out)))


def groups(base: Conv1d, length: int) -> Iterator[Variant]:
    g = base.groups
    if g == 1:
        return
    per_out = base.out_channels // g
    maps = {
        "groups assigned round-robin": (
            np.arange(base.out_channels) % g,
            f"output channel o read input group o % {g} (round-robin) instead of o // {per_out} (contiguous blocks)",
        ),
        "group offset missing": (
            np.zeros(base.out_channels, dtype=int),
            "every output channel read the first group's input channels (the group offset is missing)",
        ),
    }
    for name, (group_of, text) in maps.items():
        one = dataclasses.replace(base, in_channels=base.in_channels // g, out_channels=1, groups=1)
        run = evaluator(one, length)
        if run is not None:
            yield Variant(f"groups mixed: {name}", text, _grouped(run, group_of, base.in_channels // g))


def _grouped(run: Compute, group_of: np.ndarray, per_in: int) -> Compute:
    def compute(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        outs: list[Any] = []
        for o, group in enumerate(group_of.tolist()):
            xs = x[:, group * per_in : (group + 1) * per_in]
            outs.append(run(xs, w[o : o + 1], None if b is None else b[o : o + 1]))
        return np.concatenate(outs, axis=1)

    return compute


def biases(base: Conv1d, length: int) -> Iterator[Variant]:
    run = evaluator(base, length)
    if run is None or not base.bias:
        return
    count_spec = dataclasses.replace(base, bias=False, padding_mode="zeros")
    counter = evaluator(count_spec, length) if base.padding_mode == "zeros" else None
    per_tap = base.in_channels // base.groups * base.kernel_size

    def with_bias(add: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> Compute:
        def compute(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray | None:
            if b is None:
                return None
            plain = run(x, w, None)
            return plain + add(x, w, b)

        return compute

    def taps_count(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        if counter is None:
            return np.full((1, 1, 1), float(per_tap))
        return np.asarray(counter(np.ones_like(x[:1]), np.ones_like(w), None))

    def by_position(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        positions = np.arange(base.output_length(length)) % b.size
        return b[positions][None, None, :]

    yield Variant("bias missing", "no bias added", with_bias(lambda x, w, b: 0 * b[None, :, None]))
    yield Variant("bias added twice", "the bias added twice", with_bias(lambda x, w, b: 2 * b[None, :, None]))
    text = "the bias added once per tap (inside the loop over the kernel) instead of once per output"
    yield Variant("bias added once per tap", text, with_bias(lambda x, w, b: b[None, :, None] * taps_count(x, w)))
    text = f"the bias added once per kernel entry ({per_tap} times: C_in/groups * K) instead of once per output"
    yield Variant("bias added once per kernel entry", text, with_bias(lambda x, w, b: per_tap * b[None, :, None]))
    if base.out_channels > 1:
        text = "the bias indexed by output position, b[i % C_out], instead of by output channel b[o]"
        yield Variant("bias indexed by output position", text, with_bias(by_position))
