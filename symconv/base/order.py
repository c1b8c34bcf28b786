"""Sums printed in index order: ``δ₀ + δ₁ + δ₂ + … + δ₁₀``, not SymPy's string order ``δ₀ + δ₁ + δ₁₀ + δ₂``.

SymPy orders the terms of a sum it prints by comparing symbol names as strings, so ``x_10``
comes before ``x_2``. The printers here order a sum of indexed terms as a textbook does: single
symbols (a bias) first, then every term by its symbols' names with the numbers in their subscripts
compared as numbers, which for ``w_{o,c,k} x_{c,t}`` is the order of (channel, kernel index), hence
of the position read. Other sums (``d k + i s - p``, ``C - 1``) keep SymPy's order.

They are SymPy's own printers with that one change; every printed view of symconv (LaTeX
documents and ``_repr_latex_``, ``symconv explain``, the checker's reports) uses them. The SymPy
objects themselves are plain: ``str(expr)`` of one still prints in SymPy's order, and
:func:`sstr` prints it in index order.

Examples:
    >>> import sympy
    >>> x = sympy.symbols("x_0:12")
    >>> expr = sympy.Symbol("b") + sum(x)
    >>> sympy.sstr(expr)[:30]
    'b + x_0 + x_1 + x_10 + x_11 + '
    >>> sstr(expr)
    'b + x_0 + x_1 + x_2 + x_3 + x_4 + x_5 + x_6 + x_7 + x_8 + x_9 + x_10 + x_11'
    >>> latex(x[10] * sympy.Symbol("w_1") + x[2] * sympy.Symbol("w_0"))
    'w_{0} x_{2} + w_{1} x_{10}'
    >>> C, d, k = sympy.symbols("C d k")
    >>> latex(C - 1), sstr(d * k + x[2] + 3)
    ('C - 1', 'd*k + x_2 + 3')
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.str import StrPrinter

_NUMBER = re.compile(r"(\d+)")


def term_key(term: Any) -> tuple[Any, ...]:
    """The printing order of a term of a sum: single symbols first, then by name, numbers compared as numbers.

    Examples:
        >>> sorted(map(sympy.Symbol, ["x_10", "x_2", "b", "x_1,3", "x_1,20"]), key=term_key)
        [b, x_1,3, x_1,20, x_2, x_10]
    """
    _, rest = term.as_coeff_Mul() if isinstance(term, sympy.Expr) else (1, term)
    text = sympy.sstr(rest, order="none")
    natural = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _NUMBER.split(text) if part)
    return (0 if rest.is_Atom else 1, natural)


_SUBSCRIPTED = re.compile(r".+_\d+(,\d+)*")


def _indexed(term: Any) -> bool:
    """A bias-like symbol, or a term with a symbol subscripted by numbers (``w_0,1*x_10``)."""
    if isinstance(term, sympy.Symbol):
        return True
    return any(_SUBSCRIPTED.fullmatch(s.name) for s in term.free_symbols if isinstance(s, sympy.Symbol))


class _IndexOrder:
    """A printer mixin: the terms of a sum of indexed terms in :func:`term_key` order; any other sum (a
    symbolic index such as ``d k + i s - p``, a number) in SymPy's own order."""

    def _as_ordered_terms(self, expr: Any, order: Any = None) -> list[Any]:
        terms = sympy.Add.make_args(expr)
        if all(_indexed(t) for t in terms):
            return sorted(terms, key=term_key)
        return super()._as_ordered_terms(expr, order)  # type: ignore[misc,no-any-return]


class IndexOrderStrPrinter(_IndexOrder, StrPrinter):
    """SymPy's ``str`` printer, sums in index order."""


class IndexOrderLatexPrinter(_IndexOrder, LatexPrinter):
    """SymPy's LaTeX printer, sums in index order."""


class IndexOrderPrettyPrinter(_IndexOrder, PrettyPrinter):
    """SymPy's pretty printer, sums in index order."""


def sstr(expr: Any, **settings: Any) -> str:
    """``sympy.sstr`` with sums in index order."""
    return IndexOrderStrPrinter(settings).doprint(expr)  # type: ignore[no-any-return]


def latex(expr: Any, **settings: Any) -> str:
    """``sympy.latex`` with sums in index order."""
    return IndexOrderLatexPrinter(settings).doprint(expr)  # type: ignore[no-any-return]


def pretty(expr: Any, **settings: Any) -> str:
    """``sympy.pretty`` with sums in index order (``use_unicode`` and ``wrap_line`` as SymPy's)."""
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    printer = IndexOrderPrettyPrinter(settings)
    before = pretty_use_unicode(printer._settings["use_unicode"])
    try:
        return printer.doprint(expr)  # type: ignore[no-any-return]
    finally:
        pretty_use_unicode(before)
