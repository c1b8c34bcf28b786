"""Adversarial suite for the checker (issue 9): it never passes wrong code, never fails right code,
and never answers with a traceback from inside symconv.

- **Right code must pass**, on random ``Conv1d`` specs (channels, groups, stride, dilation,
  asymmetric padding, every padding mode, bias or not) and random ``ConvTranspose1d`` specs:
  PyTorch, an im2col in NumPy, SciPy's direct correlation, an FFT (``scipy.signal.fftconvolve``),
  Python loops, and correct values returned as lists, tuples, torch tensors, long doubles,
  ``Fraction`` objects or nudged by one ulp.
- **Wrong code must fail**: the layer with one parameter off (padding left/right +-1, stride or
  dilation +-1, kernel flipped, channels rolled, weight layout transposed, bias dropped or
  doubled, another padding mode; for the transposed layer output_padding, padding, stride,
  dilation, a forward convolution instead), whenever PyTorch itself says the two differ on a
  random input; a right output corrupted (NaN, +-inf, one value off by 1e-6 relative, wrong
  shape, reduced precision, integer, complex, bool, text, None, scalar, ragged list); right
  code that changes ``x``, ``w`` or ``b`` in place.
- **Gradients**: torch autograd passes; a backward pass with a gradient scaled, negated or
  changed in place fails with a diagnosis that names exactly the gradients that are off.

Hypothesis ``event()`` labels count the cases (``--hypothesis-show-statistics``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from gallery_wrong import NP_PAD, correct_loop
from hypothesis import event, given, settings
from hypothesis import strategies as st

from symconv import Conv1d, ConvTranspose1d, check, check_gradients

TORCH_PAD = {"reflect": "reflect", "replicate": "replicate", "circular": "circular"}


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Any:
    """Tiny convolutions: one thread is ~100x faster than waiting for a second, busy core."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- random layers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Geometry:
    """A layer's parameters, for the independent implementations (nothing here comes from symconv)."""

    c_in: int
    c_out: int
    size: int
    stride: int
    pad: tuple[int, int]
    dilation: int
    groups: int
    mode: str
    bias: bool

    def spec(self) -> Conv1d:
        return Conv1d(
            self.c_in,
            self.c_out,
            self.size,
            stride=self.stride,
            padding=self.pad,
            dilation=self.dilation,
            groups=self.groups,
            bias=self.bias,
            padding_mode=self.mode,
        )


@st.composite
def geometries(draw: st.DrawFn) -> tuple[Geometry, int]:
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    size, stride, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    pad = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    length = draw(st.integers(max(4, max(pad) + 1, dilation * (size - 1) + 2), 14))
    return Geometry(c_in, c_out, size, stride, pad, dilation, groups, mode, draw(st.booleans())), length


# -- independent implementations -----------------------------------------------------------------


def torch_conv(g: Geometry, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    tx = torch.from_numpy(np.ascontiguousarray(x))
    tx = F.pad(tx, g.pad) if g.mode == "zeros" else F.pad(tx, g.pad, mode=TORCH_PAD[g.mode])
    tb = None if b is None or not g.bias else torch.from_numpy(np.ascontiguousarray(b))
    out = F.conv1d(tx, torch.from_numpy(np.ascontiguousarray(w)), tb, g.stride, 0, g.dilation, g.groups)
    return out.numpy()


def _padded(g: Geometry, x: np.ndarray) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), g.pad), mode=NP_PAD[g.mode])  # type: ignore[call-overload]


