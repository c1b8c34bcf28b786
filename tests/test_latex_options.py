"""A lecturer's options for derivations (issue 12): ``why=False``/``--no-why``, ``section_level``, and theorems
only where they say something (no stride ambiguity at stride 1)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import symconv
from symconv import Conv1d, derivation
from symconv.cli.app import main
from symconv.latex.general import names_for


def test_no_why_hides_the_reasons_but_every_step_is_still_verified() -> None:
    full = derivation(Conv1d(1, 1, 3, stride=2), 7)
    bare = derivation(Conv1d(1, 1, 3, stride=2), 7, why=False)
    assert full.claims == bare.claims > 20 and len(full.steps) == len(bare.steps)
    steps = sum(1 for s in full.steps if s.kind != "theorem")
    assert full.document().count(r"\emph{Why.}") == steps > 10
    text = bare.document()
    assert r"\emph{Why.}" not in text
    assert f"Every equality below was checked by SymPy when this document was generated ({bare.claims} checks" in text
    assert text.count(r"\begin{proof}") == full.document().count(r"\begin{proof}") >= 1  # theorems keep proofs
    with pytest.raises(TypeError, match="'why'"):
        derivation(Conv1d(1, 1, 3), 4, why="no")


def test_section_level_subsection_for_fragments() -> None:
    text = derivation(Conv1d(1, 1, 3), 4, section_level="subsection").latex(standalone=False)
    assert r"\subsection{Setting}" in text and r"\section{" not in text
    with pytest.raises(ValueError, match=r"'section_level' must be one of \('section', 'subsection'\)"):
        derivation(Conv1d(1, 1, 3), 4, section_level="chapter")


def test_the_stride_ambiguity_theorem_appears_only_at_stride_above_one() -> None:
    at_one = derivation(Conv1d(1, 1, 3), 6, sections=["theorems"]).document()
    at_two = derivation(Conv1d(1, 1, 3, stride=2), 6, sections=["theorems"]).document()
    assert "Stride ambiguity" not in at_one
    assert r"\begin{theorem}[Stride ambiguity]" in at_two
    assert r"every input length $L' \in \{5, 6\}$ gives $L_{\mathrm{out}} = 2$" in at_two


def test_the_cli_flags_write_a_document_that_compiles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.tex"
    assert main(["latex", "--kernel-size", "3", "--input-length", "5", "--no-why", "-o", str(out), "--pdf"]) == 0
    assert r"\emph{Why.}" not in out.read_text(encoding="utf-8") and out.with_suffix(".pdf").exists()
    frag = tmp_path / "f.tex"
    main(["latex", "--kernel-size", "3", "--input-length", "5", "--fragment", "--section-level", "subsection",
          "-o", str(frag)])  # fmt: skip
    assert r"\subsection{Setting}" in frag.read_text(encoding="utf-8")
    info = subprocess.run(["pdfinfo", str(out.with_suffix(".pdf"))], capture_output=True, text=True, check=True)
    assert "Pages:" in info.stdout


def test_with_index_base_one_the_text_is_one_based_too() -> None:
    text = derivation(Conv1d(2, 2, 3, stride=2, groups=2), 7, sections=["index"], index_base=1).document()
    assert r"reads the inputs $s (i - 1) + d (k - 1) - p_\ell + 1$, one per kernel position $k = 1, \dots, K$" in text
    assert r"\lfloor (o - 1)/(C_{\mathrm{out}}/G) \rfloor" in text and "(o - 0)" not in text
    zero = derivation(Conv1d(1, 1, 3), 5, sections=["index"]).document()
    assert r"reads the inputs $s i + d k - p_\ell$, one per kernel position $k = 0, \dots, K - 1$" in zero


def test_proofs_add_the_general_theorems_and_label_the_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``proofs=True``: the theorems behind the checked identities, proven for every size (issue 13); the
    checks at this size stay, labelled as checks. Compiled: no overfull box."""
    d = derivation(Conv1d(1, 1, 3, stride=2), 7, sections=["setting", "equations"], proofs=True)
    text = d.document()
    assert d.sections[-1].key == "proofs"
    assert r"Every $\checkmark$ above is a check at this size ($L = 7$), entry by entry: an instance check" in text
    for title in ("Output length", "Every tap lands in the padded input", "The matrix entry formula"):
        assert rf"\subsection*{{{title}" in text, title
    out = tmp_path / "p.tex"
    d.write(out, pdf=True)
    log = out.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert "Overfull" not in log
    # a transposed layer gets the adjoint theorem (its proof, the longest, is tested in tests/test_proofs_*)
    assert names_for(symconv.ConvTranspose1d(1, 1, 3, stride=2, padding=1)) == ("adjoint",)
    folded = Conv1d(1, 1, 3, padding=1, padding_mode="reflect")
    assert names_for(folded) == ("output_length", "matrix_entry", "gradients")
    monkeypatch.setitem(sys.modules, "z3", None)  # no z3: the section says which extra to install
    bare = derivation(Conv1d(1, 1, 3), 4, sections=["setting"], proofs=True).document()
    assert "pip install 'symconv[proofs]'" in bare and r"\subsection*" not in bare
