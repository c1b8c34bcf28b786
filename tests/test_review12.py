"""Review of issue 12 (outside reviewer): defects found in the new derivations and figures.

Each test states what a user sees against an independent computation (the taps).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from symconv import Conv1d, Conv2d, connectivity_diagram, derivation
from symconv.cli.app import main
from symconv.figures.marks import read_marks

# A symbol x or w with subscripts, not part of a longer name such as \mathrm{xpad}.
_OLD_NAME = re.compile(r"(?<![A-Za-z\\])([xw])_\{")


def _math_lines_with_default_names(doc: str) -> list[str]:
    return [line for line in doc.splitlines() if _OLD_NAME.search(line)]


def test_names_reach_the_general_formula_of_a_1d_derivation() -> None:
    """names={'x': 'u', 'w': 'q'} renames the explicit equations but the general indexed formula
    (section 'index') and the theorems still print w_{k} and x_{...}: the document mixes two notations."""
    d = derivation(Conv1d(1, 1, 3), 5, names={"x": "u", "w": "q"})
    doc = d.document()
    assert "q_{0} u_{" in doc  # the explicit equations do use the names
    assert _math_lines_with_default_names(doc) == []


def test_names_reach_the_general_formulas_of_a_2d_derivation() -> None:
    """The 2D derivation's index formula, Kronecker form and backprop keep w_{k,l} and x_{t,u}
    although names renames x and w (its equations table uses the new names)."""
    d = derivation(Conv2d(1, 1, 2), (3, 3), names={"x": "u", "w": "q"})
    doc = d.document()
    assert "q_{0,0}" in doc
    assert _math_lines_with_default_names(doc) == []


def _svg_marks(tmp_path: Path, *args: str) -> dict[str, frozenset[tuple[int, ...]]]:
    out = tmp_path / "fig.svg"
    assert main(["diagram", *args, "-o", str(out)]) == 0
    return read_marks(out.read_text())


def test_cli_views_follow_index_base_1(tmp_path: Path) -> None:
    """With --index-base 1 the figure labels its outputs z_1..z_4 (Conv1d(1,1,3) on 6), but
    --from-output is read 0-based: '--from-output 4' (the last labelled output) is refused as out of
    range and '--from-output 2' highlights the node labelled z_3. The taps: output z_4 (0-based 3)
    reads inputs 3, 4, 5 (0-based)."""
    tex = tmp_path / "fig.tex"
    assert main(["diagram", "--input-length", "6", "--index-base", "1", "-o", str(tex)]) == 0
    labels = re.findall(r"\{\$(z_\{\d+\})\$\}", tex.read_text())
    assert labels == ["z_{1}", "z_{2}", "z_{3}", "z_{4}"]
    e = Conv1d(1, 1, 3).expand(6)
    rows, cols, _ = e.taps.triples()
    expected = {(0, int(c)) for r, c in zip(rows.tolist(), cols.tolist()) if r == 3}
    marks = _svg_marks(tmp_path, "--input-length", "6", "--index-base", "1", "--from-output", "4")
    assert marks["output"] == frozenset({(0, 3)})
    assert marks["input"] == frozenset(expected)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(pytest.main([__file__, "-q"]))


@pytest.mark.parametrize(
    ("layer", "length", "base"),
    [
        (Conv1d(1, 1, 3, padding=20), 10, 0),
        (Conv1d(2, 2, 15, padding=7, padding_mode="reflect"), 16, 1),  # 56pt too wide
    ],
    ids=["zeros-20", "reflect-7-1based"],
)
def test_padded_input_with_wide_padding_fits_the_page(tmp_path: Path, layer: Conv1d, length: int, base: int) -> None:
    """The 'setting' section prints xpad with every padding zero (20 + 20 of them for
    Conv1d(1, 1, 3, padding=20) on 10; 25 + 25 with 3 channels, 1-based: 626pt too wide), while the
    inputs between them are elided: the line runs far past the margin (issue 12: no line past the
    margin at any size)."""
    from symconv.latex.compile import compile_pdf, overfull_boxes

    d = derivation(layer, length, sections=["setting"], index_base=base, figures=False, listing=False)
    e = layer.expand(length)
    assert e.taps.triples()[0].size > 0  # a valid layer: its taps exist
    tex = tmp_path / "d.tex"
    tex.write_text(d.document())
    compile_pdf(tex)
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert overfull_boxes(log) == []


def test_too_many_taps_refusal_names_the_2d_shape() -> None:
    """A 2D derivation above symconv.latex.MAX_TAPS is refused 'on L=120' for an input of shape
    (6, 20): the message names a 1D length the user never gave (6 * 20 = 120 flattened)."""
    layer = Conv2d(5, 7, (1, 7), dilation=(1, 3), padding=(0, 9), padding_mode="circular")
    e = layer.expand((6, 20))
    assert len(e.taps.triples()[0]) > 25000  # the taps: above the limit, so a refusal is right
    with pytest.raises(ValueError) as info:
        derivation(layer, (6, 20))
    message = str(info.value)
    assert "L=120" not in message
    assert "(6, 20)" in message or "6x20" in message or "6 x 20" in message or "6×20" in message


def test_window_diagram_refuses_a_float_output_naming_outputs() -> None:
    """window_diagram(e, outputs=[1.5]) fails with Python's own "'float' object is not iterable"
    instead of a TypeError/ValueError naming 'outputs' (an int output does work: its window is the
    taps' inputs)."""
    from symconv import window_diagram

    e = Conv1d(2, 2, 3, stride=2).expand(9)
    fig = window_diagram(e, outputs=[1])
    rows, cols, _ = e.taps.triples()
    n_out, n_in = e.output_length, e.input_length
    # output channel 0, position 1, reads (c, t) for every input channel c
    expected = {divmod(int(c), n_in) for r, c in zip(rows.tolist(), cols.tolist()) if r == 0 * n_out + 1}
    assert set(fig.highlighted["input"]) == {(0, t) for c, t in expected if c == 0}
    with pytest.raises((TypeError, ValueError), match="'outputs'"):
        window_diagram(e, outputs=[1.5])


@pytest.mark.parametrize("shape", [None, 0, "5"])
def test_figure_errors_name_its_shape_parameter(shape: object) -> None:
    """connectivity_diagram(layer, shape) with a missing or bad shape says "'input_length' is
    required/must be a positive int": the figure has no parameter input_length, it is 'shape'."""
    with pytest.raises((TypeError, ValueError)) as info:
        connectivity_diagram(Conv1d(1, 1, 3), shape)  # type: ignore[arg-type]
    assert "'shape'" in str(info.value)
