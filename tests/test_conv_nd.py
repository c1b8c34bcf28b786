"""Conv2d and Conv3d made explicit: symbols, z, equations, the matrix and evaluate, held against PyTorch.

The references are ``torch.nn.Conv2d``/``Conv3d`` modules where PyTorch takes the padding as given
(symmetric ints, 'same', 'valid', every padding mode), and ``F.pad`` followed by ``F.conv2d``/
``F.conv3d`` for per-axis ``(left, right)`` pairs, on integer data in float64 (exact here).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import sympy
import torch

from symconv.base.symbols import entries
from symconv.layers.convnd import Conv2d, Conv3d

F = torch.nn.functional

MODES = ["zeros", "reflect", "replicate", "circular"]


def random_layer(rng: random.Random, dims: int) -> tuple[Conv2d | Conv3d, tuple[int, ...]]:
    cls = {2: Conv2d, 3: Conv3d}[dims]
    while True:
        groups = rng.choice([1, 1, 2])
        shape = tuple(rng.randint(2, 6) for _ in range(dims))
        kernel = tuple(rng.randint(1, 3) for _ in range(dims))
        stride = tuple(rng.randint(1, 2) for _ in range(dims))
        dilation = tuple(rng.randint(1, 2) for _ in range(dims))
        mode = rng.choice(MODES)
        form = rng.choice(["int", "per-axis", "pairs", "name"])
        if form == "int":
            padding: object = rng.randint(0, 1)
        elif form == "per-axis":
            padding = tuple(rng.randint(0, 1) for _ in range(dims))
        elif form == "pairs":
            padding = tuple((rng.randint(0, 1), rng.randint(0, 1)) for _ in range(dims))
        else:
            padding = rng.choice(["valid", "full", "causal", "tf_same"] + (["same"] if set(stride) == {1} else []))
        try:
            layer = cls(
                groups * rng.randint(1, 2),
                groups * rng.randint(1, 2),
                kernel,
                stride=stride,
                padding=padding,
                dilation=dilation,
                groups=groups,
                bias=rng.random() < 0.6,
                padding_mode=mode,
                flip=rng.random() < 0.2,
            )
            layer.geometry(shape)
        except ValueError:
            continue  # padding larger than reflect allows, or a kernel longer than the padded input
        return layer, shape


def torch_reference(
    layer: Conv2d | Conv3d, shape: tuple[int, ...], x: np.ndarray, w: np.ndarray, b: np.ndarray | None
) -> np.ndarray:
    pairs = layer.resolve_padding(shape)
    xt = torch.tensor(x, dtype=torch.float64)
    wt = torch.tensor(w, dtype=torch.float64)
    if layer.flip:
        wt = torch.flip(wt, dims=tuple(range(2, wt.dim())))
    flat = [p for pair in reversed(pairs) for p in pair]  # F.pad lists the last axis first
    xt = F.pad(xt, flat) if layer.padding_mode == "zeros" else F.pad(xt, flat, mode=layer.padding_mode)
    conv = F.conv2d if layer.ndim == 2 else F.conv3d
    bt = None if b is None else torch.tensor(b, dtype=torch.float64)
    out = conv(xt, wt, bt, stride=layer.stride, dilation=layer.dilation, groups=layer.groups)
    return out.numpy().astype(np.int64)


@pytest.mark.parametrize("dims", [2, 3])
def test_evaluate_equals_pytorch_on_random_layers(dims: int) -> None:
    rng, data = random.Random(100 + dims), np.random.default_rng(dims)
    for _ in range(60 if dims == 2 else 30):
        layer, shape = random_layer(rng, dims)
        e = layer.expand(shape)
        x = data.integers(-5, 6, size=(2, layer.in_channels, *shape))
        w = data.integers(-5, 6, size=layer.weight_shape)
        b = data.integers(-5, 6, size=layer.out_channels) if layer.bias else None
        want = torch_reference(layer, shape, x, w, b)
        assert e.output_shape == want.shape[2:] == layer.output_shape(shape)
        assert np.array_equal(e.evaluate(x, w, b), want), (layer, shape)
        assert np.array_equal(e.evaluate(x[0], w, b), want[0])


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel lengths:UserWarning")
def test_the_torch_modules_agree_where_they_take_the_padding_as_given() -> None:
    data = np.random.default_rng(5)
    cases = [(Conv2d(2, 4, 3, padding=1, padding_mode=mode, groups=2), (5, 4)) for mode in MODES] + [
        (Conv2d(1, 2, (2, 3), padding="same"), (4, 5)),
        (Conv3d(2, 2, 2, stride=(1, 2, 1), padding=(1, 0, 1)), (3, 4, 3)),
    ]
    for layer, shape in cases:
        module = (torch.nn.Conv2d if layer.ndim == 2 else torch.nn.Conv3d)(
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,
            stride=layer.stride,
            padding="same" if layer.padding[0] == "same" else tuple(p[0] for p in layer.padding),
            dilation=layer.dilation,
            groups=layer.groups,
            bias=True,
            padding_mode=layer.padding_mode,
            dtype=torch.float64,
        )
        x = data.integers(-5, 6, size=(1, layer.in_channels, *shape))
        w = data.integers(-5, 6, size=layer.weight_shape)
        b = data.integers(-5, 6, size=layer.out_channels)
        with torch.no_grad():
            module.weight.copy_(torch.tensor(w, dtype=torch.float64))
            module.bias.copy_(torch.tensor(b, dtype=torch.float64))
            want = module(torch.tensor(x, dtype=torch.float64)).numpy().astype(np.int64)
        assert np.array_equal(layer.expand(shape).evaluate(x, w, b), want), layer


def test_the_symbolic_views_compute_the_same_numbers() -> None:
    """z with numbers put in, the matrix times vec(x) plus the bias, and the equations, at once."""
    rng, data = random.Random(9), np.random.default_rng(9)
    for _ in range(12):
        layer, shape = random_layer(rng, rng.choice([2, 2, 3]))
        e = layer.expand(shape)
        x = data.integers(-4, 5, size=(layer.in_channels, *shape))
        w = data.integers(-4, 5, size=layer.weight_shape)
        b = data.integers(-4, 5, size=layer.out_channels) if layer.bias else None
        want = e.evaluate(x, w, b)
        values = dict(zip(entries(e.x), map(sympy.Integer, x.ravel().tolist())))
        values |= dict(zip(entries(e.w), map(sympy.Integer, w.ravel().tolist())))
        if b is not None:
            values |= dict(zip(entries(e.b), map(sympy.Integer, b.ravel().tolist())))
        assert [int(v.xreplace(values)) for v in entries(e.z)] == want.ravel().tolist()
        vec = e.matrix.xreplace(values) * sympy.Matrix(x.ravel().tolist()) + e.bias_vector.xreplace(values)
        assert [int(v) for v in vec] == want.ravel().tolist()
        assert [eq.lhs for eq in e.equations] == entries(e.z_symbols)
        assert e.matrix_row(len(e.equations) - 1) == e.matrix[len(e.equations) - 1, :]
        last = e.matrix_shape[1] - 1
        assert e.matrix_column(last) == e.matrix[:, last]


def test_symbols_carry_every_index_the_layer_has() -> None:
    single = Conv2d(1, 1, 2, bias=False).expand((3, 3))
    assert single.x.shape == (1, 3, 3) and str(single.x[0, 1, 2]) == "x_1,2"
    assert str(single.w[0, 0, 1, 0]) == "w_1,0"
    assert single.z.shape == (1, 2, 2) and isinstance(single.z, sympy.NDimArray)
    assert str(single.equations[3]) == "Eq(z_1,1, w_0,0*x_1,1 + w_0,1*x_1,2 + w_1,0*x_2,1 + w_1,1*x_2,2)"
    multi = Conv3d(2, 2, 1).expand((1, 2, 2))
    assert str(multi.x[1, 0, 1, 0]) == "x_1,0,1,0" and str(multi.z_symbols[0, 0, 1, 1]) == "z_0,0,1,1"
    assert "input shape (1, 2, 2): output shape (1, 2, 2)" in repr(multi)


def test_plain_arrays_for_a_single_channel_layer() -> None:
    e = Conv2d(1, 1, 2, bias=False).expand((3, 3))
    x, w = np.arange(9).reshape(3, 3), np.array([[1, 0], [0, 1]])
    assert e.evaluate(x, w).tolist() == [[4, 6], [10, 12]]
    assert e.evaluate(x[None], w[None, None]).shape == (1, 2, 2)
    with pytest.raises(ValueError, match=r"'x' must have shape \(N, 1, 3, 3\) or \(1, 3, 3\) or \(3, 3\)"):
        e.evaluate(np.zeros((3, 4)), w)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Conv2d(1, 1, (1, 2, 3)), r"'kernel_size' must be an int or a tuple of 2 ints, one per axis"),
        (lambda: Conv3d(1, 1, 3, stride=(1, 0, 1)), r"'stride\[1\]' must be a positive int \(got 0\)"),
        (lambda: Conv2d(1, 1, 3, padding=(1, 2, 3)), r"'padding' must be an int, a name, or a tuple of 2 entries"),
        (
            lambda: Conv2d(1, 1, 3, padding=((1, 2, 3), 1)),
            r"'padding\[0\]' must be an int, a name or a \(left, right\) pair",
        ),
        (lambda: Conv2d(1, 1, 3, padding=(1, -1)), r"'padding\[1\]'"),
        (lambda: Conv2d(1, 1, 3, stride=(1, 2), padding="same"), r"axis 1 has stride 2"),
        (lambda: Conv2d(1, 1, 3).expand(5), r"'input_shape' must be a tuple of 2 spatial sizes \(got 5\)"),
        (lambda: Conv2d(1, 1, 3).expand((5, 0)), r"'input_shape\[1\]' must be"),
        (lambda: Conv2d(1, 1, 3).expand((2, 5)), r"axis 0: input size 2 with padding \(0, 0\)"),
        (lambda: Conv2d(1, 1, 3, padding=3, padding_mode="reflect").expand((5, 3)), r"axis 1: padding_mode='reflect'"),
        (lambda: Conv2d(1, 1, 2).make_taps((3, 3)).feeding(0, (0, 2)), r"i1"),
    ],
)
def test_bad_input_names_the_parameter_the_axis_and_the_value(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_what_needs_one_axis_so_far_says_so() -> None:
    import symconv

    layer = Conv2d(1, 1, 2)
    e = layer.expand((3, 3))
    calls = {
        "the connectivity diagram": lambda: symconv.connectivity_diagram(e),
    }
    assert symconv.derivation(e).section("kronecker").steps  # derivations work in 2D and 3D now (latex/nd.py)
    for what, call in calls.items():
        with pytest.raises(ValueError, match=f"{what}: not available yet for a layer with 2 spatial axes"):
            call()
    assert e.activate("relu").shape == (1, 2, 2)
    assert len(symconv.gradients(e).identities) == 3  # closed forms and checking work in N-D now
    assert not symconv.check(lambda x, w: x, e).passed


@pytest.mark.parametrize("dims", [2, 3])
def test_gradients_are_proven_against_sympy_diff_and_equal_torch_autograd(dims: int) -> None:
    import symconv

    rng, data = random.Random(300 + dims), np.random.default_rng(dims)
    for trial in range(6 if dims == 2 else 3):
        layer, shape = random_layer(rng, dims)
        e = layer.expand(shape)
        loss, activation = [(None, None), ("mse", "relu"), ("sum", "relu")][trial % 3]
        g = symconv.gradients(e, activation=activation, loss=loss)
        if math.prod(shape) * layer.in_channels <= 48:  # sympy.diff is slow: prove the small ones
            assert g.verify().ok, (layer, shape)
        x = data.integers(-4, 5, size=(2, layer.in_channels, *shape))
        w = data.integers(-4, 5, size=layer.weight_shape)
        b = data.integers(-4, 5, size=layer.out_channels) if layer.bias else None
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        out = torch.tensor(torch_reference(layer, shape, x, w, b), dtype=torch.float64)
        # the reference again, differentiable: F.pad then the convolution
        pairs = layer.resolve_padding(shape)
        flat = [p for pair in reversed(pairs) for p in pair]
        padded = F.pad(xt, flat) if layer.padding_mode == "zeros" else F.pad(xt, flat, mode=layer.padding_mode)
        kernel = torch.flip(wt, dims=tuple(range(2, wt.dim()))) if layer.flip else wt
        conv = F.conv2d if dims == 2 else F.conv3d
        bias = None if b is None else torch.tensor(b, dtype=torch.float64)
        z = conv(padded, kernel, bias, stride=layer.stride, dilation=layer.dilation, groups=layer.groups)
        assert torch.equal(z, out)
        target = data.integers(-4, 5, size=tuple(z.shape))
        delta = data.integers(-3, 4, size=tuple(z.shape))
        if loss is None:
            z.backward(torch.tensor(delta, dtype=torch.float64))
        else:
            a = torch.relu(z)
            scalar = a.sum() if loss == "sum" else ((a - torch.tensor(target, dtype=torch.float64)) ** 2).mean()
            scalar.backward()
        got = g.evaluate(x, w, b, delta=delta if loss is None else None, target=target if loss == "mse" else None)
        assert np.allclose(np.asarray(got["dx"], dtype=float), xt.grad.numpy(), rtol=0, atol=1e-12)
        assert np.allclose(np.asarray(got["dw"], dtype=float), wt.grad.numpy(), rtol=0, atol=1e-12)


def test_to_scipy_sparse_is_the_matrix_with_the_weights_put_in() -> None:
    rng, data = random.Random(21), np.random.default_rng(21)
    for _ in range(10):
        layer, shape = random_layer(rng, rng.choice([2, 3]))
        e = layer.expand(shape)
        x = data.integers(-4, 5, size=(layer.in_channels, *shape))
        w = data.integers(-4, 5, size=layer.weight_shape)
        sparse = e.to_scipy_sparse(w)
        assert sparse.shape == e.matrix_shape
        assert np.array_equal(sparse @ x.ravel(), e.evaluate(x, w).ravel())
        values = dict(zip(entries(e.w), map(sympy.Integer, w.ravel().tolist())))
        assert sympy.Matrix(sparse.toarray().tolist()) == e.matrix.xreplace(values)


def test_a_conv3d_on_16_cubed_answers_without_its_matrix() -> None:
    """Conv3d(8, 8, 3, padding=1) on 16x16x16: a 32768 x 32768 matrix, never built."""
    e = Conv3d(8, 8, 3, padding=1).expand((16, 16, 16))
    assert e.matrix_shape == (32768, 32768)
    interior = 8 * 27 * 14**3 * 8  # every tap of an interior output reads the input...
    assert e.taps.counts().taps == 8 * 8 * (16 + 2 * 15) ** 3 > interior  # ...and the edges fewer: (3*16-2)^3
    assert len(e.equations[8 * 4096 - 1].rhs.args) == 8 * 8 + 1  # a corner output: 2x2x2 inputs per channel, bias
    assert len(e.taps.receptive_field(3, (5, 5, 5))) == 8 * 27
    data = np.random.default_rng(0)
    x, w = data.integers(-3, 4, size=(1, 8, 16, 16, 16)), data.integers(-3, 4, size=e.spec.weight_shape)
    want = F.conv3d(torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64), padding=1)
    assert np.array_equal(e.evaluate(x, w), want.numpy().astype(np.int64))
    assert e.to_scipy_sparse(w).nnz == e.taps.counts().nonzeros


def test_symmetric_padding_is_numpys_at_any_pad_size() -> None:
    """'symmetric' = np.pad(mode='symmetric'): the edge repeated, pads larger than the input allowed."""
    from symconv import Conv1d

    data = np.random.default_rng(4)
    for n in range(1, 5):
        for left, right in ((0, 0), (1, 0), (2, 3), (5, 7)):
            layer = Conv1d(1, 1, 3, padding=(left, right), padding_mode="symmetric", bias=False)
            x, w = data.integers(-5, 6, size=n), data.integers(-5, 6, size=3)
            if n + left + right < 3:
                continue
            padded = np.pad(x, (left, right), mode="symmetric")
            assert layer.expand(n).evaluate(x, w).tolist() == np.correlate(padded, w, "valid").tolist()
    # SciPy's correlate2d with boundary='symm' takes a 7x7 kernel on a 2x2 input
    import scipy.signal as scipy_signal

    x, k = data.integers(-5, 6, size=(2, 2)), data.integers(-5, 6, size=(7, 7))
    want = scipy_signal.correlate2d(x, k, mode="same", boundary="symm")
    got = Conv2d(1, 1, 7, padding=3, padding_mode="symmetric", bias=False).expand((2, 2)).evaluate(x, k)
    assert got.tolist() == want.tolist()


@pytest.mark.parametrize("operation", ["convolve", "correlate"])
def test_scipy_modes_in_2d_and_3d_equal_scipy_signal(operation: str) -> None:
    """Every pair of 2D shapes up to 4x4 (input and kernel) in every mode, and a sample of 3D ones."""
    import itertools

    import scipy.signal as scipy_signal

    import symconv

    reference = getattr(scipy_signal, operation)
    data = np.random.default_rng(len(operation))
    cases = [(s, k) for s in itertools.product(range(1, 5), repeat=2) for k in itertools.product(range(1, 5), repeat=2)]
    cases += [((2, 3, 1), (1, 2, 2)), ((3, 3, 3), (2, 1, 3)), ((1, 2, 2), (3, 3, 3)), ((2, 2, 4), (1, 3, 2))]
    checked = refused = 0
    for mode in ("full", "same", "valid"):
        for shape, kernel in cases:
            x, w = data.integers(-5, 6, size=shape), data.integers(-5, 6, size=kernel)
            layer = getattr(symconv, operation)(kernel, mode, "scipy")
            try:
                want = reference(x, w, mode, method="direct")
            except ValueError:  # SciPy refuses 'valid' when neither input is the larger on every axis
                with pytest.raises(ValueError, match="mode='valid' needs the input at least as large"):
                    layer.expand(shape)
                refused += 1
                continue
            got = layer.expand(shape).evaluate(x, w)
            assert got.shape == want.shape == layer.output_shape(shape)
            assert np.array_equal(got, want), (operation, mode, shape, kernel)
            checked += 1
    assert checked + refused == 3 * len(cases) and checked > 700 and refused > 60
    with pytest.raises(ValueError, match=r"'kernel_size' \(3, 3\) has 2 axes, which needs convention='scipy'"):
        getattr(symconv, operation)((3, 3), "same")
