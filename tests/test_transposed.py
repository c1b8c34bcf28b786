"""``ConvTranspose1d``: PyTorch semantics, the transpose of a ``Conv1d``'s matrix, and its gradients.

- property tests over random specs (channels 1-3 with groups dividing both, K 1-4,
  stride 1-3, dilation 1-2, padding 0-3, every admissible ``output_padding``, bias, L 1-6):
  the forward pass equals ``F.conv_transpose1d``; the matrix is the transpose of the matching
  ``Conv1d``'s (built independently, and checked by ``transpose_check``); the explicit
  gradients, the closed forms and ``sympy.diff`` agree; ``evaluate`` equals
  ``torch.autograd`` (float64) for every activation and loss, and the input gradient of a
  transposed convolution is ``F.conv1d`` of delta, its weight gradient
  ``torch.nn.grad.conv1d_weight`` with the roles of input and output swapped;
- PyTorch's rules: ``output_padding`` smaller than either stride or dilation (checked
  against torch on a grid), zeros padding only; messages pinned.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import symconv
from symconv import ConvTranspose1d, gradients

TORCH_ACTIVATIONS = {
    None: lambda z: z,
    "identity": lambda z: z,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softplus": F.softplus,  # symconv's softplus is PyTorch's: linear above threshold=20
}
EXACT_ACTIVATIONS = (None, "identity", "relu")


@st.composite
def transposed_layers(draw: Any, max_channels: int = 3, max_length: int = 6) -> tuple[ConvTranspose1d, int]:
    """A valid ``ConvTranspose1d`` and an input length with at least one output."""
    groups = draw(st.sampled_from([g for g in (1, 1, 2, 3) if g <= max_channels]))
    cin = groups * draw(st.integers(1, max_channels // groups))
    cout = groups * draw(st.integers(1, max_channels // groups))
    stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    layer = ConvTranspose1d(
        cin,
        cout,
        draw(st.integers(1, 4)),
        stride=stride,
        padding=draw(st.integers(0, 3)),
        output_padding=draw(st.integers(0, max(stride, dilation) - 1)),
        groups=groups,
        bias=draw(st.booleans()),
        dilation=dilation,
    )
    length = draw(st.integers(1, max_length))
    try:
        layer.output_length(length)
    except ValueError:
        reject()
    return layer, length


def ints(draw: Any, shape: tuple[int, ...], low: int = -3, high: int = 3) -> np.ndarray:
    size = int(np.prod(shape))
    values = draw(st.lists(st.integers(low, high), min_size=size, max_size=size))
    return np.array(values, dtype=np.int64).reshape(shape)


def torch_forward(layer: ConvTranspose1d, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    return F.conv_transpose1d(
        x,
        w,
        b,
        stride=layer.stride,
        padding=layer.padding,
        output_padding=layer.output_padding,
        groups=layer.groups,
        dilation=layer.dilation,
    )


def flat(array: Any) -> list[Any]:
    return list(sympy.flatten(array.tolist()))


# -- forward pass and matrix -------------------------------------------------------------------------


@settings(max_examples=40)
@given(st.data())
def test_forward_matches_torch_and_the_matrix_is_a_transpose(data: st.DataObject) -> None:
    layer, length = data.draw(transposed_layers())
    e = layer.expand(length)
    out = layer.output_length(length)
    assert (
        e.output_length
        == out
        == symconv.transposed_output_length(
            length, layer.kernel_size, layer.stride, layer.padding, layer.output_padding, layer.dilation
        )
    )
    assert e.w.shape == layer.weight_shape == (layer.in_channels, layer.out_channels // layer.groups, layer.kernel_size)
    n = data.draw(st.integers(1, 2))
    x, w = ints(data.draw, (n, layer.in_channels, length)), ints(data.draw, layer.weight_shape)
    b = ints(data.draw, (layer.out_channels,)) if layer.bias else None
    ours = e.evaluate(x, w, b)
    tb = None if b is None else torch.tensor(b, dtype=torch.float64)
    theirs = torch_forward(layer, torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64), tb)
    assert ours.dtype.kind == "i"
    assert np.array_equal(ours, theirs.numpy())
    # the matrix, with the weights put in, maps vec(x) to vec(z) - bias
    m = np.array(e.subs(w=w).matrix.tolist(), dtype=np.int64)
    assert m.shape == (layer.out_channels * out, layer.in_channels * length)
    plain = np.stack([m @ xi.ravel() for xi in x]).reshape(n, layer.out_channels, out)
    assert np.array_equal(plain, e.evaluate(x, w))
    # and it is the transpose of the matching Conv1d's matrix (built from that layer's own taps)
    conv = layer.conv()
    assert (conv.in_channels, conv.out_channels, conv.bias) == (layer.out_channels, layer.in_channels, False)
    conv_e = conv.expand(out)
    assert conv_e.output_length == length + layer.output_padding // layer.stride
    # rows of the conv's first L outputs of every channel (more when output_padding >= stride)
    rows = [c * conv_e.output_length + i for c in range(layer.in_channels) for i in range(length)]
    assert e.matrix == conv_e.matrix.extract(rows, list(range(conv_e.matrix.cols))).T
    check = layer.transpose_check(length)
    assert check.proven, check.detail


def test_transposed_matrix_example() -> None:
    e = ConvTranspose1d(1, 1, 3, stride=2, padding=1, bias=False).expand(3)
    w0, w1, w2 = sympy.symbols("w_0 w_1 w_2")
    assert e.output_length == 5
    assert e.matrix == sympy.Matrix([[w1, 0, 0], [w2, w0, 0], [0, w1, 0], [0, w2, w0], [0, 0, w1]])
    assert symconv.Conv1d(1, 1, 3, stride=2, padding=1, bias=False).expand(5).matrix == e.matrix.T


def test_output_padding_beyond_the_stride_when_dilated() -> None:
    """s=1, d=2 admits output_padding=1: the matching Conv1d then has one more output than L."""
    layer = ConvTranspose1d(1, 1, 3, dilation=2, output_padding=1)
    e = layer.expand(4)
    assert e.output_length == 9
    assert layer.conv().output_length(9) == 5  # its last row is not part of the transpose
    assert layer.transpose_check(4).proven
    x, w = np.array([1, -2, 3, 1]), np.array([2, -1, 3])
    theirs = torch_forward(layer, torch.tensor(x[None, None] * 1.0), torch.tensor(w[None, None] * 1.0), None)
    assert e.evaluate(x, w).tolist() == theirs[0, 0].tolist()
    assert gradients(e).verify().ok


@pytest.mark.parametrize(("cin", "cout", "groups"), [(2, 1, 1), (2, 2, 2), (3, 3, 3), (2, 3, 1)])
def test_transpose_check_with_channels_and_extra_conv_outputs(cin: int, cout: int, groups: int) -> None:
    """Regression: with several input channels and output_padding >= stride, the Conv1d's rows
    for each channel's first L outputs (not its first C_in*L rows) form the transpose."""
    layer = ConvTranspose1d(cin, cout, 2, dilation=2, output_padding=1, groups=groups, bias=False)
    check = layer.transpose_check(2)
    assert check.proven, check.detail
    assert check.detail == f"{layer.out_channels * 5 * cin * 2} entries, exactly"


