"""Taps of geometries with two and three axes: the product of per-axis taps, held against PyTorch.

Every reference is independent of the taps: ``torch.nn.functional.conv2d``/``conv3d`` (after
``F.pad`` for the non-zero padding modes) and ``torch.autograd`` for the gradients, on integer
data in float64 (exact at these sizes).
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
import torch

from symconv.geometry.axis import Axis
from symconv.geometry.geometry import Channels, Geometry
from symconv.geometry.taps import Taps

F = torch.nn.functional

MODES = ["zeros", "reflect", "replicate", "circular"]


def random_geometry(rng: random.Random, dims: int) -> Geometry:
    mode = rng.choice(MODES)
    groups = rng.choice([1, 2])
    channels = Channels(groups * rng.randint(1, 2), groups * rng.randint(1, 2), groups)
    flip = rng.random() < 0.3
    while True:
        axes = []
        for _ in range(dims):
            n, k = rng.randint(1, 6), rng.randint(1, 3)
            s, d = rng.randint(1, 3), rng.randint(1, 2)
            bound = n - 1 if mode == "reflect" else n if mode == "circular" else 3
            left, right = rng.randint(0, min(3, bound)), rng.randint(0, min(3, bound))
            axes.append(Axis(n, k, s, d, 1, (left, right), mode, flip))
        if all(a.padded_size >= a.extent for a in axes):
            return Geometry(tuple(axes), channels, bias=rng.random() < 0.5)


def torch_forward(geometry: Geometry, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    axes = geometry.axes
    if axes[0].flip:
        w = torch.flip(w, dims=tuple(range(2, w.dim())))
    pads = [p for a in reversed(axes) for p in a.padding]  # F.pad lists the last axis first
    mode = axes[0].padding_mode
    x = F.pad(x, pads) if mode == "zeros" else F.pad(x, pads, mode=mode)
    conv = {2: F.conv2d, 3: F.conv3d}[len(axes)]
    stride = tuple(a.stride for a in axes)
    dilation = tuple(a.dilation for a in axes)
    return conv(x, w, b, stride=stride, dilation=dilation, groups=geometry.channels.groups)


def arrays(taps: Taps, rng: np.random.Generator, batch: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    x = rng.integers(-4, 5, size=(batch, taps.in_channels, *taps.input_shape))
    w = rng.integers(-4, 5, size=taps.weight_shape)
    b = rng.integers(-4, 5, size=taps.out_channels) if taps.geometry.bias else None
    return x, w, b


@pytest.mark.parametrize("dims", [2, 3])
def test_nd_taps_apply_and_their_gradients_equal_pytorch(dims: int) -> None:
    rng, data = random.Random(dims), np.random.default_rng(dims)
    for _ in range(40 if dims == 2 else 25):
        geometry = random_geometry(rng, dims)
        taps = Taps(geometry)
        x, w, b = arrays(taps, data)
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        bt = None if b is None else torch.tensor(b, dtype=torch.float64)
        want = torch_forward(geometry, xt, wt, bt)
        got = taps.apply(x, w, b)
        assert got.dtype == np.int64 and got.shape == tuple(want.shape)
        assert np.array_equal(got, want.detach().numpy().astype(np.int64)), geometry
        delta = data.integers(-3, 4, size=got.shape)
        want.backward(torch.tensor(delta, dtype=torch.float64))
        assert np.array_equal(taps.input_grad(delta, w), xt.grad.numpy().astype(np.int64))
        assert np.array_equal(taps.weight_grad(x, delta), wt.grad.numpy().astype(np.int64))


def test_nd_triples_make_the_matrix_that_computes_the_layer() -> None:
    rng, data = random.Random(7), np.random.default_rng(7)
    for _ in range(40):
        taps = Taps(random_geometry(rng, rng.choice([2, 3])))
        x, w, b = arrays(taps, data, batch=1)
        rows, cols, weights = taps.triples()
        matrix = np.zeros(
            (taps.out_channels * taps.output_length, taps.in_channels * taps.input_length), dtype=np.int64
        )
        np.add.at(matrix, (rows, cols), w.ravel()[weights])
        z = matrix @ x.ravel() + (0 if b is None else np.repeat(b, taps.output_length))
        assert np.array_equal(z, taps.apply(x, w, b).ravel())
        assert len(taps) == rows.size
        assert taps.nonzeros() == len(set(zip(rows.tolist(), cols.tolist())))
        assert taps.counts().parameters == w.size + (0 if b is None else b.size)


def test_nd_queries_agree_with_the_triples() -> None:
    rng = random.Random(11)
    for _ in range(15):
        taps = Taps(random_geometry(rng, 2))
        rows, cols, weights = taps.triples()
        out_shape, in_shape = (taps.out_channels, *taps.output_shape), (taps.in_channels, *taps.input_shape)
        w_shape = taps.weight_shape
        every = sorted(
            (np.unravel_index(r, out_shape), np.unravel_index(c, in_shape), np.unravel_index(k, w_shape))
            for r, c, k in zip(rows.tolist(), cols.tolist(), weights.tolist())
        )
        as_ints = [tuple(tuple(int(v) for v in part) for part in tap) for tap in every]
        for position in itertools.product(*map(range, out_shape)):
            o, *i = position
            feeding = [tuple(tap) for tap in taps.feeding(o, tuple(i))]
            assert feeding == [tap for tap in as_ints if tap[0] == position]
        for position in itertools.product(*map(range, in_shape)):
            c, *t = position
            fed = [tuple(tap) for tap in taps.fed_by(c, tuple(t))]
            assert fed == sorted(tap for tap in as_ints if tap[1] == position)
        for weight in itertools.product(*map(range, w_shape)):
            o, cw, *k = weight
            group = taps.tying_group(o, cw, tuple(k))
            assert group == sorted((tap[0], tap[1]) for tap in as_ints if tap[2] == weight)
            assert taps.tying_group(o, cw, tuple(k), limit=2) == group[:2]


def test_nd_positions_of_the_wrong_length_or_range_are_refused() -> None:
    taps = Taps(Geometry((Axis(4, 2), Axis(5, 3)), Channels(1, 1)))
    with pytest.raises(ValueError, match="'output position' must have 2 spatial indices"):
        taps.feeding(0, (1,))
    with pytest.raises(ValueError, match="i1"):
        taps.feeding(0, (0, 3))
    with pytest.raises(ValueError, match="'k' must have 2 kernel indices"):
        taps.tying_group(0, 0, 1)
    with pytest.raises(ValueError, match="'k1' must be in \\[0, 3\\)"):
        taps.tying_group(0, 0, (0, 3))


def test_nd_apply_is_the_same_in_chunks_on_fractions_and_in_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    """The unfolded input is multiplied a chunk of samples at a time: chunks of one sample, exact
    Fractions (object dtype) and float32 give the sum the triples give."""
    from fractions import Fraction

    import symconv.geometry.gather as gather

    monkeypatch.setattr(gather, "_CHUNK", 1)
    rng, data = random.Random(5), np.random.default_rng(5)
    for _ in range(30):
        taps = Taps(random_geometry(rng, rng.choice([2, 3])))
        x, w, b = arrays(taps, data, batch=3)
        rows, cols, weights = taps.triples()
        matrix = np.zeros(
            (taps.out_channels * taps.output_length, taps.in_channels * taps.input_length), dtype=np.int64
        )
        np.add.at(matrix, (rows, cols), w.ravel()[weights])
        want = np.einsum("rc,nc->nr", matrix, x.reshape(3, -1)) + (0 if b is None else np.repeat(b, taps.output_length))
        want = want.reshape(3, taps.out_channels, *taps.output_shape)
        assert np.array_equal(taps.apply(x, w, b), want)
        thirds = np.vectorize(lambda v: Fraction(int(v), 3), otypes=[object])
        got = taps.apply(thirds(x), thirds(w), None if b is None else thirds(b) / 3)
        assert got.dtype == object and np.array_equal(got * 9, want), taps.geometry
        single = taps.apply(x.astype(np.float32), w.astype(np.float32), b, np.float32)
        assert single.dtype == np.float32 and np.array_equal(single, want)
