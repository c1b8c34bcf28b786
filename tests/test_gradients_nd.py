"""The closed forms of 2D and 3D gradients: proven against the taps' gradients and sympy.diff, and equal to torch."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F

from symconv import Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d, gradients
from symconv.base.symbols import entries

LAYERS = [
    (Conv2d(1, 1, 2), (3, 3)),
    (
        Conv2d(
            2, 4, (2, 3), stride=(2, 1), padding=((1, 0), (0, 2)), dilation=(1, 2), groups=2, padding_mode="reflect"
        ),
        (4, 5),
    ),
    (Conv2d(1, 2, 3, padding=2, padding_mode="circular", flip=True), (3, 4)),
    (Conv2d(1, 1, 3, padding=3, padding_mode="symmetric", bias=False), (2, 2)),
    (Conv3d(1, 1, 2, stride=(1, 2, 1), padding=1, padding_mode="replicate"), (2, 3, 3)),
    (
        ConvTranspose2d(2, 4, (2, 3), stride=(2, 1), padding=(1, 0), output_padding=(1, 0), dilation=(1, 2), groups=2),
        (2, 3),
    ),
    (ConvTranspose3d(1, 2, 2, stride=(1, 2, 1), padding=(0, 1, 0), bias=False), (2, 2, 2)),
]


@pytest.mark.parametrize(
    ("layer", "shape"), LAYERS, ids=[f"{type(la).__name__}-{i}" for i, (la, _) in enumerate(LAYERS)]
)
def test_closed_forms_are_proven(layer: Any, shape: tuple[int, ...]) -> None:
    g = gradients(layer.expand(shape))
    names = [ident.name for ident in g.identities]
    assert names == (["bias gradient"] if layer.bias else []) + ["weight gradient", "input gradient"]
    verification = g.verify()
    assert verification.ok, verification
    assert len(verification.checks) == len(names) + (3 if layer.bias else 2) + 1  # forms, sympy.diff per role, W^T


def test_a_wrong_closed_form_is_refuted() -> None:
    g = gradients(Conv2d(1, 1, 2, padding=1, padding_mode="reflect").expand((3, 3)))
    weight = g.identities[1]
    wrong = dataclasses.replace(weight, closed=tuple(reversed(weight.closed)))
    assert weight.check().proven and not wrong.check().proven
    assert not g.verify([wrong]).ok


def torch_grads(layer: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, delta: np.ndarray) -> list[Any]:
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    if layer.kind.value == "transposed convolution":
        fn = {2: F.conv_transpose2d, 3: F.conv_transpose3d}[layer.ndim]
        out = fn(xt, wt, bt, layer.stride, layer.padding, layer.output_padding, layer.groups, layer.dilation)
    else:
        pads = [v for pair in reversed(layer.padding) for v in pair]
        mode = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
        xp = F.pad(xt, pads, mode=mode[layer.padding_mode]) if any(pads) else xt
        ww = wt.flip(tuple(range(2, wt.ndim))) if layer.flip else wt
        fn = {2: F.conv2d, 3: F.conv3d}[layer.ndim]
        out = fn(xp, ww, bt, layer.stride, 0, layer.dilation, layer.groups)
    out.backward(torch.tensor(delta))
    return [xt.grad, wt.grad, None if bt is None else bt.grad]


@pytest.mark.parametrize("index", [0, 1, 2, 4, 5, 6])
def test_closed_forms_with_numbers_equal_torch_autograd(index: int) -> None:
    layer, shape = LAYERS[index]
    e = layer.expand(shape)
    g = gradients(e)
    rng = np.random.default_rng(index)
    x = rng.integers(-4, 5, (1, layer.in_channels, *shape)).astype(float)
    w = rng.integers(-4, 5, layer.weight_shape).astype(float)
    b = rng.integers(-4, 5, layer.out_channels).astype(float) if layer.bias else None
    delta = rng.integers(-3, 4, (1, layer.out_channels, *e.output_shape)).astype(float)
    values = dict(zip(entries(e.x), (sympy.Integer(int(v)) for v in x.ravel())))
    values.update(zip(entries(e.w), (sympy.Integer(int(v)) for v in w.ravel())))
    values.update(zip(entries(g.delta), (sympy.Integer(int(v)) for v in delta.ravel())))
    want = torch_grads(layer, x, w, b, delta)
    forms = {ident.name: ident for ident in g.identities}
    dx = [float(v.xreplace(values)) for v in forms["input gradient"].closed]
    dw = [float(v.xreplace(values)) for v in forms["weight gradient"].closed]
    assert dx == want[0].ravel().tolist() and dw == want[1].ravel().tolist()
    if layer.bias:
        assert [float(v.xreplace(values)) for v in forms["bias gradient"].closed] == want[2].ravel().tolist()


def test_the_formulas_state_every_axis() -> None:
    g = gradients(Conv2d(1, 1, 2, stride=(2, 1), dilation=(1, 3)).expand((5, 6)))
    text = str(g.identities[1].formula)
    assert "xpad[c, 2*i0 + k0, i1 + 3*k1]" in text and "(i0, 0, 1), (i1, 0, 2)" in text