# -- gradients ---------------------------------------------------------------------------------------


@settings(max_examples=25)
@given(transposed_layers())
def test_verify_generic_loss(case: tuple[ConvTranspose1d, int]) -> None:
    layer, length = case
    g = gradients(layer.expand(length))
    assert g.dw.shape == layer.weight_shape
    assert g.dx.shape == (layer.in_channels, length)
    v = g.verify()
    assert v.ok, str(v)
    forms = (["bias gradient"] if layer.bias else []) + ["weight gradient", "input gradient"]
    assert [i.name for i in g.identities] == forms


@settings(max_examples=8)
@given(
    transposed_layers(max_channels=2, max_length=3),
    st.sampled_from(["relu", "sigma", "identity"]),
    st.sampled_from([None, "sum", "mse"]),
)
def test_verify_with_activation_and_loss(case: tuple[ConvTranspose1d, int], activation: str, loss: Any) -> None:
    layer, length = case
    v = gradients(layer.expand(length), activation=activation, loss=loss).verify()
    assert v.ok, str(v)


@settings(max_examples=40)
@given(st.data())
def test_evaluate_matches_torch_autograd(data: st.DataObject) -> None:
    layer, length = data.draw(transposed_layers())
    activation = data.draw(st.sampled_from(list(TORCH_ACTIVATIONS)))
    loss = data.draw(st.sampled_from([None, "sum", "mse"]))
    e = layer.expand(length)
    n = data.draw(st.integers(1, 2))
    x, w = ints(data.draw, (n, layer.in_channels, length)), ints(data.draw, layer.weight_shape)
    b = ints(data.draw, (layer.out_channels,)) if layer.bias else None
    upstream = ints(data.draw, (n, layer.out_channels, e.output_length))
    kwargs = {"delta": upstream} if loss is None else {"target": upstream} if loss == "mse" else {}
    ours = gradients(e, activation=activation, loss=loss).evaluate(x, w, b, **kwargs)

    xt, wt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w))
    bt = None if b is None else torch.tensor(b, dtype=torch.float64, requires_grad=True)
    out = TORCH_ACTIVATIONS[activation](torch_forward(layer, xt, wt, bt))
    u = torch.tensor(upstream, dtype=torch.float64)
    if loss is None:
        out.backward(u)
    elif loss == "sum":
        out.sum().backward()
    else:
        torch.nn.MSELoss()(out, u).backward()
    exact = activation in EXACT_ACTIVATIONS and loss != "mse"
    for key, tensor in (("dx", xt), ("dw", wt), ("db", bt)):
        if tensor is None:
            assert ours[key] is None
            continue
        got, want = np.asarray(ours[key]), tensor.grad.numpy()
        assert got.shape == want.shape
        if exact:
            assert got.dtype.kind == "i"
            assert np.array_equal(got, want), key
        else:
            np.testing.assert_allclose(got.astype(np.float64), want, rtol=1e-12, atol=1e-12)


