"""``check``, ``assert_matches``, ``check_gradients`` and ``symconv check`` on 2D and 3D code.

Right code in every calling convention passes; wrong code fails and is diagnosed by name; a
fuzzer of random layers holds PyTorch (right) and PyTorch with one parameter changed (wrong).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
import torch
import torch.nn.functional as F

from symconv import (
    Conv2d,
    Conv3d,
    ConvTranspose2d,
    ConvTranspose3d,
    MismatchError,
    assert_matches,
    check,
    check_gradients,
    correlate,
)


def torch_forward(layer: Any) -> Any:
    """``F.conv2d``/``conv3d`` with ``layer``'s parameters, asymmetric padding through ``F.pad``."""
    conv = {2: F.conv2d, 3: F.conv3d}[layer.ndim]
    pads = [v for pair in reversed(layer.padding) for v in pair]  # F.pad: last axis first
    mode = {"zeros": "constant", "replicate": "replicate", "reflect": "reflect", "circular": "circular"}

    def forward(x: Any, w: Any, b: Any) -> Any:
        if any(pads):
            x = F.pad(x, pads, mode=mode[layer.padding_mode])
        return conv(x, w, b, stride=layer.stride, dilation=layer.dilation, groups=layer.groups)

    return forward


def test_right_code_passes_in_every_convention() -> None:
    layer = Conv2d(2, 4, (3, 2), stride=(2, 1), padding=((1, 0), (0, 1)), groups=2)
    assert check(torch_forward(layer), layer).passed
    assert check(F.conv2d, Conv2d(2, 3, (2, 3))).passed
    module = torch.nn.Conv2d(2, 4, 3, padding=(1, 2), padding_mode="reflect", dilation=(1, 2))
    assert check(module, Conv2d(2, 4, 3, padding=(1, 2), padding_mode="reflect", dilation=(1, 2))).passed
    assert check(lambda x, w: scipy.signal.correlate2d(x, w, "valid"), Conv2d(1, 1, 3, bias=False)).passed
    assert check(lambda x, w: scipy.signal.correlate(x, w, "same"), correlate((3, 4), "same", "scipy")).passed
    assert check(lambda x, w: scipy.ndimage.correlate(x, w, mode="constant"), Conv2d(1, 1, 3, padding=1, bias=False))
    assert check(lambda x, w, b: F.conv3d(x, w, b, padding=1), Conv3d(1, 2, 3, padding=1), (5, 4, 6)).passed
    t = ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
    fn = lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)  # noqa: E731
    assert check(fn, t).passed
    t3 = ConvTranspose3d(1, 1, 2, stride=(1, 2, 1))
    assert check(lambda x, w, b: F.conv_transpose3d(x, w, b, stride=(1, 2, 1)), t3, (3, 3, 3)).passed


@pytest.mark.parametrize(
    ("fn", "layer", "name"),
    [
        (lambda x, w: scipy.signal.convolve2d(x, w, "valid"), Conv2d(1, 1, 3, bias=False), "kernel flipped"),
        (lambda x, w, b: F.conv2d(x, w.flip(-2), b), Conv2d(1, 2, 3), "kernel flipped on axis 0 only"),
        (
            lambda x, w, b: F.conv2d(x, w.transpose(-1, -2), b, padding=1),
            Conv2d(1, 1, 3, padding=1),
            "kernel transposed",
        ),
        (lambda x, w, b: F.conv2d(x, w), Conv2d(1, 2, 3), "bias missing"),
        (
            lambda x, w, b: F.conv2d(F.pad(x, (1, 0, 0, 1)), w, b),
            Conv2d(1, 1, (3, 2), padding=((1, 0), (0, 1))),
            "padding pairs in F.pad's order (last axis first)",
        ),
        (lambda x, w, b: F.conv2d(x, w, b, padding=(1, 0)), Conv2d(1, 1, 3, padding=1), "axis 1 padding (0, 0)"),
        (
            lambda x, w: scipy.ndimage.correlate(x, w, mode="nearest"),
            Conv2d(1, 1, 3, padding=1, padding_mode="reflect", bias=False),
            "padding_mode 'replicate'",
        ),
        (lambda x, w, b: F.conv2d(x, w, b), Conv2d(2, 3, 3, stride=(1, 2)), "axis 1 stride ignored"),
        (
            lambda x, w, b: F.conv3d(x, w, b, stride=(1, 1, 2)),
            Conv3d(1, 2, 3, dilation=(1, 1, 2)),
            "axis 2 stride and dilation swapped",
        ),
        (
            lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=(0, 1)),
            ConvTranspose2d(1, 2, 3, stride=2, padding=1, output_padding=1),
            "axis 0 output_padding 0",
        ),
    ],
)
def test_wrong_code_fails_and_is_diagnosed(fn: Any, layer: Any, name: str) -> None:
    result = check(fn, layer)
    assert not result.passed
    assert name in [m.name for m in result.matches], result.report()
    with pytest.raises(MismatchError, match="FAILED"):
        assert_matches(fn, layer)


