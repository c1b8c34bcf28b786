"""The CLI covers what the Python API has (issue 12): ``--transposed``/``--output-padding``, the NumPy/SciPy
``--mode``s, stacks with ``--layers``, ``explain --max-size`` and ``latex --names``, each checked against
PyTorch, NumPy or SciPy on integer data, and each refusal a usage error naming the option."""

from __future__ import annotations

import ast
import random
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import torch

from symconv.cli.app import build_parser, command_parser, main


def run(capsys: pytest.CaptureFixture[str], command: str, *options: str) -> str:
    assert main([command, *options]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def usage_error(capsys: pytest.CaptureFixture[str], command: str, *options: str) -> str:
    """The last line of the usage error ``symconv COMMAND OPTIONS`` exits with (status 2, no traceback)."""
    with pytest.raises(SystemExit) as info:
        main([command, *options])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and err.startswith(f"usage: symconv {command}")
    return err.strip().splitlines()[-1]


def z_values(out: str) -> list[object]:
    """The numbers after ``z = `` (or after ``mode=...) = ``) in ``explain``'s output."""
    match = re.search(r"(?:: z|\)) = (\[.*\])$", out, re.MULTILINE)
    assert match, out
    return ast.literal_eval(match.group(1))


def flat(a: np.ndarray | torch.Tensor) -> str:
    return ",".join(str(int(v)) for v in np.asarray(a).ravel())


# -- --transposed, --output-padding -----------------------------------------------------------------------


def test_transposed_equals_torch_on_random_configs(capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(12)
    for _ in range(8):
        groups = rng.choice([1, 1, 2])
        c_in, c_out = groups * rng.randint(1, 2), groups * rng.randint(1, 2)
        k, s, d, length = rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 2), rng.randint(1, 5)
        p, op = rng.randint(0, 1), rng.randrange(max(s, d))
        layer = torch.nn.ConvTranspose1d(
            c_in, c_out, k, stride=s, padding=p, output_padding=op, groups=groups, dilation=d
        )
        x = torch.randint(-4, 5, (1, c_in, length))
        w = torch.randint(-3, 4, tuple(layer.weight.shape))
        b = torch.randint(-3, 4, (c_out,))
        expected = torch.nn.functional.conv_transpose1d(x, w, b, s, p, op, groups, d)[0]
        options = ["--transposed", "--in-channels", str(c_in), "--out-channels", str(c_out), "--kernel-size", str(k)]
        options += ["--stride", str(s), "--padding", str(p), "--output-padding", str(op), "--dilation", str(d)]
        options += ["--groups", str(groups), "--input-length", str(length), f"--x={flat(x)}", f"--w={flat(w)}"]
        out = run(capsys, "explain", *options, f"--b={flat(b)}")
        assert out.split("\n\n")[0].endswith(
            f" + 1 = {expected.shape[-1]}"
        )  # the output length, with PyTorch's formula
        z = np.array(z_values(out)).reshape(c_out, -1)
        assert z.tolist() == expected.tolist(), options


def test_transposed_2d_output_shape_and_numbers_equal_torch(capsys: pytest.CaptureFixture[str]) -> None:
    x, w = torch.arange(1, 10).reshape(1, 1, 3, 3), torch.tensor([[[[1, 0, 2], [0, 1, 0]]]])
    options = ["--transposed", "--kernel-size", "2,3", "--stride", "2,1", "--output-padding", "1,0", "--padding", "0,1"]
    out = run(capsys, "explain", *options, "--input-shape", "3,3", "--x", flat(x), "--w", flat(w), "--b", "1")
    expected = torch.nn.functional.conv_transpose2d(x, w, torch.tensor([1]), (2, 1), (0, 1), (1, 0))[0]
    assert f"output shape {tuple(expected.shape[1:])}" in out
    assert (
        "axis 0 (H): size 3, (n-1)*s - 2p + d*(K-1) + output_padding + 1 = (3-1)*2 - 2*0 + 1*(2-1) + 1 + 1 = 7" in out
    )
    assert np.array(z_values(out)).tolist() == expected.tolist()
    assert "Block structure: 7 x 3 blocks of 3 x 3" in out  # rows of the 7 x 3 output, against rows of the input
    out = run(capsys, "explain", "--transposed", "--stride", "2", "--padding", "same", "--input-length", "3")
    assert "output length L_out = L*s = 3*2 = 6 (padding 'same': TensorFlow's rule)" in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--output-padding", "1"], "'--output-padding' adds outputs to a transposed convolution: add --transposed"),
        (
            ["--transposed", "--stride", "2", "--output-padding", "2"],
            "got output padding 2 with stride 2 and dilation 1",
        ),
        (["--transposed", "--output-padding", "1"], "smaller than either --stride or --dilation"),
        (
            ["--transposed", "--input-shape", "4,4", "--stride", "2,1", "--output-padding", "1"],
            "on axis 1: got output padding 1 with stride 1 and dilation 1",
        ),
        (["--transposed", "--output-padding", "-1"], "argument --output-padding: must be ints >= 0"),
        (["--transposed", "--padding-mode", "reflect"], "'--padding-mode' must be zeros with --transposed"),
        (["--transposed", "--flip"], "'--flip' is not an option of a transposed convolution"),
        (["--transposed", "--padding", "1:2"], "not a (left, right) pair (got --padding 1:2)"),
        (["--transposed", "--padding", "valid"], "an int per axis or 'same' (got --padding valid)"),
        (["--transposed", "--stride", "2", "--padding", "same", "--output-padding", "1"], "0 with --padding same"),
        (["--torch", "nn.ConvTranspose1d(1, 1, 3)", "--transposed", "--input-length", "4"], "leave out --transposed"),
    ],
)
def test_transposed_refusals_name_the_option(
    capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    assert message in usage_error(capsys, "explain", *options)


def test_pytorch_refuses_the_output_padding_the_cli_refuses() -> None:
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        torch.nn.ConvTranspose1d(1, 1, 3, stride=2, output_padding=2)(torch.ones(1, 1, 4))


# -- --mode, --operation, --convention --------------------------------------------------------------------

REFERENCE = {
    ("numpy", "convolve"): np.convolve,
    ("numpy", "correlate"): np.correlate,
    ("scipy", "convolve"): scipy.signal.convolve,
    ("scipy", "correlate"): scipy.signal.correlate,
}


@pytest.mark.parametrize("convention", ["numpy", "scipy"])
@pytest.mark.parametrize("operation", ["convolve", "correlate"])
def test_modes_equal_numpy_and_scipy(capsys: pytest.CaptureFixture[str], convention: str, operation: str) -> None:
    rng = np.random.default_rng(7)
    for mode in ("full", "same", "valid"):
        for length, size in ((5, 3), (4, 2), (2, 4), (1, 1)):
            x, w = rng.integers(-5, 6, length), rng.integers(-3, 4, size)
            argv = [
                "--mode",
                mode,
                "--operation",
                operation,
                "--convention",
                convention,
                f"--x={flat(x)}",
                f"--w={flat(w)}",
            ]
            out = run(capsys, "explain", *argv)
            expected = REFERENCE[convention, operation](x, w, mode=mode)
            assert z_values(out) == expected.tolist(), argv
            library = "np" if convention == "numpy" else "scipy.signal"
            assert out.startswith(f"Computes: {library}.{operation}(x, w, mode={mode!r}) with a kernel of {size}")


def test_mode_defaults_to_np_convolve_and_reads_the_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "explain", "--mode", "full", "--x", "1,2,3,4", "--w", "5,6,7")
    assert z_values(out) == np.convolve([1, 2, 3, 4], [5, 6, 7]).tolist() == [5, 16, 34, 52, 45, 28]
    out = run(capsys, "explain", "--mode", "valid", "--kernel-size", "2", "--input-length", "3")
    assert "z₀ = w₀⋅x₁ + w₁⋅x₀" in out and "z₁ = w₀⋅x₂ + w₁⋅x₁" in out and "z₂" not in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--mode", "same", "--in-channels", "2"], "one channel in and out, stride 1, dilation 1"),
        (["--mode", "same", "--stride", "2", "--padding", "1"], "leave out --stride, --padding"),
        (["--mode", "full", "--transposed"], "leave out --transposed"),
        (
            ["--mode", "full", "--flip"],
            "leave out --flip (--operation chooses convolve, the kernel flipped, or correlate).",
        ),
        (["--mode", "full", "--b", "1"], "'--b': np.convolve and np.correlate have no bias"),
        (["--mode", "full", "--input-shape", "4,4"], "'--mode' is 1D"),
        (["--mode", "full", "--kernel-size", "3,3"], "'--kernel-size' of a --mode is one int"),
        (["--mode", "full", "--x", "1,2,3", "--input-length", "4"], "'--x' must hold 4 numbers"),
        (["--mode", "full", "--w", "1,2", "--kernel-size", "3"], "'--w' must hold 3 numbers"),
        (["--operation", "correlate"], "'--operation' chooses the NumPy/SciPy function of '--mode'"),
        (["--convention", "scipy"], "add --mode full, same or valid (got --convention scipy without it)"),
        (["--mode", "wide"], "argument --mode: invalid choice: 'wide'"),
        (["--torch", "nn.Conv1d(1, 1, 3)", "--mode", "full", "--input-length", "4"], "leave out --mode"),
    ],
)
def test_mode_refusals_name_the_option(capsys: pytest.CaptureFixture[str], options: list[str], message: str) -> None:
    assert message in usage_error(capsys, "explain", *options)


