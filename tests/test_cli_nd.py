"""``symconv explain`` for 2D and 3D layers: per-axis options, ``l:r`` pairs, the block structure, numbers."""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from symconv.cli.app import main
from symconv.cli.options import padding_for


def explain(capsys: pytest.CaptureFixture[str], *options: str) -> str:
    assert main(["explain", *options]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def usage_error(capsys: pytest.CaptureFixture[str], *options: str) -> str:
    with pytest.raises(SystemExit) as info:
        main(["explain", *options])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_a_2d_layer_prints_its_axes_equations_blocks_and_tying(capsys: pytest.CaptureFixture[str]) -> None:
    out = explain(capsys, "--kernel-size", "3,3", "--input-shape", "5,5", "--no-bias")
    assert "Conv2d(in_channels=1, out_channels=1, kernel_size=(3, 3)" in out
    assert "axis 0 (H): size 5, padding (0, 0), floor((5 + 0 + 0 - 1*(3-1) - 1)/1) + 1 = 3" in out
    assert "z_0,0 = w_0,0⋅x_0,0 + w_0,1⋅x_0,1 + w_0,2⋅x_0,2 + w_1,0⋅x_1,0" in out
    assert "z_2,2 = w_0,0⋅x_2,2" in out
    assert "Block structure: 3 x 5 blocks of 3 x 5" in out
    assert "  A B C . .\n  . A B C .\n  . . A B C\n" in out
    assert "block Toeplitz" in out
    assert "w_0,0: z_0,0<-x_0,0, z_0,1<-x_0,1" in out and "(9 pairs)" in out
    assert "Counts: 81 taps, 9 parameters, 81 non-zero matrix entries; a dense layer of the same shape has 225" in out


def test_block_structure_names_circulant_and_folding_layers(capsys: pytest.CaptureFixture[str]) -> None:
    out = explain(capsys, "--kernel-size", "3", "--input-shape", "4,4", "--padding", "1", "--padding-mode", "circular")
    assert "  A B . C\n  C A B .\n  . C A B\n  B . C A\n" in out and "block circulant" in out
    out = explain(capsys, "--input-shape", "4,4", "--padding", "1", "--padding-mode", "reflect")
    assert "do not repeat along diagonals" in out
    out = explain(capsys, "--input-shape", "4,4,4", "--in-channels", "2", "--out-channels", "2", "--padding", "1")
    assert "Block structure: 32 x 32 blocks of 4 x 4" in out and "output row a = (o, i0, i1)" in out
    assert "too large to print here" in out


def test_numbers_equal_torch(capsys: pytest.CaptureFixture[str]) -> None:
    x, w = np.arange(1, 13).reshape(1, 1, 3, 4), np.array([1, 0, 2, 0, 0, 1]).reshape(1, 1, 2, 3)
    out = explain(
        capsys, "--kernel-size", "2,3", "--input-shape", "3,4", "--padding", "0:1,1", "--stride", "1,2",
        "--x", ",".join(map(str, x.ravel())), "--w", ",".join(map(str, w.ravel())), "--b", "1",
    )  # fmt: skip
    z = ast.literal_eval(re.search(r"z = (\[\[.*\]\])", out).group(1))  # type: ignore[union-attr]
    ref = F.conv2d(F.pad(torch.tensor(x, dtype=torch.float64), (1, 1, 0, 1)), torch.tensor(w, dtype=torch.float64),
                   torch.tensor([1.0], dtype=torch.float64), stride=(1, 2))  # fmt: skip
    assert z == ref[0].tolist()


def test_padding_syntax_per_axis_and_1d_unchanged() -> None:
    assert padding_for("1", 2) == 1 and padding_for("1,0", 2) == (1, 0)
    assert padding_for("0:1,1:1", 2) == ((0, 1), (1, 1)) and padding_for("same,0:2,1", 3) == ("same", (0, 2), 1)
    assert padding_for("0,2", 1) == (0, 2) and padding_for("0:2", 1) == (0, 2) and padding_for("causal", 1) == "causal"
    with pytest.raises(ValueError, match=r"one per axis \(2 here"):
        padding_for("1,2,3", 2)
    with pytest.raises(ValueError, match="'--padding' of a 1D layer"):
        padding_for("1,2,3", 1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ("--input-shape", "5,5", "--padding", "1,2,3"),
            "'--padding' must give one value for every axis or one per axis",
        ),
        (("--kernel-size", "3,3,3", "--input-shape", "5,5"), "'--kernel-size' gives 3 values but the layer has 2"),
        (("--input-shape", "1,2,3,4"), "'--input-shape' must have 1, 2 or 3 sizes (got 4: (1, 2, 3, 4))."),
        (("--input-length", "4", "--input-shape", "4,4"), "'--input-length' and '--input-shape' both give the input"),
        (
            ("--stride", "1,0", "--input-shape", "5,5"),
            "argument --stride: axis 1 must be a positive int (got 0) in '1,0'",
        ),
        (("--padding", "1:2:3"), "a pair is 'left:right', two ints; got '1:2:3'"),
        (("--input-shape", "5,5", "--x", "1,2,3"), "'--x' must hold 25 numbers, in_channels*prod(input_shape) = 1*25"),
        (
            ("--input-shape", "2,5", "--kernel-size", "3"),
            "axis 0: input size 2 with padding (0, 0) gives a padded size",
        ),
        (("--input-shape", "5,5", "--padding", "2", "--padding-mode", "reflect", "--kernel-size", "5,5"), None),
    ],
)
def test_bad_nd_options_are_usage_errors(
    capsys: pytest.CaptureFixture[str], options: tuple[str, ...], message: str | None
) -> None:
    if message is None:  # a valid edge: reflect padding 2 on a size-5 axis
        assert "Block structure" in explain(capsys, *options)
        return
    assert message in usage_error(capsys, *options)