def numpy_im2col(g: Geometry, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    xp = _padded(g, x)
    extent = g.dilation * (g.size - 1) + 1
    windows = np.lib.stride_tricks.sliding_window_view(xp, extent, axis=-1)[..., :: g.stride, :: g.dilation]
    per_in, per_out = g.c_in // g.groups, g.c_out // g.groups
    parts = [
        np.einsum("ncik,ock->noi", windows[:, j * per_in : (j + 1) * per_in], w[j * per_out : (j + 1) * per_out])
        for j in range(g.groups)
    ]
    out = np.concatenate(parts, axis=1)
    return out + b[None, :, None] if g.bias and b is not None else out


def _per_pair(
    correlate: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> Callable[[Geometry, np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]:
    """A layer from a 1-D 'valid' correlation of the padded input with the dilated kernel."""

    def layer(g: Geometry, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        xp = _padded(g, x)
        per_in, per_out = g.c_in // g.groups, g.c_out // g.groups
        rows = []
        for sample in xp:
            outs = []
            for o in range(g.c_out):
                group = o // per_out
                total = 0.0
                for cw in range(per_in):
                    kernel = np.zeros(g.dilation * (g.size - 1) + 1)
                    kernel[:: g.dilation] = w[o, cw]
                    total = total + correlate(sample[group * per_in + cw], kernel)[:: g.stride]
                outs.append(total + (b[o] if g.bias and b is not None else 0.0))
            rows.append(outs)
        return np.asarray(rows)

    return layer


CORRECT: dict[str, Callable[..., Any]] = {
    "torch": torch_conv,
    "numpy im2col": numpy_im2col,
    "scipy direct": _per_pair(lambda a, k: scipy.signal.correlate(a, k, "valid", method="direct")),
    "scipy fft": _per_pair(lambda a, k: scipy.signal.fftconvolve(a, k[::-1], "valid")),
    "python loops": lambda g, x, w, b: correct_loop(g.spec(), x.shape[-1])(x, w, b if g.bias else None),
}

WRAPPERS: dict[str, Callable[[np.ndarray], Any]] = {
    "array": lambda out: out,
    "nested list": lambda out: out.tolist(),
    "tuple": lambda out: tuple(out.tolist()),
    "torch tensor": torch.from_numpy,
    "long double": lambda out: out.astype(np.longdouble),
    "Fraction objects": lambda out: np.vectorize(Fraction, otypes=[object])(out),
    "one ulp up": lambda out: np.nextafter(out, np.inf),
}


@pytest.mark.parametrize("how", sorted(CORRECT))
@settings(max_examples=30, deadline=None)
@given(case=geometries(), wrap=st.sampled_from(sorted(WRAPPERS)))
def test_right_code_passes(case: tuple[Geometry, int], how: str, wrap: str) -> None:
    g, length = case
    event(f"right: {how}")
    event(f"returned as: {wrap}")
    fn = CORRECT[how]
    result = check(lambda x, w, b: WRAPPERS[wrap](fn(g, x, w, b)), g.spec(), length, convention="numpy")
    assert result.passed, result.report()


# -- wrong code: one parameter off ---------------------------------------------------------------


def _off(field: str, step: int) -> Callable[[Geometry], Geometry | None]:
    def change(g: Geometry) -> Geometry | None:
        if field in ("left", "right"):
            left, right = g.pad[0] + step * (field == "left"), g.pad[1] + step * (field == "right")
            return None if min(left, right) < 0 else dataclasses.replace(g, pad=(left, right))
        value = getattr(g, field) + step
        return None if value < 1 else dataclasses.replace(g, **{field: value})

    return change


GEOMETRY_BUGS: dict[str, Callable[[Geometry], Geometry | None]] = {
    "padding left +1": _off("left", 1),
    "padding left -1": _off("left", -1),
    "padding right +1": _off("right", 1),
    "padding right -1": _off("right", -1),
    "stride +1": _off("stride", 1),
    "stride -1": _off("stride", -1),
    "dilation +1": _off("dilation", 1),
    "dilation -1": _off("dilation", -1),
    "padding mode zeros": lambda g: dataclasses.replace(g, mode="zeros") if g.mode != "zeros" else None,
    "padding mode replicate": lambda g: dataclasses.replace(g, mode="replicate") if g.mode != "replicate" else None,
}

ARRAY_BUGS: dict[str, Callable[[Geometry, np.ndarray, np.ndarray, Any], np.ndarray]] = {
    "kernel flipped": lambda g, x, w, b: torch_conv(g, x, w[..., ::-1], b),
    "output channels rolled": lambda g, x, w, b: np.roll(torch_conv(g, x, w, b), 1, axis=1),
    "input channels rolled": lambda g, x, w, b: torch_conv(g, np.roll(x, 1, axis=1), w, b),
    "weight layout transposed": lambda g, x, w, b: torch_conv(g, x, np.swapaxes(w, 0, 1).reshape(w.shape), b),
    "bias dropped": lambda g, x, w, b: torch_conv(g, x, w, None),
    "bias doubled": lambda g, x, w, b: torch_conv(g, x, w, None if b is None else 2 * b),
    "stride offset by one": lambda g, x, w, b: torch_conv(g, x, w, b)[..., 1:],
}


def _differs(right: np.ndarray, wrong: np.ndarray) -> bool:
    return right.shape != wrong.shape or not np.allclose(right, wrong, rtol=1e-9, atol=1e-12)


def _sample(g: Geometry, length: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (g.c_out, g.c_in // g.groups, g.size)
    return rng.uniform(-1, 1, (2, g.c_in, length)), rng.uniform(-1, 1, shape), rng.uniform(-1, 1, g.c_out)


@pytest.mark.parametrize("bug", sorted(GEOMETRY_BUGS) + sorted(ARRAY_BUGS))
@settings(max_examples=15, deadline=None)
@given(case=geometries(), seed=st.integers(0, 99))
def test_code_with_one_parameter_off_fails(case: tuple[Geometry, int], bug: str, seed: int) -> None:
    g, length = case
    if bug in GEOMETRY_BUGS:
        other = GEOMETRY_BUGS[bug](g)
        if other is None:
            event("wrong: not applicable")
            return
        wrong: Callable[..., Any] = lambda x, w, b: torch_conv(other, x, w, b)  # noqa: E731
    else:
        wrong = lambda x, w, b: ARRAY_BUGS[bug](g, x, w, b)  # noqa: E731
    x, w, b = _sample(g, length, seed)
    try:
        differs = _differs(torch_conv(g, x, w, b), wrong(x, w, b))
    except (RuntimeError, ValueError):  # PyTorch refuses that geometry: the code would raise
        differs = True
    result = check(wrong, g.spec(), length, convention="numpy")
    if not differs:  # the "bug" changes nothing here (PyTorch says so): then it is right code
        event("wrong: the same function (PyTorch agrees), must pass")
        assert result.passed, result.report()
        return
    event(f"wrong: {bug}")
    assert not result.passed, result.report()


# -- wrong code: a right output corrupted ---------------------------------------------------------


def _poke(value: float) -> Callable[[np.ndarray], Any]:
    def poke(out: np.ndarray) -> np.ndarray:
        out = out.copy()
        out.flat[out.size // 2] = value
        return out

    return poke


def _nudge(out: np.ndarray) -> np.ndarray:
    out = out.copy()
    out.flat[-1] += 1e-6 * (1 + abs(out.flat[-1]))
    return out


CORRUPTIONS: dict[str, Callable[[np.ndarray], Any]] = {
    "NaN": _poke(np.nan),
    "+inf": _poke(np.inf),
    "-inf": _poke(-np.inf),
    "one value off by 1e-6": _nudge,
    "last output dropped": lambda out: out[..., :-1],
    "batch axis dropped": lambda out: out[0],
    "axes swapped": lambda out: np.swapaxes(out, 1, 2) if out.shape[1] != out.shape[2] else out[..., ::-1] + 1,
    "extra axis": lambda out: out[None],
    "float32": lambda out: out.astype(np.float32),
    "float16": lambda out: out.astype(np.float16),
    "torch float32": lambda out: torch.from_numpy(out).float(),
    "torch bfloat16": lambda out: torch.from_numpy(out).bfloat16(),
    "float32 arithmetic, float64 result": lambda out: out.astype(np.float32).astype(np.float64),
    "rounded to integers": lambda out: np.round(out).astype(np.int64),
    "complex": lambda out: out.astype(np.complex128),
    "bool": lambda out: out > 0,
    "text": lambda out: str(out),
    "array of text": lambda out: out.astype(str),
    "None": lambda out: None,
    "scalar": lambda out: float(out.sum()),
    "ragged list": lambda out: [*(row.tolist() for row in out.reshape(-1, out.shape[-1])[:-1]), [1.0]],
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
@settings(max_examples=8, deadline=None)
@given(case=geometries())
def test_a_corrupted_output_fails_without_a_traceback(case: tuple[Geometry, int], corruption: str) -> None:
    g, length = case
    event(f"corrupted: {corruption}")
    result = check(lambda x, w, b: CORRUPTIONS[corruption](torch_conv(g, x, w, b)), g.spec(), length)
    assert not result.passed, result.report()
    assert result.report().startswith("symconv check: FAILED")


# -- wrong code: right values, inputs changed in place --------------------------------------------


@settings(max_examples=40, deadline=None)
@given(case=geometries(), name=st.sampled_from(["x", "w", "b"]), on_tensors=st.booleans())
def test_right_values_from_code_that_changes_its_inputs_fail(
    case: tuple[Geometry, int], name: str, on_tensors: bool
) -> None:
    g, length = case
    g = dataclasses.replace(g, bias=True) if name == "b" else g
    event(f"mutated: {name} ({'torch' if on_tensors else 'numpy'})")

    def fn(x: Any, w: Any, b: Any) -> Any:
        given = {"x": x, "w": w, "b": b}
        plain = [a.numpy().copy() if isinstance(a, torch.Tensor) else np.copy(a) for a in (x, w, b)]
        out = numpy_im2col(g, *plain[:2], None if b is None else plain[2])  # right values, from copies
        given[name] += 1  # then the caller's array is changed (in place, NumPy and torch alike)
        return out

    result = check(fn, g.spec(), length, convention="torch" if on_tensors else "numpy")
    assert not result.passed and result.mutated == (name,), result.report()
    assert f"your function modified its input `{name}` in place" in result.report()


# -- transposed layers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Transposed:
    """A ``ConvTranspose1d``'s parameters, for PyTorch and a scatter loop."""

    c_in: int
    c_out: int
    size: int
    stride: int
    pad: int
    out_pad: int
    dilation: int
    groups: int
    bias: bool

    def spec(self) -> ConvTranspose1d:
        return ConvTranspose1d(
            self.c_in,
            self.c_out,
            self.size,
            stride=self.stride,
            padding=self.pad,
            output_padding=self.out_pad,
            groups=self.groups,
            bias=self.bias,
            dilation=self.dilation,
        )

    def length(self, n: int) -> int:
        return (n - 1) * self.stride - 2 * self.pad + self.dilation * (self.size - 1) + self.out_pad + 1


@st.composite
def transposed_layers(draw: st.DrawFn) -> tuple[Transposed, int]:
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    size, stride, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    layer = Transposed(
        c_in,
        c_out,
        size,
        stride,
        draw(st.integers(0, 2)),
        draw(st.integers(0, max(stride, dilation) - 1)),
        dilation,
        groups,
        draw(st.booleans()),
    )
    n = draw(st.integers(2, 8))
    return (layer, n) if layer.length(n) >= 1 else (dataclasses.replace(layer, pad=0), n)


def torch_tconv(t: Transposed, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    tb = None if b is None or not t.bias else torch.from_numpy(np.ascontiguousarray(b))
    args = (t.stride, t.pad, t.out_pad, t.groups, t.dilation)
    return F.conv_transpose1d(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(w.copy()), tb, *args).numpy()


def scatter_tconv(t: Transposed, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """Every input sends ``w * x`` to ``s*i + d*k - p``: the definition, as a loop."""
    n, _, length = x.shape
    per_in, per_out = t.c_in // t.groups, t.c_out // t.groups
    out = np.zeros((n, t.c_out, t.length(length)))
    for c in range(t.c_in):
        for ow in range(per_out):
            o = (c // per_in) * per_out + ow
            for i in range(length):
                for k in range(t.size):
                    u = t.stride * i + t.dilation * k - t.pad
                    if 0 <= u < out.shape[-1]:
                        out[:, o, u] += w[c, ow, k] * x[:, c, i]
    return out + b[None, :, None] if t.bias and b is not None else out


@settings(max_examples=40, deadline=None)
@given(case=transposed_layers(), how=st.sampled_from(["torch", "scatter loop", "module"]))
def test_right_transposed_code_passes(case: tuple[Transposed, int], how: str) -> None:
    t, n = case
    event(f"right transposed: {how}")
    if how == "module":
        module = torch.nn.ConvTranspose1d(
            t.c_in, t.c_out, t.size, t.stride, t.pad, t.out_pad, t.groups, t.bias, t.dilation
        )
        result = check(module, t.spec(), n)
    else:
        fn = torch_tconv if how == "torch" else scatter_tconv
        result = check(lambda x, w, b: fn(t, x, w, b), t.spec(), n, convention="numpy")
    assert result.passed, result.report()


def _t_off(field: str, step: int) -> Callable[[Transposed], Transposed | None]:
    def change(t: Transposed) -> Transposed | None:
        value = getattr(t, field) + step
        return (
            None if value < (1 if field in ("stride", "dilation") else 0) else dataclasses.replace(t, **{field: value})
        )

    return change


TRANSPOSED_BUGS: dict[str, Callable[[Transposed], Transposed | None]] = {
    "output_padding +1": _t_off("out_pad", 1),
    "output_padding -1": _t_off("out_pad", -1),
    "padding +1": _t_off("pad", 1),
    "padding -1": _t_off("pad", -1),
    "stride +1": _t_off("stride", 1),
    "stride -1": _t_off("stride", -1),
    "dilation +1": _t_off("dilation", 1),
    "dilation -1": _t_off("dilation", -1),
}


def _forward_instead(t: Transposed, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    tb = None if b is None or not t.bias else torch.from_numpy(b)
    args = (t.stride, t.pad, t.dilation, t.groups)
    return F.conv1d(torch.from_numpy(x), torch.from_numpy(w), tb, *args).numpy()


TRANSPOSED_ARRAY_BUGS: dict[str, Callable[[Transposed, np.ndarray, np.ndarray, Any], np.ndarray]] = {
    "kernel flipped": lambda t, x, w, b: torch_tconv(t, x, w[..., ::-1], b),
    "forward convolution": _forward_instead,
    "weight layout (C_out, C_in, K)": lambda t, x, w, b: torch_tconv(t, x, np.swapaxes(w, 0, 1).reshape(w.shape), b),
    "bias dropped": lambda t, x, w, b: torch_tconv(t, x, w, None),
}


@pytest.mark.parametrize("bug", sorted(TRANSPOSED_BUGS) + sorted(TRANSPOSED_ARRAY_BUGS))
@settings(max_examples=10, deadline=None)
@given(case=transposed_layers(), seed=st.integers(0, 99))
def test_transposed_code_with_one_parameter_off_fails(case: tuple[Transposed, int], bug: str, seed: int) -> None:
    t, n = case
    if bug in TRANSPOSED_BUGS:
        other = TRANSPOSED_BUGS[bug](t)
        wrong: Callable[..., Any] = lambda x, w, b: torch_tconv(other, x, w, b)  # noqa: E731
    else:
        other = t
        wrong = lambda x, w, b: TRANSPOSED_ARRAY_BUGS[bug](t, x, w, b)  # noqa: E731
    rng = np.random.default_rng(seed)
    x, w, b = rng.uniform(-1, 1, (2, t.c_in, n)), rng.uniform(-1, 1, t.spec().weight_shape), rng.uniform(-1, 1, t.c_out)
    if other is None:
        event("wrong transposed: not applicable")
        return
    try:
        differs = _differs(torch_tconv(t, x, w, b), wrong(x, w, b))
    except (RuntimeError, ValueError):  # PyTorch refuses it (an output_padding too large, ...): the code raises
        differs = True
    result = check(wrong, t.spec(), n, convention="numpy")
    if not differs:  # the "bug" changes nothing here (PyTorch says so): then it is right code
        event("wrong transposed: the same function (PyTorch agrees), must pass")
        assert result.passed, result.report()
        return
    event(f"wrong transposed: {bug}")
    assert not result.passed, result.report()


# -- gradients -----------------------------------------------------------------------------------


def _autograd(g: Geometry) -> Callable[..., tuple[np.ndarray, ...]]:
    def backward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, delta: np.ndarray) -> tuple[Any, ...]:
        tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        tb = None if b is None else torch.tensor(b, requires_grad=True)
        xp = F.pad(tx, g.pad) if g.mode == "zeros" else F.pad(tx, g.pad, mode=TORCH_PAD[g.mode])
        F.conv1d(xp, tw, tb, g.stride, 0, g.dilation, g.groups).backward(torch.from_numpy(delta))
        return tx.grad.numpy(), tw.grad.numpy(), None if tb is None else tb.grad.numpy()

    return backward


@settings(max_examples=60, deadline=None)
@given(
    case=geometries(),
    off=st.sets(st.sampled_from(["dx", "dw", "db"]), max_size=3),
    factor=st.sampled_from([0.5, 2.0, -1.0, 3.0]),
)
def test_backward_passes_are_judged_gradient_by_gradient(
    case: tuple[Geometry, int], off: set[str], factor: float
) -> None:
    g, length = case
    right = _autograd(g)
    off = off if g.bias else off - {"db"}

    def backward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, delta: np.ndarray) -> tuple[Any, ...]:
        grads = right(x, w, b, delta)
        return tuple(None if v is None else v * (factor if k in off else 1) for k, v in zip(("dx", "dw", "db"), grads))

    result = check_gradients(backward, g.spec(), length, convention="numpy")
    event(f"gradients off: {', '.join(sorted(off)) or 'none'}")
    if not off:
        assert result.passed, result.report()
        return
    assert not result.passed and set(result.wrong) <= off, result.report()
    text = " ".join(result.diagnosis)
    if off == {"dx"}:
        assert "averaged over the batch" not in text, text
    if set(result.wrong) == off and len(off) > 1:  # one factor for all: said once, for exactly those
        assert len(result.diagnosis) == 1 and all(name in text for name in off), text


@settings(max_examples=20, deadline=None)
@given(case=geometries(), name=st.sampled_from(["x", "w", "b", "delta"]))
def test_backward_passes_that_change_their_inputs_fail(case: tuple[Geometry, int], name: str) -> None:
    g, length = case
    g = dataclasses.replace(g, bias=True)
    right = _autograd(g)
    event(f"backward mutates: {name}")

    def backward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, delta: np.ndarray) -> tuple[Any, ...]:
        grads = right(x.copy(), w.copy(), None if b is None else b.copy(), delta.copy())
        {"x": x, "w": w, "b": b, "delta": delta}[name] *= -1
        return grads

    result = check_gradients(backward, g.spec(), length, convention="numpy")
    assert not result.passed and result.mutated == (name,), result.report()
