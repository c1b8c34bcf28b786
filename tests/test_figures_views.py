"""Isolated views, the highlight contract, the palette, elision and the receptive field (issue 12).

What a figure highlights is checked three ways: against the layer's taps (the triples, an
independent route from the diagram's index maps), against PyTorch's autograd (which inputs an
output's gradient touches), and against the marks its SVG carries.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
import torch

from symconv import Activation, Conv1d, Conv2d, ConvTranspose1d, MaxPool1d, MaxPool2d, Sequential
from symconv.base.symbols import entries
from symconv.cli.app import main
from symconv.figures import DRAW_LIMIT, connectivity_diagram, matrix_picture, receptive_field_diagram
from symconv.figures.marks import KINDS, read_marks
from symconv.latex.compile import overfull_boxes

LAYERS = [
    Conv1d(1, 1, 3),
    Conv1d(2, 3, 3, stride=2),
    Conv1d(1, 1, 3, stride=2, dilation=2, padding=2),
    Conv1d(1, 1, 3, padding=2, padding_mode="reflect"),
    Conv1d(1, 1, 3, padding=1, padding_mode="circular"),
    Conv1d(2, 4, 3, groups=2, padding=1),
    ConvTranspose1d(1, 2, 3, stride=2, padding=1),
]


def _triples(e: Any) -> list[tuple[tuple[int, int], tuple[int, int], tuple[int, ...]]]:
    """Every tap as ((o, i), (c, t), weight index), from the flat triples (the matrix layout)."""
    rows, cols, weights = e.taps.triples()
    shape = tuple(int(v) for v in e.w.shape)
    n_out, n_in = e.output_length, e.input_length
    return [
        ((r // n_out, r % n_out), (c // n_in, c % n_in), tuple(int(v) for v in np.unravel_index(k, shape)))
        for r, c, k in zip(rows.tolist(), cols.tolist(), weights.tolist())
    ]


def _expected(e: Any, kind: str, index: tuple[int, ...]) -> dict[str, set[tuple[int, ...]]]:
    taps = [t for t in _triples(e) if {"output": t[0], "input": t[1], "weight": t[2]}[kind] == index]
    return {
        "output": {t[0] for t in taps} | ({index} if kind == "output" else set()),
        "input": {t[1] for t in taps} | ({index} if kind == "input" else set()),
        "weight": {t[2] for t in taps},
    }


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_every_isolated_view_highlights_exactly_the_taps(layer: Any) -> None:
    e = layer.expand(7)
    n_out, n_in = e.output_length, e.input_length
    shape = tuple(int(v) for v in e.w.shape)
    views = [("output", (o, i)) for o in range(e.spec.out_channels) for i in range(n_out)]
    views += [("input", (c, t)) for c in range(e.spec.in_channels) for t in range(n_in)]
    views += [("weight", tuple(int(v) for v in idx)) for idx in np.ndindex(*shape)]
    argument = {"output": "from_output", "input": "from_input", "weight": "weight"}
    for kind, index in views:
        fig = connectivity_diagram(e, **{argument[kind]: index})
        assert fig.elided == ""
        got = {k: set(fig.highlighted[k]) for k in ("output", "input", "weight")}
        assert got == _expected(e, kind, index), (kind, index)
        entries_hl = matrix_picture(e, **{argument[kind]: index}).highlighted["entry"]
        rows = {(t[0][0] * n_out + t[0][1], t[1][0] * n_in + t[1][1]) for t in _triples(e)}
        picked = {
            "output": {rc for rc in rows if rc[0] == index[0] * n_out + index[1]},
            "input": {rc for rc in rows if rc[1] == index[0] * n_in + index[1]},
            "weight": {(t[0][0] * n_out + t[0][1], t[1][0] * n_in + t[1][1]) for t in _triples(e) if t[2] == index},
        }[kind]
        assert set(entries_hl) == picked, (kind, index)


def test_views_agree_with_pytorch_autograd() -> None:
    """Which inputs an output's gradient touches, and which outputs an input's does, with generic weights."""
    layer = Conv1d(2, 3, 3, stride=2, dilation=2, padding=3, padding_mode="reflect")
    conv = torch.nn.Conv1d(2, 3, 3, stride=2, dilation=2, padding=3, padding_mode="reflect", dtype=torch.float64)
    torch.manual_seed(0)
    n = 9
    x = torch.randn(1, 2, n, dtype=torch.float64, requires_grad=True)
    z = conv(x)[0]
    for o, i in [(0, 0), (2, 1), (1, z.shape[1] - 1)]:
        (grad,) = torch.autograd.grad(z[o, i], x, retain_graph=True)
        reads = {(c, t) for c, t in zip(*np.nonzero(grad[0].numpy()))}
        assert set(connectivity_diagram(layer, n, from_output=(o, i)).highlighted["input"]) == reads
    jac = torch.autograd.functional.jacobian(lambda v: conv(v)[0], x.detach())[:, :, 0]  # (o, i, c, t)
    for c, t in [(0, 0), (1, 4), (0, n - 1)]:
        feeds = {(int(o), int(i)) for o, i in zip(*np.nonzero(jac[:, :, c, t].numpy()))}
        assert set(connectivity_diagram(layer, n, from_input=(c, t)).highlighted["output"]) == feeds


@pytest.mark.parametrize(
    "make",
    [
        lambda: connectivity_diagram(Conv1d(1, 1, 3, padding=1, padding_mode="reflect"), 5, from_input=1),
        lambda: connectivity_diagram(Conv1d(1, 1, 3, stride=2, padding=1), 9, weight=2),
        lambda: connectivity_diagram(ConvTranspose1d(1, 1, 3, stride=2, padding=1), 3, from_output=2),
        lambda: connectivity_diagram(Conv1d(8, 8, 3), 128, from_input=(3, 60)),
        lambda: matrix_picture(Conv1d(2, 3, 3, stride=2), 9, weight=(1, 0, 2)),
        lambda: receptive_field_diagram(Sequential(Conv1d(1, 2, 3, padding=1), Activation("relu"), MaxPool1d(2)), 8),
    ],
)
def test_the_svg_marks_exactly_what_the_figure_highlights(make: Any) -> None:
    fig = make()
    assert set(fig.highlighted) == set(KINDS)
    assert read_marks(fig.svg()) == dict(fig.highlighted)
    assert any(fig.highlighted.values())


def test_pads_a_view_reads_are_highlighted_in_input_coordinates() -> None:
    fig = connectivity_diagram(Conv1d(1, 1, 3, padding=1, padding_mode="reflect"), 5, from_input=1)
    assert sorted(fig.highlighted["pad"]) == [(0, -1)]  # the left pad holds a copy of x_1
    assert sorted(fig.highlighted["output"]) == [(0, 0), (0, 1), (0, 2)]  # x_1 feeds z_0 twice (w_0 and w_2)
    fig = connectivity_diagram(Conv1d(1, 1, 3, padding=1), 4, from_output=0)
    assert sorted(fig.highlighted["pad"]) == [(0, -1)] and sorted(fig.highlighted["weight"]) == [(0, 0, 1), (0, 0, 2)]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"from_input": (0, 9)}, ValueError,
            "'from_input' must be (c, t) with 0 <= c < 2 and 0 <= t < 9, 0-based"
            " (got (0, 9)).",
        ),
        (
            {"from_input": 3}, ValueError,
            "'from_input' must be a tuple (c, t) when a leading index can be"
            " non-zero (sizes (2, 9); got 3).",
        ),
        (
            {"from_output": (3, 0)}, ValueError,
            "'from_output' must be (o, i) with 0 <= o < 3 and 0 <= i < 4, 0-based"
            " (got (3, 0)).",
        ),
        ({"from_output": (0, 1, 2)}, ValueError, "'from_output' must have 2 indices (o, i) (got (0, 1, 2))."),
        ({"weight": 18}, ValueError, "'weight' as a flat index must be in [0, 18) (got 18)."),
        (
            {"weight": (0, 2, 0)}, ValueError,
            "'weight' must be (o, c', k) with 0 <= o < 3 and 0 <= c' < 2 and 0 <="
            " k < 3, 0-based (got (0, 2, 0)).",
        ),
        (
            {"weight": (0, 1.0, 0)}, TypeError,
            "'weight' must be an int or a tuple of ints (o, c', k) (got (0, 1.0,"
            " 0)).",
        ),
        (
            {"weight": 1, "from_input": (0, 0)}, ValueError,
            "give at most one of 'from_input', 'from_output', 'weight' (got"
            " 'from_input' and 'weight').",
        ),
    ],
)  # fmt: skip
def test_views_are_validated_naming_the_parameter(kwargs: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error) as info:
        connectivity_diagram(Conv1d(2, 3, 3, stride=2), 9, **kwargs)
    assert str(info.value) == message


def test_a_flat_weight_index_is_the_weight_tensors_c_order() -> None:
    e = Conv1d(2, 3, 3, stride=2).expand(9)
    flat = connectivity_diagram(e, weight=13).highlighted
    assert flat == connectivity_diagram(e, weight=(2, 0, 1)).highlighted and flat["weight"] == {(2, 0, 1)}


def _coloured(fig: Any) -> set[str]:
    d = fig.layout
    return {e.colour for e in d.edges if e.hl or not d.focus}


def test_the_palette_never_repeats_a_colour_and_the_legend_is_complete() -> None:
    for layer, n in [(Conv1d(1, 4, 4), 6), (Conv1d(2, 3, 3, stride=2), 9), (Conv1d(2, 2, 5, padding=2), 6)]:
        fig = connectivity_diagram(layer, n)
        d = fig.layout
        drawn = {e.weight for e in d.edges}
        assert len(drawn) > 10 and len(_coloured(fig)) == len(drawn)  # one colour per weight, past the palette
        assert (
            {c for c, _ in d.legend} == _coloured(fig) and len(d.legend) == len(drawn) and d.legend_title == "weights:"
        )
        picture = matrix_picture(layer, n)
        held = {k for cell in picture.cells for k in cell.weights}
        colours = {c for cs in picture.layout.colours for c in cs}
        assert len(colours) == len(held) and {c for c, _ in picture.layout.legend} == colours


def test_past_24_weights_the_colour_is_the_output_channel_and_the_legend_says_so() -> None:
    fig = connectivity_diagram(Conv1d(3, 3, 4), 6)  # 36 weights drawn, 9 channel pairs
    d = fig.layout
    assert d.legend_title == "36 weights, coloured by output channel:"
    assert [name for _, name in d.legend] == ["o = 0", "o = 1", "o = 2"]
    by_channel: dict[int, set[str]] = {}
    for e in d.edges:
        by_channel.setdefault(d.nodes[e.target].index[0], set()).add(e.colour)
    assert all(len(c) == 1 for c in by_channel.values()) and len(set.union(*by_channel.values())) == 3


def test_a_long_many_channel_layer_is_drawn_elided_saying_what_is_left_out() -> None:
    fig = connectivity_diagram(Conv1d(8, 8, 3), 128)
    d = fig.layout
    assert fig.elided == (
        "Left out (with their edges): input channels 1..7 of 8; output channels 1..7 of 8; "
        "input positions 6..123 of 128; output positions 4..123 of 126; 0-based."
    )
    shown = sorted(n.index for n in d.nodes if n.kind == "input")
    assert shown == [(0, t) for t in (0, 1, 2, 3, 4, 5, 124, 125, 126, 127)]
    assert sorted(g.count for g in d.gaps) == [118, 120]  # the markers say how many positions each stands for
    # every drawn edge is a tap of the layer
    taps = set(_triples(fig.expansion))
    for e in d.edges:
        out, inp = d.nodes[e.target].index, d.nodes[e.source].index
        assert (out, inp, e.weight_index) in taps
    assert DRAW_LIMIT == 400  # importable; past it a figure is elided, never refused


def test_the_matrix_picture_at_32_keeps_its_labels_and_legend() -> None:
    picture = matrix_picture(Conv1d(1, 1, 3, padding=1), 32)
    m = picture.layout
    assert picture.elided == (
        "Left out: rows of output positions 6..28 of 32; columns of input positions 7..27 of 32 "
        "(in every drawn channel block); 0-based."
    )
    assert set(m.row_labels) == set(m.rows.kept) and set(m.col_labels) == set(m.cols.kept)
    assert m.row_labels[31] == "z_{31}" and m.col_labels[0] == "x_{0}"
    assert [name for _, name in m.legend] == ["w_{0}", "w_{1}", "w_{2}"]
    tex = picture.tikz()
    assert (
        "{$z_{31}$}" in tex and "{$x_{31}$}" in tex and "$\\vdots$" in tex and "columns of input positions 7--27" in tex
    )
    matrix = picture.expansion.matrix
    assert all(
        matrix[c.row, c.col] == sympy.Add(*(entries(picture.expansion.w)[k] for k in c.weights)) for c in m.cells
    )


def _stage_fields(s: Any, output: tuple[int, int]) -> list[set[tuple[int, int]]]:
    """Each stage's field by SymPy: the final output written in that stage's symbols, its free symbols."""
    last = s.stages[-1]
    expr = last.outputs[output[0], int(np.ravel_multi_index(output[1:], last.output_shape[1:]))]
    out = []
    for stage in reversed(s.stages):
        expr = expr.xreplace(dict(zip(entries(stage.outputs), entries(stage.local))))
        index = {sym: np.unravel_index(j, stage.input_shape) for j, sym in enumerate(entries(stage.inputs))}
        out.append({tuple(int(v) for v in index[sym]) for sym in expr.free_symbols & index.keys()})
    return [*out[::-1], {output}]


@pytest.mark.parametrize(
    ("net", "n", "output"),
    [
        (Sequential(Conv1d(1, 1, 3), Conv1d(1, 1, 3), Conv1d(1, 1, 3)), 9, None),
        (Sequential(Conv1d(1, 2, 3, padding=1), Activation("relu"), MaxPool1d(2)), 8, (1, 2)),
        (Sequential(Conv1d(1, 1, 3, dilation=2), Conv1d(1, 1, 2, stride=2), MaxPool1d(2)), 40, 3),
    ],
)
def test_the_receptive_field_grows_stage_by_stage_as_sympy_says(net: Any, n: int, output: Any) -> None:
    fig = receptive_field_diagram(net, n, output=output)
    s = net.expand(n)
    assert [set(f) for f in fig.fields] == _stage_fields(s, fig.output)
    assert sorted(fig.highlighted["input"]) == s.receptive_field(*fig.output)
    kept = [set(row.cells) for row in fig.rows]
    assert all(f <= k for f, k in zip(fig.fields, kept))  # elision never hides the field
    assert bool(fig.elided) == (n > 24)


@pytest.mark.parametrize(
    ("net", "shape", "output"),
    [
        (Sequential(Conv2d(1, 1, 3), Conv2d(1, 1, 3)), (7, 7), None),
        (Sequential(Conv2d(1, 2, 3, padding=1), Activation("relu"), MaxPool2d(2)), (6, 6), (1, 1, 2)),
        (Sequential(Conv2d(1, 1, 3, stride=2), Conv2d(1, 1, 3)), (32, 32), (2, 3)),
    ],
)
def test_the_2d_receptive_field_grows_stage_by_stage_as_sympy_says(net: Any, shape: Any, output: Any) -> None:
    fig = receptive_field_diagram(net, shape, output=output)
    s = net.expand(shape)
    assert [set(f) for f in fig.fields] == _stage_fields(s, fig.output)
    assert sorted(fig.highlighted["input"]) == s.receptive_field(fig.output[0], fig.output[1:])
    assert all(f <= set(row.cells) for f, row in zip(fig.fields, fig.rows))
    assert bool(fig.elided) == (shape[0] > 9) and read_marks(fig.svg()) == dict(fig.highlighted)


def test_receptive_field_arguments_are_validated() -> None:
    net = Sequential(Conv1d(1, 2, 3), MaxPool1d(2))
    with pytest.raises(
        ValueError, match=r"^'output' must be \(c, i\) when the stack ends with 2 channels \(got 1\)\.$"
    ):
        receptive_field_diagram(net, 9, output=1)
    with pytest.raises(ValueError, match=r"^'output' must be \(c, i\) with 0 <= c < 2 and 0 <= i < 3, 0-based"):
        receptive_field_diagram(net, 9, output=(0, 3))
    with pytest.raises(TypeError, match=r"^'stack' must be a symconv.Sequential or its expansion \(got Conv1d\)\.$"):
        receptive_field_diagram(Conv1d(1, 1, 3), 9)
    with pytest.raises(ValueError, match=r"^'shape' \(the input length\) is required"):
        receptive_field_diagram(net)


def test_the_tikz_of_every_new_kind_compiles_without_overfull_boxes(tmp_path: Path) -> None:
    """One document (text width 16 cm) holding each new picture: views, elided figures, the receptive field."""
    pictures = [
        connectivity_diagram(Conv1d(1, 1, 3, stride=2, padding=1), 9, weight=2),
        connectivity_diagram(Conv1d(8, 8, 3), 128),
        connectivity_diagram(Conv1d(8, 8, 3), 128, from_input=(3, 60)),
        connectivity_diagram(ConvTranspose1d(1, 1, 3, stride=2, padding=1), 3, from_output=2),
        connectivity_diagram(Conv1d(3, 3, 4), 6),
        matrix_picture(Conv1d(8, 8, 3), 128),
        matrix_picture(Conv1d(2, 3, 3, stride=2), 9, from_input=(1, 4)),
        receptive_field_diagram(Sequential(Conv1d(1, 2, 3, padding=1), Activation("relu"), MaxPool1d(2)), 8),
        receptive_field_diagram(Sequential(Conv1d(1, 1, 3, dilation=2), Conv1d(1, 1, 3, stride=2)), 64),
        receptive_field_diagram(Sequential(Conv2d(1, 1, 3, stride=2), Conv2d(1, 1, 3)), (32, 32)),
    ]
    body = "\n\n\\clearpage\n".join(f"\\noindent\n{p.tikz()}\n" for p in pictures)
    tex = tmp_path / "views.tex"
    tex.write_text(
        "\\documentclass{article}\n\\usepackage[a4paper, textwidth=16cm, textheight=24cm]{geometry}\n"
        f"\\usepackage{{tikz}}\n\\begin{{document}}\n{body}\n\\end{{document}}\n"
    )
    run = subprocess.run(
        ["pdflatex", "-halt-on-error", "-interaction=nonstopmode", tex.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    log = (tmp_path / "views.log").read_text(errors="replace")
    assert run.returncode == 0, log[-2000:]
    assert overfull_boxes(log) == [] and "Overfull \\vbox" not in log


def test_standalone_pages_fit_their_pictures(tmp_path: Path) -> None:
    fig = connectivity_diagram(Conv1d(8, 8, 3), 128, from_input=(3, 60))
    fig.save(tmp_path / "c.tex")
    run = subprocess.run(
        ["pdflatex", "-halt-on-error", "-interaction=nonstopmode", "c.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    log = (tmp_path / "c.log").read_text(errors="replace")
    assert run.returncode == 0 and overfull_boxes(log) == [] and "Overfull \\vbox" not in log


def test_cli_diagram_views_and_kinds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "v.svg"
    args = ["diagram", "--in-channels", "2", "--out-channels", "3", "--stride", "2", "--input-length", "9"]
    assert main([*args, "--from-output", "1,2", "-o", str(out)]) == 0
    expected = connectivity_diagram(Conv1d(2, 3, 3, stride=2), 9, from_output=(1, 2)).highlighted
    assert read_marks(out.read_text()) == dict(expected)
    assert main([*args, "--weight", "13", "--kind", "matrix", "-o", str(out)]) == 0
    assert (
        read_marks(out.read_text())["entry"]
        == matrix_picture(Conv1d(2, 3, 3, stride=2), 9, weight=13).highlighted["entry"]
    )
    stack = ["diagram", "--layers", "Conv1d(1, 2, 3, padding=1), ReLU(), MaxPool1d(2)", "--input-length", "8"]
    assert main([*stack, "--kind", "receptive", "--from-output", "1,2", "-o", str(out)]) == 0
    assert read_marks(out.read_text())["output"] == {(1, 2)}
    grid = ["diagram", "--layers", "Conv2d(1, 1, 3), Conv2d(1, 1, 3)", "--input-shape", "7,7", "--kind", "receptive"]
    assert main([*grid, "--from-output", "0,2,1", "-o", str(out)]) == 0
    assert read_marks(out.read_text())["output"] == {(0, 2, 1)}
    assert main(["diagram", "--input-length", "9", "--kind", "window", "--outputs", "0,3", "-o", str(out)]) == 0
    assert read_marks(out.read_text())["output"] == {(0, 0), (0, 3)}
    assert main(["diagram", "--input-length", "64", "-o", str(tmp_path / "long.tex")]) == 0
    assert "input positions 6..59 of 64" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--from-input", "0,12"],
            "'--from-input' must be (c, t) with 0 <= c < 1 and 0 <= t < 9, 0-based"
            " (got (0, 12)).",
        ),
        (["--from-input", "x"], "'--from-input' must be comma-separated integers such as 0,3 (got 'x')."),
        (
            ["--from-input", "1", "--weight", "1"],
            "give at most one of '--from-input', '--from-output', '--weight' (got"
            " '--from-input' and '--weight').",
        ),
        (
            ["--kind", "window", "--weight", "2"],
            "'--weight' chooses an isolated view of --kind connectivity or matrix"
            " (got --kind window).",
        ),
        (["--outputs", "1"], "'--outputs' chooses the panels of --kind window (got --kind connectivity)."),
        (
            ["--kind", "receptive"],
            "'--kind receptive' draws a stack: give it with --layers or --torch"
            " \"nn.Sequential(...)\" (got one Conv1d).",
        ),
    ],
)  # fmt: skip
def test_cli_diagram_errors_name_the_option(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["diagram", "--input-length", "9", *extra, "-o", str(tmp_path / "x.svg")])
    assert info.value.code == 2 and capsys.readouterr().err.strip().endswith(f"error: {message}")
