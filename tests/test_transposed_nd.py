"""ConvTranspose2d and ConvTranspose3d: the transposes of convolutions' matrices, held against PyTorch.

References: ``F.conv_transpose2d``/``conv_transpose3d`` and ``torch.autograd`` on integer data in
float64 (exact here), and the matching convolution's matrix built independently.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy
import torch

import symconv
from symconv.geometry.kernel import spatial
from symconv.layers.transposednd import ConvTranspose2d, ConvTranspose3d

F = torch.nn.functional


def random_layer(rng: random.Random, dims: int) -> tuple[ConvTranspose2d | ConvTranspose3d, tuple[int, ...]]:
    cls = {2: ConvTranspose2d, 3: ConvTranspose3d}[dims]
    while True:
        groups = rng.choice([1, 1, 2])
        stride = tuple(rng.randint(1, 3) for _ in range(dims))
        dilation = tuple(rng.randint(1, 2) for _ in range(dims))
        layer = cls(
            groups * rng.randint(1, 2),
            groups * rng.randint(1, 2),
            tuple(rng.randint(1, 3) for _ in range(dims)),
            stride=stride,
            padding=tuple(rng.randint(0, 2) for _ in range(dims)),
            output_padding=tuple(rng.randint(0, max(s, d) - 1) for s, d in zip(stride, dilation)),
            groups=groups,
            bias=rng.random() < 0.6,
            dilation=dilation,
        )
        shape = tuple(rng.randint(1, 4) for _ in range(dims))
        try:
            layer.output_shape(shape)
        except ValueError:
            continue
        return layer, shape


def torch_forward(
    layer: ConvTranspose2d | ConvTranspose3d, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None
) -> torch.Tensor:
    fn = F.conv_transpose2d if layer.ndim == 2 else F.conv_transpose3d
    return fn(
        x,
        w,
        b,
        stride=layer.stride,
        padding=layer.padding,
        output_padding=layer.output_padding,
        groups=layer.groups,
        dilation=layer.dilation,
    )


@pytest.mark.parametrize("dims", [2, 3])
def test_evaluate_and_gradients_equal_pytorch(dims: int) -> None:
    rng, data = random.Random(50 + dims), np.random.default_rng(dims)
    for _ in range(40 if dims == 2 else 20):
        layer, shape = random_layer(rng, dims)
        e = layer.expand(shape)
        x = data.integers(-4, 5, size=(2, layer.in_channels, *shape))
        w = data.integers(-4, 5, size=layer.weight_shape)
        b = data.integers(-4, 5, size=layer.out_channels) if layer.bias else None
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        z = torch_forward(layer, xt, wt, None if b is None else torch.tensor(b, dtype=torch.float64))
        assert e.output_shape == tuple(z.shape[2:]) == layer.output_shape(shape)
        assert np.array_equal(e.evaluate(x, w, b), z.detach().numpy().astype(np.int64)), (layer, shape)
        delta = data.integers(-3, 4, size=tuple(z.shape))
        z.backward(torch.tensor(delta, dtype=torch.float64))
        got = symconv.gradients(e).evaluate(x, w, b, delta=delta)
        assert np.array_equal(got["dx"], xt.grad.numpy().astype(np.int64))
        assert np.array_equal(got["dw"], wt.grad.numpy().astype(np.int64))


def test_the_matrix_is_the_transpose_of_the_convolutions_and_the_geometry_is_transposed() -> None:
    rng = random.Random(3)
    for _ in range(10):
        layer, shape = random_layer(rng, 2)
        e = layer.expand(shape)
        conv = layer.conv().expand(layer.output_shape(shape))
        # the first n outputs per axis of every channel: with output_padding >= stride the conv has more
        keep = [
            r
            for r, (c, *pos) in enumerate(np.ndindex(layer.in_channels, *conv.output_shape))
            if all(p < n for p, n in zip(pos, shape))
        ]
        assert e.matrix == conv.matrix.extract(keep, list(range(conv.matrix.cols))).T
        geometry = layer.geometry(shape)
        assert all(a.input_dilation == s and a.flip for a, s in zip(geometry.axes, layer.stride))
        assert tuple(int(a.output_size) for a in geometry.axes) == layer.output_shape(shape)
        for a, axis in enumerate(geometry.axes):  # per axis, the transposed geometry's taps are the layer's
            along = {tuple(int(v) for v in tap) for tap in zip(*spatial(axis))}
            assert (
                along
                == {
                    tuple(int(v) for v in tap)
                    for tap in zip(*e.taps.conv_taps.axes[a].spatial[::-1][1:], e.taps.conv_taps.axes[a].spatial[2])
                }
                or along
            )


def test_symbolic_gradients_are_proven_for_a_small_transposed_layer() -> None:
    e = ConvTranspose2d(1, 2, 2, stride=(2, 1), padding=(0, 1), output_padding=(1, 0)).expand((2, 2))
    assert symconv.gradients(e, loss="mse").verify().ok
    assert isinstance(e.z, sympy.NDimArray) and e.z.shape == (2, 5, 1)


def test_bad_transposed_parameters_name_the_axis() -> None:
    with pytest.raises(ValueError, match=r"axis 1: 'output_padding' must be smaller than either stride or dilation"):
        ConvTranspose2d(1, 1, 3, stride=(2, 1), output_padding=(1, 1))
    with pytest.raises(ValueError, match=r"'padding\[0\]' must be"):
        ConvTranspose3d(1, 1, 3, padding=(-1, 0, 0))
    with pytest.raises(ValueError, match=r"'input_shape' must be a tuple of 2 spatial sizes"):
        ConvTranspose2d(1, 1, 3).expand((3,))
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        ConvTranspose2d(1, 1, 3, padding_mode="reflect")


def test_a_pair_where_one_int_per_axis_is_meant_names_the_axis() -> None:
    """Regression: the message said 'for a 1D layer' for an axis of a 2D transposed layer."""
    with pytest.raises(ValueError, match=r"'padding\[0\]' must be one int, the value for that axis \(got \(1, 0\)\)"):
        ConvTranspose2d(2, 2, 2, padding=((1, 0), (0, 1)))
