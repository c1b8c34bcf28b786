"""LaTeX derivations: golden output, verification of every step, options, listing and CLI.

Set ``SYMCONV_UPDATE_GOLDEN=1`` to rewrite the golden files after an intended change, then
read the diff.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import sympy

import symconv
from symconv import Conv1d
from symconv.base.symbols import entries
from symconv.cli.app import main
from symconv.latex import Claim, Section, Step, VerificationError, derivation, listing
from symconv.latex.printing import elided_matrix, equation_lines, kept, row_tex, tex
from symconv.views.expansion import Expansion

GOLDEN = Path(__file__).parent / "golden"

CASES = {
    "motivating.tex": (Conv1d(1, 1, 3), 4, {"x": [1, 2, 3, 4], "w": [5, 6, 7]}, True),
    "reflect_matrix.tex": (
        Conv1d(1, 1, 3, padding=1, padding_mode="reflect"),
        5,
        {"sections": ["matrix"], "figures": False},
        False,
    ),
    "stride_dilation_base1.tex": (
        Conv1d(1, 1, 3, stride=2, dilation=2, bias=False),
        10,
        {"sections": ["equations", "index"], "index_base": 1, "listing": False, "max_size": 4},
        False,
    ),
    "transposed.tex": (
        symconv.ConvTranspose1d(1, 1, 3, stride=2, padding=1),
        3,
        {"sections": ["setting", "equations", "theorems"], "x": [1, 2, 3], "w": [1, 2, -1], "b": [0]},
        False,
    ),
    "channels_groups.tex": (
        Conv1d(2, 4, 2, groups=2),
        3,
        {"sections": [1, 2, 3], "listing": False, "max_size": 5},
        False,
    ),
    "big_elided.tex": (
        Conv1d(8, 8, 3, padding=1),
        64,
        {"sections": ["index", "equations", "backprop"], "listing": False, "why": False},
        False,
    ),
    "conv2d.tex": (symconv.Conv2d(1, 1, 2, stride=(1, 2), padding=1), (3, 4), {"figures": False}, True),
    "conv3d_base1.tex": (symconv.Conv3d(1, 2, 2), (2, 2, 3), {"index_base": 1, "figures": False}, False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    layer, length, options, standalone = CASES[name]
    text = derivation(layer, length, **options).latex(standalone=standalone)
    path = GOLDEN / name
    if os.environ.get("SYMCONV_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_motivating_numbers_are_in_the_document() -> None:
    text = derivation(Conv1d(1, 1, 3), 4, x=[1, 2, 3, 4], w=[5, 6, 7]).document()
    assert r"5 \cdot 1 + 6 \cdot 2 + 7 \cdot 3 + b = b + 38" in text
    assert r"\left(38, 56\right)" in text  # PyTorch's Conv1d (T5)
    assert r"\left(34, 52\right)" in text  # true convolution, valid (T5)
    assert r"\left(5, 16, 34, 52, 45, 28\right)" in text  # full convolution (T5, T10)
    for package in ("amsmath", "amssymb", "amsthm"):
        assert f"\\usepackage{{{package}}}" in text
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")


# -- the verification ---------------------------------------------------------------------------


def test_false_step_is_refused() -> None:
    x = sympy.Symbol("x")
    with pytest.raises(VerificationError, match=r"step 'bogus' failed verification: x \+ 1 = x is false"):
        Step("bogus", "Claim.", "x + 1 = x", "None.", (Claim(x + 1, x),))


def test_false_matrix_step_is_refused_entrywise() -> None:
    e = Conv1d(1, 1, 3).expand(4)
    wrong = e.matrix
    wrong[0, 0] = wrong[0, 1]
    with pytest.raises(VerificationError, match="step 'matrix'"):
        Step("matrix", "W.", "", "", (Claim(wrong, e.matrix),))
    with pytest.raises(VerificationError):
        Step("shape", "W.", "", "", (Claim(e.matrix, e.matrix.T),))


def test_injected_false_step_stops_the_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Corrupt one route of one check: the derivation refuses to build, naming the step."""
    from symconv.latex import sections

    real = sections.reference_outputs

    def off_by_one(e: Expansion) -> sympy.ImmutableMatrix:
        z = real(e).as_mutable()
        z[0, 1] += 1
        return z.as_immutable()

    monkeypatch.setattr(sections, "reference_outputs", off_by_one)
    with pytest.raises(VerificationError, match="step 'equations' failed verification"):
        derivation(Conv1d(1, 1, 3), 4)


def test_inequality_claims() -> None:
    x = sympy.Symbol("x")
    assert Claim(x, x + 1, "!=").holds()
    with pytest.raises(VerificationError):
        Step("same", "", "", "", (Claim(x, x, "!="),))


