"""Hypothesis: symconv's 2D and 3D layers against PyTorch, exactly, on integer data.

The specs cover every option: channels with groups, a kernel, stride and dilation per axis,
every padding form (an int, PyTorch's flat per-axis tuple, per-axis ``(left, right)`` pairs,
per-axis mixes of ints, pairs and names, and every name), every padding mode, bias, ``flip``,
batched and unbatched inputs, and sizes at which the kernel barely fits (an output of 1); the
transposed layers draw stride, dilation, padding, ``output_padding`` and groups.

The references do not ask symconv how it resolves a padding:

* where PyTorch takes the padding as given (an int, a flat tuple, ``'valid'``, ``'same'`` on
  every axis) in one of its four modes, the reference is ``torch.nn.Conv2d``/``Conv3d`` itself
  (called through ``torch.func.functional_call``, so the weight stays differentiable);
* otherwise the pairs are computed here from each name's published rule (``'full'``,
  ``'causal'``, TensorFlow's ``SAME``, JAX's ``SAME_LOWER``, PyTorch's ``'same'``), the input is
  padded by ``F.pad`` (last axis first) or, for NumPy's ``'symmetric'`` and ``'wrap'``, gathered
  along indices that ``np.pad`` pads, and ``F.conv2d``/``F.conv3d`` runs with ``padding=0``.

``flip`` is held against PyTorch with the kernel flipped along its spatial axes. Inputs are small
ints: float64 is exact on them, so every comparison is equality with symconv's integer (or exact
SymPy) results. Properties: ``evaluate``; ``matrix @ vec(x) + b`` (``to_scipy_sparse`` and, for
small layers, the SymPy matrix with numbers put in); ``z`` with numbers put in; the symbolic
``dx``, ``dw``, ``db`` of :func:`symconv.gradients` with numbers put in for ``x``, ``w``, ``b``
and the upstream symbols, against ``torch.autograd``; and symconv refusing a size exactly when
PyTorch does.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symconv import Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d, gradients
from symconv.base.symbols import entries

TORCH_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
NUMPY_MODES = ("symmetric", "wrap")  # symconv's two modes beyond PyTorch's: np.pad's
NAMES = ("valid", "same", "causal", "full", "tf_same", "jax_same_lower")
MAX_SIDE = {2: 6, 3: 4}
SMALL_SIDE = {2: 4, 3: 3}  # for the properties that substitute into SymPy expressions


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    """PyTorch on one thread while this module runs: its layers are tiny, and on a busy 2-core machine
    waking a second thread costs ~15 ms a convolution (more than the rest of an example)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def budget(n: int) -> Any:
    """Hypothesis settings for ``n`` examples: reproducible (CI and local alike), no deadline."""
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


# -- the padding rules, written out here (not read from symconv) --------------------------------


