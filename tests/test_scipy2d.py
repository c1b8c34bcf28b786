"""``convention='scipy2d'``: ``scipy.signal.convolve2d``/``correlate2d`` with every mode and boundary, exactly.

Every pair of shapes up to 6x6 (input and kernel), both operations, the three modes and the three
boundaries, on random integer data (23,328 cases): the taps of the Conv2d each case resolves to,
gathered, equal SciPy's result exactly, and 'valid' refuses exactly the 2,700 cases SciPy refuses.
``expand(shape).evaluate(x, w)`` itself runs on a latin square of 1,704 of those cases and on the
970 'same' cases where ``correlate2d`` and ``correlate`` differ (an even kernel side). Also the
reference vector N10 (MATLAB's ``convmtx2`` example) and the refusals.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.signal
import sympy

from symconv import Conv1d, convolve, correlate
from symconv.geometry.axis import Axis
from symconv.geometry.kernel import AxisTaps
from symconv.layers.modes import Scipy2dMode

SIZES = range(1, 7)
MODES = ("full", "same", "valid")
BOUNDARIES = ("fill", "wrap", "symm")
FUNCTIONS = {"convolve": scipy.signal.convolve2d, "correlate": scipy.signal.correlate2d}


def _sources(axis: Axis, cache: dict[Axis, np.ndarray]) -> np.ndarray:
    """The axis's ``(kernel_size, output_size)`` sources: the input each output reads through each weight."""
    if axis not in cache:
        cache[axis] = AxisTaps(axis).sources()
    return cache[axis]


@pytest.mark.parametrize("operation", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_every_shape_pair_and_boundary_equals_scipy(operation: str, mode: str) -> None:
    """Each case resolves on its own to a Conv2d, whose taps are gathered as ``Taps.apply`` gathers them.

    A layer's taps are the product of its axes' taps (``AxisTaps``), so output ``(i, j)`` is the sum over
    weights ``(a, b)`` of ``w[a, b] * x[src0[a, i], src1[b, j]]``, a zero where a source is the sentinel
    ``size`` (a zero pad). The axes' taps, which hold the padding fold, are built once per distinct axis;
    the gather is one NumPy index here instead of ``Taps.apply``'s loop over kernel positions, which
    :func:`test_evaluate_equals_scipy_on_a_latin_square_of_shapes` runs on a sample.
    """
    rng = np.random.default_rng(len(operation) + len(mode))
    make = convolve if operation == "convolve" else correlate
    cache: dict[Axis, np.ndarray] = {}
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
                        layer.resolve(shape)
                    refused += 1
                    continue
                rows, cols = (_sources(a, cache) for a in layer.geometry(shape).axes)
                patches = np.pad(x, (0, 1))[rows[:, :, None, None], cols[None, None, :, :]]
                got = np.einsum("aibj,ab->ij", patches, w)
                assert layer.output_shape(shape) == want.shape
                assert np.array_equal(got, want), (operation, mode, boundary, shape, (kh, kw))
                compared += 1
    assert compared + refused == 3 * 36 * 36
    assert refused == (3 * 450 if mode == "valid" else 0)


@pytest.mark.parametrize("operation", ["convolve", "correlate"])
def test_evaluate_equals_scipy_on_a_latin_square_of_shapes(operation: str) -> None:
    """``expand(shape).evaluate(x, w)`` itself: each kernel shape with 3 input shapes per mode and boundary.

    The input shape of kernel ``i`` (of the 36) is shape ``(i + 7 * r + 5 * m + 11 * b) % 36``, so every
    mode and boundary meets every kernel shape and every input shape 3 times ('valid' skips the pairs
    SciPy refuses).
    """
    rng = np.random.default_rng(11)
    make = convolve if operation == "convolve" else correlate
    shapes = list(itertools.product(SIZES, SIZES))
    compared = 0
    for (m, mode), (b, boundary) in itertools.product(enumerate(MODES), enumerate(BOUNDARIES)):
        for (i, kernel), r in itertools.product(enumerate(shapes), range(3)):
            shape = shapes[(i + 7 * r + 5 * m + 11 * b) % 36]
            x, w = rng.integers(-9, 10, shape), rng.integers(-9, 10, kernel)
            try:
                want = FUNCTIONS[operation](x, w, mode, boundary)
            except ValueError:
                continue
            got = make(kernel, mode, "scipy2d", boundary=boundary).expand(shape).evaluate(x, w)
            assert np.array_equal(got, want), (operation, mode, boundary, shape, kernel)
            compared += 1
    assert compared == 852  # 972 cases less the 120 'valid' pairs SciPy refuses


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
        total += 1
        if np.array_equal(a, b):
            continue
        differ += 1
        assert kernel[0] % 2 == 0 or kernel[1] % 2 == 0, (shape, kernel)  # both centre an odd kernel alike
        ours_2d = correlate(kernel, "same", "scipy2d").expand(shape).evaluate(x, w)
        ours_nd = correlate(kernel, "same", "scipy").expand(shape).evaluate(x, w)
        assert np.array_equal(ours_2d, a) and np.array_equal(ours_nd, b), (shape, kernel)
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
