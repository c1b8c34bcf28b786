"""Steps: one statement of a derivation (words, mathematics, reason), checked by SymPy when built.

A :class:`Step` carries the equalities it asserts as :class:`Claim` objects. Building the
step checks every claim (:func:`symconv.base.verification.equal_entries`: ``lhs - rhs`` is zero,
entrywise for matrices and arrays); a claim that fails raises :class:`VerificationError` naming the step, so nothing
unverified can reach a document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from symconv.base.verification import equal_entries


class VerificationError(AssertionError):
    """A step of a derivation asserts an equality (or inequality) that SymPy refutes."""


@dataclass(frozen=True)
class Claim:
    """``lhs == rhs`` (or ``lhs != rhs`` with ``relation='!='``), for expressions, matrices, arrays or lists."""

    lhs: Any
    rhs: Any
    relation: str = "="

    def holds(self) -> bool:
        """Whether SymPy confirms the claim."""
        equal = equal_entries(self.lhs, self.rhs)
        return equal if self.relation == "=" else not equal


@dataclass(frozen=True)
class Step:
    """One step of a derivation: words, display mathematics (LaTeX) and the reason it holds.

    Args:
        name: A short identifier, used in error messages and labels.
        words: The statement in words (LaTeX text mode).
        math: Display mathematics: the lines of an ``align*`` (joined by ``\\\\``), or ``''``.
        reason: Why it holds (LaTeX text mode).
        claims: The equalities the step asserts; all are checked when the step is built.
        kind: ``'step'``, or ``'theorem'`` (rendered as a theorem with the reason as its proof).
        sampled: The claims compare numbers at random points (exact rational arithmetic) instead of
            expressions; the document's introduction says so.

    Raises:
        VerificationError: If SymPy refutes a claim; the message names the step.

    Examples:
        >>> import sympy
        >>> x = sympy.Symbol("x")
        >>> Step("square", "Expand.", "(x+1)^2 = x^2+2x+1", "Binomial.", (Claim((x + 1) ** 2, x**2 + 2 * x + 1),)).name
        'square'
        >>> Step("bogus", "Claim.", "x+1 = x", "None.", (Claim(x + 1, x),))
        Traceback (most recent call last):
        ...
        symconv.latex.steps.VerificationError: step 'bogus' failed verification: x + 1 = x is false.
    """

    name: str
    words: str
    math: str
    reason: str
    claims: tuple[Claim, ...] = field(default=())
    kind: str = "step"
    sampled: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("step", "theorem"):
            raise ValueError(f"'kind' must be 'step' or 'theorem' (got {self.kind!r}).")
        for claim in self.claims:
            if not claim.holds():
                shown = f"{_short(claim.lhs)} {claim.relation} {_short(claim.rhs)}"
                raise VerificationError(f"step {self.name!r} failed verification: {shown} is false.")

    @property
    def verified(self) -> int:
        """How many claims SymPy checked."""
        return len(self.claims)


def _short(value: Any, limit: int = 120) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def claims(pairs: Iterable[tuple[Any, Any]]) -> tuple[Claim, ...]:
    """Equality claims from ``(lhs, rhs)`` pairs."""
    return tuple(Claim(a, b) for a, b in pairs)


def aligned(lines: Sequence[tuple[str, str]]) -> str:
    """``align*`` rows ``lhs &= rhs`` from LaTeX pairs."""
    return " \\\\\n".join(f"{lhs} &= {rhs}" if rhs else f"{lhs} &" for lhs, rhs in lines)


@dataclass(frozen=True)
class Block:
    """LaTeX that asserts no equality: a paragraph, a figure, a listing."""

    latex: str


@dataclass
class Section:
    """A titled list of steps and blocks.

    Examples:
        >>> import sympy
        >>> x = sympy.Symbol("x")
        >>> section = Section("demo", "Demo")
        >>> section.add(Step("bogus", "Claim.", "x+1 = x", "None.", (Claim(x + 1, x),)))
        Traceback (most recent call last):
        ...
        symconv.latex.steps.VerificationError: step 'bogus' failed verification: x + 1 = x is false.
    """

    key: str
    title: str
    items: list[Step | Block] = field(default_factory=list)

    def add(self, item: Step | Block) -> None:
        """Append a step (verified when it was built) or a block."""
        if not isinstance(item, (Step, Block)):
            raise TypeError(f"'item' must be a Step or a Block (got {type(item).__name__}).")
        self.items.append(item)

    @property
    def steps(self) -> list[Step]:
        return [item for item in self.items if isinstance(item, Step)]