@settings(max_examples=40)
@given(st.data())
def test_gradients_are_convolutions(data: st.DataObject) -> None:
    """dL/dx of a transposed convolution is ``F.conv1d(delta, w)`` (its adjoint) and dL/dw is
    ``torch.nn.grad.conv1d_weight`` with delta as the input and x as the output gradient."""
    layer, length = data.draw(transposed_layers())
    e = layer.expand(length)
    n = data.draw(st.integers(1, 2))
    x, w = ints(data.draw, (n, layer.in_channels, length)), ints(data.draw, layer.weight_shape)
    delta = ints(data.draw, (n, layer.out_channels, e.output_length))
    ours = gradients(e).evaluate(x, w, delta=delta)
    xt, wt, dt = (torch.tensor(a, dtype=torch.float64) for a in (x, w, delta))
    args = (layer.stride, layer.padding, layer.dilation, layer.groups)
    # with output_padding >= stride the adjoint convolution has extra outputs; x has L of them
    adjoint = F.conv1d(dt, wt, None, *args)
    extra = adjoint.shape[-1] - length
    assert extra == (layer.output_padding // layer.stride)
    dx = adjoint[..., :length]
    dw = torch.nn.grad.conv1d_weight(dt, wt.shape, F.pad(xt, (0, extra)), *args)
    assert np.array_equal(ours["dx"], dx.numpy())
    assert np.array_equal(ours["dw"], dw.numpy())
    if layer.bias:
        assert np.array_equal(ours["db"], delta.sum(axis=(0, 2)))


# -- PyTorch's rules and messages --------------------------------------------------------------------


def test_output_padding_rule_matches_torch() -> None:
    """Valid iff output_padding < stride or output_padding < dilation, as torch's conv_transpose1d."""
    x, w = torch.ones(1, 1, 3, dtype=torch.float64), torch.ones(1, 1, 2, dtype=torch.float64)
    for stride, dilation, output_padding in itertools.product(range(1, 4), range(1, 4), range(5)):
        try:
            F.conv_transpose1d(x, w, stride=stride, output_padding=output_padding, dilation=dilation)
            torch_ok = True
        except RuntimeError as error:
            assert "output padding must be smaller than either stride or dilation" in str(error)
            torch_ok = False
        try:
            ConvTranspose1d(1, 1, 2, stride=stride, output_padding=output_padding, dilation=dilation)
            ours_ok = True
        except ValueError as error:
            assert str(error) == (
                "'output_padding' must be smaller than either stride or dilation "
                f"(got output_padding={output_padding}, stride={stride}, dilation={dilation})."
            )
            ours_ok = False
        assert ours_ok == torch_ok == (output_padding < max(stride, dilation)), (stride, dilation, output_padding)


def test_bad_output_padding_message() -> None:
    with pytest.raises(ValueError) as info:
        ConvTranspose1d(1, 1, 3, stride=2, output_padding=2)
    assert str(info.value) == (
        "'output_padding' must be smaller than either stride or dilation (got output_padding=2, stride=2, dilation=1)."
    )


def test_only_zeros_padding_mode() -> None:
    with pytest.raises(ValueError) as torch_info:
        torch.nn.ConvTranspose1d(1, 1, 3, padding_mode="reflect")
    assert str(torch_info.value) == 'Only "zeros" padding mode is supported for ConvTranspose1d'
    for mode in ("reflect", "replicate", "circular"):
        with pytest.raises(ValueError) as info:
            ConvTranspose1d(1, 1, 3, padding_mode=mode)
        assert str(info.value) == f"Only \"zeros\" padding mode is supported for ConvTranspose1d (got '{mode}')."
    assert ConvTranspose1d(1, 1, 3, padding_mode="zeros").padding_mode == "zeros"


def test_other_errors() -> None:
    with pytest.raises(ValueError) as info:
        ConvTranspose1d(1, 2, 3, groups=2)
    assert str(info.value) == "'in_channels' must be divisible by 'groups' (got in_channels=1, groups=2)."
    with pytest.raises(ValueError) as info:
        ConvTranspose1d(1, 1, 1, padding=1).expand(1)
    assert str(info.value) == "the transposed convolution of 1 inputs would have -1 outputs (padding 1 too large)."


def test_weight_shape_and_parameters_follow_torch() -> None:
    layer = ConvTranspose1d(4, 6, 3, groups=2)
    module = torch.nn.ConvTranspose1d(4, 6, 3, groups=2)
    assert layer.weight_shape == tuple(module.weight.shape) == (4, 3, 3)
    assert layer.num_parameters == sum(p.numel() for p in module.parameters()) == 42


# -- issue 9: the result dtype comes from x, w and b -------------------------------------------------


@pytest.mark.parametrize(
    ("bias", "expected", "kind"),
    [
        ([0.5], [1.5, 3.5, 6.5, 9.5, 7.5, 4.5], "f"),
        ([Fraction(1, 3)], [Fraction(n, 3) for n in (4, 10, 19, 28, 22, 13)], "O"),
        ([1j], [1 + 1j, 3 + 1j, 6 + 1j, 9 + 1j, 7 + 1j, 4 + 1j], "c"),
        ([2**64], [2**64 + n for n in (1, 3, 6, 9, 7, 4)], "O"),
    ],
    ids=["float", "fraction", "complex", "2**64"],
)
def test_evaluate_does_not_cast_the_bias_to_the_dtype_of_x_and_w(
    bias: list[Any], expected: list[Any], kind: str
) -> None:
    """Integer x and w with a float, Fraction, complex or huge bias keep the bias's value (as PyTorch)."""
    e = ConvTranspose1d(1, 1, 3).expand(4)
    ours = e.evaluate([1, 2, 3, 4], [1, 1, 1], bias)
    assert ours.dtype.kind == kind
    assert ours.tolist() == expected
    if kind in "fc":
        dtype = torch.complex128 if kind == "c" else torch.float64
        tx, tw = torch.tensor([[[1, 2, 3, 4]]], dtype=dtype), torch.ones(1, 1, 3, dtype=dtype)
        theirs = F.conv_transpose1d(tx, tw, torch.tensor(bias, dtype=dtype))
        assert ours.tolist() == theirs.ravel().tolist()


def test_gradients_through_a_float_bias_with_integer_x_and_w_match_torch() -> None:
    """Regression: the forward pass cast the bias to int, so ReLU masks and mse residuals were wrong."""
    layer = ConvTranspose1d(1, 2, 2, stride=2)
    x, w, b = np.array([[[1, -2, 3]]]), np.array([[[1, -1], [2, 1]]]), np.array([0.5, -0.25])
    target = np.array([[[0, 1, 0, 1, 0, 1], [1, 0, 1, 0, 1, 0]]])
    ours = gradients(layer.expand(3), activation="relu", loss="mse").evaluate(x, w, b, target=target)
    xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    out = torch.relu(F.conv_transpose1d(xt, wt, bt, stride=2))
    torch.nn.MSELoss()(out, torch.tensor(target, dtype=torch.float64)).backward()
    for key, tensor in (("dx", xt), ("dw", wt), ("db", bt)):
        assert ours[key].dtype == np.float64
        np.testing.assert_allclose(ours[key], tensor.grad.numpy(), rtol=1e-15, atol=1e-15)
