"""The last section of a derivation on request (``derivation(..., proofs=True)``): the identities of the
earlier sections proven for every size by :mod:`symconv.proofs`, next to the checks at this size.

Every step of a derivation is checked entry by entry at the layer's own size; this section adds,
where one exists, the general theorem (:data:`symconv.proofs.theorems`) that makes the identity hold
for every ``L``, ``K``, stride, dilation and padding, with its proof. The checks stay, labelled as
checks. Without z3-solver the section says so and which extra to install.
"""

from __future__ import annotations

from symconv.latex.context import Context
from symconv.latex.listing import is_transposed
from symconv.latex.steps import Block, Section

#: The theorems that generalise a convolution's sections, and a transposed convolution's.
CONVOLUTION = ("output_length", "bounds", "matrix_entry", "gradients")
TRANSPOSED = ("adjoint",)


def names_for(spec: object) -> tuple[str, ...]:
    """The theorems that generalise this layer's sections (zero padding adds ``bounds``)."""
    if is_transposed(spec):
        return TRANSPOSED
    if getattr(spec, "padding_mode", "zeros") != "zeros":
        return tuple(n for n in CONVOLUTION if n != "bounds")
    return CONVOLUTION


def general_section(ctx: Context) -> Section:
    """Section 8: the theorems behind the checked steps, proven for every size, or a note without z3."""
    section = Section("proofs", "Proofs for every size")
    size = f"$L = {ctx.e.input_length}$"
    try:
        import z3  # noqa: F401
    except ImportError:
        section.add(
            Block(
                f"Every $\\checkmark$ above is a check at this size ({size}), entry by entry. The general proofs "
                "of these identities, for every $L$, $K$, $s$, $d$ and $p$, need the SMT solver z3: "
                "\\texttt{pip install 'symconv[proofs]'}."
            )
        )
        return section
    from symconv.proofs.tex import theorem_tex
    from symconv.proofs.theorems import theorems

    names = names_for(ctx.spec)
    section.add(
        Block(
            f"Every $\\checkmark$ above is a check at this size ({size}), entry by entry: an instance check, "
            "not a proof. The theorems below prove the identities behind them for every input length, "
            "kernel size, stride, dilation and padding (\\texttt{symconv.theorems}: "
            + ", ".join(f"\\texttt{{{n.replace('_', chr(92) + '_')}}}" for n in names)
            + "). Each proof step names its rule; each side condition was proven by SymPy or by z3 for "
            "all integer values under the hypotheses."
        )
    )
    for name in names:
        theorem = theorems[name]  # its proof is built (and checked) once, on first use, and kept
        tex = theorem_tex(theorem).replace("\\section*{", "\\subsection*{", 1)
        section.add(Block(f"{{\\setlength{{\\parindent}}{{0pt}}%\n{tex}\n}}"))  # the booklet's layout
    return section
