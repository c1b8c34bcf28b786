"""Gradients of one Conv1d layer (``symconv.gradients``): proofs, numbers, and failures.

- property tests over random ``Conv1d`` specs (channels 1-3 with groups dividing both,
  K 1-4, stride 1-3, dilation 1-2, every padding form and mode, flip, bias, L 1-8):
  the explicit gradients, the closed forms and ``sympy.diff`` agree (``verify()``), for a
  generic loss and for activation/loss combinations; the symbolic gradients with integers
  substituted equal ``evaluate``;
- ``evaluate`` on integer data against ``torch.autograd`` (float64) through ``F.pad`` +
  ``F.conv1d`` with every activation and loss, and against ``torch.nn.grad.conv1d_input`` /
  ``conv1d_weight`` for zero padding: exact where float64 is exact, ``allclose(1e-12)`` for
  the transcendental activations and the mean in ``'mse'``;
- ``verify()`` refutes deliberately wrong closed forms and wrong explicit gradients, naming
  the entry; the error messages of bad arguments are pinned.
"""

from __future__ import annotations

import dataclasses
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
from symconv import Conv1d, gradients
from symconv.grad.gradients import LOSSES

MODES = ("zeros", "reflect", "replicate", "circular")
NAMED = ("valid", "same", "causal", "full", "tf_same", "jax_same_lower")
PADDINGS = st.one_of(
    st.integers(0, 3),
    st.integers(0, 3).map(lambda p: (p,)),
    st.tuples(st.integers(0, 3), st.integers(0, 3)),
    st.sampled_from(NAMED),
)
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
def conv_layers(draw: Any, max_channels: int = 3, max_length: int = 8) -> tuple[Conv1d, int]:
    """A valid ``Conv1d`` and an input length it accepts."""
    groups = draw(st.sampled_from([g for g in (1, 1, 2, 3) if g <= max_channels]))
    cin = groups * draw(st.integers(1, max_channels // groups))
    cout = groups * draw(st.integers(1, max_channels // groups))
    kwargs = {
        "kernel_size": draw(st.integers(1, 4)),
        "stride": draw(st.integers(1, 3)),
        "dilation": draw(st.integers(1, 2)),
        "padding": draw(PADDINGS),
        "padding_mode": draw(st.sampled_from(MODES)),
        "flip": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "groups": groups,
    }
    length = draw(st.integers(1, max_length))
    try:
        layer = Conv1d(cin, cout, **kwargs)
        layer.output_length(length)
    except ValueError:
        reject()
    return layer, length


def ints(draw: Any, shape: tuple[int, ...], low: int = -3, high: int = 3) -> np.ndarray:
    size = int(np.prod(shape))
    values = draw(st.lists(st.integers(low, high), min_size=size, max_size=size))
    return np.array(values, dtype=np.int64).reshape(shape)


def torch_forward(layer: Conv1d, length: int, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> Any:
    """The layer in PyTorch: pad with the padding mode, then cross-correlate (kernel flipped for flip=True)."""
    left, right = layer.resolve_padding(length)
    mode = "constant" if layer.padding_mode == "zeros" else layer.padding_mode
    xp = F.pad(x, (left, right), mode=mode)
    kernel = w.flip(-1) if layer.flip else w
    return F.conv1d(xp, kernel, b, stride=layer.stride, dilation=layer.dilation, groups=layer.groups)


def torch_gradients(
    forward: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, activation: Any, loss: Any, upstream: np.ndarray
) -> dict[str, np.ndarray | None]:
    """``torch.autograd`` gradients (float64) of the layer, activation and loss; ``upstream`` is
    ``dL/d(output)`` for a generic loss and the target for 'mse'."""
    xt, wt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w))
    bt = None if b is None else torch.tensor(b, dtype=torch.float64, requires_grad=True)
    out = TORCH_ACTIVATIONS[activation](forward(xt, wt, bt))
    u = torch.tensor(upstream, dtype=torch.float64)
    if loss is None:
        out.backward(u)
    elif loss == "sum":
        out.sum().backward()
    else:  # the mean over every element, the batch included
        torch.nn.MSELoss()(out, u).backward()
    return {
        "dx": xt.grad.numpy(),
        "dw": wt.grad.numpy(),
        "db": None if bt is None else bt.grad.numpy(),
    }


def assert_same(ours: Any, theirs: np.ndarray, exact: bool) -> None:
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape
    if exact:
        assert ours.dtype.kind in "iu", ours.dtype
        assert np.array_equal(ours, theirs), (ours, theirs)
    else:
        np.testing.assert_allclose(ours.astype(np.float64), theirs, rtol=1e-12, atol=1e-12)


def flat(array: Any) -> list[Any]:
    return list(sympy.flatten(array.tolist()))


# -- symbolic: explicit = closed forms = sympy.diff -----------------------------------------------


@settings(max_examples=25)
@given(conv_layers())
def test_verify_generic_loss(case: tuple[Conv1d, int]) -> None:
    layer, length = case
    e = layer.expand(length)
    g = gradients(e)
    assert g.dw.shape == layer.weight_shape
    assert g.dx.shape == (layer.in_channels, length)
    assert (g.db is None) == (not layer.bias)
    if layer.bias:
        assert g.db.shape == (layer.out_channels,)
    assert g.delta == g.upstream == sympy.ImmutableMatrix(e.output_symbols("delta").tolist())
    v = g.verify()
    assert v.ok, str(v)
    names = [c.name for c in v.checks]
    forms = (["bias gradient"] if layer.bias else []) + ["weight gradient", "input gradient"]
    assert names[: len(forms)] == [f"{f}: closed form = explicit gradient" for f in forms]
    assert "dL/dx = W^T vec(delta)" in names
    assert all(c.proven and c.detail.endswith("entries, exactly") for c in v.checks)


@settings(max_examples=30)
@given(st.data())
def test_symbolic_gradients_with_numbers_equal_evaluate(data: st.DataObject) -> None:
    """The symbolic dw, db, dx with integers put in for x, w, b and delta equal ``evaluate`` exactly."""
    layer, length = data.draw(conv_layers())
    e = layer.expand(length)
    g = gradients(e)
    x, w = ints(data.draw, (layer.in_channels, length)), ints(data.draw, layer.weight_shape)
    b = ints(data.draw, (layer.out_channels,)) if layer.bias else None
    delta = ints(data.draw, (layer.out_channels, e.output_length))
    values = dict(zip(flat(e.x), x.ravel().tolist()))
    values.update(zip(flat(e.w), w.ravel().tolist()))
    values.update(zip(flat(e.output_symbols("delta")), delta.ravel().tolist()))
    got = g.evaluate(x, w, b, delta=delta)
    for key, sym in (("dx", g.dx), ("dw", g.dw), ("db", g.db)):
        if sym is None:
            assert got[key] is None
            continue
        exact = np.array([int(v.xreplace(values)) for v in flat(sym)]).reshape(sym.shape)
        assert np.array_equal(got[key], exact), key
    assert np.array_equal(got["delta"], delta)


@settings(max_examples=12)
@given(
    conv_layers(max_channels=2, max_length=5),
    st.sampled_from(["sigma", "relu", "identity", None]),
    st.sampled_from([None, "sum", "mse"]),
)
def test_verify_with_activation_and_loss(case: tuple[Conv1d, int], activation: Any, loss: Any) -> None:
    layer, length = case
    v = gradients(layer.expand(length), activation=activation, loss=loss).verify()
    assert v.ok, str(v)


z0, z1, z2 = sympy.symbols("z_0 z_1 z_2")
a0, a1 = sympy.symbols("a_0 a_1")


@pytest.mark.parametrize(
    ("layer", "length", "activation", "loss"),
    [
        (Conv1d(1, 1, 2, padding=1, padding_mode="reflect"), 2, "tanh", "sum"),
        (Conv1d(1, 1, 2), 3, "sigmoid", None),
        (Conv1d(1, 1, 2, stride=2, bias=False), 4, "softplus", None),
        (Conv1d(1, 1, 2), 3, "relu", "mse"),
        (Conv1d(1, 2, 2, padding=(1, 0), padding_mode="circular"), 2, "sigma", "mse"),
        (Conv1d(1, 1, 2, dilation=2), 4, sympy.sin, "sum"),
        (Conv1d(1, 1, 2, padding=1), 2, None, z0**2 * z1 + 3 * z2),
        (Conv1d(1, 1, 2), 3, "tanh", a0 * a1),
    ],
    ids=["tanh-sum", "sigmoid-generic", "softplus-generic", "relu-mse", "sigma-mse", "sin-sum", "expr", "tanh-expr"],
)
def test_verify_named_activations_and_losses(layer: Conv1d, length: int, activation: Any, loss: Any) -> None:
    g = gradients(layer.expand(length), activation=activation, loss=loss)
    v = g.verify()
    assert v.ok, str(v)


def test_delta_is_the_chain_rule() -> None:
    e = Conv1d(1, 1, 2, bias=False).expand(3)
    z = list(e.z)
    g = gradients(e, activation="tanh")
    gs = flat(e.output_symbols("g"))
    assert list(g.delta) == [(1 - sympy.tanh(zi) ** 2) * gi for zi, gi in zip(z, gs)]
    relu = gradients(e, activation="relu", loss="sum")
    assert list(relu.delta) == [sympy.Heaviside(zi, 0) for zi in z]
    ys = flat(e.output_symbols("y"))
    mse = gradients(e, loss="mse")
    assert list(mse.delta) == [zi - yi for zi, yi in zip(z, ys)]  # 2*(z - y)/(C_out*L_out), C_out*L_out = 2
    e4 = Conv1d(2, 1, 2).expand(4)
    y4 = flat(e4.output_symbols("y"))
    mse4 = gradients(e4, loss="mse").delta
    assert all(sympy.expand(d - sympy.Rational(2, 3) * (zi - yi)) == 0 for d, zi, yi in zip(mse4, e4.z, y4))
    sigma = gradients(e, activation="sigma")
    u = sympy.Symbol("u")
    expected = sympy.diff(sympy.Function("sigma")(u), u).subs(u, z[0]) * gs[0]
    assert sympy.simplify(sigma.delta[0] - expected) == 0


# -- numbers: evaluate against torch.autograd --------------------------------------------------------


@settings(max_examples=40)
@given(st.data())
def test_evaluate_matches_torch_autograd(data: st.DataObject) -> None:
    layer, length = data.draw(conv_layers())
    activation = data.draw(st.sampled_from(list(TORCH_ACTIVATIONS)))
    loss = data.draw(st.sampled_from([None, "sum", "mse"]))
    e = layer.expand(length)
    n = data.draw(st.integers(1, 2))
    x, w = ints(data.draw, (n, layer.in_channels, length)), ints(data.draw, layer.weight_shape)
    b = ints(data.draw, (layer.out_channels,)) if layer.bias else None
    upstream = ints(data.draw, (n, layer.out_channels, e.output_length))
    g = gradients(e, activation=activation, loss=loss)
    kwargs = {"delta": upstream} if loss is None else {"target": upstream} if loss == "mse" else {}
    ours = g.evaluate(x, w, b, **kwargs)
    theirs = torch_gradients(
        lambda xt, wt, bt: torch_forward(layer, length, xt, wt, bt), x, w, b, activation, loss, upstream
    )
    exact = activation in EXACT_ACTIVATIONS and loss != "mse"
    for key in ("dx", "dw", "db"):
        if theirs[key] is None:
            assert ours[key] is None
        else:
            assert_same(ours[key], theirs[key], exact)
    if loss == "mse" and activation in EXACT_ACTIVATIONS:
        # exact rationals: the mse gradient is 2/(N*C_out*L_out) times the generic one at delta = out - y
        z = e.evaluate(x, w, b)
        out = np.maximum(z, 0) if activation == "relu" else z
        plain = gradients(e, activation=activation).evaluate(x, w, b, delta=out - upstream)
        scale = Fraction(2, n * layer.out_channels * e.output_length)
        for key in ("dx", "dw", "db"):
            if plain[key] is not None:
                assert ours[key].dtype == object
                assert np.array_equal(ours[key], plain[key].astype(object) * scale)


@settings(max_examples=40)
@given(st.data())
def test_evaluate_matches_torch_nn_grad_for_zero_padding(data: st.DataObject) -> None:
    """``dL/dx`` and ``dL/dw`` equal ``torch.nn.grad.conv1d_input``/``conv1d_weight`` exactly."""
    layer, length = data.draw(conv_layers())
    layer = dataclasses.replace(layer, padding_mode="zeros")
    e = layer.expand(length)
    left, right = e.padding
    n = data.draw(st.integers(1, 2))
    x, w = ints(data.draw, (n, layer.in_channels, length)), ints(data.draw, layer.weight_shape)
    delta = ints(data.draw, (n, layer.out_channels, e.output_length))
    ours = gradients(e).evaluate(x, w, delta=delta)
    xt, dt = torch.tensor(x, dtype=torch.float64), torch.tensor(delta, dtype=torch.float64)
    wt = torch.tensor(w, dtype=torch.float64)
    kernel = wt.flip(-1) if layer.flip else wt
    xp = F.pad(xt, (left, right))
    args = (layer.stride, 0, layer.dilation, layer.groups)
    dx = torch.nn.grad.conv1d_input(xp.shape, kernel, dt, *args)[..., left : left + length]
    dw = torch.nn.grad.conv1d_weight(xp, kernel.shape, dt, *args)
    if layer.flip:
        dw = dw.flip(-1)
    assert_same(ours["dx"], dx.numpy(), exact=True)
    assert_same(ours["dw"], dw.numpy(), exact=True)
    if layer.bias:
        assert np.array_equal(ours["db"], delta.sum(axis=(0, 2)))
    else:
        assert ours["db"] is None


def test_evaluate_custom_loss_matches_torch() -> None:
    """A SymPy loss in the outputs, evaluated per sample and summed over the batch, exactly."""
    layer = Conv1d(2, 2, 2, padding=1, padding_mode="replicate", groups=2)
    e = layer.expand(3)
    z = e.output_symbols("z")
    loss = z[0, 0] ** 2 * z[1, 3] - 3 * z[0, 2] + z[1, 1] ** 3
    x = np.array([[[1, -2, 3], [0, 2, -1]], [[2, 1, -1], [-3, 0, 1]]])
    w, b = np.array([[[2, -1]], [[1, 3]]]), np.array([1, -2])
    ours = gradients(e, loss=loss).evaluate(x, w, b)

    def torch_loss(out: torch.Tensor) -> torch.Tensor:
        return (out[:, 0, 0] ** 2 * out[:, 1, 3] - 3 * out[:, 0, 2] + out[:, 1, 1] ** 3).sum()

    xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    torch_loss(torch_forward(layer, 3, xt, wt, bt)).backward()
    for key, tensor in (("dx", xt), ("dw", wt), ("db", bt)):
        assert ours[key].shape == tensor.shape
        assert np.array_equal(ours[key].astype(np.int64), tensor.grad.numpy()), key
    # with an activation the loss reads a: here relu, so L = sum(relu(z))
    a = e.output_symbols("a")
    relu_sum = gradients(e, activation="relu", loss=sympy.Add(*flat(a))).evaluate(x, w, b)
    plain = gradients(e, activation="relu", loss="sum").evaluate(x, w, b)
    for key in ("dx", "dw", "db"):
        assert np.array_equal(relu_sum[key].astype(np.int64), plain[key])


def test_evaluate_single_channel_shapes_and_vector_t5() -> None:
    """T5's layer: ``x=[1,2,3,4]``, ``W=[5,6,7]`` give ``[38, 56]``; 1D arrays in, 1D gradients out."""
    e = Conv1d(1, 1, 3).expand(4)
    assert e.evaluate([1, 2, 3, 4], [5, 6, 7]).tolist() == [38, 56]
    got = gradients(e).evaluate([1, 2, 3, 4], [5, 6, 7], [0], delta=[1, -1])
    assert got["dx"].tolist() == [5, 1, 1, -7]  # np.convolve([1, -1], [5, 6, 7], 'full')
    assert got["dw"].tolist() == [-1, -1, -1]  # np.correlate([1, 2, 3, 4], [1, -1], 'valid')
    assert got["db"].tolist() == [0]
    assert got["delta"].tolist() == [1, -1]


# -- verify() refutes wrong closed forms and wrong gradients ------------------------------------------


def _layer_gradients() -> Any:
    return gradients(Conv1d(1, 1, 3).expand(5))


def test_verify_rejects_a_changed_closed_entry() -> None:
    g = _layer_gradients()
    weight = next(i for i in g.identities if i.name == "weight gradient")
    closed = list(weight.closed)
    closed[1] = closed[0]  # dL/dw_1 replaced by dL/dw_0
    bad = dataclasses.replace(weight, closed=tuple(closed))
    v = g.verify(identities=[bad])
    assert not v.ok and not bool(v)
    failed = [c for c in v.checks if not c.proven]
    assert [c.name for c in failed] == ["weight gradient: closed form = explicit gradient"]
    assert failed[0].detail.startswith("entry (0, 0, 1) differs: ")
    assert "FAILED  weight gradient" in str(v)
    with pytest.raises(AssertionError, match=r"weight gradient: closed form = explicit gradient: entry \(0, 0, 1\)"):
        v.raise_if_failed()
    # the untouched identity and the explicit gradients still prove
    assert g.verify(identities=[weight]).ok


def test_verify_rejects_an_unflipped_kernel_and_accepts_the_right_one() -> None:
    """``dL/dx`` is the full convolution of delta with w (T20); correlating instead is wrong."""
    g = _layer_gradients()
    e = g.expansion
    w = np.array(flat(e.w), dtype=object)
    delta = np.array(list(g.delta), dtype=object)
    form = next(i for i in g.identities if i.name == "input gradient")
    right = dataclasses.replace(form, closed=tuple(np.convolve(delta, w, "full")))
    wrong = dataclasses.replace(form, closed=tuple(np.correlate(delta, w, "full")))  # the kernel not flipped back
    assert g.verify(identities=[right]).ok
    v = g.verify(identities=[wrong])
    assert not v.ok
    (check,) = (c for c in v.checks if not c.proven)
    assert check.name == "input gradient: closed form = explicit gradient"
    assert check.detail == f"entry (0, 0) differs: delta_0*w_0 != {wrong.closed[0]}"
    assert str(wrong.closed[0]) == "delta_0*w_2"


def test_verify_rejects_a_closed_form_of_the_wrong_size() -> None:
    g = _layer_gradients()
    bias = next(i for i in g.identities if i.name == "bias gradient")
    check = dataclasses.replace(bias, closed=bias.closed * 2).check()
    assert not check.proven
    assert check.detail == "1 entries on the left, 2 on the right"


def test_verify_rejects_wrong_explicit_gradients() -> None:
    """A bug in the explicit route (here: dL/dx missing one tap) is caught by sympy.diff and by W^T delta."""
    g = _layer_gradients()
    good = g.dx
    g.__dict__["dx"] = sympy.ImmutableDenseNDimArray([good[0, 0], *flat(good)[1:-1], sympy.S.Zero], good.shape)
    v = g.verify(identities=[])
    failed = {c.name: c.detail for c in v.checks if not c.proven}
    assert set(failed) == {"dL/dx = sympy.diff(L, x)", "dL/dx = W^T vec(delta)"}
    assert failed["dL/dx = sympy.diff(L, x)"] == "entry 4 differs: 0 != delta_2*w_2"


def test_identities_print_their_formulas() -> None:
    g = gradients(Conv1d(1, 1, 3, stride=2, dilation=2, padding=(1, 1)).expand(6))
    text = {i.name: str(i) for i in g.identities}
    assert set(text) == {"bias gradient", "weight gradient", "input gradient"}
    assert "cross-correlation of the padded input with delta (stride 2, dilation 2)" in text["weight gradient"]
    assert "Sum(delta[o, i]*xpad[c, 2*i + 2*k]" in text["weight gradient"]
    assert "1 zero inserted" in text["input gradient"]
    for ident in g.identities:
        assert ident.check().proven
        assert ident.rhs.shape == ident.shape


# -- errors --------------------------------------------------------------------------------------------


def test_bad_loss() -> None:
    e = Conv1d(1, 1, 2).expand(4)
    with pytest.raises(ValueError) as info:
        gradients(e, loss="l1")
    assert str(info.value) == "'loss' must be None, 'sum', 'mse' or a SymPy expression (got 'l1')."
    with pytest.raises(ValueError) as info:
        gradients(e, loss=3)
    assert str(info.value) == "'loss' must be None, 'sum', 'mse' or a SymPy expression (got 3)."


def test_bad_activation() -> None:
    e = Conv1d(1, 1, 2).expand(4)
    with pytest.raises(ValueError) as info:
        gradients(e, activation="elu")
    assert str(info.value) == (
        "'activation' must be a callable or one of "
        "['identity', 'relu', 'sigma', 'sigmoid', 'softplus', 'tanh'] (got 'elu')."
    )
    with pytest.raises(TypeError) as info:
        gradients(e, activation=3)
    assert str(info.value) == "'activation' must be a name or a callable (got 3 of type int)."


def test_evaluate_errors() -> None:
    e = Conv1d(1, 1, 2).expand(4)
    x, w = [1, 2, 3, 4], [1, 2]
    cases = [
        (gradients(e), {}, "'delta' (the upstream gradient dL/d(output)) is required for a generic loss."),
        (
            gradients(e, activation="relu"),
            {},
            "'delta' (the upstream gradient dL/d(output)) is required for a generic loss.",
        ),
        (gradients(e, loss="mse"), {}, "'target' is required for loss='mse'."),
        (gradients(e), {"delta": [1, 2, 3, 4]}, "'delta' must have the output's shape (3,) (got (4,))."),
        (
            gradients(e, loss="mse"),
            {"target": [[1, 2, 3]] * 2},
            "'target' must have the output's shape (3,) (got (2, 3)).",
        ),
        (
            gradients(e, activation="sigma", loss="sum"),
            {},
            "activation 'sigma' is an undefined function: numeric gradients need a concrete activation.",
        ),
        (
            gradients(e, loss=sympy.Symbol("q") * e.output_symbols("z")[0, 0]),
            {},
            "the loss has symbols other than the outputs: ['q'].",
        ),
    ]
    for g, kwargs, message in cases:
        with pytest.raises(ValueError) as info:
            g.evaluate(x, w, **kwargs)
        assert str(info.value) == message


def test_gradients_is_exported() -> None:
    assert symconv.gradients is gradients
    assert {"sum", "mse"} == set(LOSSES)


# -- issue 9: PyTorch's softplus, MSELoss over a batch, bad arguments -------------------------------


def test_softplus_is_pytorchs_linear_above_the_threshold_20() -> None:
    """Regression: symconv's softplus was log(1 + e^z) everywhere, 2.1e-9 above torch's at z = 20+."""
    from symconv.layers.softplus import softplus_numbers

    z = np.concatenate([np.linspace(19.5, 20.5, 1001), [np.nextafter(20.0, 0), 20.0, np.nextafter(20.0, 40)]])
    z = np.concatenate([z, [-800.0, -40.0, 0.0, 35.0, 800.0, np.inf, -np.inf]])
    value, slope = softplus_numbers(z)
    zt = torch.tensor(z, requires_grad=True)
    out = F.softplus(zt)
    out.sum().backward()
    above = z > 20
    assert np.array_equal(value[above], z[above]) and np.array_equal(slope[above], np.ones(above.sum()))
    # below the threshold both compute log1p(exp(z)) and e/(e+1): libm rounding may differ by an ulp
    np.testing.assert_allclose(value, out.detach().numpy(), rtol=2**-51, atol=0)
    np.testing.assert_allclose(slope, zt.grad.numpy(), rtol=2**-51, atol=0)
    # the symbolic softplus is the same function: exact at rationals on both sides of 20
    e = Conv1d(1, 1, 1, bias=False).expand(1)
    f = e.activate("softplus")[0, 0]
    for point in (sympy.Rational(41, 2), sympy.Integer(20), sympy.Rational(39, 2)):
        exact = f.xreplace({sympy.Symbol("w_0"): point, sympy.Symbol("x_0"): 1})
        assert exact == f.rewrite(sympy.Piecewise).xreplace({sympy.Symbol("w_0"): point, sympy.Symbol("x_0"): 1})
        expected = point if point > 20 else sympy.log(1 + sympy.exp(point))
        assert exact == expected
        torch_value = F.softplus(torch.tensor(float(point), dtype=torch.float64)).item()
        assert float(exact) == pytest.approx(torch_value, rel=2**-51, abs=0)


@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
def test_mse_over_a_batch_is_the_mean_over_every_element_as_torch_mseloss(activation: Any) -> None:
    """Regression: loss='mse' over a batch of N gave N times torch.nn.MSELoss()'s gradient."""
    layer = Conv1d(2, 3, 2, padding=1)
    e = layer.expand(4)
    rng = np.random.default_rng(9)
    x, w, b = rng.integers(-3, 4, (5, 2, 4)), rng.integers(-3, 4, (3, 2, 2)), rng.integers(-3, 4, 3)
    target = rng.integers(-3, 4, (5, 3, e.output_length))
    ours = gradients(e, activation=activation, loss="mse").evaluate(x, w, b, target=target)
    xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    out = TORCH_ACTIVATIONS[activation](F.conv1d(xt, wt, bt, padding=1))
    torch.nn.MSELoss()(out, torch.tensor(target, dtype=torch.float64)).backward()
    for key, tensor in (("dx", xt), ("dw", wt), ("db", bt)):
        np.testing.assert_allclose(np.asarray(ours[key], dtype=np.float64), tensor.grad.numpy(), rtol=1e-13, atol=1e-15)
    if activation != "tanh":  # exact on integers: 2/(N*C_out*L_out) times the residual's gradient
        assert ours["db"].dtype == object
        assert all(isinstance(v, (int, Fraction)) for v in ours["db"])


def test_gradients_of_a_layer_instead_of_an_expansion_names_the_fix() -> None:
    with pytest.raises(TypeError) as info:
        gradients(Conv1d(1, 1, 2))
    message = str(info.value)
    assert message.startswith("'expansion' must be an Expansion, the layer at one input length")
    assert "pass layer.expand(input_length)" in message and "of type Conv1d" in message
    with pytest.raises(TypeError, match=r"^'expansion' must be an Expansion"):
        gradients("conv")


def test_loss_given_as_an_array_is_refused_by_name() -> None:
    e = Conv1d(1, 1, 2).expand(3)
    with pytest.raises(ValueError, match=r"^'loss' must be None, 'sum', 'mse' or a SymPy expression"):
        gradients(e, loss=np.array(["sum", "mse"]))


def test_evaluate_refuses_string_targets_and_deltas() -> None:
    e = Conv1d(1, 1, 2).expand(3)
    with pytest.raises(TypeError, match=r"^'target' must hold numbers"):
        gradients(e, loss="mse").evaluate([1, 2, 3], [1, 1], [0], target=["1", "2"])
    with pytest.raises(TypeError, match=r"^'delta' must hold numbers"):
        gradients(e).evaluate([1, 2, 3], [1, 1], [0], delta=[None, 1])


@pytest.mark.parametrize("activation", ["relu", "softplus"])
def test_numeric_gradients_through_a_kink_refuse_symbols_and_complex_numbers(activation: str) -> None:
    """Regression: a symbol raised SymPy's 'cannot determine truth value of Relational', a complex
    number Python's "'>' not supported", neither naming an argument."""
    g = gradients(Conv1d(1, 1, 2).expand(2), activation=activation, loss="sum")
    for x in ([sympy.Symbol("a"), 1], [1j, 1], np.array([1 + 0j, 1], dtype=object)):
        with pytest.raises(TypeError, match=rf"^numeric gradients through '{activation}' need real numbers"):
            g.evaluate(x, [1, 1], [0])
    exact = g.evaluate([sympy.Rational(1, 2), Fraction(1, 3)], [1, 1], [0])["dx"]  # real exact numbers pass
    slope = 1 if activation == "relu" else sympy.exp(sympy.Rational(5, 6)) / (sympy.exp(sympy.Rational(5, 6)) + 1)
    assert exact.tolist() == [slope, slope]


def _printed_formula_values(formula: sympy.Eq, index_values: dict[str, int], arrays: dict[str, Any]) -> Any:
    """The printed right-hand side at one index point: ``doit()``, then each Indexed read from ``arrays``."""
    names = {s.name: s for s in formula.free_symbols if isinstance(s, sympy.Symbol)}
    rhs = formula.rhs.subs({names[n]: v for n, v in index_values.items() if n in names}).doit()

    def read(e: sympy.Indexed) -> Any:
        a = arrays[e.base.label.name]
        idx = tuple(int(i) for i in e.indices)
        if any(i < 0 for i in idx) or any(i >= n for i, n in zip(idx, np.shape(a))):
            return sympy.S.Zero
        return a[idx]

    return rhs.replace(lambda e: isinstance(e, sympy.Indexed), read)


@pytest.mark.parametrize(
    "layer",
    [
        Conv1d(4, 4, 3, groups=2),
        Conv1d(6, 4, 2, groups=2, stride=2, padding=1),
        Conv1d(3, 6, 3, groups=3, dilation=2, padding="same", padding_mode="circular"),
        Conv1d(4, 2, 2, groups=2, padding=(1, 0), padding_mode="reflect"),
        Conv1d(2, 3, 3, padding=1),
    ],
)
def test_printed_gradient_formulas_evaluate_to_the_explicit_gradient_with_groups(layer: Conv1d) -> None:
    """The printed dL/dw and dL/dx index formulas, evaluated entry by entry, equal the explicit gradients.

    With groups > 1 the input formula once used ``c`` as both the input channel and the
    weight's within-group channel and summed over the first group's outputs only.
    """
    e = layer.expand(6)
    g = gradients(e)
    forms = {i.name: i for i in g.identities}
    delta = np.array(g.delta.tolist(), dtype=object)
    s, left = layer.stride, e.padding[0]
    up = np.full((delta.shape[0], s * (delta.shape[1] - 1) + 1), sympy.S.Zero, dtype=object)
    up[:, ::s] = delta
    w = np.array(e.w.tolist(), dtype=object)
    x = np.array(e.x.tolist(), dtype=object)
    n_pad = e.input_length + sum(e.padding)
    source = symconv.geometry.padding.fold(
        layer.padding_mode, np.arange(-left, e.input_length + e.padding[1]), e.input_length
    )
    xpad = np.array(
        [[x[c, t] if t >= 0 else sympy.S.Zero for t in source] for c in range(layer.in_channels)], dtype=object
    )
    # dL/dxpad from the printed formula, folded back onto x
    dx = np.full(x.shape, sympy.S.Zero, dtype=object)
    for c in range(layer.in_channels):
        for u in range(n_pad):
            value = _printed_formula_values(forms["input gradient"].formula, {"c": c, "u": u}, {"w": w, "delta_up": up})
            if source[u] >= 0:
                dx[c, source[u]] += value
    explicit_dx = np.array(g.dx.tolist(), dtype=object)
    assert all(sympy.expand(a - b) == 0 for a, b in zip(dx.ravel(), explicit_dx.ravel()))
    dw = np.array(g.dw.tolist(), dtype=object)
    for o, c, k in np.ndindex(dw.shape):
        value = _printed_formula_values(
            forms["weight gradient"].formula, {"o": o, "c": c, "k": k}, {"delta": delta, "xpad": xpad}
        )
        assert sympy.expand(value - dw[o, c, k]) == 0, (o, c, k)


@pytest.mark.parametrize(
    "layer",
    [
        symconv.ConvTranspose1d(4, 4, 3, groups=2, stride=2, padding=1),
        symconv.ConvTranspose1d(2, 6, 2, groups=2, dilation=2),
        symconv.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1),
    ],
)
def test_printed_transposed_gradient_formulas_evaluate_to_the_explicit_gradient(layer: Any) -> None:
    """The transposed layer's printed formulas read delta at the output channel of the input's group."""
    e = layer.expand(3)
    g = gradients(e)
    forms = {i.name: i for i in g.identities}
    p = layer.padding
    delta = np.array(g.delta.tolist(), dtype=object)
    zeros = np.full((delta.shape[0], p), sympy.S.Zero, dtype=object)
    dpad = np.concatenate([zeros, delta, zeros], axis=1)
    arrays = {"w": np.array(e.w.tolist(), dtype=object), "x": np.array(e.x.tolist(), dtype=object), "deltapad": dpad}
    dx = np.array(g.dx.tolist(), dtype=object)
    for c, i in np.ndindex(dx.shape):
        value = _printed_formula_values(forms["input gradient"].formula, {"c": c, "i": i}, arrays)
        assert sympy.expand(value - dx[c, i]) == 0, (c, i)
    dw = np.array(g.dw.tolist(), dtype=object)
    for c, o, k in np.ndindex(dw.shape):
        value = _printed_formula_values(forms["weight gradient"].formula, {"c": c, "o": o, "k": k}, arrays)
        assert sympy.expand(value - dw[c, o, k]) == 0, (c, o, k)