# -- --layers ---------------------------------------------------------------------------------------------

STACKS = [
    ("Conv1d(1, 2, 3, padding=1), ReLU(), MaxPool1d(2)", (1, 9)),
    ("nn.Conv1d(2, 3, 2, stride=2), nn.Tanh(), nn.Conv1d(3, 1, 2, dilation=2)", (2, 11)),
    ("Conv1d(1, 2, 3), AvgPool1d(2), Flatten(), Linear(8, 2)", (1, 10)),
    ("nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)", (1, 4, 6)),
    ("ConvTranspose1d(1, 1, 3, stride=2), Sigmoid()", (1, 3)),
]


@pytest.mark.parametrize(("text", "shape"), STACKS)
def test_layers_output_shapes_equal_torch_sequential(
    capsys: pytest.CaptureFixture[str], text: str, shape: tuple[int, ...]
) -> None:
    namespace = {name: getattr(torch.nn, name) for name in dir(torch.nn) if name[0].isupper()}
    # PyTorch builds the same stack from the same text (the test may eval; the CLI reads it with ast)
    net = eval(f"torch.nn.Sequential({text})", {"torch": torch, "nn": torch.nn, **namespace})
    expected = tuple(net(torch.zeros(1, *shape)).shape[1:])
    expected = expected if len(expected) > 1 else (1, *expected)  # symconv writes a vector as one channel
    size = ["--input-length", str(shape[1])] if len(shape) == 2 else ["--input-shape", ",".join(map(str, shape[1:]))]
    out = run(capsys, "explain", "--layers", text, *size)
    assert out.startswith(f"Stack of {len(net)} layers on an input of shape ")
    shapes = re.findall(r"-> output shape \(([\d, ]+)\)", out)
    assert tuple(int(n) for n in shapes[-1].split(",")) == expected


