"""symconv.gradcheck: torch autograd passes; wrong backward passes are caught and named."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from symconv import Conv1d
from symconv.gradcheck import check_gradients

LAYERS = [
    Conv1d(2, 3, 3, stride=2, padding=1),
    Conv1d(4, 4, 3, groups=2, dilation=2, padding=2, padding_mode="reflect"),
    Conv1d(1, 2, 4, padding=3, padding_mode="circular", bias=False),
    Conv1d(2, 2, 3, padding=1, padding_mode="replicate"),
]


def _module(layer: Conv1d) -> torch.nn.Conv1d:
    return torch.nn.Conv1d(
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        stride=layer.stride,
        padding=layer.resolve_padding(12)[0],
        dilation=layer.dilation,
        groups=layer.groups,
        bias=layer.bias,
        padding_mode=layer.padding_mode,
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_torch_autograd_passes(layer, dtype) -> None:
    result = check_gradients(_module(layer), layer, 12, dtype=dtype)
    assert result.passed, result.report()


def test_functional_autograd_passes() -> None:
    layer = Conv1d(3, 2, 3, stride=2, padding=1)
    conv = lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1)  # noqa: E731
    assert check_gradients(conv, layer, 11, convention="torch").passed


def _autograd(x, w, b, delta, padding=1):
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    F.conv1d(tx, tw, tb, padding=padding).backward(torch.from_numpy(delta))
    return tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


def test_wrong_backward_is_named() -> None:
    def wrong(x, w, b, delta):
        dx, dw, db = _autograd(x, w, b, delta)
        return dx, dw[..., ::-1], db / x.shape[0]

    result = check_gradients(wrong, Conv1d(2, 2, 3, padding=1), 9)
    assert not result.passed and result.wrong == ("dw", "db")
    assert "reversed along the kernel axis" in result.diagnosis[0]
    assert "averaged over the batch" in result.diagnosis[1]
    assert "First wrong entry of dw" in result.report()


def test_input_gradient_without_the_flip_is_named() -> None:
    def wrong(x, w, b, delta):
        _, dw, db = _autograd(x, w, b, delta)
        dx = F.conv1d(torch.from_numpy(delta), torch.from_numpy(w).transpose(0, 1), padding=1).numpy()
        return dx, dw, db

    result = check_gradients(wrong, Conv1d(2, 2, 3, padding=1), 9)
    assert result.wrong == ("dx",)
    assert "flipped layer" in result.diagnosis[0]


def test_a_bad_return_is_a_finding_and_bad_options_are_named() -> None:
    result = check_gradients(lambda x, w, b, d: 3, Conv1d(1, 1, 3), 6)
    assert not result.passed and "must return (dx, dw, db)" in result.problem
    with pytest.raises(ValueError, match="'convention' must be one of"):
        check_gradients(lambda *a: None, Conv1d(1, 1, 3), convention="jax")
    assert np.isfinite(check_gradients(_autograd, Conv1d(1, 1, 3, padding=1), 7).errors["dx"])
