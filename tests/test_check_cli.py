"""``symconv check PATH:FUNCTION``: the report, the exit status, and usage errors."""

from __future__ import annotations

import textwrap

import pytest

from symconv.cli.app import main

SOURCE = textwrap.dedent(
    """
    import numpy as np
    import torch
    import torch.nn.functional as F

    def good(x, w):
        return np.correlate(x, w, "valid")

    def flipped(x, w):
        return np.convolve(x, w, "valid")

    def same(x, w, b):
        return F.conv1d(x, w, b, padding="same")

    module = torch.nn.Conv1d(2, 3, 5, padding=2, padding_mode="reflect")
    """
)


@pytest.fixture
def target(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(SOURCE)
    return str(path)


def test_passing_code_exits_zero(target, capsys) -> None:
    assert main(["check", f"{target}:good", "--no-bias"]) == 0
    assert capsys.readouterr().out.startswith("symconv check: PASSED")


def test_mismatch_exits_one_with_the_diagnosis(target, capsys) -> None:
    assert main(["check", f"{target}:flipped", "--no-bias", "--kernel-size", "4"]) == 1
    out = capsys.readouterr().out
    assert "FAILED on the integer probe" in out
    assert "z_0 = w_0*x_0 + w_1*x_1 + w_2*x_2 + w_3*x_3" in out
    assert "Diagnosis: your code computes true convolution" in out


def test_torch_functional_and_module_targets(target, capsys) -> None:
    options = ["--in-channels", "2", "--out-channels", "3", "--kernel-size", "4", "--padding", "same"]
    assert main(["check", f"{target}:same", "--convention", "torch", *options]) == 0
    module_options = ["--in-channels", "2", "--out-channels", "3", "--kernel-size", "5", "--padding", "2"]
    assert main(["check", f"{target}:module", "--padding-mode", "reflect", "--dtype", "float32", *module_options]) == 0
    assert main(["check", f"{target}:module", *module_options]) == 1
    assert "padding_mode='reflect' where padding_mode='zeros' was meant" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ("{target}:missing", "has no attribute 'missing'"),
        ("nowhere.py:f", "names a file that does not exist"),
        ("{target}", "must look like path/to/module.py:function"),
    ],
)
def test_bad_targets_are_usage_errors(target, capsys, spec, text) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", spec.format(target=target)])
    assert info.value.code == 2
    assert text in capsys.readouterr().err


# -- issue 9 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--x", "--w", "--b", "--index-base"])
def test_check_does_not_offer_options_it_ignores(target, capsys, option) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", f"{target}:good", "--no-bias", option, "1"])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"symconv: error: unrecognized arguments: {option} 1"
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert option + " " not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("source", "cause"),
    [
        ("def f(x, w:\n    return x\n", "SyntaxError: '(' was never closed (broken.py, line 1)"),
        ("import no_such_module_for_symconv\n", "ModuleNotFoundError: No module named 'no_such_module_for_symconv'"),
        ("raise RuntimeError('at import\\nsecond line')\n", "RuntimeError: at import second line"),
        ("import sys\nsys.exit(3)\n", "SystemExit: 3"),
    ],
)
def test_check_of_a_broken_target_file_exits_two_with_one_line(tmp_path, capsys, source, cause) -> None:
    path = tmp_path / "broken.py"
    path.write_text(source)
    with pytest.raises(SystemExit) as info:
        main(["check", f"{path}:f"])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"symconv check: error: 'target': importing {str(path)!r} failed: {cause}"


def test_check_of_code_that_calls_sys_exit_is_a_usage_error(tmp_path, capsys) -> None:
    path = tmp_path / "exits.py"
    path.write_text("import sys\n\ndef f(x, w):\n    sys.exit(3)\n")
    with pytest.raises(SystemExit) as info:
        main(["check", f"{path}:f", "--no-bias"])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f"'target': {path}:f called sys.exit(3) while being checked.")


def test_check_of_code_that_raises_is_a_reported_mismatch(tmp_path, capsys) -> None:
    path = tmp_path / "raises.py"
    path.write_text("def f(x, w):\n    raise RuntimeError('boom')\n")
    assert main(["check", f"{path}:f", "--no-bias"]) == 1
    assert "Your code raised RuntimeError: boom" in capsys.readouterr().out


def test_check_refuses_a_target_that_is_not_callable(tmp_path, capsys) -> None:
    path = tmp_path / "values.py"
    path.write_text("v = 5\n")
    with pytest.raises(SystemExit) as info:
        main(["check", f"{path}:v"])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f"'target': 'v' in {str(path)!r} is not callable (got int).")
