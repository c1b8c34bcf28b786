"""Check a backward pass (hand-written or autograd) against symconv's gradients from the taps.

:func:`check_gradients` feeds the user's backward pass the same probes as
:func:`symconv.checker.check.check` (small integers, then floats) with an upstream gradient
``delta = dL/dz``, and compares ``dx``, ``dw`` and ``db`` with
:meth:`symconv.grad.gradients.Gradients.evaluate`. On a mismatch it names the gradient that is
wrong, its first wrong entry, and the known mistake it matches, if any.

Examples:
    >>> import numpy as np
    >>> from symconv import Conv1d
    >>> def backward(x, w, b, delta):  # a correct single-channel backward, valid padding
    ...     dx = np.stack([[np.convolve(d[0], w[0, 0], "full")] for d in delta])
    ...     dw = sum(np.correlate(xs[0], d[0], "valid") for xs, d in zip(x, delta))[None, None]
    ...     return dx, dw, delta.sum(axis=(0, 2))
    >>> check_gradients(backward, Conv1d(1, 1, 3)).passed
    True
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from symconv.checker.adapters import UnusableResult, as_result, writable_module, write_parameters
from symconv.checker.check import as_checked_layer, check_options
from symconv.checker.gradient_diagnosis import diagnose_gradients
from symconv.checker.probes import float_probe, integer_probe, kernel_count
from symconv.checker.result import mutation_text
from symconv.checker.runner import changed_inputs
from symconv.grad.gradients import gradients
from symconv.views.expansion import Expansion

GRADIENT_CONVENTIONS = ("auto", "numpy", "torch", "torch_module", "jax", "tensorflow", "keras")
NAMES = ("dx", "dw", "db")
INPUTS = ("x", "w", "b", "delta")


@dataclass(frozen=True)
class GradientCheckResult:
    """What :func:`check_gradients` found.

    Attributes:
        passed: Whether every gradient matched on every probe.
        probe: ``'integer'`` or ``'float'``: the probe that decided.
        errors: The largest absolute error of each gradient on that probe.
        wrong: The gradients that differ, among ``'dx'``, ``'dw'``, ``'db'``.
        first: For each wrong gradient, ``(index, expected, returned)`` of its first wrong entry.
        diagnosis: What the wrong gradients compute instead, consistent across them.
        problem: A failure that is not a wrong value (an exception, a wrong shape or dtype).
        mutated: The inputs (``'x'``, ``'w'``, ``'b'``, ``'delta'``) the code changed in place.
        convention: The calling convention used.
    """

    passed: bool
    probe: str
    errors: dict[str, float]
    wrong: tuple[str, ...] = ()
    first: dict[str, tuple[tuple[int, ...], float, float]] | None = None
    diagnosis: tuple[str, ...] = ()
    problem: str = ""
    mutated: tuple[str, ...] = ()
    convention: str = ""

    def report(self) -> str:
        """The report as text."""
        state = "PASSED" if self.passed else f"FAILED on the {self.probe} probe"
        lines = [f"symconv check_gradients: {state} (convention {self.convention!r})"]
        lines += [f"  {k}: largest error {v:.3g}" for k, v in self.errors.items()]
        if self.mutated:
            text = mutation_text(self.mutated)
            lines.append(f"{text[0].upper()}{text[1:]}; the expected gradients use the original values.")
        if self.problem:
            lines.append(self.problem)
        for name, (index, want, got) in (self.first or {}).items():
            lines.append(
                f"First wrong entry of {name}{list(index)}: expected {want:.17g}, your code returned {got:.17g}"
            )
        lines += [f"Diagnosis: {d}" for d in self.diagnosis]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def check_gradients(
    fn: Any,
    layer: Any,
    input_length: int | tuple[int, ...] | None = None,
    *,
    batch: int = 2,
    seed: int = 0,
    dtype: str = "float64",
    convention: str = "auto",
) -> GradientCheckResult:
    """Compare a backward pass with symconv's ``dL/dx``, ``dL/dw``, ``dL/db`` for ``delta = dL/dz``.

    The code fails on a wrong value, a wrong shape, a result less precise than ``dtype``, or
    when it changes ``x``, ``w``, ``b`` or ``delta`` in place (the expected gradients always
    use the original values).

    Args:
        fn: ``fn(x, w, b, delta) -> (dx, dw, db)`` (or a dict with those keys) on NumPy arrays,
            with ``dw`` and ``db`` summed over the batch (``convention='numpy'``); or forward
            code whose gradients torch autograd computes: an ``F.conv1d``-like callable
            (``'torch'``) or a ``torch.nn.Conv1d`` module (``'torch_module'``).
        layer: A :class:`~symconv.Conv1d`, :class:`~symconv.ConvTranspose1d` or NumPy/SciPy mode, or
            their 2D and 3D counterparts (``input_length`` is then the input shape).
        input_length, batch, seed, dtype: As for :func:`symconv.checker.check.check`.
        convention: ``'auto'`` (a torch module, ``conv1d`` or a three-argument forward is run
            through autograd; else ``'numpy'``), ``'numpy'``, ``'torch'`` or ``'torch_module'``.

    Returns:
        A :class:`GradientCheckResult`.
    """
    check_options(batch, seed, dtype)
    if convention not in GRADIENT_CONVENTIONS:
        raise ValueError(
            f"'convention' must be one of {', '.join(map(repr, GRADIENT_CONVENTIONS))} (got {convention!r})."
        )
    e = as_checked_layer(layer, input_length)
    used = convention if convention != "auto" else _detect(fn)
    call = _adapt(fn, e, used, dtype)
    rng = np.random.default_rng(seed)
    result = GradientCheckResult(True, "float", {})
    for probe in ("integer", "float"):
        x, w, b = (integer_probe if probe == "integer" else float_probe)(e, batch, rng, dtype)
        shape = (batch, e.spec.out_channels, *e.output_shape)
        delta = rng.choice([-3, -2, -1, 1, 2, 3], size=shape) if probe == "integer" else rng.uniform(-1, 1, shape)
        result = _run(call, e, probe, (x, w, b, delta.astype(dtype)), used)
        if not result.passed:
            return result
    return result


def _run(call: Any, e: Expansion, probe: str, arrays: tuple[Any, ...], convention: str) -> GradientCheckResult:
    copies = tuple(None if a is None else a.copy() for a in arrays)
    try:
        got = call(*copies)
    except UnusableResult as exc:
        return GradientCheckResult(False, probe, {}, problem=_sentence(str(exc)), convention=convention)
    except Exception as exc:  # the user's code failing is a finding
        problem = f"Your code raised {type(exc).__name__}: {exc}"
        return GradientCheckResult(False, probe, {}, problem=problem, convention=convention)
    mutated = changed_inputs(INPUTS, arrays, copies)
    as64 = [None if a is None else a.astype(np.float64) for a in arrays]
    want = gradients(e).evaluate(as64[0], as64[1], as64[2], delta=as64[3])
    tols = _tolerances(e, *as64, eps=float(np.finfo(arrays[0].dtype).eps), exact=probe == "integer")
    errors, first, problem = _compare(want, got, tols)
    wrong = tuple(n for n in NAMES if n in first or errors.get(n) == float("inf"))
    if not wrong and not mutated:
        return GradientCheckResult(True, probe, errors, convention=convention)
    notes = diagnose_gradients(e, as64, want, got, tols, wrong) if wrong else ()
    if mutated:
        notes = (mutation_text(mutated), *notes)
    return GradientCheckResult(False, probe, errors, wrong, first, notes, problem.strip(), mutated, convention)


def _sentence(text: str) -> str:
    """``text`` with a capital, unless it starts with a gradient's name."""
    return text if text.split(":")[0] in NAMES else text[0].upper() + text[1:]


