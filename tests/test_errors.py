"""Bad input: every invalid argument raises ValueError or TypeError naming the parameter, the rule and the value.

The main messages are pinned word for word (``reference/errors.md`` holds the peers' texts
they are modelled on).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from symconv import Conv1d, convolve, correlate

NAMES = "'valid', 'same', 'causal', 'full', 'tf_same', 'jax_same_lower'"
FORMS = f"'padding' must be an int >= 0, a 1-tuple (p,), a (left, right) pair or one of {NAMES}"


def raises(exc: type[Exception], message: str, call: Callable[[], Any]) -> None:
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        call()


# -- sizes: non-positive, non-integer, bools ---------------------------------------------------

SIZE_CASES = [
    ("in_channels", dict(in_channels=0), ValueError, "'in_channels' must be a positive int (got 0)."),
    ("in_channels", dict(in_channels=-2), ValueError, "'in_channels' must be a positive int (got -2)."),
    ("in_channels", dict(in_channels=True), TypeError, "'in_channels' must be a positive int (got True of type bool)."),
    ("out_channels", dict(out_channels=0), ValueError, "'out_channels' must be a positive int (got 0)."),
    (
        "out_channels",
        dict(out_channels=2.0),
        TypeError,
        "'out_channels' must be a positive int (got 2.0 of type float).",
    ),
    ("kernel_size", dict(kernel_size=0), ValueError, "'kernel_size' must be a positive int (got 0)."),
    ("kernel_size", dict(kernel_size=(0,)), ValueError, "'kernel_size' must be a positive int (got 0)."),
    (
        "kernel_size",
        dict(kernel_size=3.0),
        TypeError,
        "'kernel_size' must be a positive int (got 3.0 of type float).",
    ),
    (
        "kernel_size",
        dict(kernel_size=(3, 3)),
        ValueError,
        "'kernel_size' must be an int or a 1-tuple for a 1D layer (got (3, 3)).",
    ),
    (
        "kernel_size",
        dict(kernel_size=np.bool_(True)),
        TypeError,
        "'kernel_size' must be a positive int (got np.True_ of type bool).",
    ),
    ("stride", dict(stride=0), ValueError, "'stride' must be a positive int (got 0)."),
    ("stride", dict(stride=-1), ValueError, "'stride' must be a positive int (got -1)."),
    ("stride", dict(stride=True), TypeError, "'stride' must be a positive int (got True of type bool)."),
    ("stride", dict(stride=(2, 2)), ValueError, "'stride' must be an int or a 1-tuple for a 1D layer (got (2, 2))."),
    ("dilation", dict(dilation=0), ValueError, "'dilation' must be a positive int (got 0)."),
    ("dilation", dict(dilation="2"), TypeError, "'dilation' must be a positive int (got '2' of type str)."),
    ("dilation", dict(dilation=False), TypeError, "'dilation' must be a positive int (got False of type bool)."),
    ("groups", dict(groups=0), ValueError, "'groups' must be a positive int (got 0)."),
    ("groups", dict(groups=1.0), TypeError, "'groups' must be a positive int (got 1.0 of type float)."),
    ("bias", dict(bias=1), TypeError, "'bias' must be a bool (got 1 of type int)."),
    ("flip", dict(flip="yes"), TypeError, "'flip' must be a bool (got 'yes' of type str)."),
]


@pytest.mark.parametrize(("name", "kwargs", "exc", "message"), SIZE_CASES, ids=[c[0] for c in SIZE_CASES])
def test_sizes_and_flags(name: str, kwargs: dict[str, Any], exc: type[Exception], message: str) -> None:
    args = {"in_channels": 1, "out_channels": 1, "kernel_size": 3, **kwargs}
    raises(exc, message, lambda: Conv1d(**args))
    assert f"'{name}'" in message


def test_numpy_integers_are_sizes() -> None:
    layer = Conv1d(np.int64(2), np.int32(4), np.int64(3), stride=(np.int8(2),), groups=np.int64(2))
    assert (layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.groups) == (2, 4, 3, 2, 2)
    assert all(type(v) is int for v in (layer.in_channels, layer.kernel_size, layer.stride))


# -- groups -------------------------------------------------------------------------------------


def test_groups_must_divide_in_channels() -> None:
    message = "'in_channels' must be divisible by 'groups' (got in_channels=3, groups=2)."
    raises(ValueError, message, lambda: Conv1d(3, 4, 3, groups=2))


def test_groups_must_divide_out_channels() -> None:
    message = "'out_channels' must be divisible by 'groups' (got out_channels=6, groups=4)."
    raises(ValueError, message, lambda: Conv1d(4, 6, 3, groups=4))
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        torch.nn.Conv1d(4, 6, 3, groups=4)


# -- padding ------------------------------------------------------------------------------------


def test_same_with_stride() -> None:
    message = (
        "padding='same' is not supported for strided convolutions (got stride=2); "
        "padding='tf_same' gives TensorFlow's rule for any stride."
    )
    raises(ValueError, message, lambda: Conv1d(1, 1, 3, stride=2, padding="same"))
    assert Conv1d(1, 1, 3, stride=2, padding="tf_same").resolve_padding(5) == (1, 1)


@pytest.mark.parametrize("name", ["SAME", "Valid", "foo", "", "same "])
def test_unknown_padding_name(name: str) -> None:
    message = f"'padding' must be an int, a (left, right) pair or one of {NAMES} (got {name!r})."
    raises(ValueError, message, lambda: Conv1d(1, 1, 3, padding=name))


@pytest.mark.parametrize(
    ("padding", "exc", "message"),
    [
        (-1, ValueError, "'padding' must be an int >= 0 (got -1)."),
        (np.int64(-2), ValueError, "'padding' must be an int >= 0 (got np.int64(-2))."),
        ((-1,), ValueError, "'padding' given as a 1-tuple (p,) must hold ints >= 0 (got (-1,))."),
        ((1, -2), ValueError, "'padding' given as a (left, right) pair must hold ints >= 0 (got (1, -2))."),
        ([-3, 0], ValueError, "'padding' given as a (left, right) pair must hold ints >= 0 (got (-3, 0))."),
        ((1, 2.0), TypeError, "'padding' given as a (left, right) pair must hold ints >= 0 (got (1, 2.0))."),
        ((1, 2, 3), ValueError, "'padding' must be an int, a 1-tuple (p,) or a (left, right) pair (got (1, 2, 3))."),
        ((), ValueError, "'padding' must be an int, a 1-tuple (p,) or a (left, right) pair (got ())."),
        (1.5, TypeError, f"{FORMS} (got 1.5 of type float)."),
        (None, TypeError, f"{FORMS} (got None of type NoneType)."),
        (True, TypeError, "'padding' must be an int >= 0 (got True of type bool)."),
    ],
)
def test_bad_padding_values(padding: Any, exc: type[Exception], message: str) -> None:
    raises(exc, message, lambda: Conv1d(1, 1, 3, padding=padding))


@pytest.mark.parametrize("mode", ["xyz", "Zeros", "constant", 3, None])
def test_unknown_padding_mode(mode: Any) -> None:
    modes = "'zeros', 'reflect', 'replicate', 'circular', 'symmetric', 'wrap'"
    message = f"'padding_mode' must be one of {modes} (got {mode!r})."
    raises(ValueError, message, lambda: Conv1d(1, 1, 3, padding_mode=mode))


def test_reflect_padding_must_be_shorter_than_the_input() -> None:
    message = "padding_mode='reflect' needs each padding side < input_length (got padding (4, 4) for input_length 4)."
    layer = Conv1d(1, 1, 3, padding=4, padding_mode="reflect")
    raises(ValueError, message, lambda: layer.expand(4))
    raises(ValueError, message, lambda: layer.output_length(4))
    one_side = "padding_mode='reflect' needs each padding side < input_length (got padding (0, 3) for input_length 3)."
    raises(ValueError, one_side, lambda: Conv1d(1, 1, 2, padding=(0, 3), padding_mode="reflect").expand(3))
    assert Conv1d(1, 1, 3, padding=3, padding_mode="reflect").expand(4).output_length == 8
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        torch.nn.Conv1d(1, 1, 3, padding=4, padding_mode="reflect")(torch.zeros(1, 1, 4))


def test_circular_padding_may_not_wrap_twice() -> None:
    message = (
        "padding_mode='circular' needs each padding side <= input_length, since it cannot wrap around "
        "more than once (got padding (5, 0) for input_length 4)."
    )
    raises(ValueError, message, lambda: Conv1d(1, 1, 3, padding=(5, 0), padding_mode="circular").expand(4))
    assert Conv1d(1, 1, 3, padding=4, padding_mode="circular").expand(4).output_length == 10
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than once"):
        torch.nn.Conv1d(1, 1, 3, padding=5, padding_mode="circular")(torch.zeros(1, 1, 4))


def test_dilated_kernel_longer_than_the_padded_input() -> None:
    message = (
        "'input_length' 4 with padding (0, 0) gives a padded length of 4, shorter than the dilated kernel "
        "extent dilation*(kernel_size-1)+1 = 2*(3-1)+1 = 5."
    )
    raises(ValueError, message, lambda: Conv1d(1, 1, 3, dilation=2).expand(4))
    padded = (
        "'input_length' 4 with padding (1, 1) gives a padded length of 6, shorter than the dilated kernel "
        "extent dilation*(kernel_size-1)+1 = 1*(10-1)+1 = 10."
    )
    raises(ValueError, padded, lambda: Conv1d(3, 33, 10, padding=1).expand(4))
    assert Conv1d(1, 1, 3, dilation=2).expand(5).output_length == 1  # the boundary is allowed
    with pytest.raises(RuntimeError, match=re.escape("Kernel size: (5). Kernel size can't be greater")):
        torch.nn.Conv1d(1, 1, 3, dilation=2)(torch.zeros(1, 1, 4))


@pytest.mark.parametrize(
    ("length", "exc", "message"),
    [
        (0, ValueError, "'input_length' must be a positive int (got 0)."),
        (-3, ValueError, "'input_length' must be a positive int (got -3)."),
        (2.0, TypeError, "'input_length' must be a positive int (got 2.0 of type float)."),
        (True, TypeError, "'input_length' must be a positive int (got True of type bool)."),
    ],
)
def test_bad_input_length(length: Any, exc: type[Exception], message: str) -> None:
    layer = Conv1d(1, 1, 1)
    layer.expand(1)  # cached: a bool or float length must not slip through to this entry
    raises(exc, message, lambda: layer.expand(length))
    raises(exc, message, lambda: convolve(1).expand(length))


# -- expand options -----------------------------------------------------------------------------


@pytest.mark.parametrize("base", [2, -1, 1.0, True, "1", None])
def test_bad_index_base(base: Any) -> None:
    layer = Conv1d(1, 1, 2)
    layer.expand(3, index_base=1)
    raises(ValueError, f"'index_base' must be 0 or 1 (got {base!r}).", lambda: layer.expand(3, index_base=base))


def test_bad_names() -> None:
    layer = Conv1d(1, 1, 2)
    with pytest.raises(ValueError, match=re.escape("'names' keys must be among [") + ".*" + re.escape("(got 'q').")):
        layer.expand(3, names={"q": "a"})
    raises(
        ValueError,
        "'names['x']' must be an identifier such as 'a' (got '1a').",
        lambda: layer.expand(3, names={"x": "1a"}),
    )
    with pytest.raises(
        ValueError,
        match=re.escape("'names' must give different symbols different names: 'x' and 'w' would both be 'w'"),
    ):
        layer.expand(3, names={"x": "w"})
    with pytest.raises(ValueError, match=re.escape("'x' and 'a' would both be 'a'; rename one of them")):
        layer.expand(3, names={"x": "a"})


# -- evaluate and subs: wrong shapes ------------------------------------------------------------


def test_evaluate_wrong_input_shape() -> None:
    e = Conv1d(2, 2, 3).expand(5)
    w = np.zeros((2, 2, 3), dtype=int)
    raises(ValueError, "'x' must have shape (N, 2, 5) or (2, 5) (got (3, 5)).", lambda: e.evaluate(np.zeros((3, 5)), w))
    raises(ValueError, "'x' must have shape (N, 2, 5) or (2, 5) (got (5,)).", lambda: e.evaluate(np.zeros(5), w))
    raises(
        ValueError,
        "'x' must have shape (N, 2, 5) or (2, 5) (got (1, 1, 2, 5)).",
        lambda: e.evaluate(np.zeros((1, 1, 2, 5)), w),
    )
    single = Conv1d(1, 1, 3).expand(5)
    message = "'x' must have shape (N, 1, 5) or (1, 5) or (5,) (got (4,))."
    raises(ValueError, message, lambda: single.evaluate([1, 2, 3, 4], [1, 2, 3]))


def test_evaluate_wrong_weight_shape() -> None:
    grouped = Conv1d(2, 4, 3, groups=2).expand(5)
    message = "'w' must have shape (4, 1, 3) (got (4, 2, 3))."
    raises(ValueError, message, lambda: grouped.evaluate(np.zeros((2, 5)), np.zeros((4, 2, 3))))
    single = Conv1d(1, 1, 3).expand(5)
    raises(
        ValueError, "'w' must have shape (1, 1, 3) or (3,) (got (4,)).", lambda: single.evaluate(np.zeros(5), [1] * 4)
    )
    raises(
        ValueError,
        "'w' must have shape (1, 1, 3) or (3,) (got (3, 1)).",
        lambda: single.evaluate(np.zeros(5), [[1]] * 3),
    )


def test_evaluate_wrong_bias_shape() -> None:
    e = Conv1d(1, 2, 3).expand(5)
    message = "'b' must have shape (2,) or be None (got (3,))."
    raises(ValueError, message, lambda: e.evaluate(np.zeros((1, 5)), np.zeros((2, 1, 3)), [1, 2, 3]))
    raises(
        ValueError,
        "'b' must have shape (2,) or be None (got ()).",
        lambda: e.evaluate(np.zeros((1, 5)), np.zeros((2, 1, 3)), 1),
    )


def test_numpy_mode_wrong_shapes() -> None:
    e = correlate(3, "same").expand(4)
    raises(
        ValueError,
        "'x' must have shape (N, 1, 4) or (1, 4) or (4,) (got (3,)).",
        lambda: e.evaluate([1, 2, 3], [1, 2, 3]),
    )
    raises(ValueError, "'w' must have shape (1, 1, 3) or (3,) (got (2,)).", lambda: e.evaluate([1, 2, 3, 4], [1, 2]))


def test_subs_rejects_a_batch_and_a_missing_bias() -> None:
    e = Conv1d(1, 1, 3).expand(5)
    message = "'x' must be one sample for subs, not a batch (got shape (2, 1, 5))."
    raises(ValueError, message, lambda: e.subs(x=np.zeros((2, 1, 5), dtype=int)))
    no_bias = Conv1d(1, 1, 3, bias=False).expand(5)
    raises(ValueError, "'b' was given but the layer has bias=False.", lambda: no_bias.subs(b=[1]))


# -- NumPy/SciPy modes, activations, taps queries -----------------------------------------------


def test_numpy_mode_arguments() -> None:
    raises(ValueError, "'mode' must be one of 'full', 'same', 'valid' (got 'spam').", lambda: convolve(3, "spam"))
    raises(ValueError, "'mode' must be one of 'full', 'same', 'valid' (got 0).", lambda: correlate(3, 0))
    message = "'convention' must be one of 'numpy', 'scipy', 'scipy2d' (got 'matlab')."
    raises(ValueError, message, lambda: correlate(3, "same", "matlab"))
    raises(ValueError, "'kernel_size' must be a positive int (got 0).", lambda: convolve(0))
    raises(TypeError, "'kernel_size' must be a positive int (got True of type bool).", lambda: correlate(True))


def test_unknown_activation() -> None:
    e = Conv1d(1, 1, 1).expand(1)
    with pytest.raises(ValueError, match=re.escape("'activation' must be a callable or one of [") + ".*'relu'"):
        e.activate("gelu")
    raises(TypeError, "'activation' must be a name or a callable (got 3 of type int).", lambda: e.activate(3))


def test_taps_queries_out_of_range() -> None:
    taps = Conv1d(1, 1, 3).expand(5).taps
    message = "output position (o, i) must have 'o' in [0, 1) and 'i' in [0, 3) (got (0, 3))."
    raises(ValueError, message, lambda: taps.feeding(0, 3))
    raises(ValueError, message, lambda: taps.receptive_field(0, 3))
    message = "input position (c, t) must have 'c' in [0, 1) and 't' in [0, 5) (got (1, 0))."
    raises(ValueError, message, lambda: taps.fed_by(1, 0))
    raises(ValueError, "weight index 'k' must be in [0, 3) (got 3).", lambda: taps.tying_group(0, 0, 3))
    raises(ValueError, "weight index 'o' must be in [0, 1) (got -1).", lambda: taps.tying_group(-1, 0, 0))