def test_every_step_carries_checks() -> None:
    d = derivation(Conv1d(1, 1, 3, padding=1, padding_mode="circular"), 5)
    assert d.claims >= len(d.steps) > 10
    assert all(step.verified for step in d.steps)
    assert "translation equivariance" in [s.name for s in d.section("theorems").steps]


def test_section_add_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="'item' must be a Step or a Block"):
        Section("s", "S").add("text")  # type: ignore[arg-type]


# -- printing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "size", "expected"),
    [(3, 8, [0, 1, 2]), (8, 8, list(range(8))), (9, 8, [0, 1, 2, 3, 4, 5, None, 8]), (10, 3, [0, None, 9])],
)
def test_kept(n: int, size: int, expected: list[int | None]) -> None:
    assert kept(n, size) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (sympy.Matrix([[1, 2], [3, 4]]), r"\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}"),
        (
            elided_matrix(sympy.eye(5), 3),
            r"\begin{bmatrix}1 & \cdots & 0\\\vdots & \ddots & \vdots\\0 & \cdots & 1\end{bmatrix}",
        ),
        (sympy.Sum(sympy.IndexedBase("w")[sympy.Symbol("j")], (sympy.Symbol("j"), 0, 2)), r"\sum_{j=0}^{2} {w}_{j}"),
    ],
)
def test_tex(value: object, expected: str) -> None:
    assert tex(value) == expected


def test_row_and_equation_elision() -> None:
    assert row_tex(list(range(10)), 4) == r"\left(0, 1, \cdots, 9\right)"
    lines = equation_lines([(i, i * i) for i in range(6)], 4)
    assert lines == [("0", "0"), ("1", "1"), (r"\vdots\;", ""), ("5", "25")]


def test_large_layer_is_elided() -> None:
    d = derivation(Conv1d(1, 1, 3), 30, sections=["equations", "matrix"], max_size=6, figures=False)
    text = d.fragment()
    assert r"\cdots" in text and r"\vdots" in text and r"\ddots" in text
    assert "z_{27}" in text and "z_{5}" not in text


def test_max_matrix_columns_follow_the_threshold() -> None:
    d = derivation(Conv1d(1, 1, 3), 20, sections=["matrix"], max_size=14, figures=False)
    assert r"\setcounter{MaxMatrixCols}{15}" in d.document()


def test_index_base_one() -> None:
    d = derivation(Conv1d(1, 1, 3), 4, index_base=1, sections=["equations"], listing=False)
    assert "z_{1} &= b + w_{1} x_{1} + w_{2} x_{2} + w_{3} x_{3}" in d.fragment()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sections": ["nope"]}, ValueError, "'sections' entries must be among"),
        ({"sections": [8]}, ValueError, r"or 1-7 \(got 8\)"),
        ({"max_size": 2}, ValueError, "'max_size'"),
        ({"index_base": 2}, ValueError, "'index_base' must be 0 or 1"),
        ({"x": [1, 2], "w": [5, 6, 7]}, ValueError, "'x' must have 4 numbers"),
        ({"activation": "nope"}, ValueError, "'activation' must be"),
    ],
)
def test_bad_options(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        derivation(Conv1d(1, 1, 3), 4, **kwargs)  # type: ignore[arg-type]


def test_layer_argument_errors() -> None:
    with pytest.raises(TypeError, match="'layer' must be a layer spec"):
        derivation("conv", 4)
    with pytest.raises(ValueError, match="'input_length' is required"):
        derivation(Conv1d(1, 1, 3))
    e = Conv1d(1, 1, 3).expand(4)
    assert derivation(e, sections=[1]).expansion is e
    with pytest.raises(ValueError, match="'input_length' must be left out"):
        derivation(e, 4)


def test_fragment_and_repr() -> None:
    d = derivation(Conv1d(1, 1, 3), 4, sections=["equations"], listing=False)
    fragment = d.fragment()
    assert r"\documentclass" not in fragment and r"\section{The layer as explicit equations}" in fragment
    shown = d._repr_latex_()
    assert shown.count("$$\\begin{aligned}") == len(d.steps)
    assert repr(d).startswith("<Derivation 'The layer \\\\texttt{Conv1d(1, 1, 3)} made explicit': sections equations;")


def test_activation_and_numpy_mode() -> None:
    d = derivation(Conv1d(1, 1, 2, bias=False), 3, sections=["activation"], activation="relu")
    assert r"\max\left(0, w_{0} x_{0} + w_{1} x_{1}\right)" in d.fragment()
    d = derivation(symconv.convolve(3, "same"), 5, sections=["setting"])
    assert 'This is NumPy\'s \\texttt{convolve(\\allowbreak{}x, w, mode=\\allowbreak{}"same")}' in d.fragment()


# -- the latexify listing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        (
            Conv1d(1, 1, 3),
            r"z(\mathrm{xpad}, w, b, i, K, s, d) = b + \sum_{k = 0}^{K - 1} \mathopen{}\left({w_{k} \cdot "
            r"\mathrm{xpad}_{s i + d k}}\mathclose{}\right)",
        ),
        (
            Conv1d(1, 1, 3, bias=False, flip=True),
            r"z(\mathrm{xpad}, w, i, K, s, d) = \sum_{k = 0}^{K - 1} \mathopen{}\left({w_{K - 1 - k} \cdot "
            r"\mathrm{xpad}_{s i + d k}}\mathclose{}\right)",
        ),
        (
            Conv1d(2, 2, 3),
            r"z(\mathrm{xpad}, w, b, o, i, g, C, K, s, d) = b_{o} + \sum_{c = 0}^{C - 1} \sum_{k = 0}^{K - 1} "
            r"\mathopen{}\left({w_{o, c, k} \cdot \mathrm{xpad}_{g + c, s i + d k}}\mathclose{}\right)",
        ),
    ],
)
def test_listing_latex(layer: Conv1d, expected: str) -> None:
    assert listing.listing_latex(layer) == expected


