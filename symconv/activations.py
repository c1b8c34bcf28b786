"""Elementwise nonlinearities by name, each with its exact derivative.

``'relu'`` is ``Max(0, z)``, whose derivative is ``Heaviside(z, 0)``: symconv takes the
derivative of ReLU at 0 to be 0, as PyTorch's autograd does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy

Activation = Callable[[sympy.Expr], sympy.Expr]

sigma = sympy.Function("sigma")


def _relu(z: sympy.Expr) -> sympy.Expr:
    return sympy.Max(0, z)


def _sigmoid(z: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-z))


def _identity(z: sympy.Expr) -> sympy.Expr:
    return z


def _softplus(z: sympy.Expr) -> sympy.Expr:
    return sympy.log(1 + sympy.exp(z))


ACTIVATIONS: dict[str, Activation] = {
    "sigma": sigma,
    "relu": _relu,
    "tanh": sympy.tanh,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "identity": _identity,
}

_DERIVATIVES: dict[str, Activation] = {
    "relu": lambda z: sympy.Heaviside(z, 0),
    "tanh": lambda z: 1 - sympy.tanh(z) ** 2,
    "sigmoid": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "softplus": _sigmoid,
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


def derivative(name: str, f: Activation, z: sympy.Expr) -> sympy.Expr:
    """``f'(z)`` exactly: from the table for the named activations, otherwise SymPy's derivative of ``f``.

    For an undefined function such as ``sigma`` the derivative stays symbolic,
    ``Derivative(sigma(z), z)``, evaluated at ``z``.
    """
    if name in _DERIVATIVES and f is ACTIVATIONS[name]:
        return _DERIVATIVES[name](z)
    u = sympy.Dummy("u")
    return sympy.diff(f(u), u).subs(u, z)
