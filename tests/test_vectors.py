"""The worked numbers of ``reference/vectors.md`` (T1-T9, T11, T14-T19, T21, T25), reproduced exactly.

Each vector is checked against symconv and, where it comes from one, against the real peer
(NumPy, SciPy, PyTorch in float64). Data are integers, ``Fraction`` or SymPy objects so that
every comparison is exact.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import sympy
import torch
import torch.nn.functional as F

from symconv import Conv1d, convolve, correlate

HALF = Fraction(1, 2)


def obj(values) -> np.ndarray:
    """An object array of exact numbers (ints stay Python ints, fractions stay Fractions)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def t64(values) -> torch.Tensor:
    """A float64 tensor of shape (1, 1, n)."""
    return torch.tensor([[list(map(float, values))]], dtype=torch.float64)


def as_list(tensor: torch.Tensor) -> list:
    """A torch result as exact Python numbers (float64 is exact on these small integers and halves)."""
    return [Fraction(v) for v in tensor.flatten().tolist()]


def symbols(name: str, n: int) -> list[sympy.Symbol]:
    return [sympy.Symbol(f"{name}_{i}") for i in range(n)]


# -- T1-T3: scipy.linalg.convolution_matrix ---------------------------------------------------


def test_T1_scipy_convolution_matrix_same() -> None:
    w, x = [-1, 4, -2], obj([1, 2, 0, -3, HALF])
    expected = [[4, -1, 0, 0, 0], [-2, 4, -1, 0, 0], [0, -2, 4, -1, 0], [0, 0, -2, 4, -1], [0, 0, 0, -2, 4]]
    e = convolve(3, "same").expand(5)
    assert e.subs(w=w).matrix == sympy.Matrix(expected)
    assert scipy.linalg.convolution_matrix(w, 5, "same").tolist() == expected
    result = e.evaluate(x, w)
    assert result.tolist() == [2, 6, -1, Fraction(-25, 2), 8]
    assert result.tolist() == np.convolve(w, x, "same").tolist() == np.convolve(x, w, "same").tolist()
    assert e.subs(x=x, w=w).z == sympy.Matrix([[2, 6, -1, sympy.Rational(-25, 2), 8]])


def test_T2_scipy_convolution_matrix_full_and_valid() -> None:
    w = [-1, 4, -2]
    full = [
        [-1, 0, 0, 0, 0],
        [4, -1, 0, 0, 0],
        [-2, 4, -1, 0, 0],
        [0, -2, 4, -1, 0],
        [0, 0, -2, 4, -1],
        [0, 0, 0, -2, 4],
        [0, 0, 0, 0, -2],
    ]
    valid = [[-2, 4, -1, 0, 0], [0, -2, 4, -1, 0], [0, 0, -2, 4, -1]]
    assert convolve(3, "full").expand(5).subs(w=w).matrix == sympy.Matrix(full)
    assert convolve(3, "valid").expand(5).subs(w=w).matrix == sympy.Matrix(valid)
    assert scipy.linalg.convolution_matrix(w, 5, "full").tolist() == full
    assert scipy.linalg.convolution_matrix(w, 5, "valid").tolist() == valid


def test_T3_scipy_convolution_matrix_edge_cases() -> None:
    assert convolve(1, "valid").expand(5).subs(w=[3]).matrix == 3 * sympy.eye(5)
    assert scipy.linalg.convolution_matrix([3], 5, "valid").tolist() == (3 * np.eye(5, dtype=int)).tolist()
    for mode in ("valid", "same"):
        e = convolve(2, mode).expand(1)  # kernel longer than the signal: NumPy swaps the arguments
        assert e.output_length == 2
        assert e.subs(w=[3, 4]).matrix == sympy.Matrix([[3], [4]])
        assert scipy.linalg.convolution_matrix([3, 4], 1, mode).tolist() == [[3], [4]]
        assert e.evaluate([1], [3, 4]).tolist() == np.convolve([1], [3, 4], mode).tolist() == [3, 4]


