"""``convention='scipy2d'``: ``scipy.signal.convolve2d``/``correlate2d`` with every mode and boundary, exactly.

Every pair of shapes up to 6x6 (input and kernel), both operations, the three modes and the three
boundaries, on random integer data: symconv's layer, evaluated from its taps, equals SciPy's
result, and refuses exactly what SciPy refuses. Also where the two SciPy conventions differ
('same' with an even kernel), and the reference vector N10 (MATLAB's ``convmtx2`` example).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.signal
import sympy

from symconv import Conv1d, convolve, correlate
from symconv.layers.modes import Scipy2dMode

SIZES = range(1, 7)
FUNCTIONS = {"convolve": scipy.signal.convolve2d, "correlate": scipy.signal.correlate2d}


@pytest.mark.parametrize("operation", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_every_shape_pair_and_boundary_equals_scipy(operation: str, mode: str) -> None:
    rng = np.random.default_rng(len(operation) + len(mode))
    make = convolve if operation == "convolve" else correlate
    compared = refused = 0
    for boundary in ("fill", "wrap", "symm"):
        for kh, kw in itertools.product(SIZES, SIZES):
            layer = make((kh, kw), mode, "scipy2d", boundary=boundary)
            w = rng.integers(-9, 10, (kh, kw))
            for shape in itertools.product(SIZES, SIZES):
                x = rng.integers(-9, 10, shape)
                try:
                    want = FUNCTIONS[operation](x, w, mode, boundary)
                except ValueError:
                    with pytest.raises(ValueError, match="mode='valid' needs the input at least as large"):
                        layer.output_shape(shape)
                    refused += 1
                    continue
                got = layer.make_taps(shape).apply(x[None, None], w[None, None], None)[0, 0]
                assert layer.output_shape(shape) == want.shape
                assert np.array_equal(got, want), (operation, mode, boundary, shape, (kh, kw))
                compared += 1
    assert compared + refused == 3 * 36 * 36
    assert refused == (3 * 450 if mode == "valid" else 0)


def test_expand_and_evaluate_take_plain_2d_arrays() -> None:
    e = correlate((2, 3), "same", "scipy2d", boundary="symm").expand((4, 5))
    x, w = np.arange(20).reshape(4, 5), np.array([[1, -2, 3], [0, 4, -1]])
    assert np.array_equal(e.evaluate(x, w), scipy.signal.correlate2d(x, w, "same", "symm"))
    assert e.z.shape == (1, 4, 5)
    assert str(e.z[0, 0, 0]) == "w_0,0*x_0,0 + w_0,1*x_0,0 + w_0,2*x_0,1 + w_1,0*x_1,0 + w_1,1*x_1,0 + w_1,2*x_1,1"


def test_correlate2d_and_correlate_differ_in_same_for_even_kernels() -> None:
    """``correlate2d`` puts the extra row and column of an even kernel on the right, ``correlate`` on the left."""
    rng = np.random.default_rng(7)
    differ = total = 0
    for shape, kernel in itertools.product(itertools.product(SIZES, SIZES), repeat=2):
        x, w = rng.integers(-9, 10, shape), rng.integers(-9, 10, kernel)
        a, b = scipy.signal.correlate2d(x, w, "same"), scipy.signal.correlate(x, w, "same")
        ours_2d = correlate(kernel, "same", "scipy2d").expand(shape).evaluate(x, w)
        ours_nd = correlate(kernel, "same", "scipy").expand(shape).evaluate(x, w)
        assert np.array_equal(ours_2d, a) and np.array_equal(ours_nd, b)
        total += 1
        even = kernel[0] % 2 == 0 or kernel[1] % 2 == 0
        if not np.array_equal(a, b):
            differ += 1
            assert even, (shape, kernel)  # an odd kernel is centred the same way by both
    # 972 of the 1296 pairs have an even kernel side; on random data nearly all of them differ
    assert total == 1296 and 950 <= differ <= 972


def test_reference_vector_n10_matlab_convmtx2_example() -> None:
    magic5 = np.array(
        [[17, 24, 1, 8, 15], [23, 5, 7, 14, 16], [4, 6, 13, 20, 22], [10, 12, 19, 21, 3], [11, 18, 25, 2, 9]]
    )
    ninth = np.full((3, 3), sympy.Rational(1, 9), dtype=object)
    z = convolve((3, 3), "full", "scipy2d").expand((5, 5)).evaluate(magic5.astype(object), ninth)
    assert z[0].tolist() == [sympy.Rational(v, 9) for v in (17, 41, 42, 33, 24, 23, 15)]
    assert np.allclose(scipy.signal.convolve2d(magic5, np.ones((3, 3)) / 9, "full")[0], np.array(z[0], dtype=float))


def test_wrap_padding_is_numpys_at_any_pad_size() -> None:
    x, w = np.array([1, 2, 3]), np.array([1, 10, 100, 1000, 10000])
    e = Conv1d(1, 1, 5, padding=(6, 4), padding_mode="wrap", bias=False).expand(3)
    assert e.evaluate(x, w).tolist() == np.correlate(np.pad(x, (6, 4), mode="wrap"), w, "valid").tolist()
    with pytest.raises(ValueError, match="padding_mode='circular' needs each padding side <= input_length"):
        Conv1d(1, 1, 5, padding=(6, 4), padding_mode="circular").expand(3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: correlate((3, 3), "same", "scipy2d", boundary="circular"), "'boundary' must be one of"),
        (lambda: correlate((3, 3), "same", "scipy", boundary="wrap"), "'boundary' is scipy.signal.correlate2d's"),
        (lambda: convolve(3, "same", boundary="symm"), "'boundary' is scipy.signal.convolve2d's"),
        (lambda: convolve((3, 3, 3), "same", "scipy2d"), "'kernel_size' must be a tuple of 2 sizes for convention"),
        (lambda: convolve(3, "same", "scipy2d"), "'kernel_size' must be a tuple of 2 sizes"),
        (lambda: correlate((2, 5), "valid", "scipy2d").output_shape((3, 3)), "mode='valid' needs the input"),
        (lambda: correlate((2, 0), "valid", "scipy2d"), "'kernel_size\\[1\\]'"),
    ],
)
def test_bad_arguments_name_the_parameter(call: object, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call()  # type: ignore[operator]


def test_describe_and_resolve_state_the_rule() -> None:
    mode = convolve((4, 3), "same", "scipy2d", boundary="wrap")
    assert isinstance(mode, Scipy2dMode)
    assert mode.describe() == "scipy.signal.convolve2d(x, w, mode='same', boundary='wrap') with a kernel of (4, 3)"
    layer = mode.resolve((2, 2))
    assert (layer.padding, layer.padding_mode, layer.flip) == (((2, 1), (1, 1)), "wrap", True)
    valid = correlate((5, 4), "valid", "scipy2d", boundary="symm").resolve((2, 3))
    assert (valid.padding, valid.padding_mode) == (((3, 3), (1, 1)), "zeros")  # 'valid' never uses the boundary
