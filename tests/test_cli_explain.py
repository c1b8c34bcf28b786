"""``symconv explain``: the motivating question by default, the layer options, clean usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from symconv.cli.app import main

SYMCONV = Path(sys.executable).parent / "symconv"


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
    assert err.startswith("usage: symconv")
    return err.strip().splitlines()[-1]


def test_no_options_answers_the_motivating_question(capsys: pytest.CaptureFixture[str]) -> None:
    out = explain(capsys)
    assert "cross-correlation (no flip, as PyTorch)" in out
    assert "z₀ = b + w₀⋅x₀ + w₁⋅x₁ + w₂⋅x₂" in out
    assert "z₁ = b + w₀⋅x₁ + w₁⋅x₂ + w₂⋅x₃" in out
    assert "⎡w₀  w₁  w₂  0 ⎤" in out and "⎣0   w₀  w₁  w₂⎦" in out
    assert "w_0: z_0<-x_0, z_1<-x_1" in out
    assert "With numbers x = [1, 2, 3, 4], w = [5, 6, 7]:" in out
    assert "what PyTorch's Conv1d computes): z = [38, 56]" in out
    assert "true convolution, kernel flipped: [34, 52]" in out
    assert "no cropping): [5, 16, 34, 52, 45, 28]" in out
    assert "applied elementwise, h = f(z)" in out
    assert "σ(b + w₀⋅x₀ + w₁⋅x₁ + w₂⋅x₂)" in out
    assert (
        "Counts: 6 taps, 4 parameters, 6 non-zero matrix entries; a dense layer of the same shape has 10 parameters."
        in out
    )


def test_same_padding_with_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    out = explain(capsys, "--padding", "same", "--x", "1,2,3,4", "--w", "5,6,7", "--b", "1")
    assert "padding (left, right) = (1, 1)" in out and "L_out = " in out and "= 4" in out
    assert "z₀ = b + w₁⋅x₀ + w₂⋅x₁" in out
    # [6+14, 5+12+21, 10+18+28, 15+24] + 1
    assert "z = [21, 39, 57, 40]" in out
    assert "b = [1]" in out


def test_padding_pair_and_mode(capsys: pytest.CaptureFixture[str]) -> None:
    out = explain(capsys, "--padding", "1,1", "--padding-mode", "reflect", "--no-bias", "--input-length", "5")
    assert "padding_mode='reflect'" in out
    assert "z₀ = w₀⋅x₁ + w₁⋅x₀ + w₂⋅x₁" in out


def test_no_bias_flip_and_index_base(capsys: pytest.CaptureFixture[str]) -> None:
    out = explain(capsys, "--no-bias", "--flip", "--index-base", "1")
    assert "true convolution (kernel flipped)" in out
    assert "z₁ = w₁⋅x₃ + w₂⋅x₂ + w₃⋅x₁" in out
    assert "z₂ = w₁⋅x₄ + w₂⋅x₃ + w₃⋅x₂" in out
    assert "⎡w₃  w₂  w₁  0 ⎤" in out
    equations = [line for line in out.splitlines() if line.startswith("z")]
    assert len(equations) == 2 and all("b" not in line for line in equations)


def test_flip_with_numbers_gives_true_convolution(capsys: pytest.CaptureFixture[str]) -> None:
    out = explain(capsys, "--flip", "--no-bias", "--x", "1,2,3,4", "--w", "5,6,7")
    assert "the layer, true convolution: z = [34, 52]" in out
    assert "cross-correlation, no flip: [38, 56]" in out


def test_channels_groups_stride_dilation(capsys: pytest.CaptureFixture[str]) -> None:
    out = explain(
        capsys,
        *("--in-channels", "2", "--out-channels", "2", "--groups", "2", "--kernel-size", "2"),
        *("--stride", "2", "--dilation", "2", "--input-length", "7", "--x", "1,2,3,4,5,6,7,1,1,1,1,1,1,1"),
        *("--w", "1,-1,2,3", "--b", "0,1"),
    )
    assert "output length L_out = floor((L + 0 + 0 - 2*(2-1) - 1)/2) + 1 = 3" in out
    assert "z_0,0 = b₀ + w_0,0,0⋅x_0,0 + w_0,0,1⋅x_0,2" in out
    assert "z_1,2 = b₁ + w_1,0,0⋅x_1,4 + w_1,0,1⋅x_1,6" in out
    # channel 0: x[2i] - x[2i+2] = -2; channel 1: 2 + 3 + 1
    assert "z = [[-2, -2, -2], [6, 6, 6]]" in out


def test_options_are_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["explain", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--in-channels",
        "--out-channels",
        "--kernel-size",
        "--stride",
        "--padding",
        "--dilation",
        "--groups",
        "--padding-mode",
        "--no-bias",
        "--flip",
        "--input-length",
        "--index-base",
        "--x",
        "--w",
        "--b",
    ):
        assert option in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--stride", "0"), "error: argument --stride: must be a positive int (got 0)"),
        (("--kernel-size", "0"), "error: argument --kernel-size: must be a positive int (got 0)"),
        (("--groups", "2"), "error: 'in_channels' must be divisible by 'groups' (got in_channels=1, groups=2)."),
        (("--padding", "-1"), "error: 'padding' must be an int >= 0 (got -1)."),
        (
            ("--padding", "1,-1"),
            "error: 'padding' given as a (left, right) pair must hold ints >= 0 (got (1, -1)).",
        ),
        (
            ("--stride", "2", "--padding", "same"),
            "error: padding='same' is not supported for strided convolutions (got stride=2); "
            "padding='tf_same' gives TensorFlow's rule for any stride.",
        ),
        (
            ("--padding", "foo"),
            "error: argument --padding: expected an int, 'left,right' (1D), 'left:right' or one of valid, same, "
            "causal, full, tf_same, jax_same_lower; got 'foo'",
        ),
        (
            ("--padding-mode", "xyz"),
            "error: argument --padding-mode: invalid choice: 'xyz' (choose from 'zeros', 'reflect', 'replicate', "
            "'circular', 'symmetric', 'wrap')",
        ),
        (("--index-base", "2"), "error: argument --index-base: invalid choice: 2 (choose from 0, 1)"),
        (("--stride", "two"), "error: argument --stride: must be a positive int (got 'two')"),
        (("--x", "1,a"), "error: argument --x: expected comma-separated numbers such as 1,2,3/2; got '1,a'"),
        (
            ("--kernel-size", "9"),
            "error: 'input_length' 4 with padding (0, 0) gives a padded length of 4, shorter than the dilated "
            "kernel extent dilation*(kernel_size-1)+1 = 1*(9-1)+1 = 9.",
        ),
        (
            ("--padding", "4", "--padding-mode", "reflect"),
            "error: padding_mode='reflect' needs each padding side < input_length (got padding (4, 4) for "
            "input_length 4).",
        ),
        (
            ("--kernel-size", "2", "--x", "1,2,3", "--w", "5,6,7"),
            "error: '--w' must hold 2 numbers, one per weight of shape (1, 1, 2) (got 3).",
        ),
        (
            ("--input-length", "5", "--x", "1,2,3"),
            "error: '--x' must hold 5 numbers, in_channels*input_length = 1*5 (got 3).",
        ),
        (
            ("--in-channels", "2", "--x", "1,2,3"),
            "error: '--x' must hold a multiple of in_channels = 2 numbers (got 3).",
        ),
        (
            ("--x", "1,2,3", "--w", "1,2", "--b", "1,2"),
            "error: '--b' must hold 1 numbers, one per output channel (got 2).",
        ),
        (
            ("--no-bias", "--x", "1,2,3,4", "--w", "5,6,7", "--b", "1"),
            "error: '--b' gives a bias, but '--no-bias' leaves it out: use one or the other.",
        ),
    ],
)
def test_bad_options_are_usage_errors(
    capsys: pytest.CaptureFixture[str], options: tuple[str, ...], message: str
) -> None:
    assert usage_error(capsys, *options).endswith(message)


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


def test_installed_script_runs() -> None:
    done = subprocess.run([str(SYMCONV), "explain"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "z = [38, 56]" in done.stdout
    assert "[34, 52]" in done.stdout and "[5, 16, 34, 52, 45, 28]" in done.stdout
    bad = subprocess.run([str(SYMCONV), "explain", "--stride", "0"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith("error: argument --stride: must be a positive int (got 0)")


# -- issue 9: the flipped-kernel line follows the padding mode; bad values are usage errors ---------------


def torch_true_convolution(x: list[int], w: list[int], padding: int, mode: str) -> list[int]:
    """True convolution as PyTorch computes it: flip the kernel, pad with ``mode``, cross-correlate."""
    import torch
    import torch.nn.functional as F

    xt = torch.tensor([[x]], dtype=torch.float64)
    wt = torch.tensor([[w]], dtype=torch.float64).flip(-1)
    torch_mode = {"zeros": "constant"}.get(mode, mode)
    return [int(v) for v in F.conv1d(F.pad(xt, (padding, padding), mode=torch_mode), wt).ravel().tolist()]


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, 2])
def test_flipped_kernel_line_uses_the_padding_mode(capsys: pytest.CaptureFixture[str], mode: str, padding: int) -> None:
    x, w = [1, 2, 3, 4], [5, 6, 7]
    out = explain(capsys, "--padding", str(padding), "--padding-mode", mode, "--x", "1,2,3,4", "--w", "5,6,7")
    expected = torch_true_convolution(x, w, padding, mode)
    assert f"the same padding as true convolution, kernel flipped: {expected}" in out


def test_flipped_kernel_line_issue_values(capsys: pytest.CaptureFixture[str]) -> None:
    for mode, expected in (("circular", "[44, 34, 52, 50]"), ("reflect", "[30, 34, 52, 60]")):
        out = explain(capsys, "--padding", "1", "--padding-mode", mode, "--x", "1,2,3,4", "--w", "5,6,7")
        assert f"kernel flipped: {expected}" in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--input-length", "0"), "error: argument --input-length: must be a positive int (got 0)"),
        (("--x", "1/0"), "error: argument --x: a fraction has a zero denominator; got '1/0'"),
        (("--in-channels", "0", "--x", "1,2,3"), "error: argument --in-channels: must be a positive int (got 0)"),
        (("--groups", "0"), "error: argument --groups: must be a positive int (got 0)"),
        (("--x", "1e99999999"), "error: argument --x: exponents must be at most 1000 in size; got '1e99999999'"),
        (
            ("--out-channels", "2", "--w", "1,2,3"),
            "error: '--w' must hold a multiple of out_channels*in_channels/groups = 2 numbers to give the kernel "
            "size (got 3); or set --kernel-size.",
        ),
    ],
)
def test_values_that_were_silently_changed_or_crashed_are_usage_errors(
    capsys: pytest.CaptureFixture[str], options: tuple[str, ...], message: str
) -> None:
    assert usage_error(capsys, *options).endswith(message)
