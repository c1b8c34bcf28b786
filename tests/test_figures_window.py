"""Figures B: the sliding window, transposed convolution over a zero-inserted input, the 2D block matrix.

Every highlighted set and every count is asserted against the taps (``taps.feeding``, ``triples``,
``to_scipy_sparse``) or against PyTorch; the renderings are deterministic, their SVG marks agree
with ``.highlighted``, and all the TikZ pictures compile together in one document.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from symconv import Conv1d, Conv2d, Conv3d, ConvTranspose1d
from symconv.figures.canvas import distinct_colours
from symconv.figures.marks import read_marks
from symconv.figures.window import WindowDiagram, track, window_diagram

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
    assert fig.png() == fig.png() and fig.png()[:4] == b"\x89PNG"


def test_distinct_colours_never_repeat() -> None:
    for n in (1, 9, 10, 25, 49):
        assert len(set(distinct_colours(n))) == n


# -- all the pictures compile in one document ---------------------------------------------------------
def _pictures() -> list[str]:
    figures: list[WindowDiagram | object] = [window_diagram(layer, shape) for layer, shape in WINDOW_LAYERS]
    return [f.tikz() for f in figures]  # type: ignore[attr-defined]


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
