"""The booklet: every theorem with its hypotheses, statement and proof, as a LaTeX appendix.

Examples:
    >>> tex = booklet(["bounds"])
    >>> tex.startswith("\\\\documentclass") and "Every tap lands in the padded input" in tex
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from symconv.proofs.tex import INTRODUCTION, PREAMBLE, rules_tex, theorem_tex


def booklet(names: Iterable[str] | None = None) -> str:
    """The whole booklet as LaTeX source: introduction, rules, and the theorems ``names`` (all by default).

    Raises:
        ValueError: An unknown theorem name (the known ones are listed).
    """
    from symconv.proofs.theorems import theorems

    chosen = list(theorems) if names is None else list(names)
    unknown = [n for n in chosen if n not in theorems]
    if unknown:
        raise ValueError(f"'theorem' must be one of {', '.join(theorems)} (got {', '.join(unknown)}).")
    body = [PREAMBLE, r"\begin{document}", r"\maketitle", INTRODUCTION, rules_tex(), r"\clearpage"]
    order = list(theorems)
    for name in chosen:
        body.append(theorem_tex(theorems[name], order.index(name) + 1))
    body.append(r"\end{document}")
    return "\n".join(body) + "\n"


def write(path: str | Path, names: Sequence[str] | None = None, pdf: bool = False) -> Path:
    """Write the booklet to ``path`` (.tex); with ``pdf``, compile it with pdflatex and return the PDF's path."""
    from symconv.latex.compile import compile_pdf

    path = Path(path)
    path.write_text(booklet(names), encoding="utf-8")
    return compile_pdf(path) if pdf else path
