"""Document assembly: a derivation's sections rendered as a complete LaTeX document or a fragment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from symconv.latex.compile import compile_pdf
from symconv.latex.steps import Block, Section, Step

THEOREMS = r"""\theoremstyle{plain}
\newtheorem{theorem}{Theorem}
\theoremstyle{definition}
\newtheorem{listing}{Listing}"""

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{amsthm}
\usepackage{tikz}
\allowdisplaybreaks
\setlength{\emergencystretch}{3em}
"""


#: The sectioning commands a derivation can use (``section_level``).
SECTION_LEVELS = ("section", "subsection")


def render_step(step: Step, why: bool = True) -> str:
    """A step as LaTeX: words, an ``align*`` display, and the reason (a theorem and its proof for theorems);
    ``why=False`` leaves the reason of an ordinary step out (it was verified all the same)."""
    math = f"\\begin{{align*}}\n{step.math}\n\\end{{align*}}\n" if step.math else ""
    if step.kind == "theorem":
        return (
            f"\\begin{{theorem}}[{step.name.capitalize()}]\n{step.words}\n{math}\\end{{theorem}}\n"
            f"\\begin{{proof}}\n{step.reason}\n\\end{{proof}}"
        )
    if not why:
        return f"{step.words}\n{math}\\medskip"
    return f"{step.words}\n{math}{{\\small\\emph{{Why.}} {step.reason}}}\\par\\medskip"


def render_section(section: Section, why: bool = True, level: str = "section") -> str:
    body = "\n\n".join(item.latex if isinstance(item, Block) else render_step(item, why) for item in section.items)
    return f"\\{level}{{{section.title}}}\n{body}"


class Derivation:
    """A verified derivation: sections of steps, each checked by SymPy when it was built.

    Attributes:
        title: The document title.
        expansion: The :class:`~symconv.views.expansion.Expansion` the derivation is about.
        sections: The sections, in order.
        matrix_columns: The most columns a printed matrix has (for amsmath's ``MaxMatrixCols``).
    """

    def __init__(
        self,
        title: str,
        expansion: Any,
        sections: list[Section],
        matrix_columns: int,
        why: bool = True,
        section_level: str = "section",
    ) -> None:
        self.title = title
        self.expansion = expansion
        self.sections = sections
        self.matrix_columns = matrix_columns
        self.why = why
        self.section_level = section_level

    @property
    def steps(self) -> list[Step]:
        """Every step, in order."""
        return [step for section in self.sections for step in section.steps]

    @property
    def claims(self) -> int:
        """How many equalities SymPy checked."""
        return sum(step.verified for step in self.steps)

    def section(self, key: str) -> Section:
        """The section named ``key`` (such as ``'matrix'``)."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(f"no section {key!r}; the sections are {[s.key for s in self.sections]}.")

    def _intro(self) -> str:
        marked = " marked $\\checkmark$" if self.why else ""
        return (
            f"Every equality{marked} below was checked by SymPy when this document was generated "
            f"({self.claims} checks in {len(self.steps)} steps{self._exact_note()})."
        )

    def _exact_note(self) -> str:
        """Where a step was checked by exact arithmetic at random rational points instead (a big stack's
        gradients), the intro says so."""
        if any(step.sampled for step in self.steps):
            return "; where a step says so, by exact rational arithmetic at random points"
        return ""

    def _body(self) -> str:
        return "\n\n".join(render_section(s, self.why, self.section_level) for s in self.sections)

    def _columns(self) -> str:
        return f"\\setcounter{{MaxMatrixCols}}{{{max(self.matrix_columns, 10)}}}\n"

    def fragment(self) -> str:
        """The sections alone, to paste into a document that loads amsmath, amssymb, amsthm and tikz
        (sectioned with ``\\section`` or, with ``section_level='subsection'``, ``\\subsection``)."""
        body = self._body()
        from symconv.proofs.tex import MACROS

        needs = "% Needs \\usepackage{amsmath,amssymb,amsthm,tikz} and these environments:\n"
        proofs = MACROS if any(s.key == "proofs" for s in self.sections) else ""
        envs = "".join(f"% {line}\n" for line in (THEOREMS + "\n" + proofs).strip().splitlines())
        return f"{needs}{envs}{self._columns()}{self._intro()}\n\n{body}\n"

    def document(self) -> str:
        """A complete, compilable LaTeX document (article, amsmath, amssymb, amsthm, tikz)."""
        body = self._body()
        from symconv.proofs.tex import MACROS

        extra = MACROS if any(s.key == "proofs" for s in self.sections) else ""
        return (
            f"{PREAMBLE}{extra}{THEOREMS}\n{self._columns()}\\title{{{self.title}}}\n\\author{{symconv}}\n\\date{{}}\n\n"
            f"\\begin{{document}}\n\\maketitle\n{self._intro()}\n\n{body}\n\\end{{document}}\n"
        )

    def latex(self, standalone: bool = True) -> str:
        """:meth:`document` when ``standalone``, else :meth:`fragment`."""
        return self.document() if standalone else self.fragment()

    def write(self, path: str | Path, *, standalone: bool = True, pdf: bool = False) -> Path:
        """Write the LaTeX to ``path``; with ``pdf=True`` also compile it next to it (returns the PDF's path)."""
        path = Path(path)
        path.write_text(self.latex(standalone), encoding="utf-8")
        if not pdf:
            return path
        return compile_pdf(path)

    def _repr_latex_(self) -> str:
        """For Jupyter (MathJax): the words as text and each step's mathematics in an ``aligned`` display."""
        parts = []
        for step in self.steps:
            math = f"$$\\begin{{aligned}}{step.math}\\end{{aligned}}$$" if step.math else ""
            parts.append(f"{step.words}\n{math}")
        return "\n\n".join(parts)

    def __repr__(self) -> str:
        keys = ", ".join(s.key for s in self.sections)
        return f"<Derivation {self.title!r}: sections {keys}; {self.claims} checks in {len(self.steps)} steps>"
