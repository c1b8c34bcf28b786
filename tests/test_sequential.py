"""Stacks: local equations, composition, receptive fields, and backprop against SymPy and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symconv import (
    Activation,
    AvgPool1d,
    Conv1d,
    ConvTranspose1d,
    Flatten,
    Linear,
    MaxPool1d,
    Sequential,
)


def _flat(m):
    return list(sympy.flatten(m.tolist()))


def test_two_convolutions_compose_receptive_fields():
    s = Sequential(Conv1d(1, 1, 3, bias=False), Conv1d(1, 1, 3, bias=False)).expand(7)
    assert s.output_symbols.shape == (1, 3)
    for i in range(3):
        assert s.receptive_field(0, i) == [(0, t) for t in range(i, i + 5)]
    # the composed output is the correlation with the full convolution of the two kernels
    x, w1, w2 = s.x, s.stages[0].params["w"], s.stages[1].params["w"]
    expected = sum(w2[0, 0, a] * w1[0, 0, b] * x[0, a + b] for a in range(3) for b in range(3))
    assert sympy.expand(s.output[0, 0] - expected) == 0


def test_local_equations_read_the_previous_stage():
    s = Sequential(Conv1d(1, 2, 2), Activation("tanh"), AvgPool1d(2)).expand(5)
    assert s.stages[1].local == s.stages[0].outputs.applyfunc(sympy.tanh)
    h2 = s.stages[1].outputs
    assert s.stages[2].local[1, 0] == (h2[1, 0] + h2[1, 1]) / 2


STACKS = [
    (
        Sequential(
            Conv1d(1, 2, 3, padding=1), Activation("tanh"), AvgPool1d(2), Conv1d(2, 1, 2), Flatten(), Linear(2, 2)
        ),
        6,
    ),
    (Sequential(Conv1d(2, 2, 2, groups=2, padding_mode="reflect", padding=1), Activation("sigmoid")), 4),
    (Sequential(ConvTranspose1d(1, 2, 2, stride=2), Activation("relu"), Conv1d(2, 1, 3, stride=2)), 3),
]


@pytest.mark.parametrize(("net", "length"), STACKS)
def test_stack_gradients_are_proven_against_sympy_diff(net, length):
    v = net.expand(length).gradients().verify()
    assert v.ok, str(v)
    assert all("exactly" in c.detail for c in v.checks)


def test_stack_with_max_pooling_is_checked_at_points():
    net = Sequential(Conv1d(1, 2, 2), Activation("relu"), MaxPool1d(2, stride=1), ConvTranspose1d(2, 1, 2, stride=2))
    v = net.expand(4).gradients("mse").verify()
    assert v.ok, str(v)
    assert all("rational points" in c.detail for c in v.checks)


def test_max_pool_gradient_goes_to_the_first_maximum_like_torch():
    s = Sequential(MaxPool1d(3, stride=1)).expand(5, in_channels=1)
    g = s.gradients()
    x = [2, 7, 7, 1, 7]
    upstream = {sym: 1 for sym in _flat(g.upstream)}
    dx = g.evaluate({**dict(zip(_flat(s.x), x)), **upstream})[(0, "x")]
    xt = torch.tensor([[x]], dtype=torch.float64, requires_grad=True)
    F.max_pool1d(xt, 3, stride=1).sum().backward()
    assert [int(v) for v in dx] == xt.grad.ravel().tolist() == [0, 2, 1, 0, 0]


def _torch_stack(net, params, x):
    h = x
    for j, layer in enumerate(net.layers, start=1):
        if isinstance(layer, Conv1d):
            left, right = layer.resolve_padding(h.shape[-1])
            mode = "constant" if layer.padding_mode == "zeros" else layer.padding_mode
            h = F.conv1d(
                F.pad(h, (left, right), mode=mode),
                params[(j, "w")],
                params.get((j, "b")),
                stride=layer.stride,
                dilation=layer.dilation,
                groups=layer.groups,
            )
        elif isinstance(layer, ConvTranspose1d):
            h = F.conv_transpose1d(
                h,
                params[(j, "w")],
                params.get((j, "b")),
                stride=layer.stride,
                padding=layer.padding,
                output_padding=layer.output_padding,
                groups=layer.groups,
                dilation=layer.dilation,
            )
        elif isinstance(layer, Activation):
            h = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda t: t}[layer.name](
                h
            )
        elif isinstance(layer, AvgPool1d):
            h = F.avg_pool1d(
                h, layer.kernel_size, layer.stride, layer.padding, layer.ceil_mode, layer.count_include_pad
            )
        elif isinstance(layer, MaxPool1d):
            h = F.max_pool1d(h, layer.kernel_size, layer.stride, layer.padding, layer.dilation, layer.ceil_mode)
        elif isinstance(layer, Flatten):
            h = h.flatten(1)
        else:
            h = F.linear(h, params[(j, "w")], params.get((j, "b")))
    return h


@pytest.mark.parametrize(
    ("net", "length"), [*STACKS, (Sequential(Conv1d(1, 2, 2), Activation("relu"), MaxPool1d(2)), 5)]
)
def test_stack_gradients_equal_torch_autograd(net, length):
    _assert_gradients_equal_torch(net, length, seed=7)


def _assert_gradients_equal_torch(net, length, seed):
    rng = np.random.default_rng(seed)
    s = net.expand(length)
    g = s.gradients()
    values, tparams = {}, {}
    x = rng.integers(-3, 4, s.x.shape)
    values.update(zip(_flat(s.x), x.ravel().tolist()))
    for stage in s.stages:
        for name, symbols in stage.params.items():
            arr = np.array(symbols.tolist())
            nums = rng.integers(-3, 4, arr.shape)
            values.update(zip(_flat(symbols), nums.ravel().tolist()))
            tparams[(stage.index, name)] = torch.tensor(
                nums.reshape((-1,) if name == "b" else arr.shape), dtype=torch.float64, requires_grad=True
            )
    up = rng.integers(-3, 4, s.output_symbols.shape)
    values.update(zip(_flat(g.upstream), up.ravel().tolist()))
    ours = g.evaluate(values)
    xt = torch.tensor(x[None], dtype=torch.float64, requires_grad=True)
    out = _torch_stack(net, tparams, xt)
    (out.reshape(up.shape) * torch.tensor(up, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose([float(v) for v in ours[(0, "x")]], xt.grad.ravel().numpy(), rtol=1e-12, atol=1e-12)
    for key, tensor in tparams.items():
        np.testing.assert_allclose([float(v) for v in ours[key]], tensor.grad.ravel().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "pool",
    [
        AvgPool1d(3, 2, 1),
        AvgPool1d(3, 2, 1, ceil_mode=True),
        AvgPool1d(3, 2, 1, count_include_pad=False),
        AvgPool1d(2, ceil_mode=True),
        MaxPool1d(3, 2, 1, dilation=2),
        MaxPool1d(2, ceil_mode=True),
    ],
)
@pytest.mark.parametrize("length", [4, 5, 7])
def test_pooling_forward_equals_torch(pool, length):
    s = Sequential(pool).expand(length, in_channels=1)
    x = np.arange(1, length + 1) * np.array([1, -2, 3, -1, 2, 5, -4])[:length]
    ours = [e.xreplace(dict(zip(_flat(s.x), x.tolist()))) for e in _flat(s.output)]
    xt = torch.tensor(x[None, None], dtype=torch.float64)
    if isinstance(pool, AvgPool1d):
        ref = F.avg_pool1d(xt, pool.kernel_size, pool.stride, pool.padding, pool.ceil_mode, pool.count_include_pad)
    else:
        ref = F.max_pool1d(xt, pool.kernel_size, pool.stride, pool.padding, pool.dilation, pool.ceil_mode)
    assert [float(v) for v in ours] == ref.ravel().tolist()


def test_bad_stacks_are_rejected_with_clear_errors():
    with pytest.raises(TypeError, match=r"'layers\[1\]' of Sequential must be one of"):
        Sequential(Conv1d(1, 1, 2), "relu")
    with pytest.raises(ValueError, match="Linear expects 3 input features on the last axis but the stack gives 2"):
        Sequential(Conv1d(1, 1, 2), Flatten(), Linear(3, 1)).expand(3)
    with pytest.raises(ValueError, match="layer 2 expects 2 channels but the stack gives 1"):
        Sequential(Conv1d(1, 1, 2), Conv1d(2, 1, 2)).expand(4)
    with pytest.raises(ValueError, match=r"'padding' must be at most half of the kernel size 2, as PyTorch requires"):
        MaxPool1d(2, padding=2)
    # PyTorch's rule ignores dilation: padding 2 on a kernel of 3 is refused at any dilation
    with pytest.raises(ValueError, match=r"'padding' must be at most half of the kernel size 3"):
        MaxPool1d(3, padding=2, dilation=2)
    with pytest.raises(ValueError, match="'loss' must be None, 'sum' or 'mse' for a stack"):
        Sequential(Conv1d(1, 1, 2)).expand(3).gradients("l1")


# -- random stacks of 2-3 layers ------------------------------------------------------------------


@st.composite
def small_stacks(draw):
    """A Conv1d, then one or two of: activation, pooling, a second Conv1d or ConvTranspose1d."""
    c_mid = draw(st.integers(1, 2))
    first = Conv1d(1, c_mid, draw(st.integers(1, 3)), padding=draw(st.integers(0, 1)), bias=draw(st.booleans()))
    options = [
        Activation(draw(st.sampled_from(["relu", "tanh", "identity"]))),
        AvgPool1d(2, stride=draw(st.integers(1, 2))),
        MaxPool1d(2, stride=1),
        Conv1d(c_mid, 1, draw(st.integers(1, 2)), stride=draw(st.integers(1, 2))),
        ConvTranspose1d(c_mid, 1, 2, stride=draw(st.integers(1, 2))),
    ]
    rest = draw(st.lists(st.sampled_from(range(len(options))), min_size=1, max_size=2, unique=True))
    if 3 in rest and 4 in rest:
        rest.remove(4)
    layers = [first] + [options[j] for j in sorted(rest, key=lambda j: j >= 3)]
    return Sequential(*layers), draw(st.integers(4, 6))


@settings(max_examples=12, deadline=None)
@given(small_stacks(), st.integers(0, 2**16))
def test_random_stacks_gradients_equal_sympy_diff_and_torch(stack, seed):
    net, length = stack
    try:
        s = net.expand(length)
    except ValueError as error:  # a drawn stack whose input is too short for a later layer
        assert "longer than the padded input" in str(error) or "shorter than" in str(error)
        assume(False)
    g = s.gradients()
    assert g.verify(points=2, seed=seed).ok
    _assert_gradients_equal_torch(net, length, seed)


def test_max_pool_stack_with_a_dense_bias_is_checked():
    # d L / d c5 is the bare upstream symbol g_0: the pointwise check must still compare SymPy numbers
    net = Sequential(Conv1d(1, 2, 2), Activation("relu"), MaxPool1d(2), Flatten(), Linear(4, 1))
    v = net.expand(5).gradients().verify()
    assert v.ok, str(v)


def test_pointwise_checks_avoid_kinks_and_say_when_they_cannot():
    import random

    from symconv.stack.sequential import _off_kinks

    a, b = sympy.symbols("a b")
    for seed in range(20):
        point = _off_kinks(random.Random(seed), [a, b], {a - b, a + b})
        assert point[a] != point[b] and point[a] != -point[b]
        assert all(isinstance(v, sympy.Rational) and abs(v) <= 1 for v in point.values())
    with pytest.raises(ValueError, match="no rational point off the kinks found in 50 tries"):
        _off_kinks(random.Random(0), [a], {a - a + sympy.S.Zero * a})


def test_pointwise_comparison_is_exact_for_rationals_and_sharp_otherwise():
    from symconv.stack.sequential import _equal_numbers

    t = sympy.tanh(5)
    assert _equal_numbers(sympy.Rational(3, 7), sympy.Rational(6, 14))
    assert not _equal_numbers(sympy.Rational(3, 7), sympy.Rational(3, 7) + sympy.Rational(1, 10**80))
    assert _equal_numbers(2 * t * (1 - t**2), 2 * t - 2 * t**3)
    assert not _equal_numbers(t, t + sympy.Rational(1, 10**50))


def test_transcendental_activation_under_max_pooling_is_checked_quickly():
    # exact values such as tanh(5) at the points: compared by evalf, not simplify (which took minutes)
    net = Sequential(Conv1d(1, 2, 2), Activation("tanh"), MaxPool1d(2, stride=1), Conv1d(2, 1, 2))
    v = net.expand(5).gradients().verify(points=3)
    assert v.ok, str(v)


# -- issue 9: two ReLUs in a row, PyTorch's pooling signatures, bad arguments ---------------------


@pytest.mark.parametrize(
    "net",
    [
        Sequential(Activation("relu"), Activation("relu")),
        Sequential(Activation("relu"), Activation("identity"), Activation("relu")),
        Sequential(Activation("relu"), Activation("relu"), Activation("relu")),
        Sequential(Conv1d(1, 1, 2), Activation("relu"), Flatten(), Activation("relu")),
    ],
    ids=["relu-relu", "relu-identity-relu", "relu-relu-relu", "conv-relu-flatten-relu"],
)
def test_a_correct_double_relu_gradient_is_proven(net):
    """Regression: SymPy folds Max(0, Max(0, u)) into Max(0, u), so its derivative has one
    Heaviside where the chain rule has two; verify() rejected the correct gradient."""
    s = net.expand(1 if len(net.layers) < 4 or not isinstance(net.layers[0], Conv1d) else 3)
    for loss in (None, "sum", "mse"):
        v = s.gradients(loss).verify()
        assert v.ok, str(v)
        assert all("exactly" in c.detail for c in v.checks)


def test_double_relu_gradient_is_heaviside_and_matches_torch_on_both_sides_of_zero():
    s = Sequential(Activation("relu"), Activation("relu")).expand(1)
    g = s.gradients()
    x0, g0 = sympy.Symbol("x_0"), sympy.Symbol("g_0")
    assert g.composed_gradients()[(0, "x")] == [g0 * sympy.Heaviside(x0, 0)]
    for x in (-2, 0, 3):
        xt = torch.tensor([[float(x)]], requires_grad=True)
        torch.relu(torch.relu(xt)).sum().backward()
        assert g.evaluate({x0: x, g0: 1})[(0, "x")] == [int(xt.grad.item())]


def test_the_double_relu_stack_derivation_builds():
    """Regression: the derivation raised SymPy's 'BooleanAtom not allowed' after the false rejection."""
    from symconv import derivation

    d = derivation(Sequential(Activation("relu"), Activation("relu")), 1)
    assert [step.name for step in d.steps][-1] == "every gradient"