# -- T4-T5: the symbolic valid cross-correlation and the motivating question ---------------


def test_T4_symbolic_valid_cross_correlation_matrix() -> None:
    e = Conv1d(1, 1, 3).expand(5)
    x0, x1, x2, x3, x4 = symbols("x", 5)
    w0, w1, w2 = symbols("w", 3)
    b = sympy.Symbol("b")
    C = sympy.Matrix([[w0, w1, w2, 0, 0], [0, w0, w1, w2, 0], [0, 0, w0, w1, w2]])
    assert e.matrix == C
    assert e.x.tolist() == [[x0, x1, x2, x3, x4]] and e.w.tolist() == [[[w0, w1, w2]]] and e.b.tolist() == [b]
    w_obj = np.array([w0, w1, w2], dtype=object)
    assert sympy.Matrix(scipy.linalg.convolution_matrix(w_obj[::-1], 5, "valid")) == C
    zeros = np.array([w0, 0, 0], dtype=object)
    assert sympy.Matrix(scipy.linalg.toeplitz(zeros, np.array([w0, w1, w2, 0, 0], dtype=object))) == C
    hankel = sympy.Matrix([[x0, x1, x2], [x1, x2, x3], [x2, x3, x4]])
    assert e.z.reshape(3, 1).jacobian([w0, w1, w2]) == hankel
    assert e.equations == [
        sympy.Eq(sympy.Symbol("z_0"), b + w0 * x0 + w1 * x1 + w2 * x2),
        sympy.Eq(sympy.Symbol("z_1"), b + w0 * x1 + w1 * x2 + w2 * x3),
        sympy.Eq(sympy.Symbol("z_2"), b + w0 * x2 + w1 * x3 + w2 * x4),
    ]
    assert e.matrix * e.vec_x + e.bias_vector == e.z.reshape(3, 1)


