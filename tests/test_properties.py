"""Property tests: every view of a layer agrees with every other and with the peers.

For random valid layers (channels 1-4 with groups dividing both, K 1-6, stride 1-3,
dilation 1-3, every padding form and mode, flip, bias, lengths 1-20):

* ``z`` equals, term for term (``==`` and the same hash), a reference built independently
  from the definition in ``DESIGN.md`` with ``sympy.Add(*[sympy.Mul(w, x), ...])``, whatever
  the symbol names and index base;
* ``matrix * vec(x) + bias_vector``, ``z`` with numbers substituted and ``evaluate`` agree
  exactly on integer data, and agree with ``torch.nn.functional.conv1d`` in float64 (the
  module ``torch.nn.Conv1d`` itself where PyTorch accepts the padding, ``F.pad`` otherwise).

For the NumPy/SciPy modes every pair of lengths 1..8 is checked exhaustively against
``np.convolve``/``np.correlate``, ``scipy.signal.convolve``/``correlate`` and
``scipy.linalg.convolution_matrix``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import sympy
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from symconv import Conv1d, convolve, correlate
from symconv.geometry.padding import PADDING_MODES, PADDING_NAMES


@dataclass(frozen=True)
class Case:
    """A random valid layer, the padding exactly as it was written, and an input length."""

    layer: Conv1d
    padding: Any
    length: int


def expected_padding(padding: Any, k: int, s: int, d: int, length: int) -> tuple[int, int]:
    """The ``(left, right)`` pair, from the table in ``DESIGN.md`` (independent of symconv.geometry.padding)."""
    if isinstance(padding, int):
        return (padding, padding)
    if isinstance(padding, tuple):
        return (padding[0], padding[-1])
    extent = d * (k - 1)
    if padding in ("same", "tf_same", "jax_same_lower"):
        if padding == "same":
            total = extent
        else:
            out = -(-length // s)
            total = max(0, (out - 1) * s + extent + 1 - length)
        small, large = total // 2, total - total // 2
        return (large, small) if padding == "jax_same_lower" else (small, large)
    return {"valid": (0, 0), "causal": (extent, 0), "full": (extent, extent)}[padding]


paddings = st.one_of(
    st.integers(0, 4),
    st.tuples(st.integers(0, 4)),
    st.tuples(st.integers(0, 4), st.integers(0, 4)),
    st.sampled_from(sorted(PADDING_NAMES)),
)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    groups = draw(st.integers(1, 4))
    c_in = groups * draw(st.integers(1, 4 // groups))
    c_out = groups * draw(st.integers(1, 4 // groups))
    k, s, d = draw(st.integers(1, 6)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding, mode = draw(paddings), draw(st.sampled_from(PADDING_MODES))
    length = draw(st.integers(1, 20))
    assume(padding != "same" or s == 1)
    left, right = expected_padding(padding, k, s, d, length)
    assume(mode != "reflect" or max(left, right) < length)
    assume(mode != "circular" or max(left, right) <= length)
    assume(length + left + right >= d * (k - 1) + 1)
    layer = Conv1d(
        c_in,
        c_out,
        k,
        stride=s,
        padding=padding,
        dilation=d,
        groups=groups,
        bias=draw(st.booleans()),
        padding_mode=mode,
        flip=draw(st.booleans()),
    )
    return Case(layer, padding, length)


# Names that sort differently from the defaults ('a' is also the default activation name, so it moves).
NAMES = [
    None,
    {"x": "a", "w": "v", "a": "h"},
    {"x": "u", "w": "c", "b": "B"},
    {"x": "x", "w": "A", "b": "Z", "z": "q"},
]


# -- an independent reference ------------------------------------------------------------------


def padded_index(mode: str, t: int, n: int) -> int | None:
    """The real input index that padded position ``t`` (relative to the unpadded input) reads."""
    if 0 <= t < n:
        return t
    if mode == "zeros":
        return None
    if mode == "replicate":
        return 0 if t < 0 else n - 1
    if mode in ("circular", "wrap"):  # 'wrap' is 'circular' at any pad size
        return t % n
    if mode == "symmetric":  # the edge repeated, any pad size: fold into [0, 2n) then mirror
        m = t % (2 * n)
        return m if m < n else 2 * n - 1 - m
    return -t if t < 0 else 2 * (n - 1) - t  # reflect, the edge itself not repeated


def reference_taps(case: Case) -> dict[tuple[int, int], list[tuple[int, int, int, int]]]:
    """For each output ``(o, i)``: the ``(c, t, c', k)`` it reads, straight from the definition."""
    spec, n = case.layer, case.length
    left, right = expected_padding(case.padding, spec.kernel_size, spec.stride, spec.dilation, n)
    n_out = (n + left + right - spec.dilation * (spec.kernel_size - 1) - 1) // spec.stride + 1
    ci, co = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    out: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}
    for o in range(spec.out_channels):
        for i in range(n_out):
            reads = []
            for cw in range(ci):
                c = (o // co) * ci + cw
                for j in range(spec.kernel_size):
                    t = padded_index(spec.padding_mode, spec.stride * i + spec.dilation * j - left, n)
                    k = spec.kernel_size - 1 - j if spec.flip else j
                    if t is not None:
                        reads.append((c, t, cw, k))
            out[(o, i)] = reads
    return out


def named(base_name: str, index: tuple[int, ...], base: int) -> sympy.Symbol:
    if not index:
        return sympy.Symbol(base_name)
    return sympy.Symbol(base_name + "_" + ",".join(str(v + base) for v in index))


def reference_z(case: Case, names: dict[str, str], base: int) -> list[list[sympy.Expr]]:
    """``z`` by the slow route: ``sympy.Add(*[sympy.Mul(w, x), ...])`` from :func:`reference_taps`."""
    spec = case.layer
    multi = spec.in_channels > 1 or spec.out_channels > 1
    taps = reference_taps(case)
    rows: list[list[sympy.Expr]] = [[] for _ in range(spec.out_channels)]
    for (o, _i), reads in sorted(taps.items()):
        terms = [
            sympy.Mul(
                named(names.get("w", "w"), (o, cw, k) if multi else (k,), base),
                named(names.get("x", "x"), (c, t) if multi else (t,), base),
            )
            for c, t, cw, k in reads
        ]
        if spec.bias:
            terms.append(named(names.get("b", "b"), (o,) if multi else (), base))
        rows[o].append(sympy.Add(*terms))
    return rows


def torch_reference(case: Case, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """PyTorch in float64, on one thread (tiny convolutions are ~100x faster so than with a thread pool)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _torch_reference(case, x, w, b)
    finally:
        torch.set_num_threads(threads)


def _torch_reference(case: Case, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``torch.nn.Conv1d`` where it takes the padding as written, else ``F.pad`` + ``F.conv1d``.

    PyTorch has no 'symmetric' or 'wrap' mode: NumPy's ``np.pad`` pads (modes 'symmetric' and 'wrap',
    any pad size), ``F.conv1d`` computes.
    """
    spec = case.layer
    xt = torch.tensor(x, dtype=torch.float64)
    wt = torch.tensor(w, dtype=torch.float64)
    if spec.flip:
        wt = wt.flip(-1)
    bt = None if b is None else torch.tensor(b, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's 'same' warns for even kernels (test_vectors T16)
        torch_pads = spec.padding_mode not in ("symmetric", "wrap")
        if torch_pads and (
            isinstance(case.padding, int) or case.padding in ("valid", "same") or len(case.padding) == 1
        ):
            module = torch.nn.Conv1d(
                spec.in_channels,
                spec.out_channels,
                spec.kernel_size,
                stride=spec.stride,
                padding=case.padding,
                dilation=spec.dilation,
                groups=spec.groups,
                bias=spec.bias,
                padding_mode=spec.padding_mode,
                dtype=torch.float64,
            )
            with torch.no_grad():
                module.weight.copy_(wt)
                if bt is not None:
                    module.bias.copy_(bt)
                return module(xt).numpy()
        left, right = expected_padding(case.padding, spec.kernel_size, spec.stride, spec.dilation, case.length)
        if not torch_pads:
            xp = torch.tensor(np.pad(x, ((0, 0), (0, 0), (left, right)), mode=spec.padding_mode), dtype=torch.float64)
        else:
            pad_mode = "constant" if spec.padding_mode == "zeros" else spec.padding_mode
            xp = F.pad(xt, (left, right), mode=pad_mode)
        return F.conv1d(xp, wt, bt, stride=spec.stride, dilation=spec.dilation, groups=spec.groups).numpy()


def integer_data(case: Case, batch: int) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    spec = case.layer
    ints = st.integers(-9, 9)
    x = hnp.arrays(np.int64, (batch, spec.in_channels, case.length), elements=ints)
    w = hnp.arrays(np.int64, spec.weight_shape, elements=ints)
    b = hnp.arrays(np.int64, (spec.out_channels,), elements=ints) if spec.bias else st.none()
    return st.tuples(x, w, b)


# -- properties --------------------------------------------------------------------------------


@given(case=cases(), names=st.sampled_from(NAMES), base=st.sampled_from([0, 1]))
def test_z_is_the_slow_route_term_for_term(case: Case, names: dict[str, str] | None, base: int) -> None:
    e = case.layer.expand(case.length, index_base=base, names=names)
    spec = case.layer
    assert e.padding == expected_padding(case.padding, spec.kernel_size, spec.stride, spec.dilation, case.length)
    slow = reference_z(case, names or {}, base)
    assert e.z.shape == (spec.out_channels, e.output_length)
    for o in range(spec.out_channels):
        for i in range(e.output_length):
            assert e.z[o, i] == slow[o][i]
            assert hash(e.z[o, i]) == hash(slow[o][i])
            assert e.z[o, i].args == slow[o][i].args
    column = (e.matrix * e.vec_x + e.bias_vector).applyfunc(sympy.expand)
    assert column == e.z.reshape(spec.out_channels * e.output_length, 1)


@given(case=cases(), data=st.data())
def test_matrix_z_evaluate_and_torch_agree(case: Case, data: st.DataObject) -> None:
    spec = case.layer
    e = case.layer.expand(case.length)
    x, w, b = data.draw(integer_data(case, batch=data.draw(st.integers(1, 2))))
    got = e.evaluate(x, w, b)
    assert got.dtype == np.int64
    assert got.shape == (x.shape[0], spec.out_channels, e.output_length)
    ref = torch_reference(case, x, w, b)
    assert ref.shape == got.shape
    assert got.tolist() == ref.astype(np.int64).tolist()
    assert np.array_equal(got, ref)
    sub = e.subs(x=x[0], w=w, b=b)
    assert sub.z.tolist() == got[0].tolist()
    matrix = np.array(sub.matrix.tolist(), dtype=object)
    vec = matrix.dot(x[0].ravel().astype(object)) + np.array(sub.bias_vector, dtype=object).ravel()
    assert vec.tolist() == got[0].ravel().tolist()
    assert e.taps.counts().nonzeros == e.matrix.nnz()
    assert len(e.taps) == e.taps.counts().taps == sum(len(r) for r in reference_taps(case).values())


# -- NumPy/SciPy modes, exhaustive over lengths 1..8 -------------------------------------------


NUMPY_PEERS = {
    ("numpy", "convolve"): np.convolve,
    ("numpy", "correlate"): np.correlate,
    ("scipy", "convolve"): lambda a, v, mode: scipy.signal.convolve(a, v, mode, method="direct"),
    ("scipy", "correlate"): lambda a, v, mode: scipy.signal.correlate(a, v, mode, method="direct"),
}


@pytest.mark.parametrize("convention", ["numpy", "scipy"])
@pytest.mark.parametrize("operation", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_numpy_and_scipy_modes_every_pair_of_lengths(mode: str, operation: str, convention: str) -> None:
    rng = np.random.default_rng(8)
    make = convolve if operation == "convolve" else correlate
    peer = NUMPY_PEERS[(convention, operation)]
    for n in range(1, 9):
        for m in range(1, 9):
            x, w = rng.integers(-9, 10, n), rng.integers(-9, 10, m)
            layer = make(m, mode, convention)
            e = layer.expand(n)
            expected = peer(x, w, mode).tolist()
            assert layer.output_length(n) == e.output_length == len(expected)
            assert e.evaluate(x, w).tolist() == expected
            sub = e.subs(x=x, w=w)
            assert sub.z.tolist() == [expected]
            assert (sub.matrix * sympy.Matrix(x.tolist())).T.tolist() == [expected]
            assert e.matrix * e.vec_x == e.z.T


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolution_matrix_is_the_numpy_convolve_matrix(mode: str) -> None:
    for n in range(1, 9):
        for m in range(1, 9):
            w = np.arange(1, m + 1) * (-1) ** np.arange(m)
            expected = scipy.linalg.convolution_matrix(w, n, mode)
            assert convolve(m, mode).expand(n).subs(w=w).matrix == sympy.Matrix(expected)
            if m <= n:  # T6: correlate(x, w) == convolve(x, w[::-1]) when the kernel is no longer
                flipped = scipy.linalg.convolution_matrix(w[::-1], n, mode)
                assert correlate(m, mode).expand(n).subs(w=w).matrix == sympy.Matrix(flipped)


def test_convolution_matrix_with_object_dtype_is_the_symbolic_matrix() -> None:
    for n in range(1, 9):
        for m in range(1, 9):
            e = convolve(m, "full").expand(n)
            w = np.array(list(e.w[0, 0, :]), dtype=object)
            assert sympy.Matrix(scipy.linalg.convolution_matrix(w, n, "full")) == e.matrix