def test_max_pool_takes_pytorchs_positional_order():
    """Regression: MaxPool1d(k, s, p, 2) set ceil_mode (and failed); PyTorch's order is kernel_size,
    stride, padding, dilation, return_indices, ceil_mode."""
    import inspect

    ours = [p for p in inspect.signature(MaxPool1d).parameters]
    theirs = [p for p in inspect.signature(torch.nn.MaxPool1d).parameters]
    assert ours == theirs == ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"]
    ours = [p for p in inspect.signature(AvgPool1d).parameters]
    theirs = [p for p in inspect.signature(torch.nn.AvgPool1d).parameters]
    assert ours == theirs == ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]
    pool = MaxPool1d(3, 2, 1, 2, False, True)
    assert (pool.dilation, pool.return_indices, pool.ceil_mode) == (2, False, True)
    x = [3, -1, 4, 1, -5, 9, 2, -6, 5]
    out = Sequential(pool).expand(9, in_channels=1).output
    ref = torch.nn.MaxPool1d(3, 2, 1, 2, False, True)(torch.tensor([[x]], dtype=torch.float64))
    values = dict(zip(_flat(Sequential(pool).expand(9, in_channels=1).x), x))
    assert [int(v.xreplace(values)) for v in _flat(out)] == ref.ravel().int().tolist()
    avg = AvgPool1d(3, 2, 1, True, False)
    assert (avg.ceil_mode, avg.count_include_pad) == (True, False)


