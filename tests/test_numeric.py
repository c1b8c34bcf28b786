"""Numeric evaluation (symconv.geometry.numeric): randomized comparisons, bounded to a few seconds.

- against ``torch.nn.functional.conv1d`` in float64 (non-zero padding modes applied with
  ``F.pad``, as ``torch.nn.Conv1d`` does);
- against the straightforward evaluation (one matrix product per kernel position, the
  implementation before im2col) on integer data, exactly, across stride, dilation, groups,
  padding forms and modes, flip and bias, with tiny im2col blocks so that every block
  boundary and edge tap is exercised;
- exactness where float64 would round: int64 beyond 2**53, Python ints beyond int64,
  ``Fraction`` and SymPy objects.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F

import symconv
import symconv.geometry.numeric as numeric
from symconv.geometry.taps import Taps

PADDINGS: list[Any] = [0, 1, 2, (0, 3), (2, 1), "valid", "same", "causal", "full", "tf_same", "jax_same_lower"]
MODES = ["zeros", "reflect", "replicate", "circular"]


def straightforward(taps: Taps, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """One batched product per kernel position on strided slices (object dtype: exact)."""
    spec = taps
    x, w = numeric.as_exact(x, np.dtype(object)), numeric.as_exact(w, np.dtype(object))
    n, g, s = x.shape[0], spec.groups, spec.stride
    xg = x.reshape(n, g, taps.in_per_group, taps.input_length)
    wg = w.reshape(g, taps.out_per_group, taps.in_per_group, spec.kernel_size)
    out = np.zeros((n, g, taps.out_per_group, taps.output_length), dtype=object)
    for m in taps.maps:
        wk = wg[..., m.k]
        if m.hi > m.lo:
            start = s * m.lo + m.offset
            out[..., m.lo : m.hi] += wk @ xg[..., start : s * (m.hi - 1) + m.offset + 1 : s]
        if m.edge_out.size:
            out[..., m.edge_out] += wk @ xg[..., m.edge_in]
    out = out.reshape(n, spec.out_channels, taps.output_length)
    if b is not None:
        out += numeric.as_exact(b, np.dtype(object))[None, :, None]
    return out


def random_layer(rng: np.random.Generator) -> tuple[symconv.Conv1d, int]:
    """A random valid layer and input length (retrying until the spec and length are valid)."""
    while True:
        groups = int(rng.choice([1, 1, 2, 3]))
        cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        kwargs = {
            "kernel_size": int(rng.integers(1, 7)),
            "stride": int(rng.integers(1, 4)),
            "dilation": int(rng.integers(1, 4)),
            "groups": groups,
            "padding": PADDINGS[rng.integers(len(PADDINGS))],
            "padding_mode": MODES[rng.integers(len(MODES))],
            "bias": bool(rng.integers(2)),
            "flip": bool(rng.integers(2)),
        }
        length = int(rng.integers(1, 25))
        try:
            layer = symconv.Conv1d(cin, cout, **kwargs)
            layer.expand(length)
        except ValueError:
            continue
        return layer, length


def torch_reference(layer: symconv.Conv1d, length: int, x: np.ndarray, w: np.ndarray, b: Any) -> np.ndarray:
    left, right = layer.resolve_padding(length)
    xt = torch.from_numpy(x)
    mode = "constant" if layer.padding_mode == "zeros" else layer.padding_mode
    xt = F.pad(xt, (left, right), mode=mode)
    wt = torch.from_numpy(w[..., ::-1].copy() if layer.flip else w)
    bt = None if b is None else torch.from_numpy(b)
    return F.conv1d(xt, wt, bt, stride=layer.stride, dilation=layer.dilation, groups=layer.groups).numpy()


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """im2col blocks of a few elements, so a small layer spans several blocks."""
    monkeypatch.setattr(numeric, "_BLOCK_ELEMENTS", 7)


@pytest.mark.parametrize("blocks", ["default", "tiny"])
def test_float64_matches_torch(blocks: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if blocks == "tiny":
        monkeypatch.setattr(numeric, "_BLOCK_ELEMENTS", 7)
    rng = np.random.default_rng(2)
    for _ in range(100):
        layer, length = random_layer(rng)
        n = int(rng.integers(1, 3))
        x = rng.standard_normal((n, layer.in_channels, length))
        w = rng.standard_normal(layer.weight_shape)
        b = rng.standard_normal(layer.out_channels) if layer.bias else None
        ours = layer.expand(length).evaluate(x, w, b)
        assert ours.dtype == np.float64
        np.testing.assert_allclose(
            ours, torch_reference(layer, length, x, w, b), rtol=1e-12, atol=1e-12, err_msg=repr(layer)
        )


def test_integers_match_straightforward_exactly(tiny_blocks: None) -> None:
    rng = np.random.default_rng(3)
    for _ in range(100):
        layer, length = random_layer(rng)
        n = int(rng.integers(1, 3))
        x = rng.integers(-50, 50, (n, layer.in_channels, length))
        w = rng.integers(-50, 50, layer.weight_shape)
        b = rng.integers(-50, 50, layer.out_channels) if layer.bias else None
        e = layer.expand(length)
        ours = e.evaluate(x, w, b)
        assert ours.dtype == np.int64
        expected = straightforward(e.taps, x, w, b)
        assert ours.tolist() == expected.tolist(), repr(layer)
        # the same through object arrays (the exact path without BLAS)
        assert e.evaluate(x.astype(object), w.astype(object), b).tolist() == expected.tolist(), repr(layer)


def test_large_integers_stay_exact(tiny_blocks: None) -> None:
    rng = np.random.default_rng(4)
    layer = symconv.Conv1d(2, 2, 3, padding=2, padding_mode="reflect", stride=2)
    e = layer.expand(9)
    # products near 2**58: past float64's exact range, inside int64
    x = rng.integers(-(2**29), 2**29, (1, 2, 9))
    w = rng.integers(-(2**29), 2**29, (2, 2, 3))
    ours = e.evaluate(x, w)
    assert ours.dtype == np.int64
    assert ours.tolist() == straightforward(e.taps, x, w, None).tolist()
    # past int64: Python ints
    big = x * 2**20
    ours = e.evaluate(big, w)
    assert ours.dtype == object
    assert ours.tolist() == straightforward(e.taps, big, w, None).tolist()


def test_fractions_and_sympy_objects() -> None:
    layer = symconv.Conv1d(1, 1, 3, padding=1, padding_mode="replicate")
    e = layer.expand(4)
    x = np.array([Fraction(1, 3), Fraction(2, 5), Fraction(-1, 7), Fraction(5, 2)], dtype=object)
    w = np.array([Fraction(1, 2), Fraction(3), Fraction(-2, 3)], dtype=object)
    assert e.evaluate(x, w).tolist() == straightforward(e.taps, x[None, None], w.reshape(1, 1, 3), None)[0, 0].tolist()
    xs = np.array(list(e.x._array), dtype=object)
    ws = np.array(list(e.w._array), dtype=object)
    got = e.evaluate(xs, ws)
    assert [sympy.expand(a - (b - e.b[0])) for a, b in zip(got, e.z)] == [0] * 4


def test_precision_float32_is_single_precision_and_exact_on_small_integers():
    e = symconv.Conv1d(4, 6, 5, padding=(3, 1), padding_mode="reflect", groups=2, stride=2).expand(40)
    rng = np.random.default_rng(11)
    x = rng.integers(-9, 10, (3, 4, 40)).astype(np.float32)
    w = rng.integers(-9, 10, e.spec.weight_shape).astype(np.float32)
    b = rng.integers(-9, 10, 6).astype(np.float32)
    single = e.taps.apply(x, w, b, np.float32)
    assert single.dtype == np.float32
    assert np.array_equal(single, e.evaluate(x.astype(np.int64), w.astype(np.int64), b.astype(np.int64)))
    assert e.taps.apply(x, w, b).dtype == np.float64
    with pytest.raises(ValueError, match=r"'precision' must be np.float32, np.float64 or None \(got 'half'\)"):
        e.taps.apply(x, w, b, "half")
    with pytest.raises(ValueError, match=r"'precision' applies to real float data \(got int64 data\)"):
        e.taps.apply(x.astype(np.int64), w.astype(np.int64), None, np.float32)
