"""The per-axis geometry: symbolic sizes agree with integer ones, taps agree with a plain loop,
and the transposed layer is the convolution's geometry transposed (the input dilated by the stride).

Every reference here is computed independently: a direct loop over outputs and kernel positions
with the index map written out, and the layers' own output lengths (checked against PyTorch in
tests/test_vectors.py and tests/test_transposed.py).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy

from symconv import Conv1d, ConvTranspose1d, convolve, correlate
from symconv.geometry.axis import Axis
from symconv.geometry.geometry import Channels, Geometry
from symconv.geometry.kernel import kernel_maps, spatial
from symconv.geometry.padding import PADDING_MODES, fold
from symconv.geometry.taps import Taps
from symconv.layers.protocol import Kind, StageLayer, TapsLayer

SYMBOLS = dict(
    zip(
        ("size", "kernel_size", "stride", "dilation", "input_dilation"),
        sympy.symbols("L K s d D", integer=True, positive=True),
    )
)
LEFT, RIGHT = sympy.symbols("p_l p_r", integer=True, nonnegative=True)


def random_axes(count: int, seed: int) -> list[Axis]:
    rng = random.Random(seed)
    axes = []
    while len(axes) < count:
        size, k, s, d, dil = (
            rng.randint(1, 12),
            rng.randint(1, 5),
            rng.randint(1, 4),
            rng.randint(1, 3),
            rng.randint(1, 3),
        )
        left, right = rng.randint(0, 6), rng.randint(0, 6)
        axis = Axis(size, k, s, d, dil, (left, right))
        if axis.padded_size >= axis.extent:
            axes.append(axis)
    return axes


def brute_spatial(axis: Axis) -> set[tuple[int, int, int]]:
    """``(output, input, weight)`` for every tap that reads the input: the index map, looped."""
    n, size, s, d, dil = (
        int(v) for v in (axis.size, axis.kernel_size, axis.stride, axis.dilation, axis.input_dilation)
    )
    left, out = int(axis.padding[0]), int(axis.output_size)
    found = set()
    for i in range(out):
        for j in range(size):
            t = s * i + d * j - left
            k = size - 1 - j if axis.flip else j
            if dil > 1:
                if t % dil == 0 and 0 <= t // dil < n:
                    found.add((i, t // dil, k))
                continue
            source = int(fold(axis.padding_mode, np.array([t]), n)[0])
            if source >= 0:
                found.add((i, source, k))
    return found


def spatial_set(axis: Axis) -> set[tuple[int, int, int]]:
    return {tuple(int(v) for v in tap) for tap in zip(*spatial(axis))}


@pytest.mark.parametrize("seed", range(4))
def test_a_symbolic_axis_at_random_integers_is_the_integer_axis(seed: int) -> None:
    symbolic = Axis(**SYMBOLS, padding=(LEFT, RIGHT))
    i, j = sympy.symbols("i j", integer=True)
    out, index = symbolic.output_size, symbolic.index(i, j)
    assert isinstance(out, sympy.Expr) and out.free_symbols  # it really is symbolic
    for axis in random_axes(50, seed):
        values = {
            SYMBOLS["size"]: axis.size,
            SYMBOLS["kernel_size"]: axis.kernel_size,
            SYMBOLS["stride"]: axis.stride,
            SYMBOLS["dilation"]: axis.dilation,
            SYMBOLS["input_dilation"]: axis.input_dilation,
            LEFT: axis.padding[0],
            RIGHT: axis.padding[1],
        }
        assert out.subs(values) == axis.output_size
        assert symbolic.at(values) == axis
        for ii, jj in ((0, 0), (axis.output_size - 1, axis.kernel_size - 1), (1, 2)):
            assert index.subs(values | {i: ii, j: jj}) == axis.index(ii, jj)


def test_symbolic_output_sizes_are_the_textbook_formulas() -> None:
    n, k, s, d = (SYMBOLS[name] for name in ("size", "kernel_size", "stride", "dilation"))
    p = sympy.Symbol("p", integer=True, nonnegative=True)
    assert Axis(n, k).output_size == n - k + 1
    assert Axis(n, k, s, d, padding=(p, p)).output_size == sympy.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1
    assert Axis(n, k, input_dilation=s).dilated_size == (n - 1) * s + 1


@pytest.mark.parametrize("mode", PADDING_MODES)
def test_the_taps_of_an_axis_are_the_index_map_looped(mode: str) -> None:
    rng = random.Random(mode)
    checked = 0
    for axis in random_axes(400, sum(map(ord, mode))):
        left, right = axis.padding
        n = int(axis.size)
        if mode != "zeros" and (axis.input_dilation != 1 or (mode != "symmetric" and max(left, right) >= n)):
            continue  # reflect needs pad < L ('symmetric' takes any pad); only zeros pad a dilated input
        axis = Axis(
            axis.size,
            axis.kernel_size,
            axis.stride,
            axis.dilation,
            axis.input_dilation,
            (left, right),
            mode,
            rng.random() < 0.5,
        )
        assert spatial_set(axis) == brute_spatial(axis)
        assert len(spatial(axis)[0]) == len(brute_spatial(axis))  # no tap twice
        checked += 1
    assert checked > 40


def test_a_dilated_input_with_another_padding_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="'padding_mode' 'reflect' cannot pad an input dilated by 2"):
        kernel_maps(Axis(4, 2, input_dilation=2, padding=(1, 1), padding_mode="reflect"))


def test_symbolic_sizes_give_no_taps_but_say_why() -> None:
    with pytest.raises(ValueError, match="symbolic sizes"):
        kernel_maps(Axis(SYMBOLS["size"], 3))


@pytest.mark.parametrize("seed", range(3))
def test_the_transposed_layer_is_its_convolutions_geometry_transposed(seed: int) -> None:
    """Its taps read backwards (TransposedTaps) = the transposed geometry's taps (input dilated by the stride)."""
    rng = random.Random(seed)
    checked = 0
    while checked < 60:
        k, s, d = rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 3)
        p, length = rng.randint(0, 3), rng.randint(1, 6)
        op = rng.randint(0, max(s, d) - 1)
        groups = rng.choice([1, 2])
        layer = ConvTranspose1d(
            2, 2 * rng.randint(1, 2), k, stride=s, padding=p, output_padding=op, dilation=d, groups=groups
        )
        try:
            out = layer.output_length(length)
        except ValueError:
            continue
        geometry = layer.geometry(length)
        (axis,) = geometry.axes
        assert axis.input_dilation == s and axis.stride == 1 and axis.flip
        assert axis.output_size == out
        taps = layer.make_taps(length)
        assert {tuple(int(v) for v in tap) for tap in zip(*taps.spatial)} == spatial_set(axis) == brute_spatial(axis)
        assert geometry.channels == Channels(layer.in_channels, layer.out_channels, groups)
        checked += 1


