"""symconv.check: correct code passes, every bug in the gallery is caught and named."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from gallery_wrong import GALLERY, correct_loop, two_bugs

import symconv
from symconv import Conv1d, Sequential, convolve, correlate
from symconv.checker.check import MismatchError, assert_matches, check, default_length

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


# -- code that changes its inputs in place (issue 9) ------------------------------------------


def _flip_kernel_in_place(x, w, b):
    w[...] = w[..., ::-1].copy()  # the "flip" done in place, then a true convolution on the flipped copy
    return correct_loop(Conv1d(2, 3, 3, padding=1), x.shape[-1])(x, w[..., ::-1], b)


def _zero_bias_in_place(x, w, b):
    out = correct_loop(Conv1d(2, 3, 3, padding=1), x.shape[-1])(x, w, b)
    b[:] = 0  # after use: the output is right, the caller's bias is gone
    return out


MUTATORS = [
    ("x", lambda x, w, b: F.conv1d(F.relu_(x), w, b, padding=1), "torch"),
    ("w", _flip_kernel_in_place, "numpy"),
    ("b", _zero_bias_in_place, "numpy"),
    ("b", lambda x, w, b: F.conv1d(x, w, b.zero_(), padding=1), "torch"),
]


@pytest.mark.parametrize(("name", "fn", "convention"), MUTATORS)
def test_check_fails_code_that_mutates_its_input(name, fn, convention) -> None:
    layer = Conv1d(2, 3, 3, padding=1)
    result = check(fn, layer, 9, convention=convention)
    assert not result.passed and result.mutated == (name,)
    assert f"your function modified its input `{name}` in place" in result.report()
    assert result.diagnosis.startswith(f"your function modified its input `{name}` in place")


def test_check_names_every_mutated_input_and_compares_with_the_original_values() -> None:
    def both(x, w, b):
        x *= 2
        b += 1
        return F.conv1d(x, w, b, padding=1)

    result = check(both, Conv1d(2, 3, 3, padding=1), 9, convention="torch")
    assert result.mutated == ("x", "b")
    assert "your function modified its inputs `x` and `b` in place" in result.report()
    first = result.first_mismatch
    assert first is not None and first.returned != first.expected  # the reference used the original x and b


def test_writing_the_same_values_back_is_not_a_mutation() -> None:
    def idle(x, w, b):
        x[...] = x.copy()
        return F.conv1d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=1).numpy()

    assert check(idle, Conv1d(2, 3, 3, padding=1), 9).passed


# -- the tolerance: FFT and overlap-add pass at long inputs, a shift still fails ----------------


def _fft(x, w):
    return scipy.signal.fftconvolve(x, w[::-1], "valid")


def _oa(x, w):
    return scipy.signal.oaconvolve(x, w[::-1], "valid")


def test_fft_code_from_the_issue_passes_at_65536() -> None:
    assert check(_fft, Conv1d(1, 1, 2, bias=False), 65536).passed


@pytest.mark.parametrize(
    ("fn", "size", "length", "dtype"),
    [(_fft, 2, 10**6, "float64"), (_oa, 3, 10**6, "float32"), (_fft, 9, 300_000, "float32")],
)
def test_fft_and_overlap_add_pass_up_to_a_million_inputs(fn, size, length, dtype) -> None:
    result = check(fn, Conv1d(1, 1, size, bias=False), length, batch=1, dtype=dtype)
    assert result.passed, result.report()
    assert result.max_error <= 1e-2 * result.tolerance  # measured: at most 3e-3 of the bound


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("length", [4096, 10**6])
def test_bound_holds_for_fft_and_a_one_tap_shift_exceeds_it(length, dtype) -> None:
    from symconv.checker.probes import float_probe, tolerance

    e = Conv1d(1, 1, 3, bias=False).expand(length)
    x, w, _ = float_probe(e, 1, np.random.default_rng(1), dtype)
    want = e.taps.apply(x.astype(np.float64), w.astype(np.float64), None)
    eps = float(np.finfo(dtype).eps)
    tol = tolerance(e, x, w, None, eps, reference_eps=eps if dtype == "float32" else 0.0)
    ratio = np.abs(_fft(x[0, 0], w[0, 0]) - want[0, 0]) / tol[0, 0]
    assert ratio.max() < 1e-2  # measured 1e-4 to 3e-3 from L = 4096 to 10**6
    shifted = np.abs(np.roll(want, 1, axis=-1) - want)
    assert np.mean(shifted > tol) > 0.95  # a one-tap shift is far outside the bound almost everywhere


def test_one_tap_shift_of_fft_code_fails_at_a_million_inputs() -> None:
    result = check(lambda x, w: np.roll(_fft(x, w), 1), Conv1d(1, 1, 2, bias=False), 10**6, batch=1)
    assert not result.passed and result.probe == "integer"
    assert result.wrong > 0.9 * 10**6


# -- transposed layers: diagnosed, never a crash ------------------------------------------------

TRANSPOSED = symconv.ConvTranspose1d(2, 2, 3, stride=2, padding=1, output_padding=1)


def test_wrong_transposed_code_from_the_issue_is_diagnosed_not_a_crash() -> None:
    fn = lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1)  # noqa: E731
    result = check(fn, TRANSPOSED, convention="torch")
    assert not result.passed
    assert result.matches[0].name == "output_padding 0"
    assert "output_padding=0 where output_padding=1 was meant" in result.report()


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=2, output_padding=1), "padding 2"),
        (lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2)[..., :-1], "output cropped at 0"),
        (lambda x, w, b: F.conv_transpose1d(x, w, b, stride=1, padding=1), "stride ignored"),
        (lambda x, w, b: F.conv_transpose1d(x, w.flip(-1), b, stride=2, padding=1, output_padding=1), "kernel flipped"),
        (
            lambda x, w, b: F.conv_transpose1d(x, w.transpose(0, 1), b, stride=2, padding=1, output_padding=1),
            "weight layout (C_out, C_in, K)",
        ),
        (lambda x, w, b: F.conv_transpose1d(x, w, None, stride=2, padding=1, output_padding=1), "bias missing"),
    ],
)
def test_transposed_confusions_are_named(fn, expected) -> None:
    result = check(fn, TRANSPOSED, 7, convention="torch")
    assert expected in [v.name for v in result.matches], result.report()


def test_correct_transposed_code_passes() -> None:
    layer = symconv.ConvTranspose1d(2, 3, 4, stride=3, padding=2, dilation=2, output_padding=2, bias=False)
    fn = lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=2, dilation=2, output_padding=2)  # noqa: E731
    assert check(fn, layer, convention="torch").passed
    module = torch.nn.ConvTranspose1d(2, 2, 3, stride=2, padding=1, output_padding=1)
    assert check(module, TRANSPOSED, dtype="float32").passed


# -- dtype: the probe's dtype is the least precision expected back --------------------------------


@pytest.mark.parametrize(
    ("cast", "dtype", "named"),
    [
        (lambda out: out.astype(np.float16), "float64", "float16"),
        (lambda out: out.astype(np.float32), "float64", "float32"),
        (lambda out: out.astype(np.float16), "float32", "float16"),
        (lambda out: torch.from_numpy(out).to(torch.bfloat16), "float32", "torch.bfloat16"),
    ],
)
def test_a_result_less_precise_than_its_input_fails_and_names_its_dtype(cast, dtype, named) -> None:
    result = check(lambda x, w: cast(np.correlate(x, w, "valid")), Conv1d(1, 1, 3, bias=False), dtype=dtype)
    assert not result.passed
    assert f"your code returned {named} results for {dtype} inputs: less precision than it was given" in (
        result.report()
    )


def test_a_more_precise_result_passes() -> None:
    fn = lambda x, w: np.correlate(x.astype(np.float64), w.astype(np.float64), "valid")  # noqa: E731
    assert check(fn, Conv1d(1, 1, 3, bias=False), dtype="float32").passed


@pytest.mark.parametrize(
    ("returned", "text"),
    [
        ("hello", "your code returned text (str 'hello'), not an array of numbers"),
        (None, "your code returned None, not an array of numbers (a missing return?)"),
        (np.array([["a", "b"]]), "your code returned an array of text"),
        ([[1.0, 2.0], [3.0]], "your code returned a list that is not an array of numbers"),
        (np.array([1 + 2j]), "your code returned complex (complex128) results; the layer is real"),
        (np.array([1, 2], dtype=np.int64), "your code returned integer (int64) results for float64 inputs"),
        (np.array([None, 1.0]), "your code returned values that are not real numbers (such as None"),
    ],
)
def test_checked_code_returning_something_not_numeric_fails_with_a_clear_message(returned, text) -> None:
    result = check(lambda x, w, b: returned, Conv1d(1, 1, 3), 6)
    assert not result.passed and result.max_error == float("inf")
    assert text in result.report()
    assert result.diagnosis.startswith("your code returned")


def test_exact_numbers_are_accepted() -> None:
    from fractions import Fraction

    def exact(x, w):
        return [sum(Fraction(float(x[i + k])) * Fraction(float(w[k])) for k in range(3)) for i in range(len(x) - 2)]

    assert check(exact, Conv1d(1, 1, 3, bias=False), 7).passed


# -- convention 'auto' retries PyTorch code with tensors -----------------------------------------


def test_auto_convention_runs_torch_code_that_raises_on_numpy_arrays() -> None:
    fn = lambda x, w, b: F.conv1d(x, w, b, stride=2, dilation=2)  # noqa: E731
    result = check(fn, Conv1d(2, 3, 3, stride=2, dilation=2))
    assert result.passed and result.convention == "torch"
    assert "convention 'torch' (auto: your code raised TypeError on NumPy arrays" in result.report()


def test_auto_convention_keeps_the_numpy_error_when_torch_fails_too() -> None:
    def broken(x, w, b):
        raise IndexError("index 7 is out of bounds")

    result = check(broken, Conv1d(1, 1, 3), 5)
    assert result.convention == "numpy" and "IndexError: index 7 is out of bounds" in result.problem


# -- three common bugs get a name ----------------------------------------------------------------


def test_dilation_ignored_with_the_output_length_kept_is_named() -> None:
    from gallery_wrong import loop_for

    layer = Conv1d(2, 3, 3, dilation=2, padding=1)
    result = check(loop_for(layer, 11, "dilation ignored, length kept"), layer, 11)
    assert result.matches[0].name == "dilation ignored, output length kept"


def test_float32_code_checked_at_float64_is_a_precision_loss() -> None:
    fn = lambda x, w, b: F.conv1d(x.float(), w.float(), b.float(), padding=1).double()  # noqa: E731
    result = check(fn, Conv1d(2, 3, 3, padding=1), convention="torch")
    assert not result.passed and result.probe == "float"
    assert result.diagnosis.startswith("precision loss: every error")
    assert "your code computes in float32 somewhere" in result.diagnosis
    fft32 = lambda x, w: _fft(x.astype(np.float32), w.astype(np.float32)).astype(np.float64)  # noqa: E731
    assert "float32" in check(fft32, Conv1d(1, 1, 3, bias=False), 4096).precision


def test_a_one_tap_shift_is_not_called_a_precision_loss() -> None:
    result = check(lambda x, w: np.roll(np.correlate(x, w, "valid"), 1), Conv1d(1, 1, 3, bias=False), 64)
    assert not result.passed and result.precision == ""


@pytest.mark.parametrize(
    ("cut", "name"),
    [
        (lambda out: out[..., :-1], "output one short (last missing)"),
        (lambda out: out[..., 1:], "output one short (first missing)"),
        (lambda out: np.concatenate([out, out[..., :1]], axis=-1), "output one long (extra last)"),
        (lambda out: np.concatenate([out[..., :1] * 0, out], axis=-1), "output one long (extra first)"),
    ],
)
def test_an_output_one_element_short_or_long_is_named(cut, name) -> None:
    layer = Conv1d(2, 3, 3, padding=1)
    result = check(lambda x, w, b: cut(correct_loop(layer, 9)(x, w, b)), layer, 9)
    assert name in [v.name for v in result.matches], result.report()


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "got"),
    [
        ("conv", "'conv' of type str"),
        (Sequential(Conv1d(1, 1, 3), symconv.Activation("relu")), "of type Sequential); check a stack one"),
        (symconv.MaxPool1d(2), "of type MaxPool1d"),
        (None, "None of type NoneType"),
    ],
)
def test_check_refuses_what_is_not_one_convolution_layer(layer, got) -> None:
    rule = "'layer' must be one convolution layer: a Conv1d, a ConvTranspose1d or a NumPy/SciPy mode"
    with pytest.raises(TypeError) as info:
        check(lambda x, w, b: x, layer)
    assert str(info.value).startswith(rule) and got in str(info.value)


def test_check_takes_an_expansion() -> None:
    e = Conv1d(1, 1, 3).expand(6)
    assert check(lambda x, w, b: F.conv1d(x, w, b), e, convention="torch").passed
    with pytest.raises(ValueError, match="'input_length' must be left out or equal 6"):
        check(lambda x, w, b: x, e, 7)


# -- weight-normalised torch modules ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_weight_normalised_torch_module_is_supported(dtype) -> None:
    module = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv1d(2, 3, 3, padding=1))
    before = {k: v.clone() for k, v in module.state_dict().items()}
    assert check(module, Conv1d(2, 3, 3, padding=1), dtype=dtype).passed
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())
    assert torch.nn.utils.parametrize.is_parametrized(module, "weight")  # the original is untouched
    assert module(torch.ones(1, 2, 5)).shape == (1, 3, 5)


def test_spectral_and_hook_based_weight_norm_modules_are_supported() -> None:
    spectral = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Conv1d(2, 2, 3))
    assert check(spectral, Conv1d(2, 2, 3)).passed
    with pytest.warns(FutureWarning):
        old = torch.nn.utils.weight_norm(torch.nn.Conv1d(2, 2, 3, stride=2))
    assert check(old, Conv1d(2, 2, 3, stride=2)).passed
    assert hasattr(old, "weight_g")


def test_wrongly_configured_weight_normalised_module_fails() -> None:
    module = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv1d(2, 3, 3, padding=2))
    result = check(module, Conv1d(2, 3, 3, padding=1))
    assert not result.passed
    assert "padding (left, right) = (2, 2)" in result.diagnosis


def test_nan_and_infinite_outputs_are_counted_in_the_diagnosis() -> None:
    def holes(x, w, b):
        out = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)).numpy()
        out[0, 0, :2] = [np.nan, np.inf]
        return out

    result = check(holes, Conv1d(1, 2, 3), 7)
    assert not result.passed and result.wrong == 2
    assert result.diagnosis == "matches no known variant; 2 of 20 outputs are NaN or infinite"


def test_python_ints_too_large_for_a_float_are_refused() -> None:
    result = check(lambda x, w: [10**400] * (len(x) - 2), Conv1d(1, 1, 3, bias=False), 6)
    assert "your code returned values that are not real numbers (such as 1000" in result.report()
