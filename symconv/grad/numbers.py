"""Numeric gradients of one layer: the chain rule on numbers, then the adjoints of the taps."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from symconv.base.values import as_numbers, exact
from symconv.geometry.adjoint import bias_grad
from symconv.grad.forms import GradientParts
from symconv.layers.activations import derivative
from symconv.layers.softplus import softplus_numbers


def activation_numbers(name: str, f: Any, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f(z)`` and ``f'(z)`` on numbers; exact for relu and identity on ints and objects."""
    if name in ("relu", "softplus"):
        _check_real(name, z)
    if name == "relu":
        return np.where(z > 0, z, 0 * z), (z > 0).astype(np.int64)
    if name == "identity":
        return z, np.ones(z.shape, dtype=np.int64)
    if name in ("tanh", "sigmoid", "softplus") and z.dtype != object:
        zf = z.astype(np.result_type(z.dtype, np.float64))
        if name == "tanh":
            return np.tanh(zf), 1 - np.tanh(zf) ** 2
        if name == "softplus":
            return softplus_numbers(zf)
        sig = 1 / (1 + np.exp(-zf))
        return sig, sig * (1 - sig)
    if name == "sigma":
        raise ValueError("activation 'sigma' is an undefined function: numeric gradients need a concrete activation.")
    u = sympy.Dummy("u")
    value, slope = sympy.Lambda(u, f(u)), sympy.Lambda(u, derivative(name, f, u))
    apply = np.frompyfunc(lambda t, fn: fn(exact("z", t)), 2, 1)
    return apply(z, value), apply(z, slope)


def _check_real(name: str, z: np.ndarray) -> None:
    """An activation with a branch (ReLU's kink, softplus's threshold) compares ``z`` with a number."""
    bad = None
    if z.dtype.kind == "c":
        bad = z.flat[0] if z.size else None
    elif z.dtype.kind == "O":
        bad = next((v for v in z.flat if not _is_real(v)), None)
    if bad is not None:
        raise TypeError(
            f"numeric gradients through {name!r} need real numbers, and the pre-activation {bad!r} is not one: "
            "give 'x', 'w' and 'b' as real numbers (symbols belong in the symbolic gradients, g.dx, g.dw, g.db)."
        )


def _is_real(v: Any) -> bool:
    if isinstance(v, sympy.Expr):
        return bool(v.is_comparable)
    return isinstance(v, (int, float, Fraction, np.integer, np.floating, np.bool_))


def _shaped(name: str, array: Any, shape: tuple[int, ...], unbatch: int) -> np.ndarray:
    a = as_numbers(name, array)
    forms = [shape, shape[1:], shape[2:]]
    if a.shape == forms[unbatch] or a.shape == shape:
        return a.reshape(shape)
    raise ValueError(f"'{name}' must have the output's shape {forms[unbatch]} (got {a.shape}).")


def _exact_scale(a: np.ndarray, numerator: int, denominator: int) -> np.ndarray:
    if a.dtype.kind in "biuO":
        return a.astype(object) * Fraction(numerator, denominator)
    return a * (numerator / denominator)


def numeric_gradients(g: GradientParts, x: Any, w: Any, b: Any, delta: Any, target: Any) -> dict[str, Any]:
    """See :meth:`symconv.grad.gradients.Gradients.evaluate`."""
    e = g.expansion
    xa, unbatch = e.input_array(x)
    wa, ba = e.weight_array(w), e.bias_array(b)
    shape = (xa.shape[0], e.spec.out_channels, *e.output_shape)
    z = e.taps.apply(xa, wa, ba)
    out, slope = (z, None) if g.activation is None else activation_numbers(*g.activation, z)
    upstream = _upstream(g, out, shape, unbatch, delta, target)
    dz = upstream if slope is None else upstream * slope
    dx = e.taps.input_grad(dz, wa)
    result: dict[str, Any] = {
        "dx": dx[0, 0] if unbatch == 2 else (dx[0] if unbatch == 1 else dx),
        "dw": e.taps.weight_grad(xa, dz) if unbatch != 2 else e.taps.weight_grad(xa, dz).reshape(-1),
        "db": bias_grad(dz) if e.b is not None else None,
        "delta": dz[0, 0] if unbatch == 2 else (dz[0] if unbatch == 1 else dz),
    }
    if unbatch == 2 and np.asarray(w).ndim == len(e.spec.weight_shape):
        result["dw"] = result["dw"].reshape(e.spec.weight_shape)
    return result


def _upstream(g: GradientParts, out: np.ndarray, shape: Any, unbatch: int, delta: Any, target: Any) -> np.ndarray:
    if g.loss is None:
        if delta is None:
            raise ValueError("'delta' (the upstream gradient dL/d(output)) is required for a generic loss.")
        return _shaped("delta", delta, shape, unbatch)
    if g.loss == "sum":
        return np.ones(shape, dtype=np.int64)
    if g.loss == "mse":
        if target is None:
            raise ValueError("'target' is required for loss='mse'.")
        if shape[0] == 0:
            raise ValueError("'x' must hold at least one sample for loss='mse': the mean of no errors is undefined.")
        # the mean over every element, the batch included, as torch.nn.MSELoss()
        return _exact_scale(out - _shaped("target", target, shape, unbatch), 2, int(np.prod(shape)))
    # dL/d(output) in the output symbols (g.upstream has the outputs already expanded in x, w, b)
    names = sympy.flatten(g.output_symbols.tolist())
    local = [sympy.diff(g.loss, s) for s in names]
    per_sample = []
    for sample in out:
        values = {s: exact("output", v) for s, v in zip(names, sample.ravel().tolist())}
        grads = [u.xreplace(values) for u in local]
        if any(not v.is_number for v in grads):
            extra = set().union(*(v.free_symbols for v in grads))
            raise ValueError(f"the loss has symbols other than the outputs: {sorted(map(str, extra))}.")
        per_sample.append(grads)
    return np.array(per_sample, dtype=object).reshape(shape)