def test_the_report_names_positions_as_tuples_and_the_equation() -> None:
    layer = Conv2d(1, 1, 3, bias=False)
    report = check(lambda x, w: scipy.signal.convolve2d(x, w, "valid"), layer).report()
    assert "First differing output: sample 0, channel 0, position (0, 0)" in report
    assert "z_0,0 = w_0,0*x_0,0 + w_0,1*x_0,1" in report
    assert "input shape (11, 11) (padding ((0, 0), (0, 0)), output shape (9, 9))" in report
    assert "axis 0 positions" in report and "axis 1 positions" in report


def test_lower_precision_is_named_in_2d() -> None:
    fn = lambda x, w, b: F.conv2d(x.float(), w.float(), b.float()).double()  # noqa: E731
    result = check(fn, Conv2d(3, 2, 3))
    assert not result.passed and result.probe == "float" and result.precision.startswith("precision loss")


def test_fuzz_torch_passes_and_one_changed_parameter_fails() -> None:
    rng = np.random.default_rng(2)
    passed = failed = 0
    for _ in range(24):
        nd = int(rng.integers(2, 4))
        groups = int(rng.integers(1, 3))
        kernel = tuple(int(v) for v in rng.integers(1, 4, nd))
        stride = tuple(int(v) for v in rng.integers(1, 3, nd))
        dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
        pads = tuple((int(rng.integers(0, 2)), int(rng.integers(0, 2))) for _ in range(nd))
        mode = str(rng.choice(["zeros", "reflect", "replicate", "circular"]))
        cls = Conv2d if nd == 2 else Conv3d
        layer = cls(groups, 2 * groups, kernel, stride, pads, dilation, groups, bool(rng.integers(0, 2)), mode)
        shape = tuple(int(v) for v in rng.integers(6, 9 if nd == 2 else 7, nd))
        assert check(torch_forward(layer), layer, shape, batch=1).passed, (layer, shape)
        passed += 1
        axis = int(rng.integers(0, nd))
        wrong_pads = tuple((p[0] + 1, p[1]) if a == axis else p for a, p in enumerate(pads))
        wrong = cls(groups, 2 * groups, kernel, stride, wrong_pads, dilation, groups, layer.bias, mode)
        result = check(torch_forward(wrong), layer, shape, batch=1)
        assert not result.passed, (layer, wrong, shape)
        failed += 1
    assert passed == failed == 24


def test_gradients_of_2d_and_3d_code() -> None:
    layer = Conv2d(2, 3, 3, padding=1, stride=(1, 2))
    assert check_gradients(torch_forward(layer), layer).passed
    module = torch.nn.Conv2d(2, 4, 3, groups=2, padding=1, padding_mode="circular")
    assert check_gradients(module, Conv2d(2, 4, 3, groups=2, padding=1, padding_mode="circular")).passed
    assert check_gradients(lambda x, w, b: F.conv3d(x, w, b), Conv3d(1, 2, 2), (4, 3, 5)).passed
    assert check_gradients(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2), ConvTranspose2d(1, 2, 3, stride=2)
    ).passed

    def doubled_dw(x: Any, w: Any, b: Any, delta: Any) -> Any:
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        F.conv2d(xt, wt, bt).backward(torch.tensor(delta))
        return xt.grad.numpy(), 2 * wt.grad.numpy(), bt.grad.numpy()  # type: ignore[union-attr]

    result = check_gradients(doubled_dw, Conv2d(1, 2, 3))
    assert not result.passed and result.wrong == ("dw",) and "2 times the right value" in result.diagnosis[0]


def test_symconv_check_command_on_a_2d_file(tmp_path: Path) -> None:
    source = tmp_path / "mine2d.py"
    source.write_text(
        textwrap.dedent("""
        import scipy.signal

        def conv(x, w):
            return scipy.signal.convolve2d(x, w, "valid")

        def corr(x, w):
            return scipy.signal.correlate2d(x, w, "same")
    """)
    )
    run = [sys.executable, "-m", "symconv", "check"]
    bad = subprocess.run([*run, f"{source}:conv", "--kernel-size", "3,3", "--no-bias"], capture_output=True, text=True)
    assert bad.returncode == 1 and "Diagnosis: your code computes the kernel flipped on every axis" in bad.stdout
    assert "input shape (11, 11)" in bad.stdout
    ok = subprocess.run(
        [*run, f"{source}:corr", "--kernel-size", "3", "--no-bias", "--padding", "1", "--input-shape", "6,7"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "symconv check: PASSED" in ok.stdout, ok.stdout + ok.stderr
