"""Figures B: the sliding window, transposed convolution over a zero-inserted input, the 2D block matrix.

Every highlighted set and every count is asserted against the taps (``taps.feeding``, ``triples``,
``to_scipy_sparse``) or against PyTorch; the renderings are deterministic, their SVG marks agree
with ``.highlighted``, and all the TikZ pictures compile together in one document.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sympy
import torch

from symconv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d
from symconv.base.symbols import entries
from symconv.figures import Figure
from symconv.figures.blocks2d import block_matrix_picture
from symconv.figures.canvas import distinct_colours
from symconv.figures.marks import read_marks
from symconv.figures.window import track, window_diagram
from symconv.figures.zero_inserted import zero_inserted_conv, zero_inserted_diagram, zero_inserted_input
from symconv.figures.zero_inserted2d import zero_inserted_grid

WINDOW_LAYERS = [
    (Conv1d(1, 1, 3, padding=1), 4),
    (Conv1d(1, 1, 3, padding=1, padding_mode="reflect"), 4),
    (Conv1d(1, 1, 3, stride=2, dilation=2), 9),
    (Conv1d(1, 1, 4, padding=(3, 1), padding_mode="replicate", stride=2), 6),
    (Conv1d(1, 1, 3, padding=2, padding_mode="circular", dilation=2), 5),
    (Conv1d(1, 1, 2, padding=3, padding_mode="symmetric"), 2),
    (Conv1d(1, 1, 3, padding=4, padding_mode="wrap"), 3),
    (Conv1d(4, 6, 3, groups=2, padding=2, padding_mode="replicate", stride=3), 20),
    (Conv1d(1, 1, 5, padding=2, padding_mode="circular"), 128),
    (Conv2d(1, 1, 3, stride=2, padding=1), (5, 5)),
    (Conv2d(1, 1, (2, 3), stride=(1, 2), padding=(1, 2), padding_mode="reflect", dilation=(2, 1)), (4, 6)),
    (Conv2d(2, 4, 3, padding=2, dilation=2, padding_mode="reflect", groups=2), (64, 64)),
]


def _every_output(e: object) -> list[tuple[int, ...]]:
    shape = e.output_shape  # type: ignore[attr-defined]
    positions = list(np.ndindex(*shape))
    return positions if len(positions) <= 40 else [*positions[:: len(positions) // 4], positions[-1]]


@pytest.mark.parametrize(("layer", "shape"), WINDOW_LAYERS, ids=lambda v: repr(v))
def test_window_reads_what_the_taps_read(layer: object, shape: object) -> None:
    e = layer.expand(shape)  # type: ignore[attr-defined]
    spec = e.spec
    for out_channel in sorted({0, spec.out_channels - 1}):
        fig = window_diagram(e, outputs=_every_output(e), out_channel=out_channel)
        for panel in fig.panels:
            o, *i = panel.output
            taps = [t for t in e.taps.feeding(o, tuple(i) if len(i) > 1 else i[0]) if t.input[0] == fig.channel]
            expected = sorted((t.input, t.weight) for t in taps)
            got = []
            for padded, k in fig.window(tuple(i)):
                source = fig.source(padded)
                if source is not None:  # a zero pad contributes no tap
                    got.append(((fig.channel, *source), (o, fig.channel - _first(e, o), *k)))
            assert sorted(got) == expected
            hl = panel.highlighted
            assert hl["output"] == {panel.output}
            assert len(hl["input"]) + len(hl["pad"]) == e.taps.kernel_size  # one cell per kernel position
            real = {t.input for t in taps if all(v >= 0 for v in t.input)}
            assert hl["input"] <= real
            for _c, *t in hl["pad"]:
                assert any(not 0 <= v < n for v, n in zip(t, e.input_shape))


def _first(e: object, o: int) -> int:
    taps = e.taps  # type: ignore[attr-defined]
    return (o // taps.out_per_group) * taps.in_per_group


def test_window_cells_by_padding_mode() -> None:
    fig = window_diagram(Conv1d(1, 1, 3, padding=2, padding_mode="reflect", stride=2), 5, outputs=[0, 3])
    assert fig.sources[0] == [2, 1, 0, 1, 2, 3, 4, 3, 2]
    assert fig.panels[0].highlighted["pad"] == {(0, -2), (0, -1)}
    assert fig.panels[0].highlighted["input"] == {(0, 0)}
    assert fig.panels[1].highlighted == {"input": {(0, 4)}, "pad": {(0, 5), (0, 6)}, "output": {(0, 3)}}
    assert fig.highlighted["weight"] == fig.highlighted["entry"] == frozenset()
    assert "x_{3}" in fig.tikz() and "reflect padding" in fig.tikz()
    zero = window_diagram(Conv1d(1, 1, 3, padding=1), 4, outputs=0)
    assert zero.highlighted["pad"] == {(0, -1)} and "0 is a zero pad" in zero.caption()


def test_window_defaults_and_dilation_gaps() -> None:
    fig = window_diagram(Conv1d(1, 1, 3, stride=2, dilation=2), 9)
    assert [p.output for p in fig.panels] == [(0, 0), (0, 1), (0, 2)]
    assert [sorted(p.highlighted["input"]) for p in fig.panels] == [
        [(0, 0), (0, 2), (0, 4)],
        [(0, 2), (0, 4), (0, 6)],
        [(0, 4), (0, 6), (0, 8)],
    ]
    assert "dilation gaps" in fig.caption()
    fig2 = window_diagram(Conv2d(1, 1, 3, stride=2, padding=1), (5, 5))
    assert [p.output for p in fig2.panels] == [(0, 0, 0), (0, 0, 1), (0, 2, 2)]
    assert fig2.panels[2].highlighted["input"] == {(0, a, b) for a in (3, 4) for b in (3, 4)}


def test_window_index_base_one() -> None:
    fig = window_diagram(Conv2d(1, 1, 3, padding=1), (3, 3), outputs=[(0, 0)])
    one = window_diagram(Conv2d(1, 1, 3, padding=1).expand((3, 3), index_base=1), outputs=[(0, 0)])
    assert one.highlighted == fig.highlighted  # positions stay 0-based array indices
    assert "t = (-1, -1)" in fig.tikz() and "t = (0, 0)" in one.tikz() and "x_{1,1}" in one.tikz()


def test_window_elides_long_inputs() -> None:
    fig = window_diagram(Conv1d(1, 1, 5, padding=2, padding_mode="circular"), 128, outputs=[0, 63, 127])
    assert fig.elided == "Dots stand for the cells left out." and fig.elided in fig.caption()
    assert fig.tikz().count("\\cdots") >= 6
    assert track(30, {10, 11}, 12).gaps == (2.0, 5.0)
    assert not window_diagram(Conv1d(1, 1, 3), 8).elided


def test_window_multichannel_and_errors() -> None:
    layer = Conv1d(4, 6, 3, groups=2, padding=1)
    fig = window_diagram(layer, 5, outputs=1, out_channel=4)
    assert fig.channel == 2 and "Input channel 2 of 4 and output channel 4 of 6" in fig.caption()
    with pytest.raises(
        ValueError, match=r"'channel' must be an input channel that output channel 4 reads, in \[2, 4\)"
    ):
        window_diagram(layer, 5, channel=0, out_channel=4)
    with pytest.raises(ValueError, match=r"'outputs' must hold output positions inside the output shape \(5,\)"):
        window_diagram(layer, 5, outputs=5)
    with pytest.raises(ValueError, match="draw a 2D slice"):
        window_diagram(Conv3d(1, 1, 2), (3, 3, 3))
    with pytest.raises(ValueError, match="zero_inserted_diagram"):
        window_diagram(ConvTranspose1d(1, 1, 3, stride=2), 3)


def test_window_svg_marks_and_determinism() -> None:
    fig = window_diagram(Conv2d(1, 1, 3, stride=2, padding=1, padding_mode="replicate"), (5, 5))
    svg = fig.svg()
    assert svg == window_diagram(Conv2d(1, 1, 3, stride=2, padding=1, padding_mode="replicate"), (5, 5)).svg()
    assert read_marks(svg) == fig.highlighted
    assert fig.png()[:4] == b"\x89PNG"


def test_distinct_colours_never_repeat() -> None:
    for n in (1, 9, 10, 25, 49):
        assert len(set(distinct_colours(n))) == n


# -- transposed convolution over the zero-inserted input ------------------------------------------
def _transposed_layers() -> list[tuple[ConvTranspose1d, int]]:
    """Many (K, s, d, p, output_padding, L), each valid for PyTorch (output_padding < max(s, d), L_out >= 1)."""
    found = []
    for size, stride, dilation, padding in itertools.product((1, 2, 3, 4), (1, 2, 3), (1, 2), (0, 1, 2, 5)):
        for output_padding in range(max(stride, dilation)):
            for n in (1, 3, 6):
                layer = ConvTranspose1d(1, 1, size, stride, padding, output_padding, dilation=dilation)
                if (n - 1) * stride - 2 * padding + dilation * (size - 1) + output_padding + 1 >= 1:
                    found.append((layer, n))
    return found


TRANSPOSED = _transposed_layers()


def test_overlap_counts_are_the_taps_counts() -> None:
    assert len(TRANSPOSED) > 300
    for layer, n in TRANSPOSED:
        fig = zero_inserted_diagram(layer, n)
        rows, _, _ = layer.expand(n).taps.triples()
        expected = tuple(np.bincount(rows, minlength=layer.output_length(n)).tolist())
        assert fig.counts == fig.scatter_counts == fig.window_counts == expected, (layer, n)


def test_zero_inserted_convolution_equals_torch() -> None:
    rng = np.random.default_rng(12)
    layers = [(layer, n) for layer, n in TRANSPOSED[::7]]
    layers += [(ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2), 5)]
    layers += [(ConvTranspose1d(2, 3, 4, stride=3, padding=2), 4)]
    for layer, n in layers:
        x = rng.integers(-9, 10, size=(2, layer.in_channels, n))
        w = rng.integers(-9, 10, size=(layer.in_channels, layer.out_channels // layer.groups, layer.kernel_size))
        b = rng.integers(-9, 10, size=layer.out_channels)
        got = zero_inserted_conv(layer, x, w, b)
        want = torch.nn.functional.conv_transpose1d(
            torch.tensor(x),
            torch.tensor(w),
            torch.tensor(b),
            stride=layer.stride,
            padding=layer.padding,
            output_padding=layer.output_padding,
            groups=layer.groups,
            dilation=layer.dilation,
        )
        assert got.dtype.kind == "i" and np.array_equal(got, want.numpy()), (layer, n)


def test_zero_inserted_input_and_checkerboard() -> None:
    layer = ConvTranspose1d(1, 1, 3, stride=2)
    assert zero_inserted_input(layer, np.array([[1, 2, 3]])).tolist() == [[0, 0, 1, 0, 2, 0, 3, 0, 0]]
    fig = zero_inserted_diagram(layer, 3)
    assert fig.counts == (1, 1, 2, 1, 2, 1, 1)  # the checkerboard: odd outputs get one tap, even ones two
    assert fig.output == 2
    assert fig.highlighted["output"] == {(0, 2)}
    assert fig.highlighted["input"] == {(0, 0), (0, 1)}
    assert fig.highlighted["weight"] == {(0, 0, 2), (0, 0, 0)}  # the flipped kernel: x_0 meets w_2, x_1 meets w_0
    assert read_marks(fig.svg()) == fig.highlighted
    crop = zero_inserted_input(ConvTranspose1d(1, 1, 2, stride=2, padding=3), np.array([[1, 2, 3, 4]]))
    assert crop.tolist() == [[2, 0, 3]]  # d(K-1) - p = 1 - 3: two positions of 1 0 2 0 3 0 4 cropped at each end
    for count in fig.counts:
        assert f"${count}$" in fig.tikz()


def test_zero_inserted_elides_and_refuses() -> None:
    fig = zero_inserted_diagram(ConvTranspose1d(1, 1, 4, stride=2, padding=1), 64)
    assert "repeats with period 2" in fig.elided and fig.elided in fig.caption()
    assert not zero_inserted_diagram(ConvTranspose1d(1, 1, 3, stride=2), 3).elided
    multi = zero_inserted_diagram(ConvTranspose1d(4, 6, 3, stride=2, groups=2), 3, channel=3)
    assert multi.out_channel == 3 and "Input channel 3 of 4 and output channel 3 of 6" in multi.caption()
    with pytest.raises(ValueError, match="zero_inserted_diagram draws a ConvTranspose1d"):
        zero_inserted_diagram(Conv1d(1, 1, 3), 4)
    with pytest.raises(
        ValueError, match=r"'out_channel' must be an output channel that input channel 3 feeds, in \[3, 6\)"
    ):
        zero_inserted_diagram(ConvTranspose1d(4, 6, 3, groups=2), 3, channel=3, out_channel=0)
    with pytest.raises(ValueError, match=r"'output' must be in \[0, 5\)"):
        zero_inserted_diagram(ConvTranspose1d(1, 1, 3), 3, output=5)


GRID_LAYERS = [
    (ConvTranspose2d(1, 1, 3, stride=2), (3, 3)),
    (ConvTranspose2d(2, 4, (3, 2), stride=(2, 3), padding=1, output_padding=(1, 0), groups=2), (3, 4)),
    (ConvTranspose2d(1, 2, 2, stride=1, padding=(0, 1), dilation=2), (4, 3)),
    (ConvTranspose2d(1, 1, 4, stride=2, padding=1), (32, 32)),
]


@pytest.mark.parametrize(("layer", "shape"), GRID_LAYERS, ids=lambda v: repr(v))
def test_zero_inserted_grid_counts_and_windows_equal_torch(layer: ConvTranspose2d, shape: tuple[int, int]) -> None:
    e = layer.expand(shape)
    fig = zero_inserted_grid(e, channel=layer.in_channels - 1)
    rows, _, _ = e.taps.triples()
    per_channel = np.bincount(rows, minlength=e.output_length * layer.out_channels)[: e.output_length]
    assert fig.counts.ravel().tolist() == (per_channel // (layer.in_channels // layer.groups)).tolist()
    windows = {j: fig.window(j) for j in np.ndindex(*e.output_shape)}
    assert all(len(windows[j]) == fig.counts[j] for j in windows)
    # the windows drawn, evaluated on integers, are the layer: torch's conv_transpose2d for this channel pair
    rng = np.random.default_rng(3)
    x = rng.integers(-9, 10, size=(layer.in_channels, *shape))
    w = rng.integers(-9, 10, size=e.taps.weight_shape)
    c, o = fig.channel, fig.out_channel
    want = torch.nn.functional.conv_transpose2d(
        torch.tensor(x[None, c : c + 1]),
        torch.tensor(w[c : c + 1, fig.out_in_group : fig.out_in_group + 1]),
        stride=layer.stride,
        padding=layer.padding,
        output_padding=layer.output_padding,
        dilation=layer.dilation,
    )[0, 0]
    got = np.array(
        [
            sum(x[c, t0, t1] * w[c, fig.out_in_group, k0, k1] for (t0, t1), (k0, k1) in windows[j])
            for j in np.ndindex(*e.output_shape)
        ]
    ).reshape(e.output_shape)
    assert np.array_equal(got, want.numpy()) and 0 <= o < layer.out_channels


def test_zero_inserted_grid_marks_and_checkerboard() -> None:
    fig = zero_inserted_grid(ConvTranspose2d(1, 1, 3, stride=2), (3, 3))
    one_axis = zero_inserted_diagram(ConvTranspose1d(1, 1, 3, stride=2), 3).counts
    assert fig.counts.tolist() == np.outer(one_axis, one_axis).tolist()  # the 2D checkerboard: 1, 2 and 4
    assert fig.output == (2, 2) and fig.highlighted["output"] == {(0, 2, 2)}
    assert fig.highlighted["input"] == {(0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1)}
    assert read_marks(fig.svg()) == fig.highlighted
    assert "1 zero inserted between neighbouring inputs along each axis" in fig.caption()
    with pytest.raises(ValueError, match="zero_inserted_grid draws a ConvTranspose2d"):
        zero_inserted_grid(ConvTranspose1d(1, 1, 3), 3)
    with pytest.raises(ValueError, match=r"'output' must be a position inside the output shape \(7, 7\)"):
        zero_inserted_grid(ConvTranspose2d(1, 1, 3, stride=2), (3, 3), output=(7, 0))


# -- the 2D matrix with its blocks ------------------------------------------------------------------
BLOCK_LAYERS = [
    (Conv2d(1, 1, 3, stride=2, padding=1), (5, 5)),
    (Conv2d(1, 1, 2, bias=False), (3, 4)),
    (Conv2d(1, 1, 3, padding=1, padding_mode="reflect"), (4, 4)),
    (Conv2d(1, 1, (2, 3), padding=(1, 1), padding_mode="circular", dilation=(1, 2)), (3, 5)),
    (Conv2d(4, 6, 3, groups=2, padding=1, padding_mode="replicate"), (4, 3)),
    (ConvTranspose2d(1, 1, 3, stride=2), (3, 3)),
]


@pytest.mark.parametrize(("layer", "shape"), BLOCK_LAYERS, ids=lambda v: repr(v))
def test_block_picture_entries_are_the_matrix_entries(layer: object, shape: tuple[int, int]) -> None:
    e = layer.expand(shape)  # type: ignore[attr-defined]
    out_channel = e.spec.out_channels - 1
    pic = block_matrix_picture(e, out_channel=out_channel)
    w = np.arange(1, int(np.prod(e.taps.weight_shape)) + 1).reshape(e.taps.weight_shape)
    dense = e.to_scipy_sparse(w).toarray()
    rows = slice(pic.row0, pic.row0 + e.output_length)
    cols = slice(pic.col0, pic.col0 + e.input_length)
    nonzero = {(r + pic.row0, c + pic.col0) for r, c in zip(*np.nonzero(dense[rows, cols]))}
    assert set(pic.cells) == nonzero
    assert pic.highlighted["entry"] == {p for p in nonzero if pic.position(*p) is not None}
    matrix = e.matrix
    flat = list(entries(e.w))
    for (r, c), ks in pic.cells.items():  # the colours of an entry are the weights of its sum
        assert matrix[r, c] == sympy.Add(*(flat[k] for k in ks))
        assert len({pic.colours[k - pic.first_weight] for k in ks}) == len(set(ks))
    blocks = e.blocks()
    h_out, h = pic.grid
    zero = {(a, b) for a in range(h_out) for b in range(h)} - set(pic.names)
    nonzero_blocks = {(a - out_channel * h_out, b - pic.in_channel * h) for a, b in blocks.nonzero()}
    assert zero.isdisjoint(nonzero_blocks) and set(pic.names) <= nonzero_blocks
    if e.spec.in_channels == e.spec.out_channels == 1:
        assert pic.pattern == blocks.pattern()
    assert len(set(pic.colours)) == len(pic.weight_names) == int(np.prod(e.taps.kernel_shape))


def test_block_picture_legend_marks_and_elision() -> None:
    pic = block_matrix_picture(Conv2d(1, 1, 5, padding=2), (5, 5))
    tex = pic.tikz()
    assert all(f"${name}$" in tex for name in pic.weight_names) and len(pic.weight_names) == 25
    assert read_marks(pic.svg()) == pic.highlighted and not pic.elided
    big = block_matrix_picture(Conv2d(1, 1, 3, padding=1), (64, 64))
    assert big.shown == (0, 0) and "too many to draw the matrix" in big.elided
    assert big.highlighted["entry"] == frozenset() and "block $A$" in big.tikz()
    mid = block_matrix_picture(Conv2d(1, 1, 3, padding=1), (16, 16))
    assert mid.shown == (3, 3) and "Only the first 3 of 16 block rows" in mid.elided
    assert len(mid.highlighted["entry"]) == sum(1 for r, c in mid.cells if r < 48 and c < 48)
    with pytest.raises(ValueError, match="block_matrix_picture draws a layer with 2 spatial axes"):
        block_matrix_picture(Conv1d(1, 1, 3), 4)
    with pytest.raises(
        ValueError, match=r"'in_channel' must be an input channel that output channel 5 reads, in \[2, 4\)"
    ):
        block_matrix_picture(Conv2d(4, 6, 3, groups=2), (3, 3), out_channel=5, in_channel=0)


# -- all the pictures compile in one document ---------------------------------------------------------
ZERO_INSERTED = [
    (ConvTranspose1d(1, 1, 3, stride=2), 3),
    (ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=1), 4),
    (ConvTranspose1d(2, 4, 3, stride=3, dilation=2, groups=2, padding=2), 5),
    (ConvTranspose1d(1, 1, 4, stride=2, padding=1), 64),
    (ConvTranspose1d(1, 1, 2, stride=2, padding=3), 4),
]


def _pictures() -> list[str]:
    """One document's worth: every padding mode's window, the four figures' small and large forms
    (pdflatex takes about 0.4 s a picture, so not every layer of the tables above)."""
    windows = [WINDOW_LAYERS[j] for j in (0, 1, 2, 4, 5, 6, 8, 9, 11)] + [
        (Conv1d(1, 1, 3, padding=1, padding_mode="replicate"), 4)
    ]
    figures: list[Figure] = [window_diagram(layer, shape) for layer, shape in windows]
    figures += [zero_inserted_diagram(layer, n) for layer, n in ZERO_INSERTED[1:4]]
    figures += [block_matrix_picture(layer, shape) for layer, shape in BLOCK_LAYERS[::2]]
    figures += [block_matrix_picture(Conv2d(1, 1, 3, padding=1), (64, 64))]
    figures += [zero_inserted_grid(layer, shape) for layer, shape in GRID_LAYERS[1::2]]
    return [f.tikz() for f in figures]


def test_all_pictures_compile_without_overfull_boxes(tmp_path: Path) -> None:
    assert shutil.which("pdflatex"), "pdflatex is needed (make system-deps installs it)"
    body = "\n".join(f"\\noindent\n{p}\n\\clearpage" for p in _pictures())
    (tmp_path / "all.tex").write_text(
        "\\documentclass{article}\n\\usepackage[a4paper, textwidth=16cm, textheight=24cm]{geometry}\n"
        "\\usepackage{tikz}\n\\begin{document}\n" + body + "\n\\end{document}\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        ["pdflatex", "-halt-on-error", "-interaction=nonstopmode", "all.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = (tmp_path / "all.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    overfull = [float(v) for v in re.findall(r"Overfull \\[hv]box \(([0-9.]+)pt too", log)]
    assert max(overfull, default=0.0) <= 10.0, overfull
