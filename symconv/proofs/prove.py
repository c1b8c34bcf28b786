"""``prove(statement, hypotheses)``: a user's statement proven with the engine, or refused with the reason.

An integer statement (no sums, no sequences) goes to :func:`~symconv.proofs.facts.prove_fact`.
An equation between sums is normalised on both sides by a fixed strategy (definitions
unfolded, derivatives taken term by term, deltas summed out, concrete ranges written out) and
proven when both sides meet. Otherwise it is refused: with a counterexample when one of the
random concrete instances tried disagrees (a refusal may rest on an instance; a proof never
does), else with "not proven".

Examples:
    >>> import sympy
    >>> n, s = sympy.symbols("n s", integer=True)
    >>> prove(sympy.floor((n + s - 1) / s) * s >= n, [n >= 0, s >= 1]).verify()
    True
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

import sympy

from symconv.proofs.facts import ProofError
from symconv.proofs.proof import Chain, Equation, Fact, Part, Theorem
from symconv.proofs.rules import RULES, apply
from symconv.proofs.terms import Undefined, evaluate

#: Random instances tried before a statement the engine could not prove is called unproven.
TRIES = 100


def _has_terms(e: sympy.Basic) -> bool:
    from sympy.core.function import AppliedUndef

    return bool(e.atoms(sympy.Sum, sympy.Indexed, sympy.Derivative, AppliedUndef))


def _normalise(chain: Chain, defs: Sequence[tuple[Any, sympy.Lambda]]) -> Chain:
    if defs and any(chain.end.atoms(f) for f, _ in defs):
        chain.unfold(defs)
    steps: tuple[tuple[str, dict[str, Any]], ...] = (
        ("derivative", {}),
        ("bracket_product", {}),
        ("prune", {"assuming": chain.hypotheses}),
        ("sum_delta", {}),
        ("expand_range", {}),
    )
    for rule, args in steps:
        while True:
            try:
                chain.steps.append(apply(RULES[rule], chain.end, chain.hypotheses, every=True, **args))
            except ProofError:
                break
    return chain


def _random_values(symbols: Iterable[sympy.Symbol], hyps: Sequence[Any], rng: random.Random) -> dict[Any, Any] | None:
    for _ in range(50):
        env = {sym: sympy.Integer(rng.randint(0, 5)) for sym in symbols}
        if all(bool(sympy.sympify(h).subs(env)) for h in hyps):
            return env
    return None


class _Data(dict):  # type: ignore[type-arg]
    """Random integers for any index, drawn on first read."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: Any) -> int:
        self[key] = self.rng.randint(-9, 9)
        return self[key]


def _concrete(e: sympy.Expr, defs: Sequence[tuple[Any, sympy.Lambda]]) -> sympy.Expr:
    from symconv.proofs.rules import derivative

    for f, body in defs:
        e = e.replace(lambda a, f=f: isinstance(a, f), lambda a, body=body: body(*a.args))
    return e.replace(lambda a: isinstance(a, sympy.Derivative), lambda a: derivative(a.expr, a.variables[0]))


def _search(lhs: sympy.Expr, rhs: sympy.Expr, hyps: Sequence[Any], defs: Sequence[tuple[Any, sympy.Lambda]]) -> None:
    """Raise a ProofError with a counterexample if a random instance of ``lhs = rhs`` fails."""
    left, right = _concrete(lhs, defs), _concrete(rhs, defs)
    bases = sorted({a.base.label for a in (left - right).atoms(sympy.Indexed)}, key=str)
    found = (left - right).free_symbols | {s for h in hyps for s in sympy.sympify(h).free_symbols}
    symbols = sorted((s for s in found if isinstance(s, sympy.Symbol) and s not in bases), key=str)
    rng = random.Random(0)
    for _ in range(TRIES):
        env = _random_values(symbols, hyps, rng)
        if env is None:
            return
        data = {name: _Data(rng) for name in bases}
        sizes = ", ".join(f"{k} = {v}" for k, v in env.items()) or "every size"
        values = {**env, **data}
        try:
            a = evaluate(left, values)
        except Undefined as exc:
            raise ProofError(
                f"refused: the left side is undefined at {sizes}: {exc}", {str(k): int(v) for k, v in env.items()}
            ) from None
        try:
            c = evaluate(right, values)
        except Undefined as exc:
            raise ProofError(
                f"refused: the right side is undefined at {sizes}: {exc}", {str(k): int(v) for k, v in env.items()}
            ) from None
        if sympy.expand(a - c) != 0:
            read = {str(k): dict(v) for k, v in data.items()}
            raise ProofError(
                f"refused: the two sides differ at {sizes} (left {a}, right {c}; sequence values {read})",
                {str(k): int(v) for k, v in env.items()},
            )


def prove(
    statement: Any,
    hypotheses: Iterable[Any] = (),
    definitions: Sequence[tuple[Any, sympy.Lambda]] = (),
    name: str = "statement",
) -> Theorem:
    """Prove ``statement`` for all integer values of its symbols under ``hypotheses``.

    Args:
        statement: An integer condition (``floor``, ``Mod``, ``Min``... allowed), or ``Eq(lhs, rhs)``
            between terms of the engine (sums, brackets, sequences, ``Derivative`` by an entry).
        hypotheses: Integer conditions on the symbols.
        definitions: ``(function, Lambda)`` pairs that the statement uses.
        name: The theorem's name.

    Returns:
        A verified :class:`~symconv.proofs.proof.Theorem`.

    Raises:
        ProofError: Refused, with the reason and, when one was found, a counterexample
            (``exc.counterexample``).
        TypeError: ``statement`` is not a SymPy condition or equation.
    """
    claim, hyps = sympy.sympify(statement), tuple(sympy.sympify(h) for h in hypotheses)
    if not isinstance(claim, sympy.logic.boolalg.Boolean):
        raise TypeError(
            f"'statement' must be a SymPy condition or Eq(lhs, rhs) (got {claim!r} of type {type(claim).__name__})."
        )
    if not _has_terms(claim):

        def build_fact() -> list[Part]:
            return [Fact(claim, hyps, name)]

        theorem = Theorem(name, name, (claim,), hyps, build_fact)
        theorem.verify()
        return theorem
    if not isinstance(claim, sympy.Eq):
        raise ProofError(f"refused: only an integer condition or an equation can be proven (got {claim})")

    def build_equation() -> list[Part]:
        left = _normalise(Chain(claim.lhs, hyps), definitions)
        right = _normalise(Chain(claim.rhs, hyps), definitions)
        if left.end != right.end and sympy.expand(left.end - right.end) == 0:
            right.algebra(left.end)
        return [Equation(left, right, name)]

    try:
        theorem = Theorem(name, name, (claim,), hyps, build_equation)
        theorem.verify()
        return theorem
    except ProofError as exc:
        _search(claim.lhs, claim.rhs, hyps, definitions)
        raise ProofError(f"not proven: {claim}: {exc}; no counterexample found in {TRIES} random instances") from None