def test_a_symbolic_transposed_geometry_has_pytorchs_output_length() -> None:
    n, k, s, d = (SYMBOLS[name] for name in ("size", "kernel_size", "stride", "dilation"))
    p, op = sympy.symbols("p op", integer=True, nonnegative=True)
    conv_inputs = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    conv = Geometry((Axis(conv_inputs, k, s, d, padding=(p, p)),), Channels(1, 1))
    transposed = conv.transposed(output_size=n)
    assert sympy.simplify(transposed.output_sizes[0] - conv_inputs) == 0


def test_taps_come_from_a_geometry_and_know_no_layer() -> None:
    geometry = Geometry((Axis(5, 3, 2, padding=(1, 1)),), Channels(2, 4, 2), bias=True)
    taps = Taps(geometry)
    assert not hasattr(taps, "spec")
    assert (taps.input_length, taps.output_length, taps.weight_shape) == (5, 3, (4, 1, 3))
    layer_taps = Conv1d(2, 4, 3, stride=2, padding=1, groups=2).make_taps(5)
    assert [tuple(a.tolist()) for a in taps.triples()] == [tuple(a.tolist()) for a in layer_taps.triples()]
    assert taps.counts() == layer_taps.counts()
    with pytest.raises(ValueError, match="input_dilation=2"):
        Taps(Geometry((Axis(5, 3, input_dilation=2),), Channels(1, 1)))


def test_every_layer_says_its_kind_and_fits_its_protocol() -> None:
    from symconv import Activation, AvgPool1d, Flatten, Linear, MaxPool1d, Sequential

    taps_layers = {
        Conv1d(1, 1, 3): Kind.CONVOLUTION,
        ConvTranspose1d(1, 1, 3): Kind.TRANSPOSED,
        convolve(3): Kind.CONVOLUTION,
        correlate(2, "same"): Kind.CONVOLUTION,
    }
    stages = {
        Activation("relu"): Kind.ACTIVATION,
        AvgPool1d(2): Kind.POOLING,
        MaxPool1d(2): Kind.POOLING,
        Flatten(): Kind.FLATTEN,
        Linear(4, 2): Kind.DENSE,
    }
    for layer, kind in taps_layers.items():
        assert layer.kind is kind and isinstance(layer, TapsLayer) and not isinstance(layer, StageLayer)
        assert layer.geometry(6).output_sizes == (layer.output_length(6),)
    for layer, kind in stages.items():
        assert layer.kind is kind and isinstance(layer, StageLayer) and not isinstance(layer, TapsLayer)
    assert Sequential(Conv1d(1, 1, 2)).kind is Kind.STACK


def test_the_axis_arithmetic_imports_no_numpy() -> None:
    """Symbolic sizes need arithmetic SymPy can carry: axis.py and geometry's arithmetic stay free of NumPy."""
    import ast
    from pathlib import Path

    import symconv.geometry.axis as axis_module

    tree = ast.parse(Path(axis_module.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "sympy" in imported and not any(name.split(".")[0] == "numpy" for name in imported)
