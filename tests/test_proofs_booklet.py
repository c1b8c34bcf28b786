"""The booklet: LaTeX of every theorem, compiled with pdflatex -halt-on-error; the ``proofs`` command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from symconv.cli.proofs import main
from symconv.proofs import theorems
from symconv.proofs.booklet import booklet


def test_booklet_names_every_rule_of_every_step() -> None:
    tex = booklet()
    for name in theorems:
        th = theorems[name]
        assert rf"\label{{thm:{name}}}" in tex and th.title in tex
        for part in th.proof:
            for chain in (getattr(part, "left", None), getattr(part, "right", None)):
                for step in chain.steps if chain else ():
                    assert step.rule.title in tex
    assert tex.count(r"\begin{proof}") == len(theorems)
    assert "(z3)" in tex and "(SymPy)" in tex


def test_unknown_theorem_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match=r"'theorem' must be one of output_length, bounds, flip, .* \(got nope\)"):
        booklet(["nope"])


def test_repr_latex_shows_hypotheses_and_statement() -> None:
    shown = theorems["bounds"]._repr_latex_()
    assert shown.startswith("$") and "Every tap lands in the padded input" in shown and r"\Rightarrow" in shown


def test_command_writes_and_compiles_the_booklet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "proofs.tex"
    assert main(["-o", str(out), "--pdf"]) == 0
    printed = capsys.readouterr().out
    assert "matrix_entry: proven in" in printed and "z3:" in printed and "wrote" in printed
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    log = out.with_suffix(".log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log


def test_command_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--theorem", "nope", "-o", str(tmp_path / "a.tex")])
    assert info.value.code == 2 and "unknown theorem nope" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["-o", str(tmp_path / "a.pdf")])
    assert "must end in .tex" in capsys.readouterr().err


def test_one_theorem_only(tmp_path: Path) -> None:
    out = tmp_path / "one.tex"
    assert main(["--theorem", "adjoint", "-o", str(out)]) == 0
    tex = out.read_text()
    assert "The transposed convolution is the adjoint" in tex and "Output length" not in tex.split(r"\clearpage")[1]


def test_command_without_z3_names_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "z3", None)  # import z3 now raises ImportError
    with pytest.raises(SystemExit) as info:
        main(["-o", str(tmp_path / "a.tex")])
    assert info.value.code == 2
    assert (
        "symconv proofs needs z3-solver: install the 'proofs' extra (pip install 'symconv[proofs]')"
        in capsys.readouterr().err
    )
