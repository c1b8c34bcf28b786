"""Side conditions: integer facts proven for all values of their symbols, by SymPy or by z3.

A fact is a SymPy condition (a relation, or ``And``/``Or``/``Not``/``Implies`` of relations)
about integer symbols, to be proven under hypotheses. :func:`prove_fact` first asks SymPy
(the condition evaluates to ``True`` on its own), then z3 over the integers: the fact holds
when ``hypotheses and not fact`` has no integer solution. Nothing is ever accepted because it
held at some values. When z3 finds a solution, it is the counterexample of the refusal.

``floor(a/b)`` and ``Mod(a, b)`` become a fresh integer ``q`` with ``b*q <= a < b*q + b``
(``b > 0``; mirrored for ``b < 0``), which defines ``q`` uniquely, so the translation is exact;
a rational expression ``n/d`` in a relation is compared through ``n*d`` and the fact also
claims ``d != 0``. z3 is imported on first use.

Examples:
    >>> import sympy
    >>> s, i = sympy.symbols("s i", integer=True)
    >>> prove_fact(s * i >= 0, [s >= 1, i >= 0]).method
    'z3'
    >>> prove_fact(sympy.floor(s / 2) * 2 <= s, [s >= 0]).method
    'z3'
    >>> prove_fact(s * i > i, [s >= 2, i >= 0, i <= 0])
    Traceback (most recent call last):
    ...
    symconv.proofs.facts.ProofError: not proven: i*s > i under s >= 2, i >= 0, i <= 0; counterexample: i = 0, s = ...
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from symconv.proofs.terms import Bracket

#: Milliseconds z3 may spend on one side condition.
TIMEOUT_MS = 30_000


class ProofError(ValueError):
    """A proof step or statement that could not be proven: the reason, and a counterexample if one was found."""

    def __init__(self, message: str, counterexample: Mapping[str, int] | None = None) -> None:
        super().__init__(message)
        self.counterexample = dict(counterexample) if counterexample else None


@dataclass(frozen=True)
class FactProof:
    """A discharged side condition: the fact, its hypotheses, who proved it and how long it took."""

    fact: sympy.Basic
    hypotheses: tuple[sympy.Basic, ...]
    method: str  # 'sympy' or 'z3'
    seconds: float = field(compare=False)


class _Z3:
    """Translation of SymPy integer terms and conditions into z3, with the defining constraints of fresh ints."""

    def __init__(self, abstract: bool = False) -> None:
        import z3

        self.z3 = z3
        self.abstract = abstract
        self.opaque: dict[sympy.Basic, Any] = {}
        self.memo: dict[sympy.Basic, Any] = {}
        self.vars: dict[sympy.Symbol, Any] = {}
        self.defs: list[Any] = []
        self.obligations: list[Any] = []
        self.fresh = 0

    def var(self, s: sympy.Symbol) -> Any:
        if s.is_integer is not True:
            raise ProofError(
                f"not proven: the symbol {s} is not declared integer, so integer arithmetic does not apply"
            )
        if s not in self.vars:
            self.vars[s] = self.z3.Int(str(s))
        return self.vars[s]

    def _new(self, stem: str) -> Any:
        self.fresh += 1
        return self.z3.Int(f"{stem}!{self.fresh}")

    def ratio(self, e: sympy.Expr) -> tuple[Any, Any]:
        """``e`` as a z3 numerator and denominator (integer terms)."""
        num, den = sympy.fraction(sympy.together(e))
        return self.term(num), self.term(den)

    def _opaque(self, e: sympy.Basic) -> Any:
        """A fresh int standing for the nonlinear term ``e`` (the same one for each occurrence)."""
        if e not in self.opaque:
            for s in sorted(e.free_symbols, key=str):
                self.var(s)
            self.opaque[e] = self._new("t")
        return self.opaque[e]

    def floor_of(self, e: sympy.Expr) -> Any:
        if self.abstract and not sympy.fraction(sympy.together(e))[1].is_number:
            self.obligations.append(self.term(sympy.fraction(sympy.together(e))[1]) != 0)
            return self._opaque(sympy.floor(e))
        n, d = self.ratio(e)
        q, z3 = self._new("q"), self.z3
        self.defs += [
            z3.Implies(d > 0, z3.And(d * q <= n, n < d * q + d)),
            z3.Implies(d < 0, z3.And(d * q >= n, n > d * q + d)),
        ]
        self.obligations.append(d != 0)
        return q

    def term(self, e: Any) -> Any:
        """``e`` in z3; one translation per distinct subterm, so a fresh int stands for one value."""
        e = sympy.sympify(e)
        if e not in self.memo:
            self.memo[e] = self._term(e)
        return self.memo[e]

    def _term(self, e: sympy.Expr) -> Any:
        z3 = self.z3
        if e.is_Integer:
            return z3.IntVal(int(e))
        if e.is_Rational:
            raise ProofError(f"not proven: the term {e} is not an integer")
        if isinstance(e, sympy.Symbol):
            return self.var(e)
        if isinstance(e, sympy.Add):
            return z3.Sum([self.term(a) for a in e.args])
        if isinstance(e, sympy.Mul):
            if any((a.is_Rational and not a.is_Integer) or (a.is_Pow and a.exp.is_negative) for a in e.args):
                raise ProofError(f"not proven: the term {e} is not a polynomial with integer coefficients")
            if self.abstract and sum(not a.is_number for a in e.args) > 1:
                return self._opaque(e)
            out = self.term(e.args[0])
            for a in e.args[1:]:
                out = out * self.term(a)
            return out
        if isinstance(e, sympy.Pow) and e.exp.is_Integer and e.exp >= 0:
            out = z3.IntVal(1)
            for _ in range(int(e.exp)):
                out = out * self.term(e.base)
            return out
        if isinstance(e, sympy.floor):
            return self.floor_of(e.args[0])
        if isinstance(e, sympy.ceiling):
            return -self.floor_of(-e.args[0])
        if isinstance(e, sympy.Mod):
            a, b = e.args
            zb, r = self.term(b), self._new("r")
            self.obligations.append(zb != 0)
            # the range of a remainder (true in both modes); the exact definition unless abstract
            self.defs += [z3.Implies(zb > 0, z3.And(r >= 0, r < zb)), z3.Implies(zb < 0, z3.And(r <= 0, r > zb))]
            if not (self.abstract and not b.is_number):
                self.defs.append(r == self.term(a) - zb * self.floor_of(a / b))
            return r
        if isinstance(e, (sympy.Min, sympy.Max)):
            args = [self.term(a) for a in e.args]
            out = args[0]
            for a in args[1:]:
                out = z3.If(a < out, a, out) if isinstance(e, sympy.Min) else z3.If(a > out, a, out)
            return out
        if isinstance(e, sympy.Abs):
            a = self.term(e.args[0])
            return z3.If(a < 0, -a, a)
        if isinstance(e, Bracket):
            return z3.If(self.cond(e.args[0]), 1, 0)
        if isinstance(e, sympy.Piecewise):
            out = None
            for value, c in reversed(e.args):
                out = self.term(value) if out is None else z3.If(self.cond(c), self.term(value), out)
            return out
        raise ProofError(f"not proven: {e} is not a term of integer arithmetic ({type(e).__name__})")

    def cond(self, c: Any) -> Any:
        z3, c = self.z3, sympy.sympify(c)
        if c is sympy.true:
            return z3.BoolVal(True)
        if c is sympy.false:
            return z3.BoolVal(False)
        # And/Or keep their arguments as a set, in an order that changes with Python's hash seed: sorted, the
        # problem z3 gets (and so the time it takes) is the same in every run
        if isinstance(c, sympy.And):
            return z3.And([self.cond(a) for a in sorted(c.args, key=sympy.default_sort_key)])
        if isinstance(c, sympy.Or):
            return z3.Or([self.cond(a) for a in sorted(c.args, key=sympy.default_sort_key)])
        if isinstance(c, sympy.Not):
            return z3.Not(self.cond(c.args[0]))
        if isinstance(c, sympy.Implies):
            return z3.Implies(self.cond(c.args[0]), self.cond(c.args[1]))
        if isinstance(c, sympy.Equivalent):
            return self.cond(c.args[0]) == self.cond(c.args[1])
        if isinstance(c, sympy.Rel):
            n, d = self.ratio(c.lhs - c.rhs)
            self.obligations.append(d != 0)
            v = n * d
            ops = {"==": v == 0, "!=": v != 0, "<": v < 0, "<=": v <= 0, ">": v > 0, ">=": v >= 0}
            return ops[c.rel_op]
        raise ProofError(f"not proven: {c} is not a condition of integer arithmetic ({type(c).__name__})")


def integral(e: Any) -> bool:
    """Whether ``e`` is an integer by construction: integers and integer symbols closed under
    ``+``, ``*``, non-negative powers, ``floor``, ``ceiling``, ``Mod``, ``Min``, ``Max``, ``Abs``."""
    e = sympy.sympify(e)
    if e.is_Integer or (isinstance(e, sympy.Symbol) and e.is_integer is True):
        return True
    if isinstance(e, (sympy.floor, sympy.ceiling, Bracket)):
        return True
    if isinstance(e, sympy.Pow):
        return bool(e.exp.is_Integer and e.exp >= 0 and integral(e.base))
    if isinstance(e, (sympy.Add, sympy.Mul, sympy.Mod, sympy.Min, sympy.Max, sympy.Abs)):
        return all(integral(a) for a in e.args)
    return False


def _text(conditions: Iterable[sympy.Basic]) -> str:
    return ", ".join(str(c) for c in conditions) or "no hypotheses"


def prove_fact(fact: Any, hypotheses: Iterable[Any] = (), timeout_ms: int | None = None) -> FactProof:
    """Prove ``fact`` for all integer values of its symbols that satisfy ``hypotheses``.

    Raises:
        ProofError: z3 found a counterexample (given), or could not decide within the timeout,
            or the fact is not integer arithmetic.
    """
    start = time.perf_counter()
    fact, hyps = sympy.sympify(fact), tuple(sympy.sympify(h) for h in hypotheses)
    if fact is sympy.true:
        return FactProof(fact, hyps, "sympy", time.perf_counter() - start)
    is_integer = isinstance(fact, sympy.Eq) and isinstance(fact.lhs, sympy.floor) and fact.lhs.args[0] == fact.rhs
    if is_integer and integral(fact.rhs):
        return FactProof(fact, hyps, "sympy", time.perf_counter() - start)
    if fact is sympy.false and not hyps:
        raise ProofError(f"not proven: {fact} is false")
    answer, solver, tr = _attempt(fact, hyps, True, min(2_000, timeout_ms or TIMEOUT_MS))
    if answer != "unsat":
        answer, solver, tr = _attempt(fact, hyps, False, timeout_ms or TIMEOUT_MS)
    if answer == "unsat":
        return FactProof(fact, hyps, "z3", time.perf_counter() - start)
    where = f"{fact} under {_text(hyps)}"
    if answer == "sat":
        model = solver.model()
        values = {str(s): model.eval(v, model_completion=True).as_long() for s, v in sorted(tr.vars.items(), key=str)}
        shown = ", ".join(f"{k} = {v}" for k, v in values.items())
        raise ProofError(f"not proven: {where}; counterexample: {shown}", values)
    raise ProofError(f"not proven: {where}; z3 could not decide it ({solver.reason_unknown()})")


def _attempt(fact: sympy.Basic, hyps: tuple[sympy.Basic, ...], abstract: bool, timeout_ms: int) -> tuple[str, Any, _Z3]:
    """One call of z3: ``'unsat'`` (proven), ``'sat'`` or ``'unknown'``; with ``abstract``, every nonlinear
    term is an opaque int, which only weakens the hypotheses (an 'unsat' then still proves the fact)."""
    tr = _Z3(abstract)
    z3 = tr.z3
    goal = tr.cond(fact)
    premises = [tr.cond(h) for h in hyps]
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*premises, *tr.defs)
    solver.add(z3.Not(z3.And(goal, *tr.obligations)))
    return str(solver.check()), solver, tr