def test_a_stack_too_big_to_build_is_refused_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    text = "Conv2d(3, 8, 3, padding=1), ReLU(), MaxPool2d(2)"
    line = usage_error(capsys, "explain", "--layers", text, "--input-shape", "64,64")
    # the inputs; per conv output its taps (190 per axis and (o, c) pair: 3 per position, 2 fewer at the zero
    # pads), its bias and its symbol; per ReLU an input and an output; per pool window 4 inputs and an output
    terms = 3 * 64 * 64 + 8 * 3 * 190**2 + 8 * 64 * 64 * 2 + 8 * 64 * 64 * 2 + 8 * 32 * 32 * (4 + 1)
    assert f"'--input-shape' 64,64: the stack has {terms} terms, above the 50000" in line
    line = usage_error(capsys, "latex", "--torch", f"nn.Sequential({text})", "--input-shape", "64,64")
    assert "'--input-shape' 64,64: the stack has" in line


def test_layers_is_parsed_by_the_torch_parser(capsys: pytest.CaptureFixture[str]) -> None:
    text = "Conv1d(1, 2, 3, padding=1), ReLU(), MaxPool1d(2)"
    by_layers = run(capsys, "explain", "--layers", text, "--input-length", "6")
    by_torch = run(capsys, "explain", "--torch", f"nn.Sequential({text})", "--input-length", "6")
    assert by_layers == by_torch and "h1_0,0 = b1_0 + w1_0,0,1*x_0 + w1_0,0,2*x_1" in by_layers


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--layers", "Conv1d(1, 1, 2)"], "'--layers' needs the input size: --input-length L"),
        (["--layers", "Conv1d(1, 1, 2)", "--torch", "nn.Conv1d(1, 1, 2)"], "'--layers' and '--torch' both give"),
        (["--layers", "Conv1d(1, 1, 2)", "--stride", "2", "--no-bias"], "leave out --stride, --no-bias"),
        (["--layers", "Conv1d(1, 1, 2)", "--transposed", "--input-length", "4"], "leave out --transposed"),
        (["--layers", "Conv1d(1, 1, 2)", "--x", "1,2,3", "--input-length", "3"], "with --layers leave out --x"),
        (["--layers", "Conv1d(1, 1, 2)", "--index-base", "1", "--input-length", "3"], "'--index-base' must be 0"),
        (["--layers", "Conv1d(1, 1, 2)", "--names", "x=u", "--input-length", "3"], "'--names' renames one layer's"),
        (["--layers", "Sequential(Conv1d(1, 1, 2))", "--input-length", "3"], "without Sequential(...)"),
        (["--layers", "__import__('os').system('true')", "--input-length", "3"], "expected a layer name"),
        (["--layers", "Conv1d(1, 1, len('ab'))", "--input-length", "3"], "every argument must be a literal"),
        (["--layers", "Conv1d(1, 1, 2), Bogus()", "--input-length", "3"], "unknown layer 'Bogus'"),
        (["--layers", "Conv1d(1, 1, 2", "--input-length", "3"], "'--layers': not a list of constructor calls"),
        (
            ["--layers", "Conv1d(1, 2, 3), Conv1d(4, 1, 2)", "--input-length", "6"],
            "'--layers' 'Conv1d(1, 2, 3), Conv1d(4, 1, 2)': layer 2 expects 4 channels but the stack gives 2.",
        ),
    ],
)
def test_layers_refusals_name_the_option(capsys: pytest.CaptureFixture[str], options: list[str], message: str) -> None:
    assert message in usage_error(capsys, "explain", *options)


