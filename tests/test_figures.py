"""Figures: the layout agrees with the taps; TikZ, SVG and PNG renderings are complete and deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest

import symconv
from symconv import Conv1d
from symconv.figures import layout
from symconv.latex.printing import tex

LAYERS = [
    Conv1d(1, 1, 3),
    Conv1d(1, 1, 3, padding=1),
    Conv1d(1, 1, 3, padding=2, padding_mode="reflect", stride=2),
    Conv1d(1, 1, 2, padding=(1, 2), padding_mode="replicate", dilation=2),
    Conv1d(1, 1, 3, padding=1, padding_mode="circular", flip=True),
    Conv1d(2, 4, 3, groups=2, padding=1),
]


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_one_edge_per_tap(layer: Conv1d) -> None:
    e = layer.expand(6)
    d = layout.connectivity(e)
    taps = [edge for edge in d.edges if edge.kind == "tap"]
    assert len(taps) == len(e.taps)
    # every tap edge joins the output it feeds to a node showing the input it reads, through its weight
    rows, cols, weights = e.taps.triples()
    expected = sorted(zip(rows.tolist(), cols.tolist(), weights.tolist()))
    outputs = [n for n in d.nodes if n.kind == "output"]
    got = []
    for edge in taps:
        row = outputs.index(d.nodes[edge.target])
        label = d.nodes[edge.source].label
        col = [tex(x) for x in e.x._array].index(label)
        got.append((row, col, edge.weight))
    assert sorted(got) == expected


def test_padding_positions_are_marked() -> None:
    d = layout.connectivity(Conv1d(1, 1, 3, padding=1).expand(4))
    kinds = [n.kind for n in d.nodes if n.kind != "output"]
    assert kinds == ["zero", "input", "input", "input", "input", "zero"]
    assert sum(edge.kind == "zero" for edge in d.edges) == 2
    d = layout.connectivity(Conv1d(1, 1, 3, padding=1, padding_mode="reflect").expand(4))
    assert [n.label for n in d.nodes if n.kind == "pad"] == ["x_{1}", "x_{2}"]


def test_outputs_sit_over_their_windows() -> None:
    d = layout.connectivity(Conv1d(1, 1, 3, stride=2, dilation=2).expand(10))
    assert [n.x for n in d.nodes if n.kind == "output"] == [2.0, 4.0, 6.0]


def test_matrix_cells_hold_folded_weights() -> None:
    cells, shape = layout.matrix_cells(Conv1d(1, 1, 3, padding=1, padding_mode="reflect").expand(5))
    assert shape == (5, 5)
    folded = {(c.row, c.col): c for c in cells if len(c.weights) > 1}
    assert sorted(folded) == [(0, 1), (4, 3)]
    assert folded[(0, 1)].label == "w_{0} + w_{2}"


def test_tikz_has_every_node_and_edge() -> None:
    fig = symconv.connectivity_diagram(Conv1d(1, 1, 3, padding=1), 4)
    text = fig.tikz()
    assert text.count(r"\node[inp]") == 4 + 4 and text.count(r"\node[pad]") == 2
    assert text.count(r"\draw[sc") - 3 == len(fig.layout.edges)  # 3 legend samples
    assert "node[lab, pos=0.20] {$w_{0}$}" in text
    page = fig.tikz(standalone=True)
    assert page.startswith(r"\documentclass{article}") and text in page


def test_matrix_picture_tikz() -> None:
    text = symconv.matrix_picture(Conv1d(1, 1, 3), 4).tikz()
    assert text.count(r"\fill[sc") == 6 + 3  # 3 legend swatches
    assert "{$w_{1}$}" in text and "{$x_{3}$}" in text and "{$z_{1}$}" in text


@pytest.mark.parametrize("make", [symconv.connectivity_diagram, symconv.matrix_picture])
def test_svg_and_png_are_deterministic(make: object) -> None:
    fig = make(Conv1d(1, 1, 3, padding=1, padding_mode="reflect"), 5)  # type: ignore[operator]
    svg = fig.svg()
    assert svg.startswith("<?xml") and svg == fig.svg() and svg == fig._repr_svg_()
    png = fig.png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == fig.png() == fig._repr_png_()


def test_save_by_suffix(tmp_path: Path) -> None:
    fig = symconv.connectivity_diagram(Conv1d(1, 1, 3), 4)
    for suffix in (".svg", ".png", ".tex"):
        assert fig.save(tmp_path / f"c{suffix}").stat().st_size > 100
    with pytest.raises(ValueError, match=r"'path' must end in one of .svg, .png, .tex \(got 'c.pdf'\)"):
        fig.save(tmp_path / "c.pdf")


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="'layer' must be a layer spec"):
        symconv.connectivity_diagram([1, 2, 3], 4)
    with pytest.raises(ValueError, match="'shape' is required"):
        symconv.matrix_picture(Conv1d(1, 1, 3))
    e = Conv1d(1, 1, 3).expand(4)
    assert symconv.connectivity_diagram(e).expansion is e
    with pytest.raises(ValueError, match="'shape' must be left out"):
        symconv.matrix_picture(e, 4)


def test_transposed_diagram_scatters_the_kernel() -> None:
    e = symconv.ConvTranspose1d(1, 1, 3, stride=2, padding=1).expand(3)
    d = layout.connectivity_transposed(e)
    assert [n.label for n in d.nodes if n.kind == "zero"] == [r"\times", r"\times"]  # cropped by p = 1
    assert sum(edge.kind == "tap" for edge in d.edges) == len(e.taps) == 7
    assert "cropped" in d.note
    assert symconv.connectivity_diagram(e).layout.note == d.note


@pytest.mark.parametrize("draw", [symconv.connectivity_diagram, symconv.matrix_picture])
def test_a_stack_or_a_layer_without_taps_is_refused_by_name(draw) -> None:
    from symconv import Activation, MaxPool1d, Sequential

    with pytest.raises(TypeError, match=r"\(got Sequential, a stack; pass one of its layers\)\.$"):
        draw(Sequential(Conv1d(1, 1, 2), Activation("relu")), 4)
    with pytest.raises(TypeError, match=r"\(got MaxPool1d\)\.$"):
        draw(MaxPool1d(2), 4)