@pytest.mark.parametrize(
    "layer",
    [
        Conv1d(1, 1, 3, stride=2, dilation=2, padding=3, padding_mode="replicate"),
        Conv1d(4, 2, 3, groups=2, padding=1, padding_mode="circular", flip=True, bias=False),
    ],
)
def test_reference_function_matches_the_layer(layer: Conv1d) -> None:
    e = layer.expand(9)
    assert listing.reference_outputs(e) == e.z


def test_missing_latexify_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "latexify", None)
    with pytest.raises(ImportError, match="needs latexify-py, which is not installed"):
        derivation(Conv1d(1, 1, 3), 4, sections=["equations"])
    assert derivation(Conv1d(1, 1, 3), 4, sections=["equations"], listing=False).steps


# -- command line ----------------------------------------------------------------------------------


def test_cli_latex(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.tex"
    assert main(["latex", "-o", str(out)]) == 0
    assert out.read_text() == derivation(Conv1d(1, 1, 3), 4, x=[1, 2, 3, 4], w=[5, 6, 7]).document()
    assert "checks in" in capsys.readouterr().out
    frag = tmp_path / "f.tex"
    main(["latex", "--kernel-size", "2", "--sections", "matrix", "4", "--fragment", "--no-figures", "-o", str(frag)])
    text = frag.read_text()
    assert r"\documentclass" not in text and r"\section{The weight-tied matrix}" in text
    assert r"\section{Theorems}" not in text and r"\section{Setting}" not in text


def test_cli_latex_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit):
        main(["latex", "--sections", "9", "-o", str(tmp_path / "d.tex")])
    assert "'sections' entries must be among" in capsys.readouterr().err
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SystemExit):
        main(["latex", "--pdf", "-o", str(tmp_path / "d.tex")])
    assert "pdflatex was not found on PATH" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".svg", ".png", ".tex"])
def test_cli_diagram(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"conn{suffix}"
    assert main(["diagram", "--padding", "1", "-o", str(out)]) == 0
    assert out.stat().st_size > 100
    assert main(["diagram", "--kind", "matrix", "-o", str(tmp_path / f"m{suffix}")]) == 0


def test_cli_diagram_bad_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["diagram", "-o", str(tmp_path / "conn.jpg")])
    assert "'--output' must end in .svg or .png or .tex (got " in capsys.readouterr().err


@pytest.mark.parametrize(("command", "name"), [("latex", "d.tex"), ("diagram", "conn.svg"), ("diagram", "conn.tex")])
def test_cli_writing_into_a_missing_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, name: str
) -> None:
    target = tmp_path / "missing" / name
    with pytest.raises(SystemExit) as info:
        main([command, "-o", str(target)])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and not target.parent.exists()
    assert err.strip().splitlines()[-1] == (
        f"symconv {command}: error: '--output' must be in an existing directory: {str(target.parent)!r} does not "
        f"exist (got {str(target)!r})."
    )


def test_cli_latex_onto_a_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.tex").mkdir()
    with pytest.raises(SystemExit) as info:
        main(["latex", "-o", str(tmp_path / "d.tex")])
    assert info.value.code == 2
    assert "'--output' must name a file, not a directory" in capsys.readouterr().err


