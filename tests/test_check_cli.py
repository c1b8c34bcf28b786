"""``symconv check PATH:FUNCTION``: the report, the exit status, and usage errors."""

from __future__ import annotations

import textwrap

import pytest

from symconv.cli import main

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
