"""symconv.check: correct code passes, every bug in the gallery is caught and named."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from gallery_wrong import GALLERY, correct_loop, two_bugs

from symconv import Conv1d, convolve, correlate
from symconv.check import MismatchError, assert_matches, check, default_length

# -- every bug in the gallery ------------------------------------------------------------------


def test_gallery_has_at_least_ten_bugs() -> None:
    assert len(GALLERY) >= 10


@pytest.mark.parametrize("case", GALLERY, ids=[c.bug for c in GALLERY])
def test_gallery_bug_is_caught_and_diagnosed(case) -> None:
    result = check(case.fn, case.layer, case.input_length, convention=case.convention)
    assert not result.passed
    assert result.probe == "integer"
    names = [v.name for v in result.matches]
    assert case.expected in names, result.report()
    assert result.diagnosis.startswith("your code computes")


def test_two_bugs_at_once_match_no_known_variant() -> None:
    result = check(two_bugs, Conv1d(2, 2, 3, stride=2, padding=1), 13)
    assert not result.passed and result.matches == ()
    assert result.diagnosis.startswith("matches no known variant")
    assert "channels 0-1" in result.pattern


def test_report_shows_the_equation_next_to_the_returned_value() -> None:
    result = check(lambda x, w: np.convolve(x, w, "valid"), Conv1d(1, 1, 3, bias=False), 5)
    text = result.report()
    first = result.first_mismatch
    assert first is not None
    assert str(first.equation) == "Eq(z_0, w_0*x_0 + w_1*x_1 + w_2*x_2)"
    assert f"your code returned {int(first.returned)}" in text
    assert "Diagnosis: your code computes true convolution" in text


def test_assert_matches_raises_an_assertion_error() -> None:
    with pytest.raises(MismatchError) as info:
        assert_matches(lambda x, w: np.convolve(x, w, "valid"), Conv1d(1, 1, 3, bias=False))
    assert isinstance(info.value, AssertionError)
    assert "kernel flipped" in info.value.result.matches[0].name
    assert assert_matches(lambda x, w: np.correlate(x, w, "valid"), Conv1d(1, 1, 3, bias=False)).passed


def test_wrong_shape_and_exceptions_are_findings() -> None:
    result = check(lambda x, w, b: np.zeros((1, 1, 2)), Conv1d(1, 1, 3), 5)
    assert not result.passed and "returned shape (1, 1, 2)" in result.problem

    def broken(x, w, b):
        raise IndexError("index 7 is out of bounds")

    result = check(broken, Conv1d(1, 1, 3), 5)
    assert not result.passed and "IndexError" in result.report()


def test_edge_only_errors_point_at_the_padding() -> None:
    layer = Conv1d(1, 1, 3, padding=1, bias=False)

    def edges_wrong(x, w, b):
        out = correct_loop(layer, 9)(x, w, b)
        out[..., 0] += 100
        return out

    result = check(edges_wrong, layer, 9)
    assert result.matches == () and "positions 0" in result.pattern and "padding" in result.pattern


# -- correct implementations pass ---------------------------------------------------------------

SPECS = [
    Conv1d(1, 1, 3),
    Conv1d(2, 3, 4, padding="same"),
    Conv1d(3, 2, 3, stride=2, padding=1),
    Conv1d(2, 2, 3, dilation=2, padding=2, bias=False),
    Conv1d(4, 6, 3, groups=2, padding=(2, 1)),
    Conv1d(2, 2, 5, padding=2, padding_mode="reflect"),
    Conv1d(2, 1, 3, padding=1, padding_mode="replicate"),
    Conv1d(1, 2, 3, padding=2, padding_mode="circular", stride=3),
]


@pytest.mark.parametrize("layer", SPECS, ids=repr)
def test_numpy_loop_passes(layer) -> None:
    assert check(correct_loop(layer, 12), layer, 12).passed


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_numpy_and_scipy_modes_pass(mode, size) -> None:
    assert check(lambda x, w: np.correlate(x, w, mode), correlate(size, mode), 7).passed
    assert check(lambda x, w: np.convolve(x, w, mode), convolve(size, mode), 7).passed
    sc = functools.partial(scipy.signal.correlate, mode=mode)
    assert check(lambda x, w: sc(x, w), correlate(size, mode, "scipy"), 7).passed


def test_scipy_fft_method_passes_within_tolerance() -> None:
    fft = functools.partial(scipy.signal.correlate, mode="valid", method="fft")
    assert check(lambda x, w: fft(x, w), correlate(9, "valid", "scipy"), 200).passed


@pytest.mark.parametrize("layer", SPECS, ids=repr)
def test_torch_functional_passes(layer) -> None:
    def conv(x, w, b):
        pad = layer.resolve_padding(x.shape[-1])
        xp = F.pad(x, pad) if layer.padding_mode == "zeros" else F.pad(x, pad, mode=layer.padding_mode)
        return F.conv1d(xp, w, b, stride=layer.stride, dilation=layer.dilation, groups=layer.groups)

    assert check(conv, layer, 12, convention="torch").passed


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_module_passes_in_every_padding_mode(mode, dtype) -> None:
    module = torch.nn.Conv1d(4, 6, 3, padding=2, dilation=2, groups=2, padding_mode=mode)
    before = module.weight.detach().clone()
    layer = Conv1d(4, 6, 3, padding=2, dilation=2, groups=2, padding_mode=mode)
    assert check(module, layer, 11, dtype=dtype).passed
    assert torch.equal(module.weight, before)


def test_torch_module_same_padding_passes() -> None:
    module = torch.nn.Conv1d(2, 2, 4, padding="same", bias=False)
    assert check(module, Conv1d(2, 2, 4, padding="same", bias=False)).passed


def test_torch_conv1d_itself_is_recognised() -> None:
    assert check(F.conv1d, Conv1d(3, 2, 3, bias=False), 8).passed


# -- tolerance: no false alarm, but a one-tap shift is caught -------------------------------


SYMMETRIC = [layer for layer in SPECS if len(set(layer.resolve_padding(40))) == 1]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("layer", SYMMETRIC, ids=repr)
def test_no_false_alarm_on_float32_torch(layer, seed) -> None:
    module = torch.nn.Conv1d(
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        stride=layer.stride,
        padding=layer.resolve_padding(40)[0],
        dilation=layer.dilation,
        groups=layer.groups,
        bias=layer.bias,
        padding_mode=layer.padding_mode,
    )
    assert check(module, layer, 40, seed=seed, dtype="float32", batch=3).passed


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("layer", SPECS, ids=repr)
def test_no_false_alarm_on_float64_loops(layer, seed) -> None:
    assert check(correct_loop(layer, 30), layer, 30, seed=seed).passed


def test_one_ulp_perturbation_is_not_a_mismatch_but_a_tap_shift_is() -> None:
    layer = Conv1d(8, 8, 9, padding="same")

    def nudged(x, w, b):
        out = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding="same").numpy()
        return np.nextafter(out, np.inf)

    assert check(nudged, layer, 64).passed
    assert check(nudged, layer, 64, dtype="float32").passed

    def shifted(x, w, b):
        out = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding="same").numpy()
        return np.concatenate([out[..., 1:], out[..., :1]], axis=-1)

    result = check(shifted, layer, 64)
    assert not result.passed and result.probe == "integer"


# -- options and errors ------------------------------------------------------------------------


def test_default_length_shows_edges_and_interior() -> None:
    layer = Conv1d(1, 1, 5, stride=2, padding=2)
    length = default_length(layer)
    assert length % 2 == 1 and layer.output_length(length) > 4


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        ({"batch": 0}, ValueError, "'batch' must be a positive int (got 0)."),
        ({"dtype": "float16"}, ValueError, "'dtype' must be one of 'float64', 'float32' (got 'float16')."),
        ({"convention": "tf"}, ValueError, "'convention' must be one of"),
        ({"seed": 1.5}, TypeError, "'seed' must be an int (got 1.5 of type float)."),
    ],
)
def test_bad_options_are_named(options, error, text) -> None:
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        check(lambda x, w, b: x, Conv1d(1, 1, 3), **options)


def test_single_convention_needs_one_channel() -> None:
    with pytest.raises(ValueError, match="convention='single' needs a single-channel layer"):
        check(lambda x, w: x, Conv1d(2, 1, 3), convention="single")


def test_not_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="'fn' must be callable"):
        check(3, Conv1d(1, 1, 3))