# -- backprop ----------------------------------------------------------------------------------------


def test_backprop_section() -> None:
    d = derivation(Conv1d(1, 1, 3, padding=1, stride=2), 5, sections=[6])
    names = [s.name for s in d.steps]
    assert names == ["chain rule through f", "bias gradient", "weight gradient", "input gradient"]
    text = d.fragment()
    assert r"\frac{\partial L}{\partial w_{1}} &= \delta_{0} x_{0} + \delta_{1} x_{2} + \delta_{2} x_{4}" in text
    assert r"W^{\top} \operatorname{vec}(\delta) = \begin{bmatrix}w_{1} & 0 & 0\\" in text
    assert d.section("backprop").steps[3].verified == 3  # closed form, sympy.diff, W^T delta


def test_backprop_relu_chain_rule() -> None:
    d = derivation(Conv1d(1, 1, 2, bias=False), 3, sections=["backprop"], activation="relu")
    assert r"\delta_{0} &= g_{0} \mathbf{1}[z_{0} > 0]" in d.fragment()


def test_false_gradient_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    backprop = sys.modules["symconv.latex.backprop"]
    real = backprop.gradients

    def wrong(e: Expansion, **kwargs: object) -> object:
        g = real(e, **kwargs)  # type: ignore[arg-type]
        forms = list(g.identities)
        bad = forms[1]
        forms[1] = type(bad)(bad.name, bad.statement, bad.formula, bad.explicit, (0, *bad.closed[1:]), bad.shape)
        g.__dict__["identities"] = tuple(forms)
        return g

    monkeypatch.setattr(backprop, "gradients", wrong)
    with pytest.raises(VerificationError, match="step 'weight gradient' failed verification"):
        derivation(Conv1d(1, 1, 3), 4, sections=["backprop"])


# -- transposed convolution ----------------------------------------------------------------------


def test_transposed_derivation() -> None:
    d = derivation(symconv.ConvTranspose1d(2, 4, 3, groups=2, stride=2, dilation=2, output_padding=1), 3)
    assert [s.key for s in d.sections] == ["setting", "equations", "matrix", "activation", "backprop", "theorems"]
    names = [s.name for s in d.steps]
    assert "transpose of a convolution" in names and "output padding" in names
    assert "flip identity" not in names and "translation equivariance" not in names
    with pytest.raises(ValueError, match="'sections' entry 'index'"):
        derivation(symconv.ConvTranspose1d(1, 1, 3), 3, sections=["index"])


def test_transposed_matrix_is_the_transpose() -> None:
    text = derivation(symconv.ConvTranspose1d(1, 1, 3, stride=2, padding=1), 3, sections=[3], listing=False).fragment()
    assert r"W &= C^{\top} = \begin{bmatrix}w_{1} & 0 & 0\\w_{2} & w_{0} & 0\\" in text  # T14, T24


# -- stacks --------------------------------------------------------------------------------------------


def test_stack_derivation() -> None:
    net = symconv.Sequential(Conv1d(1, 1, 2, bias=False), symconv.Activation("relu"), symconv.MaxPool1d(2))
    d = derivation(net, 4)
    assert [s.key for s in d.sections] == ["stack", "composition", "backprop"]
    text = d.document()
    composed = r"h^{(3)}_{0} &= \max\left(0, w^{(1)}_{0} x_{0} + w^{(1)}_{1} x_{1}, "
    assert composed + r"w^{(1)}_{0} x_{1} + w^{(1)}_{1} x_{2}\right)" in text
    assert r"h^{(3)}_{0} &: \{x_{0}, x_{1}, x_{2}\}" in text  # receptive field through the stack
    # max pooling's backward rule is covered by the final check against sympy.diff
    assert [step.name for step in d.steps if not step.verified] == ["back through stage 3"]
    with pytest.raises(ValueError, match="'sections' cannot be chosen for a stack"):
        derivation(net, 4, sections=[1])


def test_false_stage_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    stack = sys.modules["symconv.latex.stack"]
    monkeypatch.setattr(stack, "_second_route", lambda stage: [v + 1 for v in entries(stage.local)])
    net = symconv.Sequential(Conv1d(1, 1, 2), symconv.Activation("tanh"))
    with pytest.raises(VerificationError, match="step 'stage 1' failed verification"):
        derivation(net, 3)


def test_the_command_line_offers_exactly_the_derivation_sections() -> None:
    """cli/latex.py keeps its own list (so that `symconv --help` does not load the LaTeX emitter)."""
    from symconv.cli.latex import SECTION_CHOICES
    from symconv.latex import SECTIONS

    assert tuple(SECTIONS) == SECTION_CHOICES
