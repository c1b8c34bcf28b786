"""Check a backward pass (hand-written or autograd) against symconv's gradients from the taps.

:func:`check_gradients` feeds the user's backward pass the same probes as
:func:`symconv.check.check` (small integers, then floats) with an upstream gradient
``delta = dL/dz``, and compares ``dx``, ``dw`` and ``db`` with
:meth:`symconv.gradients.Gradients.evaluate`. On a mismatch it names the gradient that is
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

import copy
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from symconv.adapters import to_numpy
from symconv.check import _check_options
from symconv.expansion import Expansion
from symconv.gradients import gradients
from symconv.probes import default_length, float_probe, integer_probe

GRADIENT_CONVENTIONS = ("auto", "numpy", "torch", "torch_module")
NAMES = ("dx", "dw", "db")


@dataclass(frozen=True)
class GradientCheckResult:
    """What :func:`check_gradients` found.

    Attributes:
        passed: Whether every gradient matched on every probe.
        probe: ``'integer'`` or ``'float'``: the probe that decided.
        errors: The largest absolute error of each gradient on that probe.
        wrong: The gradients that differ, among ``'dx'``, ``'dw'``, ``'db'``.
        first: For each wrong gradient, ``(index, expected, returned)`` of its first wrong entry.
        diagnosis: What the wrong gradients compute instead, one sentence each.
        problem: A failure that is not a wrong value (an exception or a wrong shape).
    """

    passed: bool
    probe: str
    errors: dict[str, float]
    wrong: tuple[str, ...] = ()
    first: dict[str, tuple[tuple[int, ...], float, float]] | None = None
    diagnosis: tuple[str, ...] = ()
    problem: str = ""

    def report(self) -> str:
        """The report as text."""
        state = "PASSED" if self.passed else f"FAILED on the {self.probe} probe"
        lines = [f"symconv check_gradients: {state}"]
        lines += [f"  {k}: largest error {v:.3g}" for k, v in self.errors.items()]
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
    input_length: int | None = None,
    *,
    batch: int = 2,
    seed: int = 0,
    dtype: str = "float64",
    convention: str = "auto",
) -> GradientCheckResult:
    """Compare a backward pass with symconv's ``dL/dx``, ``dL/dw``, ``dL/db`` for ``delta = dL/dz``.

    Args:
        fn: ``fn(x, w, b, delta) -> (dx, dw, db)`` (or a dict with those keys) on NumPy arrays,
            with ``dw`` and ``db`` summed over the batch (``convention='numpy'``); or forward
            code whose gradients torch autograd computes: an ``F.conv1d``-like callable
            (``'torch'``) or a ``torch.nn.Conv1d`` module (``'torch_module'``).
        layer: A :class:`~symconv.Conv1d` or NumPy/SciPy mode.
        input_length, batch, seed, dtype: As for :func:`symconv.check.check`.
        convention: ``'auto'``, ``'numpy'``, ``'torch'`` or ``'torch_module'``.

    Returns:
        A :class:`GradientCheckResult`.
    """
    _check_options(batch, seed, dtype)
    if convention not in GRADIENT_CONVENTIONS:
        raise ValueError(
            f"'convention' must be one of {', '.join(map(repr, GRADIENT_CONVENTIONS))} (got {convention!r})."
        )
    e = layer.expand(input_length if input_length is not None else default_length(layer))
    call = _adapt(fn, convention if convention != "auto" else _detect(fn), dtype)
    rng = np.random.default_rng(seed)
    result = GradientCheckResult(True, "float", {})
    for probe in ("integer", "float"):
        x, w, b = (integer_probe if probe == "integer" else float_probe)(e, batch, rng, dtype)
        shape = (batch, e.spec.out_channels, e.output_length)
        delta = rng.choice([-3, -2, -1, 1, 2, 3], size=shape) if probe == "integer" else rng.uniform(-1, 1, shape)
        result = _run(call, e, probe, (x, w, b, delta.astype(dtype)))
        if not result.passed:
            return result
    return result


def _run(call: Any, e: Expansion, probe: str, arrays: tuple[Any, ...]) -> GradientCheckResult:
    x, w, b, delta = arrays
    try:
        got = call(x, w, b, delta)
    except Exception as exc:  # the user's code failing is a finding
        return GradientCheckResult(False, probe, {}, problem=f"Your code raised {type(exc).__name__}: {exc}")
    as64 = [None if a is None else a.astype(np.float64) for a in arrays]
    want = gradients(e).evaluate(as64[0], as64[1], as64[2], delta=as64[3])
    tols = _tolerances(e, *as64, eps=float(np.finfo(x.dtype).eps), exact=probe == "integer")
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
    wrong = tuple(n for n in NAMES if n in first or errors.get(n) == float("inf"))
    if not wrong:
        return GradientCheckResult(True, probe, errors)
    notes = tuple(_diagnose(e, name, as64, want, got, tols[name]) for name in wrong)
    return GradientCheckResult(False, probe, errors, wrong, first, notes, problem.strip())


def _tolerances(e: Expansion, x: Any, w: Any, b: Any, delta: Any, *, eps: float, exact: bool) -> dict[str, float]:
    """Bounds on the summation error of each gradient (``min(bound, 0.25)`` on the integer probe)."""
    spec = e.spec
    top = float(np.abs(delta).max())
    sums = {
        "dx": (spec.out_channels // spec.groups * spec.kernel_size * 2, float(np.abs(w).max())),
        "dw": (delta.shape[0] * e.output_length, float(np.abs(x).max())),
        "db": (delta.shape[0] * e.output_length, 1.0),
    }
    tols = {name: (n + 2) * eps * n * top * size for name, (n, size) in sums.items()}
    return {name: min(t, 0.25) if exact else t for name, t in tols.items()}


def _diagnose(e: Expansion, name: str, arrays: list[Any], want: dict[str, Any], got: dict[str, Any], tol: float) -> str:
    """Which known mistake the wrong gradient ``name`` matches."""
    x, w, b, delta = arrays
    mine = got.get(name)
    if mine is None:
        return f"{name} is missing"
    mine = np.asarray(mine, dtype=np.float64)
    ref = np.asarray(want[name], dtype=np.float64)
    n = x.shape[0]
    candidates = {
        "averaged over the batch instead of summed": ref / n,
        "taken from the first sample only": np.asarray(
            gradients(e).evaluate(x[:1], w, b, delta=delta[:1])[name], dtype=np.float64
        )
        if name != "dx"
        else None,
        "reversed along the kernel axis (convolution where correlation was meant)": ref[..., ::-1]
        if name == "dw"
        else None,
        "the gradient of the flipped layer (kernel not flipped in the backward pass)": _flipped(e, name, arrays),
        "with the opposite sign": -ref,
    }
    for text, candidate in candidates.items():
        if candidate is not None and candidate.shape == mine.shape and np.all(np.abs(candidate - mine) <= tol):
            return f"your {name} is {text}"
    return f"your {name} matches no known variant"


def _flipped(e: Expansion, name: str, arrays: list[Any]) -> np.ndarray | None:
    if name != "dx":
        return None
    import dataclasses

    spec = dataclasses.replace(e.spec, padding=e.padding, flip=not e.spec.flip)
    x, w, b, delta = arrays
    return np.asarray(gradients(spec.expand(e.input_length)).evaluate(x, w, b, delta=delta)["dx"], dtype=np.float64)


def _detect(fn: Any) -> str:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(fn, torch.nn.Module):
        return "torch_module"
    if torch is not None and (fn is torch.nn.functional.conv1d or fn is torch.conv1d):
        return "torch"
    return "numpy"


def _adapt(fn: Any, convention: str, dtype: str) -> Any:
    if not callable(fn):
        raise TypeError(f"'fn' must be callable (got {fn!r} of type {type(fn).__name__}).")
    if convention == "numpy":
        return lambda x, w, b, delta: _as_dict(fn(x, w, b, delta))
    return _torch_autograd(fn, convention == "torch_module", dtype)


def _as_dict(out: Any) -> dict[str, Any]:
    if isinstance(out, dict):
        return {k: None if out.get(k) is None else to_numpy(out[k]) for k in NAMES}
    if isinstance(out, (tuple, list)) and len(out) == 3:
        return {k: None if v is None else to_numpy(v) for k, v in zip(NAMES, out)}
    raise TypeError(f"the backward pass must return (dx, dw, db) or a dict with those keys (got {type(out).__name__}).")


def _torch_autograd(fn: Any, module: bool, dtype: str) -> Any:
    import torch

    own = copy.deepcopy(fn).to(getattr(torch, dtype)) if module else None

    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, delta: np.ndarray) -> dict[str, Any]:
        tx = torch.tensor(x, requires_grad=True)
        if own is not None:
            with torch.no_grad():
                own.weight.copy_(torch.from_numpy(w))
                if own.bias is not None:
                    own.bias.copy_(torch.from_numpy(b) if b is not None else torch.zeros_like(own.bias))
            own.zero_grad(set_to_none=True)
            own(tx).backward(torch.from_numpy(delta))
            tw, tb = own.weight, own.bias if b is not None else None
        else:
            tw = torch.tensor(w, requires_grad=True)
            tb = None if b is None else torch.tensor(b, requires_grad=True)
            fn(tx, tw, tb).backward(torch.from_numpy(delta))
        grads = (tx.grad, tw.grad, None if tb is None else tb.grad)
        return {k: None if g is None else g.detach().numpy() for k, g in zip(NAMES, grads)}

    return call