def _compare(
    want: dict[str, Any], got: dict[str, Any], tols: dict[str, float]
) -> tuple[dict[str, float], dict[str, tuple[tuple[int, ...], float, float]], str]:
    """The largest error of each gradient, its first wrong entry, and the shapes that are wrong."""
    errors: dict[str, float] = {}
    first: dict[str, tuple[tuple[int, ...], float, float]] = {}
    problem = ""
    for name in NAMES:
        if want[name] is None:
            continue
        ref = np.asarray(want[name], dtype=np.float64)
        mine = None if got.get(name) is None else np.asarray(got[name], dtype=np.float64)
        if mine is None or mine.shape != ref.shape:
            problem += (
                f"{name}: your code returned shape {None if mine is None else mine.shape}, expected {ref.shape}. "
            )
            errors[name] = float("inf")
            continue
        err = np.abs(mine - ref)
        errors[name] = float(np.nanmax(np.where(np.isnan(err), np.inf, err), initial=0.0))
        bad = ~(err <= tols[name])
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            first[name] = (index, float(ref[index]), float(mine[index]))
    return errors, first, problem


def _tolerances(e: Expansion, x: Any, w: Any, b: Any, delta: Any, *, eps: float, exact: bool) -> dict[str, float]:
    """Bounds on the summation error of each gradient (``min(bound, 0.25)`` on the integer probe)."""
    spec = e.spec
    top = float(np.abs(delta).max())
    sums = {
        "dx": (spec.out_channels // spec.groups * kernel_count(e) * 2, float(np.abs(w).max())),
        "dw": (delta.shape[0] * e.output_length, float(np.abs(x).max())),
        "db": (delta.shape[0] * e.output_length, 1.0),
    }
    tols = {name: (n + 2) * eps * n * top * size for name, (n, size) in sums.items()}
    return {name: min(t, 0.25) if exact else t for name, t in tols.items()}


def _detect(fn: Any) -> str:
    """``'auto'``: a framework's function or layer goes through that framework's autodiff (JAX, TensorFlow,
    Keras); torch modules and ``conv1d`` (or any three-argument forward) through torch autograd."""
    from symconv.checker.adapters import framework_of

    framework = framework_of(fn)
    if framework is not None:
        return framework
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(fn, torch.nn.Module):
        return "torch_module"
    if torch is not None:
        functional = torch.nn.functional
        convs = (functional.conv1d, functional.conv2d, functional.conv3d, torch.conv1d, torch.conv2d, torch.conv3d)
        if fn in convs or fn in (functional.conv_transpose1d, functional.conv_transpose2d, functional.conv_transpose3d):
            return "torch"
    from symconv.checker.adapters import positional_count

    return "torch" if positional_count(fn) == 3 else "numpy"


def _adapt(fn: Any, e: Expansion, convention: str, dtype: str) -> Any:
    if not callable(fn):
        raise TypeError(f"'fn' must be callable (got {fn!r} of type {type(fn).__name__}).")
    if convention == "numpy":
        return lambda x, w, b, delta: _as_dict(fn(x, w, b, delta), dtype)
    if convention == "jax":
        return _jax_vjp(fn, dtype)
    if convention in ("tensorflow", "keras"):
        return _tensorflow_tape(fn, convention == "keras", dtype)
    return _torch_autograd(fn, e, convention == "torch_module", dtype)


def _jax_vjp(fn: Any, dtype: str) -> Any:
    """``jax.vjp`` of the forward code, in ``lax.conv_general_dilated``'s layout (channels first)."""
    import jax
    import jax.numpy as jnp

    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, delta: np.ndarray) -> dict[str, Any]:
        args = [jnp.asarray(x), jnp.asarray(w)] + ([] if b is None else [jnp.asarray(b)])
        out, pullback = jax.vjp(lambda *a: fn(a[0], a[1], a[2] if len(a) > 2 else None), *args)
        if tuple(out.shape) != delta.shape:
            raise UnusableResult(f"your forward code returned shape {tuple(out.shape)}; the layer gives {delta.shape}.")
        grads = pullback(jnp.asarray(delta, dtype=out.dtype))
        return {
            k: None if k == "db" and b is None else _gradient(k, np.asarray(g), dtype) for k, g in zip(NAMES, grads)
        }

    return call


