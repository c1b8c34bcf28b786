"""The stack derivation's end-to-end gradient check, linear in the taps: forward mode against backprop.

At a random rational point ``theta`` (the input and every parameter) and for a random integer direction
``v``, two numbers must agree for the loss ``L = sum_j g_j h_j`` (random rational ``g``):

- ``<grad L(theta), v>``, from the backward rules of the stages (each ``dL/d(input)`` and parameter
  gradient in terms of ``delta = dL/d(output)``) evaluated stage after stage, top to bottom;
- ``d/de L(theta + e v)`` at ``e = 0``, by forward-mode differentiation of the stages' own equations,
  bottom to top: dual numbers (value, tangent) through sums, products, ``Max``, ``Min`` and ``Heaviside``
  (:func:`dual`), or SymPy's derivative of each equation for other functions (``tanh``, an undefined ``f``).

A wrong entry of any gradient changes the first number for almost every direction. Numbers are exact
fractions (Python's :class:`~fractions.Fraction`: evaluating a SymPy tree in Python is about a hundred
times faster than ``xreplace``, which rebuilds every node), or SymPy numbers for other functions.

Examples:
    >>> x, y = sympy.symbols("x y")
    >>> number(sympy.Max(0, x - 2 * y) + x**2, {x: Fraction(1, 2), y: Fraction(-1)})
    Fraction(11, 4)
    >>> dual(sympy.Max(0, x * y), {x: (Fraction(2), Fraction(1)), y: (Fraction(3), Fraction(0))})
    (Fraction(6, 1), Fraction(3, 1))
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from symconv.base.symbols import entries
from symconv.stack.sequential import StackExpansion

#: One stage's backward rule: ``dL/d(input)`` entries, and each parameter's gradient entries, in terms of the
#: stage's ``delta`` symbols (and its inputs and parameters).
Rule = tuple[Sequence[Any], dict[str, Sequence[Any]]]


class Kink(ValueError):
    """The point lies on a kink the direction crosses (a ReLU input at 0, a tie in a max window)."""


class Unsupported(TypeError):
    """A node the fraction evaluators do not know (``tanh``, an undefined ``f``): use SymPy."""


def number(expr: Any, env: dict[Any, Any]) -> Fraction:
    """``expr`` at the fractions ``env`` (a symbol to a value), exactly; subexpressions are remembered in
    ``env`` itself (a backpropagated delta shared by every weight gradient is evaluated once).

    Raises:
        Kink: A ``Heaviside`` at 0 without a value there.
        Unsupported: A node other than sums, products, integer powers, ``Max``, ``Min``, ``Piecewise``,
            ``Heaviside``.
    """
    known = env.get(expr)
    if known is not None:
        return known  # type: ignore[no-any-return]
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q))
    value = _node(expr, env)
    env[expr] = value
    return value


def _node(expr: Any, env: dict[Any, Any]) -> Fraction:
    if expr.is_Symbol:
        raise KeyError(f"no value for {expr}")
    args = expr.args
    if expr.is_Add:
        return sum((number(a, env) for a in args), Fraction(0))
    if expr.is_Mul:
        return math.prod((number(a, env) for a in args), start=Fraction(1))
    if expr.is_Pow and args[1].is_Integer:
        return number(args[0], env) ** int(args[1])
    if isinstance(expr, (sympy.Max, sympy.Min)):
        return (max if isinstance(expr, sympy.Max) else min)(number(a, env) for a in args)
    if isinstance(expr, sympy.Piecewise):
        return next(number(value, env) for value, cond in args if _truth(cond, env))
    if isinstance(expr, sympy.Heaviside):
        x = number(args[0], env)
        if x == 0 and len(args) < 2:
            raise Kink(str(expr))
        return Fraction(int(x > 0)) if x != 0 else number(args[1], env)
    raise Unsupported(type(expr).__name__)


_RELATIONS = {
    sympy.StrictGreaterThan: lambda a, b: a > b,
    sympy.GreaterThan: lambda a, b: a >= b,
    sympy.StrictLessThan: lambda a, b: a < b,
    sympy.LessThan: lambda a, b: a <= b,
}


def _truth(cond: Any, env: dict[Any, Any]) -> bool:
    if cond is sympy.true or cond is True:
        return True
    if cond is sympy.false or cond is False:
        return False
    if isinstance(cond, sympy.And):
        return all(_truth(c, env) for c in cond.args)
    if isinstance(cond, sympy.Or):
        return any(_truth(c, env) for c in cond.args)
    if type(cond) in _RELATIONS:
        return bool(_RELATIONS[type(cond)](number(cond.args[0], env), number(cond.args[1], env)))
    raise Unsupported(type(cond).__name__)


def dual(expr: Any, env: dict[Any, Any]) -> tuple[Fraction, Fraction]:
    """``(value, tangent)`` of ``expr`` at the dual numbers ``env`` (a symbol to its value and tangent):
    forward-mode differentiation, exact; remembered in ``env`` like :func:`number`.

    Raises:
        Kink: A ``Max`` or ``Min`` whose tied arguments move apart, or a ``Heaviside`` at 0.
        Unsupported: Any node :func:`number` does not know.
    """
    known = env.get(expr)
    if known is not None:
        return known  # type: ignore[no-any-return]
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q)), Fraction(0)
    value = _dual_node(expr, env)
    env[expr] = value
    return value


def _dual_node(expr: Any, env: dict[Any, Any]) -> tuple[Fraction, Fraction]:
    if expr.is_Symbol:
        raise KeyError(f"no value for {expr}")
    if not (expr.is_Add or expr.is_Mul or expr.is_Pow or isinstance(expr, (sympy.Max, sympy.Min))):
        raise Unsupported(type(expr).__name__)
    args = [dual(a, env) for a in expr.args]
    if expr.is_Add:
        return sum((v for v, _ in args), Fraction(0)), sum((t for _, t in args), Fraction(0))
    if expr.is_Mul:
        value, tangent = Fraction(1), Fraction(0)
        for v, t in args:
            value, tangent = value * v, value * t + tangent * v
        return value, tangent
    if expr.is_Pow and expr.args[1].is_Integer:
        (v, t), n = args[0], int(expr.args[1])
        return v**n, n * v ** (n - 1) * t
    if isinstance(expr, (sympy.Max, sympy.Min)):
        best = (max if isinstance(expr, sympy.Max) else min)(v for v, _ in args)
        moves = {t for v, t in args if v == best}
        if len(moves) > 1:
            raise Kink(str(expr))
        return best, moves.pop()
    raise Unsupported(type(expr).__name__)


def close(a: Any, b: Any, digits: int = 50) -> bool:
    """Exact equality of two numbers, or agreement to ``digits`` significant digits when not both rational.

    Examples:
        >>> close(Fraction(1, 3), sympy.Rational(1, 3)), close(sympy.tanh(1), sympy.tanh(1) + 10**-60)
        (True, True)
    """
    a, b = sympy.sympify(a), sympy.sympify(b)
    if a.is_Rational and b.is_Rational:
        return bool(a == b)
    gap = abs((a - b).evalf(digits + 10))
    return bool(gap <= sympy.Float(10) ** (-digits) * (1 + abs(a.evalf(digits + 10))))


def stage_values(s: StackExpansion, point: dict[Any, Any]) -> dict[Any, Any]:
    """Every stage output's value at ``point`` (numbers for ``x`` and every parameter), stage after stage
    from the local equations: exactly with fractions, or with SymPy when the stack has other functions."""
    try:
        values: dict[Any, Any] = {v: Fraction(int(n.p), int(n.q)) for v, n in point.items()}
        for stage in s.stages:
            for out, expr in zip(entries(stage.outputs), entries(stage.local)):
                values[out] = number(expr, values)
        return {k: sympy.Rational(v.numerator, v.denominator) for k, v in values.items() if k.is_Symbol}
    except Unsupported:
        values = dict(point)
        for stage in s.stages:
            values.update(zip(entries(stage.outputs), [e.xreplace(values) for e in entries(stage.local)]))
        return values


def directional_checks(
    s: StackExpansion, rules: Sequence[Rule], deltas: Sequence[Sequence[Any]], points: int, seed: int = 0
) -> list[tuple[Any, Any]]:
    """``(forward, backward)`` at ``points`` random rational points and directions (see the module).

    Args:
        s: The expanded stack.
        rules: Each stage's backward rule (:data:`Rule`), in stage order.
        deltas: Each stage's ``delta`` symbols, one per output entry in C order, in stage order.
        points: How many points (those where the direction crosses a kink are skipped).
        seed: For the random points and directions.
    """
    try:
        return _checks(s, rules, deltas, points, seed, fast=True)
    except Unsupported:
        return _checks(s, rules, deltas, points, seed, fast=False)


def _checks(
    s: StackExpansion, rules: Sequence[Rule], deltas: Sequence[Sequence[Any]], points: int, seed: int, fast: bool
) -> list[tuple[Any, Any]]:
    rng = random.Random(seed)
    make: Any = Fraction if fast else sympy.Rational
    params = {(st.index, k): entries(v) for st in s.stages for k, v in st.params.items()}
    free = entries(s.x) + [v for vs in params.values() for v in vs]
    top = list(deltas[-1])
    out: list[tuple[Any, Any]] = []
    for _ in range(50 * points):
        if len(out) == points:
            return out
        span = 10 * (len(free) + len(top)) + 10
        draws = rng.sample(range(-span, span + 1), len(free) + len(top))
        point = {v: make(d, span) for v, d in zip(free + top, draws)}
        direction = {v: make(rng.choice([-3, -2, -1, 1, 2, 3]), 1) for v in free}
        try:
            tangents, values = _forward(s, point, direction, fast)
            forward = sum((point[d] * tangents[o] for d, o in zip(top, entries(s.output_symbols))), make(0))
            backward = _backward(s, rules, deltas, {**values, **point}, direction, fast)
        except Kink:
            continue
        out.append((sympy.sympify(forward), sympy.sympify(backward)))
    raise ValueError(f"no {points} rational points off the kinks found; the gradients cannot be checked here.")


def _forward(
    s: StackExpansion, point: dict[Any, Any], direction: dict[Any, Any], fast: bool
) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Tangents and values of every stage output, bottom to top."""
    if fast:
        env: dict[Any, Any] = {v: (point[v], direction[v]) for v in direction}
        for stage in s.stages:
            for out, expr in zip(entries(stage.outputs), entries(stage.local)):
                env[out] = dual(expr, env)
        symbols = [k for k in env if k.is_Symbol]
        return {k: env[k][1] for k in symbols}, {k: env[k][0] for k in symbols}
    values, tangents = {v: point[v] for v in direction}, dict(direction)
    for stage in s.stages:
        for out, expr in zip(entries(stage.outputs), entries(stage.local)):
            value = expr.xreplace(values)
            slope = sum((sympy.diff(expr, v).xreplace(values) * tangents[v] for v in expr.free_symbols), sympy.S.Zero)
            if slope.has(sympy.Heaviside):
                raise Kink(str(expr))
            values[out], tangents[out] = value, slope
    return tangents, values


def _backward(
    s: StackExpansion,
    rules: Sequence[Rule],
    deltas: Sequence[Sequence[Any]],
    env: dict[Any, Any],
    direction: dict[Any, Any],
    fast: bool,
) -> Any:
    """``<grad L, v>`` from the backward rules, top to bottom (``env`` holds the values and the top delta)."""

    def ev(expr: Any) -> Any:
        if fast:
            return number(expr, env)
        value = sympy.sympify(expr).xreplace(env)
        if value.has(sympy.Heaviside):
            raise Kink(str(expr))
        return value

    total: Any = 0
    for j in reversed(range(len(s.stages))):
        stage = s.stages[j]
        back, grads = rules[j]
        for key, values in grads.items():
            total += sum(ev(d) * direction[v] for v, d in zip(entries(stage.params[key]), values))
        numbers = [ev(d) for d in back]
        if j == 0:
            total += sum(n * direction[v] for v, n in zip(entries(s.x), numbers))
        else:
            env.update(zip(deltas[j - 1], numbers))
    return total
