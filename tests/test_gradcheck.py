"""symconv.checker.gradcheck: torch autograd passes; wrong backward passes are caught and named."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from symconv import Conv1d, ConvTranspose1d
from symconv.checker.gradcheck import check_gradients

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
        check_gradients(lambda *a: None, Conv1d(1, 1, 3), convention="matlab")
    assert np.isfinite(check_gradients(_autograd, Conv1d(1, 1, 3, padding=1), 7).errors["dx"])


# -- issue 9 regressions ------------------------------------------------------------------------


def _double_delta_in_place(x, w, b, delta):
    delta *= 2
    return _autograd(x, w, b, delta)


def _zero_bias_in_place(x, w, b, delta):
    grads = _autograd(x, w, b, delta)
    b[:] = 0
    return grads


@pytest.mark.parametrize(
    ("fn", "convention", "name"),
    [
        (_double_delta_in_place, "numpy", "delta"),
        (_zero_bias_in_place, "numpy", "b"),
        (lambda x, w, b: F.conv1d(F.relu_(x), w, b, padding=1), "torch", "x"),
        (lambda x, w, b: F.conv1d(x, w.mul_(-1), b, padding=1), "torch", "w"),
    ],
)
def test_check_gradients_fails_code_that_mutates_its_input(fn, convention, name) -> None:
    result = check_gradients(fn, Conv1d(2, 2, 3, padding=1), 9, convention=convention)
    assert not result.passed and result.mutated == (name,)
    assert f"Your function modified its input `{name}` in place" in result.report()
    assert result.diagnosis[0] == f"your function modified its input `{name}` in place"


def _scaled(factors):
    def backward(x, w, b, delta):
        return tuple(g * f for g, f in zip(_autograd(x, w, b, delta), factors))

    return backward


def test_halved_dx_is_not_called_a_batch_average() -> None:
    result = check_gradients(_scaled((0.5, 1, 1)), Conv1d(2, 2, 3, padding=1), 9)
    assert result.wrong == ("dx",)
    assert "averaged over the batch" not in result.report()
    assert result.diagnosis == (
        "your dx is 1/2 times the right value (dw and db are right, so neither the loss nor the upstream "
        "gradient is scaled: a factor inside the computation of dx)",
    )


def test_gradient_diagnosis_agrees_with_which_gradients_are_off() -> None:
    layer = Conv1d(2, 2, 3, padding=1)
    everything = check_gradients(_scaled((0.5, 0.5, 0.5)), layer, 9)
    assert everything.diagnosis == (
        "your dx, dw and db are all 1/2 times the right values: the loss is averaged over the batch of 2 "
        "(delta divided by 2) where a sum was meant",
    )
    sums = check_gradients(_scaled((1, 0.5, 0.5)), layer, 9)
    assert sums.diagnosis == (
        "your dw and db are averaged over the batch instead of summed (dx, with no sum over the batch, is right)",
    )
    sign = check_gradients(_scaled((1, -1, 1)), layer, 9)
    assert sign.diagnosis[0].startswith("your dw has the opposite sign")
    triple = check_gradients(_scaled((3, 3, 3)), layer, 9)
    assert "the upstream gradient (delta) or the loss is scaled by that factor" in triple.diagnosis[0]


TRANSPOSED = ConvTranspose1d(2, 2, 3, stride=2, padding=1, output_padding=1)


def test_wrong_transposed_forward_does_not_crash_check_gradients() -> None:
    fn = lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1)  # noqa: E731
    result = check_gradients(fn, TRANSPOSED, convention="torch")
    assert not result.passed
    assert "Your forward code returned shape (2, 2, 29); the layer gives (2, 2, 30)" in result.report()
    assert "it computes output_padding=0 where output_padding=1 was meant" in result.report()


def test_transposed_gradients_pass_and_a_wrong_one_is_named() -> None:
    fn = lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1)  # noqa: E731
    assert check_gradients(fn, TRANSPOSED).passed
    module = torch.nn.ConvTranspose1d(2, 2, 3, stride=2, padding=1, output_padding=1)
    assert check_gradients(module, TRANSPOSED, dtype="float32").passed

    def wrong(x, w, b, delta):
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        fn(tx, tw, tb).backward(torch.from_numpy(delta))
        return -tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()

    result = check_gradients(wrong, TRANSPOSED)
    assert result.wrong == ("dx",) and result.diagnosis[0].startswith("your dx has the opposite sign")


def test_weight_normalised_module_gradients_are_those_of_its_weight() -> None:
    module = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv1d(2, 3, 3, padding=1))
    assert check_gradients(module, Conv1d(2, 3, 3, padding=1)).passed
    assert torch.nn.utils.parametrize.is_parametrized(module, "weight")


def test_lower_precision_gradients_fail_and_name_their_dtype() -> None:
    def single(x, w, b, delta):
        return tuple(g.astype(np.float32) for g in _autograd(x, w, b, delta))

    result = check_gradients(single, Conv1d(2, 2, 3, padding=1), 9)
    assert "Dx: your code returned float32 results for float64 inputs" not in result.report()
    assert "dx: your code returned float32 results for float64 inputs" in result.report()


def test_a_three_argument_forward_goes_through_autograd_by_default() -> None:
    result = check_gradients(lambda x, w, b: F.conv1d(x, w, b, stride=2), Conv1d(2, 2, 3, stride=2))
    assert result.passed and result.convention == "torch"


def test_check_gradients_refuses_what_is_not_one_convolution_layer() -> None:
    with pytest.raises(TypeError, match="'layer' must be one convolution layer"):
        check_gradients(_autograd, "conv")


def test_a_nan_gradient_is_named() -> None:
    def holes(x, w, b, delta):
        dx, dw, db = _autograd(x, w, b, delta)
        dw[0, 0, 0] = np.nan
        return dx, dw, db

    result = check_gradients(holes, Conv1d(2, 2, 3, padding=1), 9)
    assert result.wrong == ("dw",) and result.diagnosis == ("your dw has 1 of 12 entries NaN or infinite",)
