"""Proof objects: chains of rewrites, integer facts, and the :class:`Theorem` that holds them.

A proof is a list of parts. A :class:`Chain` rewrites one expression step by step, every step
naming its rule; two chains that end in the same expression prove that their starts are equal
(:class:`Equation`). A :class:`Fact` is an integer statement proven for all values by
:func:`~symconv.proofs.facts.prove_fact`. A theorem is proven when each of its claims is the
conclusion of one part; :meth:`Theorem.verify` rebuilds the proof from scratch to check it.

Examples:
    >>> import sympy
    >>> k, n = sympy.symbols("k n", integer=True)
    >>> x = sympy.IndexedBase("x")
    >>> c = Chain(Sum(2 * x[k], (k, 0, n)), [n >= 0]).by("linearity")
    >>> c.end
    2*Sum(x[k], (k, 0, n))
    >>> [step.rule.name for step in c.steps]
    ['linearity']
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy

from symconv.proofs.facts import FactProof, ProofError, prove_fact
from symconv.proofs.rules import EARLIER_CLAIM, INDUCTION_HYPOTHESIS, RULES, Applied, algebra, apply, definition
from symconv.proofs.terms import Sum
from symconv.proofs.terms import same_claim as _same

__all__ = ["Chain", "Equation", "Fact", "Sum", "Theorem"]


class Chain:
    """``start = e_1 = e_2 = ... = end``: each step one rule applied by the engine, side conditions proven."""

    def __init__(self, start: Any, hypotheses: Sequence[Any] = ()) -> None:
        self.start = sympy.sympify(start)
        self.hypotheses = tuple(hypotheses)
        self.steps: list[Applied] = []

    @property
    def end(self) -> sympy.Expr:
        return self.steps[-1].after if self.steps else self.start

    def by(self, rule: str, every: bool = False, note: str = "", **args: Any) -> Chain:
        """Apply the rule named ``rule`` (see :data:`~symconv.proofs.rules.RULES`) at its first match."""
        if rule not in RULES:
            raise ValueError(f"'rule' must be one of {sorted(RULES)} (got {rule!r}).")
        self.steps.append(apply(RULES[rule], self.end, self.hypotheses, every=every, note=note, **args))
        return self

    def algebra(self, target: Any, note: str = "") -> Chain:
        """Rewrite to ``target``, which must be equal as a polynomial in the atoms."""
        self.steps.append(algebra(self.end, sympy.sympify(target), note))
        return self

    def unfold(self, defs: Sequence[tuple[Any, sympy.Lambda]], note: str = "") -> Chain:
        """Replace defined functions by their definitions."""
        self.steps.append(definition(self.end, defs, note))
        return self

    def use(self, f: Any, body: sympy.Lambda, hypothesis: bool = True, note: str = "") -> Chain:
        """Rewrite ``f(...)`` by ``body``: the induction hypothesis (``hypothesis``) or an earlier claim."""
        rule = INDUCTION_HYPOTHESIS if hypothesis else EARLIER_CLAIM
        self.steps.append(definition(self.end, [(f, body)], note, rule=rule))
        return self

    def z3_steps(self) -> list[str]:
        return [s.rule.name for s in self.steps if any(c.method == "z3" for c in s.conditions)]


@dataclass
class Equation:
    """``left.start = right.start``, because the two chains end in the same expression."""

    left: Chain
    right: Chain
    title: str = ""

    def __post_init__(self) -> None:
        if self.left.end != self.right.end:
            raise ProofError(f"the chains do not meet: {self.left.end} and {self.right.end}")

    @property
    def conclusion(self) -> sympy.Basic:
        return sympy.Eq(self.left.start, self.right.start, evaluate=False)

    @property
    def conditions(self) -> list[FactProof]:
        return [c for chain in (self.left, self.right) for s in chain.steps for c in s.conditions]


@dataclass
class Fact:
    """An integer statement proven for all values of its symbols under the hypotheses."""

    claim: sympy.Basic
    hypotheses: tuple[Any, ...]
    title: str = ""
    proof: FactProof = field(init=False)

    def __post_init__(self) -> None:
        self.proof = prove_fact(self.claim, self.hypotheses)

    @property
    def conclusion(self) -> sympy.Basic:
        return self.claim

    @property
    def conditions(self) -> list[FactProof]:
        return [self.proof]


@dataclass
class Induction:
    """``claim(n)`` for every ``n >= start``: the base ``claim(start)`` and the step ``claim(n) => claim(n + 1)``.

    ``claim`` reads ``f(n, v) = rhs``. ``base`` proves it at ``start``; ``step`` proves it at ``n + 1``, and
    its chains may use the induction hypothesis (rule ``induction_hypothesis``): each ``f(n, u)`` replaced
    by ``rhs`` with ``u`` for ``v``, for any ``u``. Each such step is checked to be exactly that.
    """

    claim: sympy.Basic
    n: sympy.Symbol
    start: int
    base: Equation
    step: Equation
    title: str = ""

    def __post_init__(self) -> None:
        f, (first, var) = self.claim.lhs.func, self.claim.lhs.args
        if first != self.n or not isinstance(var, sympy.Symbol):
            raise ProofError(f"induction: the claim must read f({self.n}, v) = ... (got {self.claim.lhs})")
        for chain in (self.step.left, self.step.right):
            for step in chain.steps:
                if step.rule is INDUCTION_HYPOTHESIS:
                    self._check_hypothesis(step, chain, f, var)
        if not _same(self.claim.subs(self.n, self.start), self.base.conclusion):
            raise ProofError(
                f"induction: the base proves {self.base.conclusion}, not {self.claim.subs(self.n, self.start)}"
            )
        if not _same(self.claim.subs(self.n, self.n + 1), self.step.conclusion):
            raise ProofError(
                f"induction: the step proves {self.step.conclusion}, not {self.claim.subs(self.n, self.n + 1)}"
            )

    def _check_hypothesis(self, step: Applied, chain: Chain, f: Any, var: sympy.Symbol) -> None:
        """The step replaced each ``f(n, v)`` by the claim at ``n`` with ``v`` for its variable, and nothing else."""
        if (self.n >= self.start) not in chain.hypotheses:
            raise ProofError(f"induction: the step must assume {self.n} >= {self.start}")
        mapping = {a: self.claim.rhs.xreplace({var: a.args[1]}) for a in step.before.atoms(f) if a.args[0] == self.n}
        if not mapping or step.before.xreplace(mapping) != step.after:
            raise ProofError(f"induction: the step {step.before} -> {step.after} is not the induction hypothesis")

    @property
    def conclusion(self) -> sympy.Basic:
        return self.claim

    @property
    def left(self) -> Chain:  # for timing: the step's chains carry the z3 work
        return self.step.left

    @property
    def right(self) -> Chain:
        return self.step.right


Part = Equation | Fact | Induction


@dataclass
class Theorem:
    """A statement about all sizes, with its proof, a re-check, an instance check and LaTeX.

    Attributes:
        name: The key in :data:`symconv.proofs.theorems`.
        title: A short title.
        statement: The claims, SymPy objects: equations and integer conditions.
        hypotheses: Integer conditions on the symbols (and the definitions used, in ``definitions``).
        build: Re-runs the proof: returns its parts.
        instance: Checks the statement at one random concrete size against symconv's taps.
        summary: One paragraph for the reader.
        definitions: ``(symbol LaTeX, definition LaTeX)`` pairs shown with the hypotheses.
        remarks: Notes after the proof (what the theorem excludes, where the refusals are).
        abbreviations: ``(expression, shorter)`` pairs the booklet prints the shorter way (``L_out``).
    """

    name: str
    title: str
    statement: tuple[sympy.Basic, ...]
    hypotheses: tuple[sympy.Basic, ...]
    build: Callable[[], list[Part]] = field(repr=False)
    instance: Callable[[random.Random], None] | None = field(default=None, repr=False)
    summary: str = ""
    definitions: tuple[tuple[str, str], ...] = ()
    remarks: str = ""
    abbreviations: tuple[tuple[sympy.Basic, sympy.Basic], ...] = ()

    @cached_property
    def proof(self) -> list[Part]:
        """The parts of the proof (built once; :meth:`verify` builds them anew)."""
        return self._checked(self.build())

    def _checked(self, parts: list[Part]) -> list[Part]:
        proven = [p.conclusion for p in parts]
        for claim in self.statement:
            if not any(_same(claim, c) for c in proven):
                raise ProofError(f"theorem '{self.name}': no part of the proof concludes {claim}")
        return parts

    def verify(self) -> bool:
        """Re-run the whole proof: every rule re-applied, every side condition proven again.

        Returns:
            True.

        Raises:
            ProofError: A step or side condition fails, or a claim is not concluded.
        """
        self._checked(self.build())
        return True

    def check_instances(self, n: int = 200, seed: int = 0) -> int:
        """Check the statement at ``n`` random concrete sizes against symconv's taps: a check, never the proof.

        Returns:
            The number of instances checked.

        Raises:
            AssertionError: An instance disagrees (with its sizes).
        """
        if self.instance is None:
            raise ValueError(f"theorem '{self.name}' has no instance check")
        rng = random.Random(seed)
        for _ in range(n):
            self.instance(rng)
        return n

    def timing(self) -> tuple[float, list[str]]:
        """Seconds to build the proof once, and the parts whose side conditions z3 proved."""
        start = time.perf_counter()
        parts = self.build()
        seconds = time.perf_counter() - start
        z3 = []
        for p in parts:
            chains = (p.left, p.right) if isinstance(p, (Equation, Induction)) else ()
            names = [f"{p.title or 'equation'}: {name}" for c in chains for name in c.z3_steps()]
            if isinstance(p, Fact) and p.proof.method == "z3":
                names.append(p.title or str(p.claim))
            z3 += names
        return seconds, z3

    def latex(self) -> str:
        """The theorem as a LaTeX fragment: hypotheses, statement, and the proof with every rule named."""
        from symconv.proofs.tex import theorem_tex

        return theorem_tex(self)

    def _repr_latex_(self) -> str:
        from symconv.proofs.tex import theorem_summary_tex

        return theorem_summary_tex(self)
