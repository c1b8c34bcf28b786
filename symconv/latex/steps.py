"""Steps: one statement of a derivation (words, mathematics, reason), checked by SymPy when built.

A :class:`Step` carries the equalities it asserts as :class:`Claim` objects. Building the
step checks every claim (``sympy.expand(lhs - rhs) == 0``, entrywise for matrices and
arrays); a claim that fails raises :class:`VerificationError` naming the step, so nothing
unverified can reach a document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy


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


def _entries(value: Any) -> tuple[tuple[int, ...], list[Any]]:
    if isinstance(value, sympy.MatrixBase):
        return value.shape, list(value)
    if isinstance(value, sympy.NDimArray):
        return value.shape, list(value._array)  # type: ignore[attr-defined]
    if isinstance(value, (list, tuple)):
        return (len(value),), list(value)
    return (), [value]


def _same(a: Any, b: Any) -> bool:
    a, b = sympy.sympify(a), sympy.sympify(b)
    if a == b:
        return True
    if isinstance(a, sympy.logic.boolalg.Boolean) or isinstance(b, sympy.logic.boolalg.Boolean):
        return False  # truth values (a verification's outcome) are equal only when identical
    return sympy.expand(a - b) == 0


def equal_entries(lhs: Any, rhs: Any) -> bool:
    """Exact equality: structurally, or ``expand(lhs - rhs) == 0``; entrywise (same shape) for containers.

    Examples:
        >>> x, y = sympy.symbols("x y")
        >>> equal_entries((x + y) ** 2, x**2 + 2 * x * y + y**2)
        True
        >>> equal_entries(sympy.Matrix([x, y]), [x, x])
        False
    """
    (ls, le), (rs, re) = _entries(lhs), _entries(rhs)
    if len(le) != len(re) or (ls and rs and ls != rs):
        return False
    return all(_same(a, b) for a, b in zip(le, re))


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

    Raises:
        VerificationError: If SymPy refutes a claim; the message names the step.

    Examples:
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
