"""Checks that two routes to the same SymPy values agree, entry by entry, with a report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from symconv.base.symbols import entries


def _plain_heaviside(expr: Any) -> Any:
    """Drop Heaviside's value at 0, so that ReLU' with 0 at 0 compares with SymPy's 1/2."""
    if not isinstance(expr, sympy.Basic):
        return expr
    return expr.replace(lambda e: isinstance(e, sympy.Heaviside), lambda e: sympy.Heaviside(e.args[0]))


def same(a: Any, b: Any) -> bool:
    """True if ``a - b`` is zero: structurally, after ``expand``, or after ``simplify``.

    Truth values (``True``, SymPy's ``true``) are equal only when identical; their difference
    would raise SymPy's ``TypeError: BooleanAtom not allowed in this context``.

    Examples:
        >>> x = sympy.Symbol("x")
        >>> same((x + 1) ** 2, x**2 + 2 * x + 1), same(True, False), same(True, sympy.true)
        (True, False, True)
    """
    if a is b or (isinstance(a, sympy.Basic) and a == b):
        return True  # structurally equal SymPy objects (the common case: two routes to one canonical sum)
    a, b = sympy.sympify(_plain_heaviside(a)), sympy.sympify(_plain_heaviside(b))
    if isinstance(a, sympy.logic.boolalg.Boolean) or isinstance(b, sympy.logic.boolalg.Boolean):
        return bool(a == b)
    diff = a - b
    if diff == 0 or sympy.expand(diff) == 0:
        return True
    return bool(sympy.simplify(diff) == 0)


def shaped_entries(value: Any) -> tuple[tuple[int, ...], list[Any]]:
    """The shape and the C-order entries of a SymPy matrix or array, a list or tuple, or one value."""
    if isinstance(value, sympy.MatrixBase):
        return value.shape, list(value)
    if isinstance(value, sympy.NDimArray):
        return value.shape, entries(value)
    if isinstance(value, (list, tuple)):
        return (len(value),), list(value)
    return (), [value]


def equal_entries(lhs: Any, rhs: Any) -> bool:
    """Whether two values, or two containers entry by entry (of the same shape), are :func:`same`.

    Examples:
        >>> x, y = sympy.symbols("x y")
        >>> equal_entries((x + y) ** 2, x**2 + 2 * x * y + y**2)
        True
        >>> equal_entries(sympy.Matrix([x, y]), [x, x])
        False
    """
    (ls, le), (rs, re) = shaped_entries(lhs), shaped_entries(rhs)
    if len(le) != len(re) or (ls and rs and ls != rs):
        return False
    return all(same(a, b) for a, b in zip(le, re))


@dataclass(frozen=True)
class Check:
    """One proven (or refuted) identity: its name, the outcome and, if refuted, where."""

    name: str
    proven: bool
    detail: str = ""

    @classmethod
    def entrywise(
        cls, name: str, lhs: Sequence[Any], rhs: Sequence[Any], shape: tuple[int, ...] | None = None
    ) -> Check:
        """Compare two flat sequences of SymPy values; report the first entry that differs."""
        if len(lhs) != len(rhs):
            return cls(name, False, f"{len(lhs)} entries on the left, {len(rhs)} on the right")
        for j, (a, b) in enumerate(zip(lhs, rhs)):
            if not same(a, b):
                where = tuple(int(v) for v in np.unravel_index(j, shape)) if shape else j
                return cls(name, False, f"entry {where} differs: {a} != {b}")
        return cls(name, True, f"{len(lhs)} entries, exactly")


@dataclass(frozen=True)
class Verification:
    """The outcome of :meth:`~symconv.grad.gradients.Gradients.verify` (truthy when every check is proven)."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.proven for c in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        lines = [f"{'proven ' if c.proven else 'FAILED '} {c.name}: {c.detail}" for c in self.checks]
        return "\n".join(lines)

    def raise_if_failed(self) -> None:
        """Raise ``AssertionError`` listing the failed checks."""
        failed = [c for c in self.checks if not c.proven]
        if failed:
            raise AssertionError("; ".join(f"{c.name}: {c.detail}" for c in failed))
