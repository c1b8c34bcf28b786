"""PyTorch's softplus (``beta=1``, ``threshold=20``), as SymPy functions and on NumPy arrays.

``torch.nn.functional.softplus`` is ``z`` above the threshold 20 and ``log(1 + exp(z))``
otherwise; its derivative is ``1`` above the threshold and ``e/(e + 1)`` with ``e = exp(z)``
otherwise. :class:`softplus` and :class:`softplus_slope` are SymPy functions with exactly
these values (exact at rationals, to any precision at floats) and ``softplus``'s derivative is
``softplus_slope``, so ``sympy.diff`` of an expression in ``softplus`` has the very form the
chain rule gives. ``rewrite(sympy.Piecewise)`` spells either one out.

Examples:
    >>> z = sympy.Symbol("z")
    >>> softplus(z).diff(z)
    softplus_slope(z)
    >>> softplus(sympy.Integer(21)), softplus(sympy.Integer(0))
    (21, log(2))
    >>> softplus(z).rewrite(sympy.Piecewise)
    Piecewise((z, z > 20), (log(exp(z) + 1), True))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

THRESHOLD = 20
"""PyTorch's default ``threshold`` of ``softplus`` (with ``beta=1``): linear above it."""


def _above(z: sympy.Expr) -> bool | None:
    """Whether a real number is above the threshold; None for anything not comparable (a symbol)."""
    if not z.is_comparable:
        return None
    return bool(z > THRESHOLD)


class softplus(sympy.Function):  # lower case, like SymPy's tanh
    """PyTorch's softplus: ``z`` for ``z > 20``, ``log(1 + exp(z))`` otherwise."""

    @classmethod
    def eval(cls, z: sympy.Expr) -> sympy.Expr | None:
        if z is sympy.S.NaN:
            return sympy.S.NaN
        above = _above(z)
        if above is None:
            return None
        return z if above else sympy.log(1 + sympy.exp(z))

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return softplus_slope(self.args[0])

    def _eval_rewrite_as_Piecewise(self, z: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return sympy.Piecewise((z, z > THRESHOLD), (sympy.log(1 + sympy.exp(z)), True))

    def _latex(self, printer: Any, exp: Any = None) -> str:
        out = rf"\operatorname{{softplus}}{{\left({printer._print(self.args[0])} \right)}}"
        return out if exp is None else f"{out}^{{{exp}}}"

    @staticmethod
    def _imp_(z: Any) -> Any:
        return softplus_numbers(np.asarray(z, dtype=np.float64))[0]


class softplus_slope(sympy.Function):
    """The derivative of PyTorch's softplus: ``1`` for ``z > 20``, ``exp(z)/(exp(z) + 1)`` otherwise."""

    @classmethod
    def eval(cls, z: sympy.Expr) -> sympy.Expr | None:
        if z is sympy.S.NaN:
            return sympy.S.NaN
        above = _above(z)
        if above is None:
            return None
        return sympy.S.One if above else sympy.exp(z) / (sympy.exp(z) + 1)

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        z = self.args[0]
        return sympy.Piecewise((0, z > THRESHOLD), (sympy.exp(z) / (sympy.exp(z) + 1) ** 2, True))

    def _eval_rewrite_as_Piecewise(self, z: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return sympy.Piecewise((1, z > THRESHOLD), (sympy.exp(z) / (sympy.exp(z) + 1), True))

    def _latex(self, printer: Any, exp: Any = None) -> str:
        out = rf"\operatorname{{softplus}}'{{\left({printer._print(self.args[0])} \right)}}"
        return out if exp is None else f"{out}^{{{exp}}}"

    @staticmethod
    def _imp_(z: Any) -> Any:
        return softplus_numbers(np.asarray(z, dtype=np.float64))[1]


def softplus_numbers(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Softplus and its derivative on a float array, by PyTorch's formulas: ``log1p(exp(z))`` and
    ``e/(e+1)`` with ``e = exp(z)``, and ``z`` and ``1`` above the threshold."""
    above = z > THRESHOLD
    e = np.exp(np.where(above, 0, z))  # no overflow where the linear branch is taken
    return np.where(above, z, np.log1p(e)), np.where(above, 1, e / (e + 1))