def test_max_pool_return_indices_true_is_refused():
    assert MaxPool1d(2, return_indices=False).return_indices is False
    with pytest.raises(ValueError) as info:
        MaxPool1d(2, return_indices=True)
    assert str(info.value) == (
        "'return_indices' must be False: symconv's MaxPool1d gives the maxima only, not their positions (got True)."
    )
    with pytest.raises(TypeError, match=r"^'return_indices' must be a bool \(got 1 of type int\)\.$"):
        MaxPool1d(2, return_indices=1)


@pytest.mark.parametrize(
    ("call", "exc", "message"),
    [
        (lambda: Sequential(Activation()).expand(-1), ValueError, "'input_length' must be a positive int (got -1)."),
        (
            lambda: Sequential(Activation()).expand(3.0),
            TypeError,
            "'input_length' must be a positive int (got 3.0 of type float).",
        ),
        (
            lambda: Sequential(Activation()).expand(3, in_channels=0),
            ValueError,
            "'in_channels' must be a positive int (got 0).",
        ),
        (
            lambda: Sequential(Activation()).expand(3, in_channels=True),
            TypeError,
            "'in_channels' must be a positive int (got True of type bool).",
        ),
        (lambda: Sequential().expand(3), ValueError, "'layers' of Sequential must hold at least one layer (got none)."),
        (
            lambda: Sequential(Activation()).expand(2).receptive_field(0, 1.5),
            TypeError,
            "'position' must be an int index (got 1.5 of type float).",
        ),
        (
            lambda: Sequential(Activation()).expand(2).receptive_field(0, 2),
            ValueError,
            "output position (channel, position) must have 'channel' in [0, 1) and 'position' in [0, 2) (got (0, 2)).",
        ),
        (lambda: Sequential(Activation()).expand(2).gradients().evaluate({"x_0": "1"}), TypeError, None),
        (
            lambda: Sequential(Activation()).expand(2).gradients().evaluate({"x_0": float("nan")}),
            ValueError,
            "'values' must be finite numbers for exact gradients (got nan for x_0).",
        ),
        (
            lambda: Sequential(Activation()).expand(2).gradients().evaluate({1: 1}),
            TypeError,
            "'values' keys must be SymPy symbols or their names (got 1 of type int).",
        ),
        (lambda: Sequential(Activation()).expand(2).gradients(np.array(["sum"])), ValueError, None),
    ],
    ids=[
        "length-1",
        "length-float",
        "channels-0",
        "channels-bool",
        "no-layers",
        "position-float",
        "position-range",
        "values-string",
        "values-nan",
        "values-key",
        "loss-array",
    ],
)
def test_bad_stack_arguments_are_refused_by_name(call, exc, message):
    """Regression: expand(-1) was accepted and expand(3, in_channels=0) raised ZeroDivisionError."""
    with pytest.raises(exc) as info:
        call()
    if message is not None:
        assert str(info.value) == message


def test_a_softplus_stack_is_proven_exactly():
    """PyTorch's softplus is a SymPy function whose derivative is softplus_slope, so sympy.diff of
    the composed loss has the chain rule's very form (a Piecewise made this take minutes)."""
    net = Sequential(Conv1d(1, 2, 2), Activation("softplus"), Conv1d(2, 1, 2), Activation("softplus"))
    for loss in (None, "mse"):
        v = net.expand(4).gradients(loss).verify()
        assert v.ok and all("exactly" in c.detail for c in v.checks), str(v)


def test_a_one_axis_stack_takes_an_int_position_only() -> None:
    """Regression (found by the random-garbage fuzz): the N-D change let receptive_field(0, [0]) through in 1D."""
    s = Sequential(Activation()).expand(2)
    with pytest.raises(TypeError, match="'position' must be an int index"):
        s.receptive_field(0, [0])
    assert s.receptive_field(0, 1) == [(0, 1)]
