"""Every generated document compiles with ``pdflatex -halt-on-error``: no errors, no undefined references.

pdflatex is installed by ``make test`` (``make system-deps``); these tests do not skip without it.
The documents of the sweep are compiled in parallel, a few seconds in all.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import symconv
from symconv import Conv1d
from symconv.latex import LatexError, compile_pdf, derivation
from symconv.latex.compile import overfull_boxes
from symconv.latex.document import PREAMBLE, THEOREMS

SWEEP: dict[str, tuple[Any, Any, dict[str, Any]]] = {
    "motivating": (Conv1d(1, 1, 3), 4, {"x": [1, 2, 3, 4], "w": [5, 6, 7]}),
    "zeros-base1": (Conv1d(1, 1, 3, padding=1), 5, {"index_base": 1}),
    "same-even": (Conv1d(1, 1, 4, padding="same"), 7, {}),
    "reflect": (
        Conv1d(1, 1, 3, padding=1, padding_mode="reflect"),
        5,
        {"x": [1, 2, 3, 4, 5], "w": [1, 1, 1], "b": [0]},
    ),
    "replicate": (Conv1d(1, 1, 3, padding=(2, 1), padding_mode="replicate"), 5, {"activation": "tanh"}),
    "circular": (Conv1d(1, 1, 3, padding=1, padding_mode="circular"), 5, {}),
    "stride-dilation": (Conv1d(1, 1, 3, stride=2, dilation=2), 10, {"x": list(range(1, 11)), "w": [1, 0, -1]}),
    "channels": (Conv1d(2, 3, 2, bias=False), 4, {"activation": "relu"}),
    "groups-base1": (Conv1d(2, 4, 3, groups=2, padding=1), 4, {"index_base": 1}),
    "flip-full": (Conv1d(1, 1, 3, flip=True, padding="full"), 4, {"x": [1, 2, 3, 4], "w": [5, 6, 7]}),
    "causal-elided": (Conv1d(1, 1, 3, padding="causal"), 12, {"max_size": 5}),
    "wide-elided": (Conv1d(1, 1, 3, stride=2), 30, {"max_size": 14}),
    "numpy-same": (symconv.convolve(3, "same"), 5, {}),
    "symmetric": (Conv1d(1, 2, 3, padding=2, padding_mode="symmetric"), 4, {"activation": "relu"}),
    "wrap-dilation": (Conv1d(1, 1, 2, dilation=2, padding=(1, 2), padding_mode="wrap"), 5, {"index_base": 1}),
    "big-reflect-base1": (
        Conv1d(4, 6, 3, stride=2, padding=2, padding_mode="reflect"),
        40,
        {"index_base": 1, "activation": "relu"},
    ),
    "big-groups": (Conv1d(8, 8, 5, groups=4, padding="same"), 48, {"max_size": 6}),
    "tf-same": (Conv1d(1, 1, 6, stride=5, padding="tf_same"), 13, {"max_size": 6}),
    "transposed": (symconv.ConvTranspose1d(1, 1, 3, stride=2, padding=1), 3, {"x": [1, 2, 3], "w": [1, 2, -1]}),
    "transposed-groups": (
        symconv.ConvTranspose1d(2, 4, 3, groups=2, stride=2, dilation=2, output_padding=1),
        3,
        {"index_base": 1},
    ),
    "conv2d-stride-pad": (symconv.Conv2d(1, 1, 3, stride=2, padding=1), (5, 5), {}),
    "conv2d-reflect-groups-base1": (
        symconv.Conv2d(2, 2, (2, 3), groups=2, dilation=(1, 2), padding=1, padding_mode="reflect"),
        (4, 5),
        {"index_base": 1},
    ),
    "conv2d-big": (symconv.Conv2d(3, 4, 3, padding="same", padding_mode="circular"), (12, 12), {"why": False}),
    "conv3d": (symconv.Conv3d(1, 1, 2, padding=(1, 0, 0)), (3, 3, 3), {}),
    "convtranspose2d": (symconv.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1), (3, 3), {}),
    "stack-2d": (
        symconv.Sequential(symconv.Conv2d(1, 2, 3, padding=1), symconv.Activation("relu"), symconv.MaxPool2d(2)),
        (4, 4),
        {},
    ),
    "stack-big-1d": (
        symconv.Sequential(Conv1d(2, 4, 3, padding=1), symconv.Activation("relu"), symconv.MaxPool1d(2)),
        32,
        {},
    ),
    "stack-maxpool": (
        symconv.Sequential(Conv1d(1, 1, 2, bias=False), symconv.Activation("relu"), symconv.MaxPool1d(2)),
        4,
        {},
    ),
    "stack-dense": (
        symconv.Sequential(
            Conv1d(1, 2, 3, padding=1),
            symconv.Activation("tanh"),
            symconv.AvgPool1d(2),
            symconv.Flatten(),
            symconv.Linear(4, 2),
        ),
        4,
        {},
    ),
}


def _compile(path: Path) -> Path:
    return compile_pdf(path)


def _compile_all(paths: list[Path]) -> list[Path]:
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return list(pool.map(_compile, paths))


COMPLETE = (
    "motivating",
    "groups-base1",
    "reflect",
    "transposed",
    "stack-dense",
    "conv2d-stride-pad",
    "conv3d",
    "stack-2d",
)  # compiled as they are; the rest share one document


def test_sweep_compiles(tmp_path: Path) -> None:
    """Complete documents for a few specs, and every spec's sections in one combined document."""
    paths, fragments = [], []
    for name, (layer, length, options) in SWEEP.items():
        d = derivation(layer, length, **options)
        if name in COMPLETE:
            paths.append(d.write(tmp_path / f"{name}.tex"))
        fragments.append(f"\\part{{{name}}}\n{d.fragment()}")
    for half in (0, 1):  # two combined documents, compiled in parallel
        combined = tmp_path / f"sweep{half}.tex"
        body = "".join(fragments[half::2])
        combined.write_text(f"{PREAMBLE}{THEOREMS}\n\\begin{{document}}\n{body}\n\\end{{document}}\n")
        paths.append(combined)
    e = Conv1d(1, 1, 3, padding=1, padding_mode="reflect", stride=2).expand(6)
    paths.append(symconv.connectivity_diagram(e).save(tmp_path / "conn.tex"))
    paths.append(symconv.matrix_picture(e).save(tmp_path / "matrix.tex"))
    transposed = symconv.ConvTranspose1d(1, 1, 3, stride=2, padding=1).expand(3)
    paths.append(symconv.connectivity_diagram(transposed).save(tmp_path / "transposed.tex"))
    for pdf in _compile_all(paths):
        assert pdf.stat().st_size > 1000
        log = pdf.with_suffix(".log").read_text(errors="replace")
        assert "undefined" not in log.lower() and "\n! " not in log
        assert overfull_boxes(log) == [], (pdf.name, overfull_boxes(log))


def test_errors_and_undefined_references_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tex"
    bad.write_text("\\documentclass{article}\n\\begin{document}\n\\undefinedcommand\n\\end{document}\n")
    with pytest.raises(LatexError, match="Undefined control sequence"):
        compile_pdf(bad)
    ref = tmp_path / "ref.tex"
    ref.write_text("\\documentclass{article}\n\\begin{document}\nSee \\ref{nowhere}.\n\\end{document}\n")
    with pytest.raises(LatexError, match="undefined references"):
        compile_pdf(ref)


def test_missing_engine_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(LatexError, match="pdflatex was not found on PATH; install TeX Live"):
        derivation(Conv1d(1, 1, 3), 4, sections=[1]).write(tmp_path / "d.tex", pdf=True)