def _tensorflow_tape(fn: Any, keras_layer: bool, dtype: str) -> Any:
    """``tf.GradientTape`` of TensorFlow code (channels last) or of a copy of a Keras layer."""
    import tensorflow as tf

    from symconv.checker.adapters import native_layout

    own = None
    if keras_layer:
        own = type(fn).from_config(dict(fn.get_config(), dtype=dtype))
    last = native_layout(fn, "keras" if keras_layer else "tensorflow") == "channels_last"

    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, delta: np.ndarray) -> dict[str, Any]:
        n = x.ndim - 2
        x_in = np.ascontiguousarray(np.moveaxis(x, 1, -1)) if last else x
        w_in = np.ascontiguousarray(np.transpose(w, (*range(2, n + 2), 1, 0)))
        d_in = np.moveaxis(delta, 1, -1) if last else delta
        tx = tf.Variable(x_in)
        if own is not None:
            if not own.built:
                own.build(x_in.shape)
            own.set_weights([w_in] if not own.use_bias else [w_in, np.zeros(w.shape[0]) if b is None else b])
            variables = [tx, own.kernel, *([own.bias] if own.use_bias else [])]
            forward = lambda: own(tx)  # noqa: E731
        else:
            tw, tb = tf.Variable(w_in), None if b is None else tf.Variable(b)
            variables = [tx, tw, *([] if tb is None else [tb])]
            forward = lambda: fn(tx, tw, tb)  # noqa: E731
        with tf.GradientTape() as tape:
            out = forward()
        if tuple(out.shape) != d_in.shape:
            raise UnusableResult(f"your forward code returned shape {tuple(out.shape)}; the layer gives {d_in.shape}.")
        grads = tape.gradient(out, variables, output_gradients=tf.constant(d_in, dtype=out.dtype))
        dx = np.asarray(grads[0])
        dw = np.asarray(grads[1])
        result = {
            "dx": _gradient("dx", np.moveaxis(dx, -1, 1) if last else dx, dtype),
            "dw": _gradient("dw", np.transpose(dw, (n + 1, n, *range(n))), dtype),
            "db": None if len(grads) < 3 or b is None else _gradient("db", np.asarray(grads[2]), dtype),
        }
        return result

    return call