# -- explain --max-size -----------------------------------------------------------------------------------


def test_max_size_elides_a_big_layer(capsys: pytest.CaptureFixture[str]) -> None:
    big = ["--in-channels", "8", "--out-channels", "8", "--input-length", "64"]
    out = run(capsys, "explain", *big, "--max-size", "6")
    lines = out.splitlines()
    equations = [line for line in lines if line.startswith("z_")]
    # 8 * 62 outputs: the first 4, a gap, the last; 25 terms each: the first 5 and the last
    assert len(equations) == 5 and equations[-1].startswith("z_7,61 = b₇ + w_7,0,0⋅x_0,61")
    assert "⋮  (491 more equations: Expansion.equations[r] builds any one)" in lines
    assert all(line.endswith("(25 terms)") and line.count(" + ") == 6 for line in equations)
    assert "(496 x 512: too large to print here" in out
    weights = [line for line in lines if line.startswith("  w_")]
    assert len(weights) == 5 and "  ⋮  (187 more weights)" in lines
    assert all(line.endswith("…  (62 pairs)") and line.count("<-") == 6 for line in weights)
    assert "Counts: 11904 taps, 200 parameters" in out
    assert max(len(line) for line in lines[2:]) <= 125  # below the layer's description, every line fits
    default = run(capsys, "explain", *big)
    assert "⋮  (481 more equations" in default and default.count("<-") == 15 * 8


def test_max_size_fits_the_lines_to_120_columns(capsys: pytest.CaptureFixture[str]) -> None:
    big = ["--in-channels", "8", "--out-channels", "8", "--input-length", "64", "--max-size", "16"]
    lines = run(capsys, "explain", *big).splitlines()
    equations = [line for line in lines if line.startswith("z_")]
    weights = [line for line in lines if line.startswith("  w_")]
    assert len(equations) == len(weights) == 15 and all(len(line) <= 120 for line in equations + weights)
    assert {line.count(" + ") for line in equations} == {6} and {line.count("<-") for line in weights} == {6}
    out = run(
        capsys, "explain", "--in-channels", "2", "--out-channels", "2", "--input-length", "12", "--max-size", "24"
    )
    assert "(20 x 24: 216 characters wide, too wide to print here" in out
    assert "⎡" in run(capsys, "explain", "--in-channels", "2", "--out-channels", "2", "--input-length", "12")


def test_max_size_prints_a_small_matrix_and_elides_it_above(capsys: pytest.CaptureFixture[str]) -> None:
    assert "⎡w₀  w₁  w₂  0 ⎤" in run(capsys, "explain", "--max-size", "4")
    out = run(capsys, "explain", "--max-size", "3")
    assert "(2 x 4: too large to print here" in out and "z₀ = b + w₀⋅x₀ + … + w₂⋅x₂  (4 terms)" in out
    out = run(capsys, "explain", "--layers", "Conv1d(1, 1, 2), ReLU()", "--input-length", "9", "--max-size", "3")
    assert "⋮  (5 more: StackExpansion.stages[0].local)" in out


