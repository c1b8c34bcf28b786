"""Elementwise nonlinearities by name, each with its exact derivative.

``'relu'`` is ``Max(0, z)``, whose derivative is ``Heaviside(z, 0)``: symconv takes the
derivative of ReLU at 0 to be 0, as PyTorch's autograd does. ``'softplus'`` is PyTorch's
(``beta=1``, ``threshold=20``): ``z`` for ``z > 20``, ``log(1 + exp(z))`` otherwise
(:mod:`symconv.layers.softplus`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy

from symconv.layers.softplus import softplus, softplus_slope

Activation = Callable[[sympy.Expr], sympy.Expr]

sigma = sympy.Function("sigma")


def _relu(z: sympy.Expr) -> sympy.Expr:
    return sympy.Max(0, z)


def _sigmoid(z: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-z))


def _identity(z: sympy.Expr) -> sympy.Expr:
    return z


ACTIVATIONS: dict[str, Activation] = {
    "sigma": sigma,
    "relu": _relu,
    "tanh": sympy.tanh,
    "sigmoid": _sigmoid,
    "softplus": softplus,
    "identity": _identity,
}

_DERIVATIVES: dict[str, Activation] = {
    "relu": lambda z: sympy.Heaviside(z, 0),
    "tanh": lambda z: 1 - sympy.tanh(z) ** 2,
    "sigmoid": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "softplus": softplus_slope,
    "identity": lambda z: sympy.Integer(1),
}


def activation(f: Any = None) -> tuple[str, Activation]:
    """Resolve ``f`` (None, a name, a SymPy function class or a callable) to ``(name, callable)``.

    Examples:
        >>> activation("relu")[1](sympy.Symbol("z"))
        Max(0, z)
        >>> activation()[0]
        'sigma'
    """
    if f is None:
        return "sigma", sigma
    if isinstance(f, str):
        if f not in ACTIVATIONS:
            raise ValueError(f"'activation' must be a callable or one of {sorted(ACTIVATIONS)} (got {f!r}).")
        return f, ACTIVATIONS[f]
    if callable(f):
        return getattr(f, "__name__", repr(f)), f
    raise TypeError(f"'activation' must be a name or a callable (got {f!r} of type {type(f).__name__}).")


def _is_step(e: Any) -> bool:
    """``Heaviside(u, 0)``: ReLU's derivative, 0 at 0."""
    return isinstance(e, sympy.Heaviside) and len(e.args) == 2 and e.args[1] == 0


def relu_slopes(expr: Any) -> Any:
    """``expr`` with the ReLU slopes of a composition in canonical form (exact identities).

    With ``H(u) = Heaviside(u, 0)`` (0 at 0, ReLU's derivative as PyTorch takes it):
    ``H(Max(0, a, ...)) = H(Max(a, ...))``, since ``Max(0, a, ...) > 0`` exactly when
    ``Max(a, ...) > 0``; and ``H(u)**n = H(u)`` for ``n >= 1``, since ``H`` is 0 or 1. The
    chain rule through two ReLUs gives ``H(Max(0, u)) * H(u)`` where SymPy, which folds
    ``Max(0, Max(0, u))`` into ``Max(0, u)``, differentiates to ``H(u)``: both become ``H(u)``.

    Examples:
        >>> u = sympy.Symbol("u")
        >>> relu_slopes(sympy.Heaviside(sympy.Max(0, u), 0) * sympy.Heaviside(u, 0))
        Heaviside(u, 0)
    """
    if not (isinstance(expr, sympy.Basic) and expr.has(sympy.Heaviside)):
        return expr
    expr = expr.replace(
        lambda e: _is_step(e) and isinstance(e.args[0], sympy.Max) and sympy.S.Zero in e.args[0].args,
        lambda e: sympy.Heaviside(sympy.Max(*[a for a in e.args[0].args if a != 0]), 0),
    )
    return expr.replace(
        lambda e: isinstance(e, sympy.Pow) and _is_step(e.base) and e.exp.is_Integer and e.exp > 0,
        lambda e: e.base,
    )


def derivative(name: str, f: Activation, z: sympy.Expr) -> sympy.Expr:
    """``f'(z)`` exactly: from the table for the named activations, otherwise SymPy's derivative of ``f``.

    For an undefined function such as ``sigma`` the derivative stays symbolic,
    ``Derivative(sigma(z), z)``, evaluated at ``z``.
    """
    if name in _DERIVATIVES and f is ACTIVATIONS[name]:
        return _DERIVATIVES[name](z)
    u = sympy.Dummy("u")
    return sympy.diff(f(u), u).subs(u, z)
