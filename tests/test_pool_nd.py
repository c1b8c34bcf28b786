"""2D and 3D pooling and N-D stacks against PyTorch: outputs, refusals, gradients, receptive fields.

Integer data, exact comparison (averages are rationals: PyTorch's float64 quotient of small
integers is compared with the rational's float, which is the correctly rounded one).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F

from symconv import (
    Activation,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    Conv2d,
    Conv3d,
    ConvTranspose2d,
    Flatten,
    Linear,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    Sequential,
)
from symconv.base.symbols import entries


def torch_pool(ismax: bool, nd: int, x: torch.Tensor, k: Any, s: Any, p: Any, d: Any, ceil: bool, cip: bool) -> Any:
    if ismax:
        return (F.max_pool2d if nd == 2 else F.max_pool3d)(x, k, s, p, d, ceil)
    return (F.avg_pool2d if nd == 2 else F.avg_pool3d)(x, k, s, p, ceil, cip)


def random_pools(seed: int, count: int) -> list[tuple[Any, ...]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        nd = int(rng.integers(2, 4))
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        s = tuple(int(v) for v in rng.integers(1, 4, nd))
        p = tuple(int(rng.integers(0, kk // 2 + 2)) for kk in k)  # one past PyTorch's bound, to test refusals
        d = tuple(int(v) for v in rng.integers(1, 3, nd))
        shape = tuple(int(v) for v in rng.integers(1, 7 if nd == 2 else 5, nd))
        out.append(
            (bool(rng.integers(0, 2)), nd, k, s, p, d, bool(rng.integers(0, 2)), bool(rng.integers(0, 2)), shape)
        )
    return out


def test_nd_pooling_equals_torch_and_refuses_what_torch_refuses() -> None:
    compared = refused = 0
    rng = np.random.default_rng(7)
    for ismax, nd, k, s, p, d, ceil, cip, shape in random_pools(0, 600):
        x = rng.integers(-3, 4, (2, *shape))
        try:
            want = torch_pool(ismax, nd, torch.tensor(x[None], dtype=torch.float64), k, s, p, d, ceil, cip)[0].numpy()
        except RuntimeError:
            want = None
        try:
            if ismax:
                pool: Any = (MaxPool2d if nd == 2 else MaxPool3d)(k, s, p, d, False, ceil)
            else:
                pool = (AvgPool2d if nd == 2 else AvgPool3d)(k, s, p, ceil, cip)
            out_shape = pool.output_shape((2, *shape))
        except ValueError:
            assert want is None, (ismax, k, s, p, d, ceil, shape)
            refused += 1
            continue
        assert want is not None, ("torch refuses", ismax, k, s, p, d, ceil, shape)
        h = sympy.ImmutableMatrix(2, int(np.prod(shape)), [sympy.Integer(v) for v in x.ravel()])
        got = np.array([float(v) for v in pool.forward(h, {}, (2, *shape))]).reshape(out_shape)
        assert got.shape == want.shape
        assert np.array_equal(got, want), (ismax, k, s, p, d, ceil, cip, shape)  # -inf where a window is all padding
        assert pool.connections(shape) == sum(len(w) for w in pool.windows(shape))
        compared += 1
    assert compared > 80 and refused > 120


def test_average_divisors_and_divisor_override_equal_torch() -> None:
    x = np.arange(1, 31).reshape(1, 1, 5, 6)
    xt = torch.tensor(x, dtype=torch.float64)
    for cip, override, ceil in itertools.product((True, False), (None, 5, -2), (True, False)):
        pool = AvgPool2d((3, 2), (2, 2), (1, 1), ceil, cip, override)
        want = F.avg_pool2d(xt, (3, 2), (2, 2), (1, 1), ceil, cip, override)[0, 0].numpy()
        h = sympy.ImmutableMatrix(1, 30, [sympy.Integer(v) for v in x.ravel()])
        got = pool.forward(h, {}, (1, 5, 6))
        assert [float(v) for v in got] == want.ravel().tolist()
        assert all(isinstance(v, sympy.Rational) for v in got)


def test_pools_refuse_bad_arguments_naming_the_axis_and_value() -> None:
    with pytest.raises(ValueError, match=r"'kernel_size' must be an int or a tuple of 2 ints, one per axis"):
        MaxPool2d((2, 2, 2))
    with pytest.raises(ValueError, match=r"axis 1: 'padding' must be at most half of the kernel size 2"):
        MaxPool2d((3, 2), padding=(1, 2))
    with pytest.raises(ValueError, match=r"'divisor_override' must be None or a non-zero int.*got 0"):
        AvgPool2d(2, divisor_override=0)
    with pytest.raises(ValueError, match=r"'return_indices' must be False"):
        MaxPool3d(2, return_indices=True)
    with pytest.raises(ValueError, match=r"axis 0: the pooling window \(3\) is longer than the padded input \(2\)"):
        MaxPool2d(3).output_shape((1, 2, 5))
    with pytest.raises(ValueError, match=r"AvgPool3d needs the input at least as large as the kernel"):
        AvgPool3d((1, 2, 3), 1, (0, 1, 1)).output_shape((1, 2, 4, 2))
    with pytest.raises(ValueError, match=r"MaxPool2d pools 2 spatial axes, but the stack gives shape \(1, 4\)"):
        Sequential(MaxPool2d(2)).expand(4)
    with pytest.raises(ValueError, match=r"layer 1 \(Conv2d\) has 2 spatial axes but the stack gives shape"):
        Sequential(Conv2d(1, 1, 2)).expand((4, 4, 4))
    with pytest.raises(TypeError, match=r"'stride\[1\]' must be"):
        AvgPool2d(2, (1, 1.5))


def test_one_dimensional_pools_follow_torch_rules_for_padding_and_ceil_mode() -> None:
    """Regressions: padding was bounded by the dilated kernel, and ceil_mode windows running past
    the padded input were refused, although PyTorch takes them (clipped)."""
    with pytest.raises(ValueError, match=r"'padding' must be at most half of the kernel size 3"):
        MaxPool1d(3, padding=2, dilation=2)
    with pytest.raises(RuntimeError, match="padding should be at most half of kernel size"):
        F.max_pool1d(torch.zeros(1, 1, 6), 3, 1, 2, 2)
    x = torch.tensor([[[1.0, 4.0]]], dtype=torch.float64)
    for pool, ref in (
        (MaxPool1d(3, 3, 0, 1, False, True), F.max_pool1d(x, 3, 3, 0, 1, True)),
        (AvgPool1d(3, 3, 0, True), F.avg_pool1d(x, 3, 3, 0, True)),
    ):
        got = pool.forward(sympy.ImmutableMatrix([[1, 4]]), {})
        assert pool.output_length(2) == 1 and [float(v) for v in got] == ref.ravel().tolist()


def torch_stack(x: np.ndarray, weights: dict[str, np.ndarray]) -> torch.Tensor:
    h = F.conv2d(torch.tensor(x[None], dtype=torch.float64), torch.tensor(weights["w1"]), torch.tensor(weights["b1"]))
    h = F.max_pool2d(torch.relu(h), 2, 1, 0, 1, True)
    h = F.avg_pool2d(h, (2, 1), 1, (1, 0), False, False)
    return F.linear(h.flatten(1), torch.tensor(weights["W5"]), torch.tensor(weights["c5"]))


def test_a_2d_stack_forward_and_backward_equal_torch() -> None:
    net = Sequential(
        Conv2d(1, 2, 2),
        Activation("relu"),
        MaxPool2d(2, 1, ceil_mode=True),
        AvgPool2d((2, 1), 1, (1, 0), False, False),
        Flatten(),
        Linear(12, 2),
    )
    s = net.expand((4, 4))
    assert s.shapes == [(1, 4, 4), (2, 3, 3), (2, 3, 3), (2, 2, 2), (2, 3, 2), (1, 12), (1, 2)]
    rng = np.random.default_rng(3)
    x = rng.permutation(16).reshape(1, 4, 4) - 8  # distinct values: no tie in any window
    w = {"w1": rng.integers(-3, 4, (2, 1, 2, 2)).astype(float), "b1": np.array([0.5, -1.0])}
    w |= {"W5": rng.integers(-2, 3, (2, 12)).astype(float), "c5": np.array([1.0, 2.0])}
    values: dict[Any, Any] = dict(zip(entries(s.x), (sympy.Integer(int(v)) for v in x.ravel())))
    params = {st.index: st.params for st in s.stages if st.params}
    values.update(zip(entries(params[1]["w"]), (sympy.Rational(v) for v in w["w1"].ravel())))
    values.update(zip(entries(params[1]["b"]), (sympy.Rational(v) for v in w["b1"])))
    values.update(zip(entries(params[6]["w"]), (sympy.Rational(v) for v in w["W5"].ravel())))
    values.update(zip(entries(params[6]["b"]), (sympy.Rational(v) for v in w["c5"])))
    got = [v.xreplace(values) for v in s.output]
    want = torch_stack(x.astype(float), w)
    assert [float(v) for v in got] == want.ravel().tolist()

    g = s.gradients()
    upstream = {sym: sympy.Integer(v) for sym, v in zip(entries(g.upstream), (3, -2))}
    numbers = g.evaluate({**values, **upstream})
    xt = torch.tensor(x[None].astype(float), requires_grad=True)
    tw = {k: torch.tensor(v, requires_grad=True) for k, v in w.items()}
    h = F.conv2d(xt, tw["w1"], tw["b1"])
    h = F.avg_pool2d(F.max_pool2d(torch.relu(h), 2, 1, 0, 1, True), (2, 1), 1, (1, 0), False, False)
    out = F.linear(h.flatten(1), tw["W5"], tw["c5"])
    (out * torch.tensor([[3.0, -2.0]], dtype=torch.float64)).sum().backward()
    assert [float(v) for v in numbers[(0, "x")]] == xt.grad.ravel().tolist()
    assert [float(v) for v in numbers[(1, "w")]] == tw["w1"].grad.ravel().tolist()
    assert [float(v) for v in numbers[(1, "b")]] == tw["b1"].grad.ravel().tolist()
    assert [float(v) for v in numbers[(6, "w")]] == tw["W5"].grad.ravel().tolist()


def test_nd_stack_gradients_are_proven_against_sympy_diff() -> None:
    s = Sequential(Conv2d(1, 1, 2, bias=False), Activation("tanh"), AvgPool2d(2, 1, ceil_mode=True)).expand((3, 3))
    assert s.gradients("sum").verify().ok
    m = Sequential(Conv3d(1, 1, (1, 2, 1)), MaxPool3d((1, 1, 2))).expand((1, 2, 3))
    assert m.gradients().verify(points=2).ok
    t = Sequential(ConvTranspose2d(1, 1, 2, stride=2), Linear(4, 1)).expand((2, 2))
    assert t.shapes == [(1, 2, 2), (1, 4, 4), (1, 4, 1)]
    assert t.gradients().verify().ok


def test_nd_receptive_fields_equal_where_torch_gradients_are_nonzero() -> None:
    net = Sequential(Conv2d(2, 2, 2, dilation=(1, 2)), AvgPool2d(2, 1, 1), Conv2d(2, 1, (1, 2)))
    s = net.expand((5, 6))
    out_shape = s.shapes[-1]
    for position in itertools.product(*(range(n) for n in out_shape[1:])):
        xt = torch.zeros((1, 2, 5, 6), dtype=torch.float64, requires_grad=True)
        h = F.conv2d(xt, torch.ones((2, 2, 2, 2), dtype=torch.float64), dilation=(1, 2))
        h = F.conv2d(F.avg_pool2d(h, 2, 1, 1), torch.ones((1, 2, 1, 2), dtype=torch.float64))
        h[(0, 0, *position)].backward()
        assert xt.grad is not None
        want = [tuple(int(v) for v in idx) for idx in np.argwhere(xt.grad[0].numpy() != 0)]
        assert s.receptive_field(0, position) == want
    with pytest.raises(ValueError, match=r"'position' must be a tuple of 2 indices"):
        s.receptive_field(0, 1)
    with pytest.raises(ValueError, match=r"'position\[1\]' in \[0, 4\)"):
        s.receptive_field(0, (0, 4))


def test_nd_stack_terms_count_what_is_built() -> None:
    net = Sequential(Conv2d(1, 2, 2), Activation(), MaxPool2d(2, ceil_mode=True), Flatten(), Linear(8, 3))
    s = net.expand((5, 5))
    built = len(entries(s.x))
    for stage in s.stages:
        built += len(entries(stage.outputs))
        if stage.expansion is not None:
            built += len(stage.expansion.taps) + (len(entries(stage.outputs)) if stage.layer.bias else 0)
        elif stage.layer.kind.value == "pooling":
            built += sum(len(e.args) for e in stage.local)  # Max(...) of a window's distinct symbols
        elif stage.layer.kind.value == "dense":
            built += 8 * 3 + 3
        else:
            built += len(entries(stage.inputs))
    assert net.terms((5, 5)) == built
    with pytest.raises(ValueError, match=r"has \d+ terms, above max_terms=10"):
        net.expand((5, 5), max_terms=10)


def test_same_padding_is_refused_where_it_means_nothing() -> None:
    """TensorFlow's 'same' fixes the output length: no ceil_mode, and no other padding word."""
    import symconv
    from symconv.layers.stages import MaxPool1d

    with pytest.raises(ValueError, match=r"'ceil_mode' must be False with padding='same'"):
        MaxPool1d(2, padding="same", ceil_mode=True)
    with pytest.raises(ValueError, match=r"'padding' must be an int >= 0 or 'same' \(got 'valid'\)"):
        MaxPool1d(2, padding="valid")
    with pytest.raises(ValueError, match=r"axis 0: 'ceil_mode' must be False"):
        symconv.MaxPool2d(2, padding="same", ceil_mode=True)
    assert MaxPool1d(3, 2, "same").pads(6) == (0, 1) and symconv.MaxPool2d(3, 2, "same").output_shape((1, 5, 6)) == (
        1, 3, 3)  # fmt: skip
    with pytest.raises(ValueError, match=r"'output_padding' must be 0 with padding='same'"):
        symconv.ConvTranspose1d(1, 1, 3, stride=2, padding="same", output_padding=1)
    with pytest.raises(ValueError, match=r"'output_padding' must be 0 with padding='same'"):
        symconv.ConvTranspose2d(1, 1, 3, stride=2, padding="same", output_padding=(1, 0))
    layer = symconv.ConvTranspose1d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"'input_length' must be given to conv\(\) when padding='same'"):
        layer.conv()
    assert layer.output_length(4) == 8 and layer.resolve_padding(4) == (0, 1)
    assert layer.transpose_check(4).proven
    with pytest.raises(ValueError, match=r"derivation of .* is not written for padding='same'"):
        symconv.derivation(layer, 4)