def pair_of(entry: Any, k: int, s: int, d: int, n: int) -> tuple[int, int]:
    """The ``(left, right)`` padding of one axis of ``n`` inputs, from each convention's own rule."""
    if isinstance(entry, int):
        return (entry, entry)
    if isinstance(entry, tuple):
        return entry
    extent = d * (k - 1)
    if entry == "valid":
        return (0, 0)
    if entry == "same":  # torch.nn.Conv2d._conv_forward: left total // 2, the rest on the right
        return (extent // 2, extent - extent // 2)
    if entry == "full":
        return (extent, extent)
    if entry == "causal":
        return (extent, 0)
    out = -(-n // s)  # TensorFlow's SAME and JAX's SAME_LOWER: ceil(n / s) outputs
    total = max(0, (out - 1) * s + extent + 1 - n)
    return (total // 2, total - total // 2) if entry == "tf_same" else (total - total // 2, total // 2)


@dataclass(frozen=True)
class ConvCase:
    layer: Conv2d | Conv3d
    shape: tuple[int, ...]
    padding: Any  # as given to the layer (layer.padding is symconv's normal form)

    def axis_pair(self, a: int, n: int) -> tuple[int, int]:
        """Axis ``a``'s ``(left, right)`` padding for ``n`` inputs on that axis."""
        entry = self.padding[a] if isinstance(self.padding, tuple) else self.padding
        lay = self.layer
        return pair_of(entry, lay.kernel_size[a], lay.stride[a], lay.dilation[a], n)

    @property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        return tuple(self.axis_pair(a, n) for a, n in enumerate(self.shape))

    @property
    def torch_takes_padding(self) -> bool:
        """PyTorch's module takes this padding as given: an int, a flat tuple of ints, 'valid' or 'same'."""
        p = self.padding
        given_ = (
            isinstance(p, int)
            or p in ("valid", "same")
            or (isinstance(p, tuple) and all(isinstance(v, int) for v in p))
        )
        return given_ and self.layer.padding_mode in TORCH_MODES

    def fits_torch(self) -> bool:
        """Every axis: the padded input holds the dilated kernel, and the mode can pad this much."""
        lay = self.layer
        for (left, right), k, d, n in zip(self.pairs, lay.kernel_size, lay.dilation, self.shape):
            if n + left + right < d * (k - 1) + 1:
                return False
            if lay.padding_mode == "reflect" and max(left, right) >= n:
                return False
            if lay.padding_mode == "circular" and max(left, right) > n:
                return False
        return True


def axis_padding(draw: st.DrawFn, stride: int) -> Any:
    kind = draw(st.sampled_from(["int", "pair", "name"]))
    if kind == "int":
        return draw(st.integers(0, 2))
    if kind == "pair":
        return (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    return draw(st.sampled_from([n for n in NAMES if n != "same" or stride == 1]))


@st.composite
def conv_cases(draw: st.DrawFn, small: bool = False, refusals: bool = False) -> ConvCase:
    """A layer and an input shape; with ``refusals``, PyTorch's four modes at sizes it may refuse."""
    nd = draw(st.sampled_from([2, 3]))
    groups = draw(st.sampled_from([1, 1, 2] if small else [1, 1, 2, 4]))
    top = (2 if small else 4) // groups
    c_in, c_out = groups * draw(st.integers(1, top)), groups * draw(st.integers(1, top))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    form = draw(st.sampled_from(["int", "flat", "pairs", "mixed", "name", "name"]))
    padding: Any
    if form == "int":
        padding = draw(st.integers(0, 2))
    elif form == "flat":  # PyTorch's form: one symmetric padding per axis
        padding = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    elif form == "pairs":
        padding = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(nd))
    elif form == "mixed":
        padding = tuple(axis_padding(draw, s) for s in stride)
    else:
        padding = draw(st.sampled_from(NAMES))
        if padding == "same":
            stride = (1,) * nd  # PyTorch's rule, and symconv's
    mode = draw(st.sampled_from(list(TORCH_MODES) if refusals else [*TORCH_MODES, *NUMPY_MODES]))
    layer = (Conv2d if nd == 2 else Conv3d)(
        c_in, c_out, kernel, stride, padding, dilation, groups, draw(st.booleans()), mode, draw(st.booleans())
    )
    side = (SMALL_SIDE if small else MAX_SIDE)[nd]
    unsized = ConvCase(layer, (), padding)
    shape = []
    for a in range(nd):
        n = draw(st.integers(1, side))
        if draw(st.booleans()):  # the smallest size the dilated kernel fits: an output of 1
            extent = dilation[a] * (kernel[a] - 1) + 1
            n = next((m for m in range(1, side + 1) if m + sum(unsized.axis_pair(a, m)) >= extent), side)
        if not refusals and mode in ("reflect", "circular"):  # at least the size the mode can pad this much
            n = max(n, min(side, max(unsized.axis_pair(a, n)) + (mode == "reflect")))
        shape.append(n)
    return ConvCase(layer, tuple(shape), padding)


# -- the PyTorch reference ----------------------------------------------------------------------


def numpy_pad(x: torch.Tensor, pairs: tuple[tuple[int, int], ...], mode: str) -> torch.Tensor:
    """``x`` padded as ``np.pad(mode=...)`` pads, by gathering (so autograd sees it)."""
    first = x.dim() - len(pairs)
    for a, (left, right) in enumerate(pairs):
        index = np.pad(np.arange(x.shape[first + a]), (left, right), mode=mode)
        x = x.index_select(first + a, torch.from_numpy(index))
    return x


def torch_conv(case: ConvCase, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """PyTorch's output for ``case`` (``x`` batched or not), differentiable in ``x``, ``w``, ``b``."""
    lay = case.layer
    kernel = w.flip(tuple(range(2, w.dim()))) if lay.flip else w
    params = {"weight": kernel} if b is None else {"weight": kernel, "bias": b}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 'same' with an even kernel: PyTorch warns that it copies the input
        if case.torch_takes_padding:
            module = (torch.nn.Conv2d if lay.ndim == 2 else torch.nn.Conv3d)(
                lay.in_channels,
                lay.out_channels,
                lay.kernel_size,
                stride=lay.stride,
                padding=case.padding,
                dilation=lay.dilation,
                groups=lay.groups,
                bias=b is not None,
                padding_mode=lay.padding_mode,
                dtype=torch.float64,
                device="meta",
            )
            return torch.func.functional_call(module, params, (x,))  # type: ignore[no-any-return]
        if lay.padding_mode in TORCH_MODES:
            flat = [v for pair in reversed(case.pairs) for v in pair]  # F.pad: the last axis first
            x = F.pad(x, flat, mode=TORCH_MODES[lay.padding_mode])
        else:
            x = numpy_pad(x, case.pairs, lay.padding_mode)
        conv = F.conv2d if lay.ndim == 2 else F.conv3d
        return conv(x, kernel, b, stride=lay.stride, dilation=lay.dilation, groups=lay.groups)


@dataclass(frozen=True)
class Data:
    x: np.ndarray  # (N, C_in, *shape), int64
    w: np.ndarray
    b: np.ndarray | None


def integer_data(seed: int, layer: Any, shape: tuple[int, ...], batch: int) -> Data:
    rng = np.random.default_rng(seed)
    x = rng.integers(-4, 5, (batch, layer.in_channels, *shape))
    w = rng.integers(-4, 5, layer.weight_shape)
    return Data(x, w, rng.integers(-4, 5, layer.out_channels) if layer.bias else None)


def tensor(a: np.ndarray | None, grad: bool = False) -> Any:
    return None if a is None else torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def exact(t: torch.Tensor) -> np.ndarray:
    """A float64 PyTorch result as int64, after checking it holds integers (it must, on int data)."""
    a = t.detach().numpy()
    assert np.array_equal(a, np.round(a))
    return a.astype(np.int64)


def assert_same_ints(got: Any, want: np.ndarray) -> None:
    got = np.asarray(got)
    assert got.dtype.kind in "iO", got.dtype  # exact: ints or Python/SymPy objects, never floats
    assert got.shape == want.shape
    assert np.array_equal(got, want), (got, want)


def numbers(symbols: Any, values: np.ndarray | None) -> dict[sympy.Basic, sympy.Integer]:
    if symbols is None or values is None:
        return {}
    return dict(zip(entries(symbols), (sympy.Integer(int(v)) for v in np.ravel(values))))


def put_in(expressions: Any, values: dict[sympy.Basic, sympy.Integer]) -> list[int]:
    out = [sympy.sympify(v).xreplace(values) for v in entries(expressions)]
    assert all(isinstance(v, sympy.Integer) for v in out), out  # every symbol got its number
    return [int(v) for v in out]


# -- convolutions ---------------------------------------------------------------------------------


def torch_ready(case: ConvCase) -> None:
    assume(case.fits_torch())


@budget(200)
@given(conv_cases(), st.integers(0, 2**16), st.integers(1, 3))
def test_conv_evaluate_equals_torch_batched_and_unbatched(case: ConvCase, seed: int, batch: int) -> None:
    torch_ready(case)
    e = case.layer.expand(case.shape)
    d = integer_data(seed, case.layer, case.shape, batch)
    want = exact(torch_conv(case, tensor(d.x), tensor(d.w), tensor(d.b)))
    assert e.output_shape == want.shape[2:] == case.layer.output_shape(case.shape)
    assert_same_ints(e.evaluate(d.x, d.w, d.b), want)
    unbatched = exact(torch_conv(case, tensor(d.x[0]), tensor(d.w), tensor(d.b)))  # PyTorch's unbatched path
    assert_same_ints(e.evaluate(d.x[0], d.w, d.b), unbatched)
    assert np.array_equal(unbatched, want[0])
    if case.layer.in_channels == case.layer.out_channels == 1:  # plain arrays: the image and the kernel alone
        assert_same_ints(e.evaluate(d.x[0, 0], d.w[0, 0], d.b), want[0, 0])


@budget(120)
@given(conv_cases(), st.integers(0, 2**16))
def test_conv_matrix_times_vec_x_plus_bias_equals_torch(case: ConvCase, seed: int) -> None:
    torch_ready(case)
    e = case.layer.expand(case.shape)
    d = integer_data(seed, case.layer, case.shape, 1)
    want = exact(torch_conv(case, tensor(d.x[0]), tensor(d.w), tensor(d.b))).ravel()  # C order: channel-major
    bias = np.zeros(len(want), dtype=np.int64) if d.b is None else np.repeat(d.b, e.output_length)
    assert_same_ints(e.to_scipy_sparse(d.w) @ d.x[0].ravel() + bias, want)
    if len(e.taps) <= 300:  # the SymPy matrix with numbers put in, on the smaller layers
        values = numbers(e.w, d.w) | numbers(e.b, d.b)
        vec = e.matrix.xreplace(values) * sympy.Matrix(d.x[0].ravel().tolist()) + e.bias_vector.xreplace(values)
        assert put_in(vec, {}) == want.tolist()


@budget(70)
@given(conv_cases(small=True), st.integers(0, 2**16))
def test_conv_z_with_numbers_put_in_equals_torch(case: ConvCase, seed: int) -> None:
    torch_ready(case)
    e = case.layer.expand(case.shape)
    d = integer_data(seed, case.layer, case.shape, 1)
    want = exact(torch_conv(case, tensor(d.x[0]), tensor(d.w), tensor(d.b))).ravel().tolist()
    assert put_in(e.z, numbers(e.x, d.x[0]) | numbers(e.w, d.w) | numbers(e.b, d.b)) == want
    sub = e.subs(x=d.x[0], w=d.w, b=d.b)
    assert put_in(sub.z, {}) == want
    assert put_in(sub.matrix * sympy.Matrix(d.x[0].ravel().tolist()) + sub.bias_vector, {}) == want


@budget(80)
@given(conv_cases(small=True), st.integers(0, 2**16))
def test_conv_symbolic_gradients_with_numbers_put_in_equal_autograd(case: ConvCase, seed: int) -> None:
    torch_ready(case)
    e = case.layer.expand(case.shape)
    d = integer_data(seed, case.layer, case.shape, 2)
    xt, wt, bt = tensor(d.x, True), tensor(d.w, True), tensor(d.b, True)
    out = torch_conv(case, xt, wt, bt)
    delta = np.random.default_rng(seed + 1).integers(-3, 4, tuple(out.shape))
    out.backward(tensor(delta))
    g = gradients(e)
    # the symbolic gradients of one sample: numbers for x, w, b and the upstream symbols delta
    one_x, one_w, one_b = tensor(d.x[:1], True), tensor(d.w, True), tensor(d.b, True)
    torch_conv(case, one_x, one_w, one_b).backward(tensor(delta[:1]))
    values = numbers(e.x, d.x[0]) | numbers(e.w, d.w) | numbers(e.b, d.b)
    values |= numbers(e.output_symbols("delta"), delta[0])
    assert put_in(g.dx, values) == exact(one_x.grad[0]).ravel().tolist()
    assert put_in(g.dw, values) == exact(one_w.grad).ravel().tolist()
    if d.b is not None:
        assert put_in(g.db, values) == exact(one_b.grad).tolist()
    # and the closed forms on the batch
    got = g.evaluate(d.x, d.w, d.b, delta=delta)
    assert_same_ints(got["dx"], exact(xt.grad))
    assert_same_ints(got["dw"], exact(wt.grad))
    if d.b is not None:
        assert_same_ints(got["db"], exact(bt.grad))


@budget(200)
@given(conv_cases(refusals=True))
def test_conv_refuses_a_size_exactly_when_torch_does(case: ConvCase) -> None:
    d = integer_data(0, case.layer, case.shape, 1)
    try:
        torch_conv(case, tensor(d.x), tensor(d.w), tensor(d.b))
        torch_refuses = False
    except (RuntimeError, ValueError, NotImplementedError):
        torch_refuses = True
    try:
        case.layer.expand(case.shape)
        refuses = False
    except ValueError:
        refuses = True
    assert refuses == torch_refuses == (not case.fits_torch())


def test_tf_same_gives_ceil_n_over_s_outputs() -> None:
    """TensorFlow's defining property of SAME, which the pair rule above must meet."""
    for n in range(1, 8):
        for k in (1, 2, 3, 4):
            for s in (1, 2, 3):
                for d in (1, 2):
                    left, right = pair_of("tf_same", k, s, d, n)
                    assert (n + left + right - d * (k - 1) - 1) // s + 1 == math.ceil(n / s)
                    layer = Conv2d(1, 1, (k, 1), stride=(s, 1), padding="tf_same", dilation=(d, 1), bias=False)
                    assert layer.output_shape((n, 1)) == (math.ceil(n / s), 1)


# -- transposed convolutions --------------------------------------------------------------------


@dataclass(frozen=True)
class TransposedCase:
    nd: int
    args: dict[str, Any]  # keyword arguments as PyTorch and symconv both take them
    shape: tuple[int, ...]

    def layer(self) -> ConvTranspose2d | ConvTranspose3d:
        return (ConvTranspose2d if self.nd == 2 else ConvTranspose3d)(**self.args)

    def torch(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        fn = F.conv_transpose2d if self.nd == 2 else F.conv_transpose3d
        a = self.args
        return fn(x, w, b, a["stride"], a["padding"], a["output_padding"], a["groups"], a["dilation"])


@st.composite
def transposed_cases(draw: st.DrawFn, small: bool = False, refusals: bool = False) -> TransposedCase:
    """A transposed layer and an input shape; with ``refusals``, parameters PyTorch may refuse."""
    nd = draw(st.sampled_from([2, 3]))
    groups = draw(st.sampled_from([1, 1, 2] if small else [1, 1, 2, 4]))
    top = (2 if small else 4) // groups
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    slack = int(refusals)  # one beyond PyTorch's limits
    padding: Any = tuple(draw(st.integers(0, d * (k - 1) + slack)) for k, d in zip(kernel, dilation))
    if len(set(padding)) == 1 and draw(st.booleans()):
        padding = padding[0]  # the int form
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1 + slack)) for s, d in zip(stride, dilation))
    side = (SMALL_SIDE if small else {2: 4, 3: 3})[nd]
    shape = tuple(draw(st.integers(1, side)) for _ in range(nd))
    args = {
        "in_channels": groups * draw(st.integers(1, top)),
        "out_channels": groups * draw(st.integers(1, top)),
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "groups": groups,
        "bias": draw(st.booleans()),
        "dilation": dilation,
    }
    if not refusals:  # PyTorch's output size, at least 1 on every axis
        pads = padding if isinstance(padding, tuple) else (padding,) * nd
        sizes = zip(shape, stride, pads, dilation, kernel, output_padding)
        assume(all((n - 1) * s - 2 * p + d * (k - 1) + op + 1 >= 1 for n, s, p, d, k, op in sizes))
    return TransposedCase(nd, args, shape)


@budget(120)
@given(transposed_cases(), st.integers(0, 2**16), st.integers(1, 3))
def test_transposed_evaluate_and_matrix_equal_torch(case: TransposedCase, seed: int, batch: int) -> None:
    layer = case.layer()
    e = layer.expand(case.shape)
    d = integer_data(seed, layer, case.shape, batch)
    want = exact(case.torch(tensor(d.x), tensor(d.w), tensor(d.b)))
    assert e.output_shape == want.shape[2:] == layer.output_shape(case.shape)
    assert_same_ints(e.evaluate(d.x, d.w, d.b), want)
    unbatched = exact(case.torch(tensor(d.x[0]), tensor(d.w), tensor(d.b)))
    assert_same_ints(e.evaluate(d.x[0], d.w, d.b), unbatched)
    bias = np.zeros(want[0].size, dtype=np.int64) if d.b is None else np.repeat(d.b, e.output_length)
    assert_same_ints(e.to_scipy_sparse(d.w) @ d.x[0].ravel() + bias, want[0].ravel())
    if len(e.taps) <= 300:  # the SymPy matrix with numbers put in, on the smaller layers
        values = numbers(e.w, d.w) | numbers(e.b, d.b)
        vec = e.matrix.xreplace(values) * sympy.Matrix(d.x[0].ravel().tolist()) + e.bias_vector.xreplace(values)
        assert put_in(vec, {}) == want[0].ravel().tolist()


@budget(60)
@given(transposed_cases(small=True), st.integers(0, 2**16))
def test_transposed_z_and_symbolic_gradients_equal_torch(case: TransposedCase, seed: int) -> None:
    layer = case.layer()
    e = layer.expand(case.shape)
    d = integer_data(seed, layer, case.shape, 1)
    xt, wt, bt = tensor(d.x[0], True), tensor(d.w, True), tensor(d.b, True)
    out = case.torch(xt, wt, bt)  # unbatched
    want = exact(out).ravel().tolist()
    values = numbers(e.x, d.x[0]) | numbers(e.w, d.w) | numbers(e.b, d.b)
    assert put_in(e.z, values) == want
    assert put_in(e.subs(x=d.x[0], w=d.w, b=d.b).z, {}) == want
    delta = np.random.default_rng(seed + 1).integers(-3, 4, tuple(out.shape))
    out.backward(tensor(delta))
    g = gradients(e)
    values |= numbers(e.output_symbols("delta"), delta)
    assert put_in(g.dx, values) == exact(xt.grad).ravel().tolist()
    assert put_in(g.dw, values) == exact(wt.grad).ravel().tolist()
    if d.b is not None:
        assert put_in(g.db, values) == exact(bt.grad).tolist()


@budget(150)
@given(transposed_cases(refusals=True))
def test_transposed_refuses_exactly_what_torch_refuses(case: TransposedCase) -> None:
    a = case.args
    x = torch.zeros((1, a["in_channels"], *case.shape), dtype=torch.float64)
    w = torch.zeros((a["in_channels"], a["out_channels"] // a["groups"], *a["kernel_size"]), dtype=torch.float64)
    try:
        case.torch(x, w, None)
        torch_refuses = False
    except RuntimeError:
        torch_refuses = True
    try:
        case.layer().expand(case.shape)
        refuses = False
    except ValueError:
        refuses = True
    assert refuses == torch_refuses
