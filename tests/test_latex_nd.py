"""Derivations of 2D and 3D layers (symconv.latex.nd): checked steps, numbers against PyTorch, block rule,
Kronecker form, 1-based text, options, and one pdflatex compile of a few documents."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import scipy.sparse as sp
import torch

import symconv
from symconv.latex import VerificationError, compile_pdf
from symconv.latex.compile import overfull_boxes
from symconv.latex.document import PREAMBLE, THEOREMS
from symconv.latex.nd_axes import factors, kronecker_labels, mismatches, numbers_matrix, rule_labels, tap_labels

F = torch.nn.functional


def _values(math: str) -> dict[tuple[int, ...], int]:
    """``z_{i,j} &= 32`` lines of a numbers step, as {(i, j): 32}."""
    out = {}
    for lhs, rhs in re.findall(r"z_\{([\d,]+)\} &= (-?\d+)", math):
        out[tuple(int(v) for v in lhs.split(","))] = int(rhs)
    return out


def test_sections_and_claims_2d() -> None:
    d = symconv.derivation(symconv.Conv2d(1, 1, 3, stride=2, padding=1), (8, 8))
    assert [s.key for s in d.sections] == [
        "setting",
        "equations",
        "matrix",
        "blocks",
        "kronecker",
        "backprop",
        "separability",
    ]
    assert d.claims > 30
    text = d.document()
    assert "64\\,c + 8\\,t + u" in text and "16\\,o + 4\\,i + j" in text  # the C-order vec
    assert "shows" not in d.section("equations").steps[0].words  # 4x4 outputs shown whole at max_size 8


def test_wrong_kronecker_claim_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    other = symconv.Conv2d(1, 1, 3, stride=1, padding=1).expand((5, 5))
    import symconv.latex.nd_structure as structure

    monkeypatch.setattr(
        structure, "kronecker_labels", lambda e: kronecker_labels(other)[:, : e.matrix_shape[0] * e.matrix_shape[1]]
    )
    with pytest.raises(VerificationError, match="kronecker form"):
        symconv.derivation(symconv.Conv2d(1, 1, 3, stride=2, padding=1), (5, 5), sections=["kronecker"])


def test_wrong_block_rule_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import symconv.latex.nd_structure as structure

    monkeypatch.setattr(structure, "rule_labels", lambda e: tap_labels(e) * 2)
    with pytest.raises(VerificationError, match="block rule"):
        symconv.derivation(symconv.Conv2d(1, 1, 2), (3, 3), sections=["blocks"])


@pytest.mark.parametrize(
    "layer, shape, conv",
    [
        (symconv.Conv2d(1, 1, 3, stride=2, padding=1), (5, 6), "2d"),
        (symconv.Conv2d(2, 2, (2, 3), dilation=(2, 1), padding=(1, 2)), (4, 5), "2d"),
        (symconv.Conv3d(1, 2, 2, stride=(1, 2, 1), padding=1), (3, 4, 3), "3d"),
        (symconv.ConvTranspose2d(1, 1, 3, stride=2, padding=1), (3, 3), "t2d"),
    ],
)
def test_printed_numbers_equal_torch(layer: object, shape: tuple[int, ...], conv: str) -> None:
    rng = np.random.default_rng(0)
    spec = layer.expand(shape).spec  # type: ignore[attr-defined]
    x = rng.integers(-4, 5, size=(spec.in_channels, *shape))
    w = rng.integers(-3, 4, size=spec.weight_shape)
    b = rng.integers(-5, 6, size=(spec.out_channels,))
    d = symconv.derivation(layer, shape, x=x, w=w, b=b)
    printed = _values(d.section("equations").steps[-1].math)
    xt, wt, bt = (torch.tensor(a, dtype=torch.float64) for a in (x[None], w, b))
    if conv == "2d":
        ref = F.conv2d(xt, wt, bt, stride=spec.stride, padding=[p[0] for p in spec.padding], dilation=spec.dilation)
    elif conv == "3d":
        ref = F.conv3d(xt, wt, bt, stride=spec.stride, padding=[p[0] for p in spec.padding], dilation=spec.dilation)
    else:
        ref = F.conv_transpose2d(xt, wt, bt, stride=spec.stride, padding=spec.padding)
    ref = ref[0].numpy().astype(np.int64)
    assert len(printed) >= 4
    single = spec.in_channels == 1 and spec.out_channels == 1
    for key, value in printed.items():
        assert value == (ref[(0, *key)] if single else ref[key])


CONFIGS = list(
    itertools.product(
        [(3, 2)], [(1, 1), (2, 1), (1, 3)], [(1, 1), (2, 1)], [(0, 0), (1, 2)], ["zeros", "reflect", "circular"]
    )
)


@pytest.mark.parametrize("kernel, stride, dilation, padding, mode", CONFIGS)
def test_block_rule_and_kronecker_form(
    kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int], padding: tuple[int, int], mode: str
) -> None:
    e = symconv.Conv2d(2, 2, kernel, stride=stride, dilation=dilation, padding=padding, padding_mode=mode).expand(
        (5, 6)
    )
    taps = tap_labels(e)
    assert mismatches(taps, kronecker_labels(e)) == 0
    assert mismatches(taps, rule_labels(e)) == 0
    # the Kronecker route on numbers equals PyTorch's convolution (one channel pair, zero padding)
    if mode == "zeros":
        rng = np.random.default_rng(1)
        k = rng.integers(-3, 4, size=kernel)
        x = rng.integers(-4, 5, size=(5, 6))
        m = numbers_matrix(factors(tuple(e.taps.geometry.axes)), k)
        ref = F.conv2d(
            torch.tensor(x[None, None], dtype=torch.float64),
            torch.tensor(k[None, None], dtype=torch.float64),
            stride=stride,
            dilation=dilation,
            padding=padding,
        )
        assert (m @ x.ravel()).tolist() == ref.numpy().astype(np.int64).ravel().tolist()


def test_kronecker_3d_and_transposed() -> None:
    for layer, shape in [
        (symconv.Conv3d(2, 4, (2, 3, 2), stride=(2, 1, 1), padding=1, padding_mode="replicate", groups=2), (3, 4, 3)),
        (symconv.ConvTranspose3d(2, 2, 2, stride=2, dilation=(1, 2, 1), padding=1), (2, 3, 2)),
        (symconv.ConvTranspose2d(2, 4, (3, 2), stride=(3, 2), padding=(1, 0), groups=2), (3, 4)),
    ]:
        e = layer.expand(shape)
        assert mismatches(tap_labels(e), kronecker_labels(e)) == 0
        assert mismatches(tap_labels(e), rule_labels(e)) == 0


def test_separability_is_checked() -> None:
    d = symconv.derivation(
        symconv.Conv3d(1, 1, 2, padding=1, padding_mode="reflect"), (3, 3, 3), sections=["separability"]
    )
    assert d.claims == 2 and "u \\otimes v \\otimes r" in d.document()


def test_one_based_text() -> None:
    d = symconv.derivation(symconv.Conv2d(1, 1, 3, stride=2, padding=1), (5, 5), index_base=1)
    text = d.document()
    assert "s_H (i - 1) + d_H (k - 1) - p_H + 1" in text
    assert "z_{1,1}" in text and "z_{0," not in text and "x_{0," not in text and "w_{0," not in text
    assert "subscripts from $1$" in text


def test_options() -> None:
    layer, shape = symconv.Conv2d(1, 1, 2), (3, 3)
    d = symconv.derivation(layer, shape, sections=["index", 3, "theorems"], why=False, section_level="subsection")
    assert [s.key for s in d.sections] == ["equations", "matrix", "separability"]
    text = d.document()
    assert "Why." not in text and "\\subsection{" in text and "\\section{" not in text
    with pytest.raises(ValueError, match="'sections' entries must be among"):
        symconv.derivation(layer, shape, sections=["nonsense"])
    with pytest.raises(ValueError, match="'activation'"):
        symconv.derivation(layer, shape, sections=["activation"])
    with pytest.raises(ValueError, match="'activation'"):
        symconv.derivation(layer, shape, activation="relu")
    with pytest.raises(ValueError, match="'proofs'"):
        symconv.derivation(layer, shape, proofs=True)
    d = symconv.derivation(layer, shape, names={"x": "u", "w": "k"})
    assert "u_{0,0}" in d.document() and "k_{1,1}" in d.document()
    folded = symconv.derivation(symconv.Conv2d(1, 1, 3, padding=1, padding_mode="replicate"), (3, 3))
    assert "folded" in [s.key for s in folded.sections]


def test_big_grid_is_elided() -> None:
    d = symconv.derivation(symconv.Conv2d(1, 1, 3, padding=1), (12, 12))
    words = d.section("equations").steps[0].words
    assert "of the 144 outputs" in words
    assert "\\vdots" in d.section("equations").steps[0].math


def test_compile_2d_3d() -> None:
    layers = [
        (symconv.Conv2d(1, 1, 3, stride=2, padding=1), (8, 8), {}),
        (symconv.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), (4, 4), {"index_base": 1}),
        (symconv.ConvTranspose2d(1, 1, 3, stride=2, padding=1), (3, 3), {}),
        (symconv.Conv3d(1, 1, 2, padding=1, padding_mode="circular"), (3, 3, 3), {}),
    ]
    parts = []
    for number, (layer, shape, options) in enumerate(layers):
        d = symconv.derivation(layer, shape, section_level="subsection", **options)
        parts.append(f"\\section{{Layer {number + 1}}}\n{d.fragment()}")
    body = "\n\\clearpage\n".join(parts)
    document = f"{PREAMBLE}{THEOREMS}\n\\begin{{document}}\n{body}\n\\end{{document}}\n"
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nd.tex"
        path.write_text(document, encoding="utf-8")
        compile_pdf(path)
        log = path.with_suffix(".log").read_text(errors="replace")
    assert overfull_boxes(log) == []
    assert "There were undefined references" not in log and "Reference `" not in log


def test_sparse_mismatch_helper() -> None:
    a = sp.csr_matrix(np.array([[1, 0], [0, 2]]))
    assert mismatches(a, a) == 0 and mismatches(a, a * 2) == 2 and mismatches(a, a[:1]) == -1


def test_scipy_modes_print_scipy_numbers() -> None:
    import scipy.signal

    rng = np.random.default_rng(2)
    x, w = rng.integers(-4, 5, size=(4, 5)), rng.integers(-3, 4, size=(3, 3))
    for layer, ref in [
        (symconv.convolve((3, 3), "same", "scipy"), scipy.signal.convolve(x, w, "same")),
        (symconv.correlate((3, 3), "full", "scipy2d", boundary="wrap"), scipy.signal.correlate2d(x, w, "full", "wrap")),
    ]:
        d = symconv.derivation(layer, (4, 5), x=x, w=w)
        assert "scipy.signal." in d.title
        printed = _values(d.section("equations").steps[-1].math)
        assert printed and all(value == ref[key] for key, value in printed.items())


def test_grouped_gradient_formulas_name_the_group_offset() -> None:
    """With groups, w_{o,c,...} reads input channel gamma_o + c (the notation table); a transposed layer's
    w_{c,o,...} feeds output channel gamma'_c + o. The printed first and last entries agree with the rule."""
    conv = symconv.derivation(symconv.Conv2d(4, 2, 2, groups=2), (3, 3), sections=["backprop"]).fragment()
    assert r"x_{\gamma_o + c,t,u}" in conv and r"w_{o,c - \gamma_o,k,l}" in conv
    # w_{1,1,1,1}: o = 1 starts at gamma_1 = 2, so it reads input channel 3
    assert r"\frac{\partial L}{\partial w_{1,1,1,1}} &= \delta_{1,0,0} x_{3,1,1}" in conv
    transposed = symconv.derivation(
        symconv.ConvTranspose2d(4, 2, 2, groups=2, stride=2), (3, 3), sections=["backprop"]
    ).fragment()
    assert r"\delta_{\gamma'_c + o,t,u}" in transposed
    # w_{3,0,...}: input channel 3 is in the second group, whose output channels start at gamma'_3 = 1
    assert r"\frac{\partial L}{\partial x_{3,2,2}} &= \delta_{1,4,4} w_{3,0,0,0}" in transposed
