"""What :func:`symconv.check` found: the first differing output and the whole result, as a report."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from symconv.base import order
from symconv.checker.diagnosis import format_number
from symconv.checker.variant import Variant


@dataclass(frozen=True)
class Mismatch:
    """The first output that differs, with its equation next to the value the code returned."""

    sample: int
    channel: int
    position: int | tuple[int, ...]  # a tuple for a layer with several spatial axes
    expected: float
    returned: float
    equation: sympy.Eq
    numbers: str

    def __str__(self) -> str:
        return (
            f"First differing output: sample {self.sample}, channel {self.channel}, position {self.position}\n"
            f"  {self.equation.lhs} = {order.sstr(self.equation.rhs)}\n"
            f"  {' ' * len(str(self.equation.lhs))} = {self.numbers} = {format_number(self.expected)}\n"
            f"  your code returned {format_number(self.returned)}"
        )


@dataclass(frozen=True)
class CheckResult:
    """What :func:`symconv.check` found.

    Attributes:
        passed: Whether the code matched on every probe.
        probe: The probe that decided: ``'integer'`` or ``'float'``.
        max_error: The largest absolute difference on that probe (``inf`` for a wrong shape).
        tolerance: The largest tolerance allowed on that probe.
        wrong: How many outputs differ.
        first_mismatch: The first differing output, or None (passed, or the shape is wrong).
        matches: The variants the code matches exactly on the integer probe, best first.
        pattern: Where the wrong outputs are, when the shapes agree.
        header: The layer, the probe settings and the calling convention, for the report.
        problem: A failure that is not a wrong value: a wrong shape or dtype, an exception.
        mutated: The inputs (``'x'``, ``'w'``, ``'b'``) the code changed in place.
        precision: When the errors are those of a lower precision, what it is.
        convention: The calling convention used (``'numpy'``, ``'torch'``, ...).
        impulse: When no variant explains the failure, the index rule the code uses on a one-hot
            input next to the layer's (:mod:`symconv.checker.impulse`).
    """

    passed: bool
    probe: str
    max_error: float
    tolerance: float
    wrong: int = 0
    first_mismatch: Mismatch | None = None
    matches: tuple[Variant, ...] = ()
    pattern: str = ""
    header: str = ""
    problem: str = ""
    closest: str = field(default="", repr=False)
    mutated: tuple[str, ...] = ()
    precision: str = ""
    convention: str = ""
    impulse: str = field(default="", repr=False)

    @property
    def diagnosis(self) -> str:
        """One sentence: which variant the code computes, or what else is wrong."""
        if self.passed:
            return "matches the layer"
        if self.mutated:
            return mutation_text(self.mutated) + " (the expected values are computed from the original inputs)"
        if self.matches:
            also = [v.name for v in self.matches[1:]]
            text = f"your code computes {self.matches[0].description}"
            return text + (f" (indistinguishable here from: {', '.join(also)})" if also else "")
        if self.precision:
            return self.precision
        if self.problem and self.first_mismatch is None and self.max_error == float("inf"):
            return self.problem[0].lower() + self.problem[1:].rstrip(".")
        return "matches no known variant" + (f"; {self.closest}" if self.closest else "")

    def report(self) -> str:
        """The full text printed by ``symconv check``."""
        if self.passed:
            return f"symconv check: PASSED\n{self.header}\nLargest error {self.max_error:.3g} on the float probe."
        lines = [f"symconv check: FAILED on the {self.probe} probe", self.header]
        if self.mutated:
            lines.append(mutation_text(self.mutated)[0].upper() + mutation_text(self.mutated)[1:] + ".")
        if self.problem:
            lines.append(self.problem)
        elif self.wrong or not self.mutated:
            lines.append(
                f"{self.wrong} outputs differ; largest error {format_number(self.max_error)} "
                f"(tolerance {self.tolerance:.3g})."
            )
        if self.first_mismatch is not None:
            lines.append(str(self.first_mismatch))
        if self.pattern:
            lines.append(f"Wrong outputs: {self.pattern}")
        lines.append(f"Diagnosis: {self.diagnosis}.")
        if self.impulse:
            lines.append(self.impulse + ".")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def mutation_text(names: tuple[str, ...]) -> str:
    """``your function modified its input `x` in place`` (every name listed).

    Examples:
        >>> mutation_text(("x", "b"))
        'your function modified its inputs `x` and `b` in place'
    """
    quoted = [f"`{n}`" for n in names]
    if len(quoted) == 1:
        return f"your function modified its input {quoted[0]} in place"
    return f"your function modified its inputs {', '.join(quoted[:-1])} and {quoted[-1]} in place"
