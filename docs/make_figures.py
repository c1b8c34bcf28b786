"""Regenerate the figures under ``docs/figures/`` (deterministic: the same code gives the same bytes).

Usage::

    .venv/bin/python docs/make_figures.py            # writes docs/figures/
    .venv/bin/python docs/make_figures.py OUT_DIR    # writes elsewhere (to compare, for instance)

The motivating example (``x = [1, 2, 3, 4]``, ``w = [5, 6, 7]``) as a derivation (LaTeX
source, and its pages rendered to PNG with ``pdflatex`` and ``pdftoppm -png -r 100``), its
connectivity diagram and matrix picture (SVG and PNG), and two layers whose pictures show
more: a padded, strided layer with reflect padding, a dilated, strided one, and a transposed
convolution (the scatter, with the outputs its padding crops); then the isolated views, sliding windows,
the transposed convolution over its zero-inserted input, a stack's receptive field and the 2D set.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import symconv
from symconv import Conv1d
from symconv.latex import compile_pdf

FIGURES = Path(__file__).resolve().parent / "figures"

MOTIVATING = (Conv1d(1, 1, 3), 4)
EXTRA = {
    "reflect-stride2": (Conv1d(1, 1, 3, stride=2, padding=2, padding_mode="reflect"), 6),
    "dilation2-stride2": (Conv1d(1, 1, 3, stride=2, dilation=2), 10),
    "transposed-stride2": (symconv.ConvTranspose1d(1, 1, 3, stride=2, padding=1), 3),
}


def derivation_pages(out: Path) -> list[Path]:
    """The motivating derivation: its ``.tex`` and one PNG per page (100 dpi)."""
    d = symconv.derivation(*MOTIVATING, x=[1, 2, 3, 4], w=[5, 6, 7])
    tex = out / "motivating-derivation.tex"
    tex.write_text(d.document(), encoding="utf-8")
    with tempfile.TemporaryDirectory() as work:
        pdf = compile_pdf(shutil.copy(tex, Path(work) / tex.name))
        for old in out.glob("motivating-derivation-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "100", str(pdf), str(out / "motivating-derivation")], check=True)
    return [tex, *sorted(out.glob("motivating-derivation-*.png"))]


def pictures(out: Path) -> list[Path]:
    """Connectivity diagrams and matrix pictures, SVG and PNG."""
    written = []
    for name, (layer, length) in {"motivating": MOTIVATING, **EXTRA}.items():
        e = layer.expand(length)
        for kind, figure in (("connectivity", symconv.connectivity_diagram(e)), ("matrix", symconv.matrix_picture(e))):
            for suffix in (".svg", ".png"):
                written.append(figure.save(out / f"{name}-{kind}{suffix}"))
    return written


#: Goodfellow et al.'s isolated views (figs. 9.2-9.5) of one padded layer, the sliding window and the
#: transposed convolution drawn as a convolution (Dumoulin & Visin), a stack's receptive field (fig. 9.4),
#: and the 2D set: a strided, padded Conv2d's windows and its block matrix.
ISOLATED = (Conv1d(1, 1, 3, padding=1), 7)


def views(out: Path) -> list[Path]:
    """The isolated views, the windows, the zero-inserted transposed convolution, the receptive field, 2D."""
    layer, length = ISOLATED
    stack = symconv.Sequential(Conv1d(1, 1, 3), symconv.Activation("relu"), Conv1d(1, 1, 3), symconv.MaxPool1d(2))
    conv2d = symconv.Conv2d(1, 1, 3, stride=2, padding=1)
    figures = {
        "isolated-from-input": symconv.connectivity_diagram(layer, length, from_input=3),
        "isolated-from-output": symconv.connectivity_diagram(layer, length, from_output=3),
        "isolated-weight": symconv.connectivity_diagram(layer, length, weight=0),
        "window-dilation2-stride2": symconv.window_diagram(Conv1d(1, 1, 3, stride=2, dilation=2), 9, outputs=[0, 1, 2]),
        "window-reflect": symconv.window_diagram(Conv1d(1, 1, 3, padding=2, padding_mode="reflect"), 5, outputs=[0, 4]),
        "transposed-zero-inserted": symconv.zero_inserted_diagram(symconv.ConvTranspose1d(1, 1, 3, stride=2), 4),
        "receptive-field-stack": symconv.receptive_field_diagram(stack, 12),
        "conv2d-window": symconv.window_diagram(conv2d, (5, 5), outputs=[(0, 0), (1, 2)]),
        "conv2d-blocks": symconv.block_matrix_picture(symconv.Conv2d(1, 1, 2, padding=1), (3, 3)),
    }
    written = []
    for name, figure in figures.items():
        for suffix in (".svg", ".png"):
            written.append(figure.save(out / f"{name}{suffix}"))
    return written


def build(out: Path = FIGURES) -> list[Path]:
    """Write every figure into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    return derivation_pages(out) + pictures(out) + views(out)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else FIGURES
    for path in build(out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
