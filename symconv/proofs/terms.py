"""Terms of the proof engine: finite sums with set semantics, Iverson brackets, and their values.

The engine's terms are SymPy expressions built from integer symbols, ``Indexed`` sequences
(``x[t]``, ``w[k]``), :class:`Sum` over integer ranges, :class:`Bracket` (Iverson's ``[P]``,
which also writes Kronecker's delta ``[a = b]`` and divisibility ``[s | v]``), ``floor``,
``Mod``, ``Min``, ``Max`` and ``Abs``.

:class:`Sum` means the sum over the integers ``a <= k <= b``, and is zero when ``b < a``: the
convention of Knuth's *Concrete Mathematics*, not SymPy's Karr convention (where
``Sum(f, (k, 0, -2))`` is ``-f(-1)``). :func:`evaluate` computes a term at concrete values with
that convention and with Iverson's "strong zero": ``[false] * anything`` is 0 even where
``anything`` is undefined (an index out of range, or not an integer).

Examples:
    >>> import sympy
    >>> k, n = sympy.symbols("k n", integer=True)
    >>> evaluate(Sum(k, (k, 1, n)), {n: 4})
    10
    >>> evaluate(Sum(k, (k, 1, n)), {n: -3})
    0
    >>> sympy.latex(Bracket(sympy.Eq(k, n)))
    '\\\\left[k = n\\\\right]'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy


class Sum(sympy.Sum):
    """``Sum(f, (k, a, b))``: the sum of ``f`` over the integers ``a <= k <= b``; zero when ``b < a``.

    ``doit()`` evaluates only concrete ranges, with that convention; a symbolic range stays.
    """

    def _latex(self, printer: Any) -> str:
        """Nested sums, outermost first: ``\\sum_{i=0}^{n} \\sum_{k=0}^{m} f``."""
        out = ""
        for k, a, b in reversed(self.limits):
            out += rf"\sum_{{{printer._print(k)}={printer._print(a)}}}^{{{printer._print(b)}}} "
        f = self.function
        body = printer._print(f)
        return out + (rf"\left({body}\right)" if isinstance(f, sympy.Add) else body)

    def doit(self, **hints: Any) -> sympy.Expr:
        (k, a, b), f = self.limits[0], self.function
        if len(self.limits) != 1 or not (a.is_Integer and b.is_Integer):
            return self
        return sympy.Add(*(f.subs(k, v) for v in range(int(a), int(b) + 1)))


class Product(sympy.Product):
    """``Product(f, (k, a, b))``: the product of ``f`` over the integers ``a <= k <= b``; one when ``b < a``."""

    def _latex(self, printer: Any) -> str:
        out = ""
        for k, a, b in reversed(self.limits):
            out += rf"\prod_{{{printer._print(k)}={printer._print(a)}}}^{{{printer._print(b)}}} "
        return out + printer._print(self.function)

    def doit(self, **hints: Any) -> sympy.Expr:
        (k, a, b), f = self.limits[0], self.function
        if len(self.limits) != 1 or not (a.is_Integer and b.is_Integer):
            return self
        return sympy.Mul(*(f.subs(k, v) for v in range(int(a), int(b) + 1)))


class Bracket(sympy.Function):
    """Iverson's bracket ``[P]``: 1 when the condition ``P`` holds, else 0.

    ``Bracket(Eq(a, b))`` is Kronecker's ``delta_{a,b}``; ``Bracket(Eq(Mod(v, s), 0))`` is ``[s | v]``.
    """

    is_integer = True
    is_nonnegative = True

    @classmethod
    def eval(cls, cond: Any) -> sympy.Expr | None:
        if cond is sympy.true or cond is True:
            return sympy.S.One
        if cond is sympy.false or cond is False:
            return sympy.S.Zero
        return None

    def _latex(self, printer: Any) -> str:
        cond = self.args[0]
        if isinstance(cond, sympy.Eq) and isinstance(cond.lhs, sympy.Mod) and cond.rhs == 0:
            v, s = cond.lhs.args
            return rf"\left[{printer._print(s)} \mid {printer._print(v)}\right]"
        if isinstance(cond, sympy.And):
            return r"\left[" + r" \wedge ".join(printer._print(c) for c in cond.args) + r"\right]"
        return rf"\left[{printer._print(cond)}\right]"


def divides(s: sympy.Expr, v: sympy.Expr) -> sympy.Expr:
    """``[s | v]``, the bracket of "``s`` divides ``v``", as ``Bracket(Eq(Mod(v, s), 0))``."""
    return Bracket(sympy.Eq(sympy.Mod(v, s), 0))


def within(lo: sympy.Expr, e: sympy.Expr, hi: sympy.Expr) -> sympy.Expr:
    """``[lo <= e <= hi]``."""
    return Bracket(sympy.And(sympy.Le(lo, e), sympy.Le(e, hi)))


class Undefined(ValueError):
    """A term read a sequence where it is not defined, or at an index that is not an integer."""


def _index(value: Any, where: sympy.Basic) -> int:
    if isinstance(value, sympy.Rational) and not value.is_Integer:
        raise Undefined(f"{where} is read at index {value}, which is not an integer")
    if not getattr(value, "is_Integer", False):
        raise Undefined(f"{where}: the index {value} is not a concrete integer")
    return int(value)


def _bounds(a: Any, b: Any) -> tuple[int, int]:
    """The integers ``k`` with ``a <= k <= b``, as ``range(lo, hi + 1)`` bounds: ``ceil(a)`` and ``floor(b)``."""
    return int(sympy.ceiling(a)), int(sympy.floor(b))


def evaluate(term: Any, env: Mapping[Any, Any]) -> Any:
    """The value of ``term`` with the symbols and sequences of ``env`` (sequence name -> dict or array).

    Sums use set semantics (an empty range is 0); a bracket that is 0 makes its product 0 without
    evaluating the other factors.

    Raises:
        Undefined: A sequence read outside the values given, or at a non-integer index.
    """
    term = sympy.sympify(term)
    if isinstance(term, sympy.Mul):
        brackets = [a for a in term.args if isinstance(a, Bracket)]
        for b in brackets:
            if evaluate(b, env) == 0:
                return sympy.S.Zero
        return sympy.Mul(*(evaluate(a, env) for a in term.args))
    if isinstance(term, sympy.Sum):
        (k, a, b), f = term.limits[-1], term.function
        inner = Sum(f, *term.limits[:-1]) if len(term.limits) > 1 else f
        lo, hi = _bounds(evaluate(a, env), evaluate(b, env))
        return sympy.Add(*(evaluate(inner, {**env, k: sympy.Integer(v)}) for v in range(lo, hi + 1)))
    if isinstance(term, sympy.Product):
        (k, a, b), f = term.limits[-1], term.function
        inner = Product(f, *term.limits[:-1]) if len(term.limits) > 1 else f
        lo, hi = _bounds(evaluate(a, env), evaluate(b, env))
        return sympy.Mul(*(evaluate(inner, {**env, k: sympy.Integer(v)}) for v in range(lo, hi + 1)))
    if isinstance(term, sympy.Indexed):
        name = term.base.label
        index = tuple(_index(evaluate(i, env), term) for i in term.indices)
        data = env.get(name, env.get(str(name), env.get(term.base)))
        if data is None:
            raise Undefined(f"no values given for {name}")
        try:
            if any(i < 0 for i in index) and not isinstance(data, Mapping):
                raise IndexError
            return sympy.sympify(data[index if len(index) > 1 else index[0]])
        except (IndexError, KeyError):
            raise Undefined(f"{term} is read at {index}, outside the values given") from None
    if isinstance(term, sympy.Symbol):
        return sympy.sympify(env[term]) if term in env else term
    if not term.args:
        return term
    args = [evaluate(a, env) for a in term.args]
    return term.func(*args)


def exact(expr: sympy.Expr, *symbols: sympy.Symbol) -> Any:
    """A fast exact function of ints for ``expr`` (floor, ceiling, Min, Max, Mod, Abs): rationals as ``Fraction``.

    Examples:
        >>> n, m = sympy.symbols("n m", integer=True)
        >>> exact(sympy.floor((n + 1) / m), n, m)(7, 2)
        4
    """
    import math
    from fractions import Fraction

    f = sympy.lambdify(
        symbols, expr, modules=[{"floor": math.floor, "ceiling": math.ceil, "Mod": lambda a, b: a % b}, "math"]
    )

    def call(*values: int) -> Any:
        out = f(*(Fraction(v) for v in values))
        if isinstance(out, Fraction) and out.denominator == 1:
            return int(out)
        return out

    return call


def same_claim(a: sympy.Basic, b: sympy.Basic) -> bool:
    """Whether two claims are the same statement (an equation may be read either way round)."""
    if a == b:
        return True
    if isinstance(a, sympy.Eq) and isinstance(b, sympy.Eq):
        return (a.lhs, a.rhs) in ((b.lhs, b.rhs), (b.rhs, b.lhs))
    return False