@pytest.mark.parametrize(("value", "message"), [("2", "must be an int >= 3"), ("x", "must be an int >= 3 (got 'x')")])
def test_max_size_refusals(capsys: pytest.CaptureFixture[str], value: str, message: str) -> None:
    for command in ("explain", "latex"):
        assert f"argument --max-size: {message}" in usage_error(capsys, command, "--max-size", value)


# -- latex: stacks, modes, transposed, --names ------------------------------------------------------------


def test_latex_writes_stacks_modes_transposed_and_names(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stack = tmp_path / "stack.tex"
    out = run(capsys, "latex", "--layers", "Conv1d(1, 2, 3, padding=1), ReLU(), MaxPool1d(2)", "--input-length", "6",
              "-o", str(stack), "--no-why", "--max-size", "4")  # fmt: skip
    assert out.startswith(f"wrote {stack} (") and "all verified by SymPy" in out
    text = stack.read_text()
    assert r"\texttt{Conv1d} $\to$ \texttt{Activation} $\to$ \texttt{MaxPool1d}" in text and "Why." not in text
    mode = tmp_path / "mode.tex"
    run(capsys, "latex", "--mode", "same", "--convention", "scipy", "--x", "1,2,3,4", "--w=1,0,-1", "-o", str(mode))
    assert "NumpyMode(operation=convolve, kernel\\_size=3, mode=same, convention=scipy)" in mode.read_text()
    transposed = tmp_path / "transposed.tex"
    run(capsys, "latex", "--transposed", "--stride", "2", "--output-padding", "1", "--input-length", "3",
        "-o", str(transposed), "--sections", "setting")  # fmt: skip
    assert "ConvTranspose1d(1, 1, 3, stride=2, output\\_padding=1)" in transposed.read_text()
    named = tmp_path / "named.tex"
    run(capsys, "latex", "--names", "x=u,w=k", "--input-length", "4", "-o", str(named), "--sections", "setting")
    text = named.read_text()
    assert "(u_{0}, u_{1}, u_{2}, u_{3})" in text.replace(r"\left", "").replace(r"\right", "") and "x_{0}" not in text
    assert "k_{0}" in text and "w_{0}" not in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--sections", "setting"], "'--sections': a stack's derivation has its own sections"),
        (["--activation", "tanh", "--proofs"], "'--activation', '--proofs': a stack's derivation"),
    ],
)
def test_latex_refuses_single_layer_options_for_a_stack(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, options: list[str], message: str
) -> None:
    stack = ["--layers", "Conv1d(1, 1, 2), ReLU()", "--input-length", "4", "-o", str(tmp_path / "s.tex")]
    assert message in usage_error(capsys, "latex", *stack, *options)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x", "expected role=name pairs separated by ','"),
        ("q=u", "keys must be among"),
        ("x=u,x=v", "role 'x' is named twice"),
        ("x=w", "different names"),
    ],
)
def test_names_refusals(capsys: pytest.CaptureFixture[str], value: str, message: str) -> None:
    line = usage_error(capsys, "latex", "--names", value)
    assert line.startswith("symconv latex: error: argument --names: ") and message in line


def test_explain_names_the_symbols(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "explain", "--names", "x=u,w=k,b=c", "--input-length", "4")
    assert "z₀ = c + k₀⋅u₀ + k₁⋅u₁ + k₂⋅u₂" in out


def test_every_new_option_has_help_in_every_command() -> None:
    parser = build_parser()
    for command in ("explain", "latex", "diagram"):
        text = command_parser(parser, command).format_help()
        for option in ("--transposed", "--output-padding", "--layers", "--mode", "--operation", "--convention"):
            assert re.search(rf"{option}\b[^\n]*\n?\s+\S", text), (command, option)
        assert "--names ROLE=NAME" in text
    explain = command_parser(parser, "explain").format_help()
    assert "--max-size N" in explain and "elide large layers" in explain


def test_the_howto_command_lines_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    howto = (Path(__file__).parents[1] / "docs" / "howto.md").read_text()
    new = ("--layers", "--transposed", "--mode", "--max-size 6")
    lines = [line for line in re.findall(r"^symconv .*$", howto, re.MULTILINE) if any(o in line for o in new)]
    assert len(lines) == 4
    monkeypatch.chdir(tmp_path)
    for line in lines:
        argv = shlex.split(line)[1:]
        out = run(capsys, *argv)
        assert out.startswith("wrote ") or "⋮  (491 more equations" in out, line
    assert {p.name for p in tmp_path.iterdir()} == {"stack.tex", "up.tex", "same.tex"}
    assert "u_{0}" in (tmp_path / "same.tex").read_text()