def test_T5_motivating_question() -> None:
    x, w = [1, 2, 3, 4], [5, 6, 7]
    assert convolve(3, "full").expand(4).evaluate(x, w).tolist() == [5, 16, 34, 52, 45, 28]
    assert sympy.convolution(x, w) == [5, 16, 34, 52, 45, 28]
    assert np.convolve(x, w).tolist() == [5, 16, 34, 52, 45, 28]
    assert convolve(3, "valid").expand(4).evaluate(x, w).tolist() == [34, 52]
    assert Conv1d(1, 1, 3, flip=True).expand(4).evaluate(x, w).tolist() == [34, 52]
    layer = Conv1d(1, 1, 3).expand(4)
    assert layer.evaluate(x, w).tolist() == [38, 56]
    assert np.convolve(x, w[::-1], "valid").tolist() == [38, 56]
    assert as_list(F.conv1d(t64(x), t64(w))) == [38, 56]
    module = torch.nn.Conv1d(1, 1, 3, bias=False, dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(t64(w))
    assert as_list(module(t64(x))) == [38, 56]
    sigma = sympy.Function("sigma")
    h = layer.activate()
    assert h == layer.z.applyfunc(sigma)
    assert all(entry.func == sigma and entry.args == (z,) for entry, z in zip(h, layer.z))


# -- T6-T9: NumPy/SciPy modes ------------------------------------------------------------------


@pytest.mark.parametrize("convention", ["numpy", "scipy"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_T6_xcorr_is_convolution_with_the_reversed_kernel(mode: str, convention: str) -> None:
    rng = np.random.default_rng(6)
    peer = (np.correlate, np.convolve) if convention == "numpy" else (scipy.signal.correlate, scipy.signal.convolve)
    for n in range(1, 9):
        for m in range(1, n + 1):
            a, v = rng.integers(-9, 10, n), rng.integers(-9, 10, m)
            corr = correlate(m, mode, convention).expand(n)
            conv = convolve(m, mode, convention).expand(n)
            assert corr.evaluate(a, v).tolist() == conv.evaluate(a, v[::-1]).tolist()
            assert corr.evaluate(a, v).tolist() == peer[0](a, v, mode).tolist() == peer[1](a, v[::-1], mode).tolist()
            ws = list(conv.w[0, 0, :])
            flipped = dict(zip(ws, ws[::-1]))
            assert conv.z.xreplace(flipped) == corr.z


def test_T7_numpy_docs() -> None:
    x, w = [1, 2, 3], obj([0, 1, HALF])
    assert convolve(3).expand(3).evaluate(x, w).tolist() == [0, 1, Fraction(5, 2), 4, Fraction(3, 2)]
    assert convolve(3, "same").expand(3).evaluate(x, w).tolist() == [1, Fraction(5, 2), 4]
    assert convolve(3, "valid").expand(3).evaluate(x, w).tolist() == [Fraction(5, 2)]
    assert correlate(3).expand(3).evaluate(x, w).tolist() == [Fraction(7, 2)]
    assert correlate(3, "same").expand(3).evaluate(x, w).tolist() == [2, Fraction(7, 2), 3]
    assert correlate(3, "full").expand(3).evaluate(x, w).tolist() == [HALF, 2, Fraction(7, 2), 3, 0]
    for mode in ("full", "same", "valid"):
        for op, peer in ((convolve, np.convolve), (correlate, np.correlate)):
            assert op(3, mode).expand(3).evaluate(x, w).tolist() == peer(x, w.astype(float), mode).tolist()
    long = obj([0, 1, HALF, 0, 0])
    forward = correlate(3, "full").expand(5).evaluate(long, [1, 2, 3])
    swapped = correlate(5, "full").expand(3).evaluate(x, long)  # kernel longer than the signal
    assert forward.tolist() == [0, 3, Fraction(7, 2), 2, HALF, 0, 0]
    assert swapped.tolist() == [0, 0, HALF, 2, Fraction(7, 2), 3, 0] == forward[::-1].tolist()
    assert np.correlate(long.astype(float), x, "full").tolist() == forward.tolist()
    assert np.correlate(x, long.astype(float), "full").tolist() == swapped.tolist()


def test_T8_numpy_swap_trap() -> None:
    x, w = [1, 2], [1, 2, 3, 4]
    numpy_same = convolve(4, "same").expand(2)
    scipy_same = convolve(4, "same", convention="scipy").expand(2)
    assert numpy_same.evaluate(x, w).tolist() == [1, 4, 7, 10] == np.convolve(x, w, "same").tolist()
    assert scipy_same.evaluate(x, w).tolist() == [4, 7] == scipy.signal.convolve(x, w, "same").tolist()
    assert numpy_same.output_length == 4 and scipy_same.output_length == 2


def test_T9_same_centring_offsets() -> None:
    x = [1, 2, 3, 4]
    assert correlate(4, "same", "scipy").expand(4).evaluate(x, x).tolist() == [11, 20, 30, 20]
    assert scipy.signal.correlate(x, x, "same").tolist() == [11, 20, 30, 20]
    assert np.correlate(x, x, "same").tolist() == [11, 20, 30, 20]
    # correlate2d centres 'same' as PyTorch does (extra zero on the right).
    assert scipy.signal.correlate2d([x], [x], "same").tolist() == [[20, 30, 20, 11]]
    assert Conv1d(1, 1, 4, padding="same").expand(4).evaluate(x, x).tolist() == [20, 30, 20, 11]
    u, v = [-1, 2, 3, -2, 0, 1, 2], [2, 4, -1, 1]
    assert convolve(4).expand(7).evaluate(u, v).tolist() == [-2, 0, 15, 5, -9, 7, 6, 7, -1, 2]
    for convention in ("numpy", "scipy"):
        assert convolve(4, "same", convention).expand(7).evaluate(u, v).tolist() == [0, 15, 5, -9, 7, 6, 7]
    assert np.convolve(u, v, "same").tolist() == scipy.signal.convolve(u, v, "same").tolist() == [0, 15, 5, -9, 7, 6, 7]
    # MATLAB's conv(u, v, 'same') is true convolution with PyTorch's 'same' split (1, 2).
    matlab = Conv1d(1, 1, 4, padding="same", flip=True).expand(7)
    assert matlab.padding == (1, 2)
    assert matlab.evaluate(u, v).tolist() == [15, 5, -9, 7, 6, 7, -1]


# -- T11: output lengths -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "kernel", "stride", "padding", "dilation", "expected"),
    [
        (4, 3, 1, 0, 1, 2),
        (5, 4, 1, 2, 1, 6),
        (5, 3, 1, 1, 1, 5),
        (5, 3, 1, 2, 1, 7),
        (5, 3, 2, 1, 1, 3),
        (6, 3, 2, 1, 1, 3),
        (7, 3, 1, 0, 2, 3),
        (10, 3, 1, 0, 2, 6),
    ],
)
def test_T11_output_lengths_dumoulin(length, kernel, stride, padding, dilation, expected) -> None:
    layer = Conv1d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
    assert layer.output_length(length) == expected
    assert layer.expand(length).output_length == expected
    module = torch.nn.Conv1d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation, dtype=torch.float64)
    assert module(torch.zeros(1, 1, length, dtype=torch.float64)).shape[-1] == expected


def test_T11_output_length_pytorch_docs() -> None:
    layer = Conv1d(16, 33, 3, stride=2)
    assert layer.output_length(50) == 24
    module = torch.nn.Conv1d(16, 33, 3, stride=2, dtype=torch.float64)
    assert module(torch.zeros(20, 16, 50, dtype=torch.float64)).shape == (20, 33, 24)


def test_T11_output_lengths_goodfellow() -> None:
    for m in range(1, 10):
        for k in range(1, m + 1):
            assert Conv1d(1, 1, k).output_length(m) == m - k + 1
            assert Conv1d(1, 1, k, padding="valid").output_length(m) == m - k + 1
            assert Conv1d(1, 1, k, padding="same").output_length(m) == m
            assert Conv1d(1, 1, k, padding="full").output_length(m) == m + k - 1


# -- T14-T19: PyTorch semantics ----------------------------------------------------------------


def test_T14_conv1d_padding_one_and_its_matrix() -> None:
    x, w = [10, 11, 12, 13, 14], [1, 2, -1]
    e = Conv1d(1, 1, 3, padding=1).expand(5)
    assert e.evaluate(x, w).tolist() == [9, 20, 22, 24, 41]
    assert as_list(F.conv1d(t64(x), t64(w), padding=1)) == [9, 20, 22, 24, 41]
    matrix = [[2, -1, 0, 0, 0], [1, 2, -1, 0, 0], [0, 1, 2, -1, 0], [0, 0, 1, 2, -1], [0, 0, 0, 1, 2]]
    assert e.subs(w=w).matrix == sympy.Matrix(matrix)
    delta = t64([0, 0, 1, 0, 0])
    column = F.conv_transpose1d(delta, torch.tensor([[w]], dtype=torch.float64).flip(2), padding=1)
    assert as_list(column) == [0, -1, 2, 1, 0] == e.subs(w=w).matrix[:, 2].T.tolist()[0]


_T15_NUMBERS = {
    "zeros": [3, 6, 9, 12, 9],
    "reflect": [5, 6, 9, 12, 13],
    "replicate": [4, 6, 9, 12, 14],
    "circular": [8, 6, 9, 12, 10],
}


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_T15_padding_mode_matrices(mode: str) -> None:
    w0, w1, w2 = symbols("w", 3)
    e = Conv1d(1, 1, 3, padding=(1, 1), padding_mode=mode).expand(5)
    interior = [[w0, w1, w2, 0, 0], [0, w0, w1, w2, 0], [0, 0, w0, w1, w2]]
    first, last = {
        "zeros": ([w1, w2, 0, 0, 0], [0, 0, 0, w0, w1]),
        "reflect": ([w1, w0 + w2, 0, 0, 0], [0, 0, 0, w0 + w2, w1]),
        "replicate": ([w0 + w1, w2, 0, 0, 0], [0, 0, 0, w0, w1 + w2]),
        "circular": ([w1, w2, 0, 0, w0], [w2, 0, 0, w0, w1]),
    }[mode]
    assert e.matrix == sympy.Matrix([first, *interior, last])
    x = [1, 2, 3, 4, 5]
    assert e.evaluate(x, [1, 1, 1]).tolist() == _T15_NUMBERS[mode]
    assert e.subs(x=x, w=[1, 1, 1], b=[0]).z.tolist() == [_T15_NUMBERS[mode]]
    module = torch.nn.Conv1d(1, 1, 3, padding=1, padding_mode=mode, bias=False, dtype=torch.float64)
    with torch.no_grad():
        module.weight.fill_(1)
    assert as_list(module(t64(x))) == _T15_NUMBERS[mode]


@pytest.mark.parametrize(
    ("kernel", "dilation", "split"),
    [(2, 1, (0, 1)), (3, 1, (1, 1)), (4, 1, (1, 2)), (4, 3, (4, 5)), (5, 2, (4, 4)), (4, 2, (3, 3))],
)
def test_T16_pytorch_same_split(kernel: int, dilation: int, split: tuple[int, int], torch_warn_always) -> None:
    layer = Conv1d(1, 1, kernel, padding="same", dilation=dilation)
    length = 12
    assert layer.resolve_padding(length) == split
    rng = np.random.default_rng(kernel * 10 + dilation)
    x, w = rng.integers(-9, 10, length), rng.integers(-9, 10, kernel)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ref = F.conv1d(t64(x), t64(w), padding="same", dilation=dilation)
    even_odd = [c for c in caught if "even kernel lengths and odd dilation" in str(c.message)]
    assert len(even_odd) == (1 if kernel % 2 == 0 and dilation % 2 == 1 else 0)
    assert layer.expand(length).evaluate(x, w).tolist() == as_list(ref)
    padded = F.pad(t64(x), split)
    assert as_list(F.conv1d(padded, t64(w), dilation=dilation)) == as_list(ref)


def test_T16_same_with_stride_is_rejected_by_both() -> None:
    message = "padding='same' is not supported for strided convolutions (got stride=2)"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Conv1d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        torch.nn.Conv1d(1, 1, 3, stride=2, padding="same")


@pytest.mark.parametrize(
    ("w", "torch_same", "numpy_same"),
    [
        ([1, 2, 3, 4], [20, 30, 40, 50, 60, 38, 20], [11, 20, 30, 40, 50, 60, 38]),
        ([1, 2], [5, 8, 11, 14, 17, 20, 7], [2, 5, 8, 11, 14, 17, 20]),
        ([1, 2, 3], [8, 14, 20, 26, 32, 38, 20], [8, 14, 20, 26, 32, 38, 20]),
        ([1, 2, 3, 4, 5], [26, 40, 55, 70, 85, 60, 38], [26, 40, 55, 70, 85, 60, 38]),
    ],
)
def test_T17_torch_same_differs_from_numpy_same_for_even_kernels(w, torch_same, numpy_same) -> None:
    x = list(range(1, 8))
    k = len(w)
    assert Conv1d(1, 1, k, padding="same").expand(7).evaluate(x, w).tolist() == torch_same
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the even-kernel warning is T16's subject
        assert as_list(F.conv1d(t64(x), t64(w), padding="same")) == torch_same
    assert correlate(k, "same").expand(7).evaluate(x, w).tolist() == numpy_same
    assert correlate(k, "same", "scipy").expand(7).evaluate(x, w).tolist() == numpy_same
    assert np.correlate(x, w, "same").tolist() == scipy.signal.correlate(x, w, "same").tolist() == numpy_same


def test_T18_tensorflow_same() -> None:
    layer = Conv1d(1, 1, 6, stride=5, padding="tf_same")
    assert layer.resolve_padding(13) == (1, 2)
    assert layer.output_length(13) == 3 == -(-13 // 5)
    assert Conv1d(1, 1, 6, stride=5, padding="jax_same_lower").resolve_padding(13) == (2, 1)
    e = layer.expand(13)
    # "pad 0|1 ... 13|0 0": output i starts at input 5*i - 1.
    assert [e.taps.receptive_field(0, i) for i in range(3)] == [
        [(0, t) for t in range(0, 5)],
        [(0, t) for t in range(4, 10)],
        [(0, t) for t in range(9, 13)],
    ]
    x, w = np.arange(1, 14), np.arange(1, 7)
    ref = F.conv1d(F.pad(t64(x), (1, 2)), t64(w), stride=5)
    assert e.evaluate(x, w).tolist() == as_list(ref)


def test_T19_stride_and_dilation() -> None:
    x, w = list(range(1, 11)), [1, 0, -1]
    e = Conv1d(1, 1, 3, stride=2, dilation=2).expand(10)
    assert e.output_length == 3
    assert e.evaluate(x, w).tolist() == [-4, -4, -4]
    assert as_list(F.conv1d(t64(x), t64(w), stride=2, dilation=2)) == [-4, -4, -4]
    for i in range(3):
        assert e.taps.receptive_field(0, i) == [(0, 2 * i), (0, 2 * i + 2), (0, 2 * i + 4)]
        assert [tap.weight[2] for tap in e.taps.feeding(0, i)] == [0, 1, 2]


# -- T21: index-form connectivity --------------------------------------------------------------


@pytest.mark.parametrize(("length", "kernel"), [(5, 3), (7, 2), (6, 6), (4, 1)])
def test_T21_input_derivative_is_a_shifted_weight(length: int, kernel: int) -> None:
    e = Conv1d(1, 1, kernel, bias=False).expand(length)
    w, matrix = e.w[0, 0, :], e.matrix
    for i in range(e.output_length):
        for k in range(length):
            expected = w[k - i] if 0 <= k - i <= kernel - 1 else 0
            assert sympy.diff(e.z[0, i], e.x[0, k]) == expected
            assert matrix[i, k] == expected


@pytest.mark.parametrize(("stride", "dilation"), [(1, 1), (2, 1), (1, 2), (3, 2), (2, 3)])
def test_T21_weight_derivative_is_a_strided_dilated_input(stride: int, dilation: int) -> None:
    length, kernel = 20, 3
    e = Conv1d(1, 1, kernel, stride=stride, dilation=dilation, bias=False).expand(length)
    for i in range(e.output_length):
        for k in range(kernel):
            assert sympy.diff(e.z[0, i], e.w[0, 0, k]) == e.x[0, stride * i + dilation * k]


# -- T25: parameter counts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("c_in", "c_out", "kernel", "groups", "bias"),
    [(1, 1, 3, 1, True), (4, 6, 3, 2, True), (4, 4, 5, 4, False), (3, 6, 2, 3, True), (6, 9, 3, 3, True)],
)
def test_T25_parameter_counts(c_in, c_out, kernel, groups, bias) -> None:
    layer = Conv1d(c_in, c_out, kernel, groups=groups, bias=bias)
    expected = c_out * (c_in // groups) * kernel + (c_out if bias else 0)
    assert layer.num_parameters == expected
    module = torch.nn.Conv1d(c_in, c_out, kernel, groups=groups, bias=bias, dtype=torch.float64)
    assert sum(p.numel() for p in module.parameters()) == expected
    length = 9
    e = layer.expand(length)
    n_out = c_out * e.output_length
    assert e.matrix.shape == (n_out, c_in * length)
    counts = e.taps.counts()
    assert counts.parameters == expected
    assert counts.dense_parameters == n_out * c_in * length + (n_out if bias else 0)
    assert counts.taps == n_out * kernel * (c_in // groups) == counts.nonzeros == e.matrix.nnz()
    row_nonzeros = np.bincount([r for r, _ in e.matrix.todok()], minlength=n_out)
    assert row_nonzeros.max() == kernel * c_in // groups
    for o in range(c_out):
        for cw in range(c_in // groups):
            for k in range(kernel):
                assert len(e.taps.tying_group(o, cw, k)) == e.output_length