def _as_dict(out: Any, dtype: str) -> dict[str, Any]:
    if isinstance(out, dict):
        out = tuple(out.get(k) for k in NAMES)
    if isinstance(out, (tuple, list)) and len(out) == 3:
        return {k: None if v is None else _gradient(k, v, dtype) for k, v in zip(NAMES, out)}
    raise UnusableResult(
        f"the backward pass must return (dx, dw, db) or a dict with those keys (got {type(out).__name__})."
    )


def _gradient(name: str, value: Any, dtype: str) -> Any:
    """One returned gradient as an array; a refusal names the gradient."""
    try:
        return as_result(value, dtype)
    except UnusableResult as exc:
        raise UnusableResult(f"{name}: {exc}") from None


def _torch_autograd(fn: Any, e: Expansion, module: bool, dtype: str) -> Any:
    import torch

    own = writable_module(fn, dtype) if module else None

    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, delta: np.ndarray) -> dict[str, Any]:
        if own is not None:
            write_parameters(own, w, b)
            own.zero_grad(set_to_none=True)
            leaves = [torch.tensor(x, requires_grad=True), own.weight, own.bias if b is not None else None]
            given = [leaves[0].clone()]  # a copy inside the graph: an in-place change is allowed, and seen
            out = own(given[0])
        else:
            leaves = [None if a is None else torch.tensor(a, requires_grad=True) for a in (x, w, b)]
            given = [None if t is None else t.clone() for t in leaves]
            out = fn(*given)
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != delta.shape:
            raise UnusableResult(_wrong_forward(e, (x, w, b), out, delta.shape))
        for array, tensor in zip((x, w, b), given):
            if array is not None and tensor is not None:
                np.copyto(array, tensor.detach().numpy())  # let the caller see a change in place
        out.backward(torch.from_numpy(delta))
        return {k: None if t is None or t.grad is None else _gradient(k, t.grad, dtype) for k, t in zip(NAMES, leaves)}

    return call


def _wrong_forward(e: Expansion, arrays: tuple[Any, ...], out: Any, shape: tuple[int, ...]) -> str:
    """What a forward pass of the wrong shape computes, from the forward checker's variants."""
    from symconv.checker.diagnosis import diagnose
    from symconv.checker.probes import tolerance

    form = "(N, C_out, L_out)" if e.ndim == 1 else "(N, C_out, *output_shape)"
    if not hasattr(out, "shape"):
        return f"your forward code returned {type(out).__name__}, not a tensor of shape {shape} {form}."
    text = f"your forward code returned shape {tuple(out.shape)}; the layer gives {shape} {form}"
    x, w = arrays[0].astype(np.float64), arrays[1].astype(np.float64)
    b = None if arrays[2] is None else arrays[2].astype(np.float64)
    got = out.detach().cpu().double().numpy()
    matches, _ = diagnose(e, (x, w, b), got, tolerance(e, x, w, b, float(np.finfo(arrays[0].dtype).eps)))
    return text + (f": it computes {matches[0].description}." if matches else ".")
