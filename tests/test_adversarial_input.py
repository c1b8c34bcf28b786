"""Adversarial input across the core public API: every rejection names its parameter, and mixed
dtypes give PyTorch's numbers.

- a table of public entry points (specs, ``expand``, ``evaluate``, ``subs``, ``gradients`` and
  their ``evaluate``, ``Sequential``, the arithmetic helpers, the taps queries), each called with
  every value of a pool of bad arguments (wrong types, out-of-range ints, bools, NaN, strings,
  bytes, ``None``, containers, huge ints): every call either succeeds, when the value is a valid
  one, or raises ``ValueError``/``TypeError`` whose message names the parameter; a value that
  is certainly invalid for that parameter must be refused; no other exception type ever;
- the same entry points with random garbage drawn by Hypothesis;
- ``evaluate`` of ``Conv1d`` and ``ConvTranspose1d`` with ``x``, ``w`` and ``b`` each of a
  different kind (int, float, bool, ``Fraction``, complex) equals PyTorch exactly (values are
  small dyadic rationals, so float64 is exact), in the dtype ``numeric.common_dtype`` promises,
  and equals ``subs`` of the same numbers; ``Gradients.evaluate`` with real mixed kinds, ReLU
  or none, and a generic, 'sum' or 'mse' loss equals ``torch.autograd``;
- regressions of the issue's cases, each named after what it guards.

Measured once with larger budgets: 3,000 garbage calls, 1,500 mixed-dtype forward passes,
300 ``subs`` cross-checks and 1,000 mixed-dtype gradients passed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv import (
    Activation,
    AvgPool1d,
    Conv1d,
    ConvTranspose1d,
    Linear,
    MaxPool1d,
    Sequential,
    conv_input_lengths,
    conv_output_length,
    convolve,
    correlate,
    gradients,
    transposed_output_length,
)

# -- the pool of bad (and some valid) values --------------------------------------------------------

POOL: list[Any] = [
    0,
    -1,
    1.5,
    2.0,
    True,
    False,
    None,
    "3",
    "x",
    b"3",
    np.float64(2.0),
    np.bool_(True),
    np.int64(-5),
    [],
    (1, 2, 3),
    {},
    {"x": 1},
    object(),
    float("nan"),
    float("inf"),
    complex(1, 1),
    Fraction(3, 1),
    sympy.Integer(2),
    2**70,
    -(2**70),
    np.array([1, 2]),
    np.array(["a", "b"]),
]


def is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def is_bool(v: Any) -> bool:
    return isinstance(v, (bool, np.bool_))


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float, complex, Fraction, np.number, np.bool_, sympy.Number))


def is_container(v: Any) -> bool:
    return isinstance(v, (list, tuple, np.ndarray))


Rule = Callable[[Any], "bool | None"]


def at_least(m: int, at_most: int | None = None) -> Rule:
    """Valid for ints in [m, at_most]; invalid for anything that is not an int, or below m; larger
    ints depend on the other arguments."""

    def rule(v: Any) -> bool | None:
        if not is_int(v) or v < m or v > MAX_SIZE:
            return False
        return True if at_most is None or v <= at_most else None

    return rule


def sized(rule: Rule) -> Rule:
    """A size, which may also be given as a 1-tuple or 1-list, as PyTorch's ``_single`` allows."""
    return lambda v: (rule(v[0]) if len(v) == 1 else False) if isinstance(v, (list, tuple)) else rule(v)


def index_in(n: int) -> Rule:
    return lambda v: is_int(v) and 0 <= v < n


def never(v: Any) -> bool:
    return False


def name_or_callable(v: Any) -> bool | None:
    """An activation: None (an undefined sigma), a name (checked against the table) or a callable."""
    return True if v is None else (None if isinstance(v, str) else callable(v))


def data(required: bool) -> Rule:
    """An array argument: numbers of the right shape are valid; anything holding a non-number is not."""

    def rule(v: Any) -> bool | None:
        if v is None:
            return not required
        if isinstance(v, np.ndarray):
            return None if v.dtype.kind in "biufc" else False
        if isinstance(v, (list, tuple)):
            return None if all(is_number(e) for e in v) else False
        return None if is_number(v) else False

    return rule


def scalar_data(v: Any) -> bool | None:
    """A one-element argument (a single-channel bias): any number, or None for no bias."""
    return True if v is None or is_number(v) else data(False)(v)


def finite(v: Any) -> bool | None:
    """A number for exact arithmetic: NaN and infinities are refused."""
    return is_number(v) and bool(np.isfinite(complex(v)))


def small(call: Callable[[Any], Any], limit: int = 10**5) -> Callable[[Any], Any]:
    """Skip valid sizes so large that building the layer is the large-layer suite's business
    (sizes beyond ``MAX_SIZE`` are still tried: they must be refused before anything is built)."""
    return lambda v: None if is_int(v) and limit < v <= MAX_SIZE else call(v)


def spatial_rule(v: Any) -> bool | None:
    """A stack's input size: a positive int, or a non-empty tuple (or list) of them, one per spatial axis."""
    if isinstance(v, (tuple, list)) and v and all(is_int(n) and 1 <= n <= 64 for n in v):
        return True
    if isinstance(v, (tuple, list)) and v and all(is_int(n) and n >= 1 for n in v):
        return None  # large N-D sizes: the size rule decides
    return small_rule(at_least(1))(v)


def small_rule(rule: Rule, limit: int = 10**5) -> Rule:
    return lambda v: True if is_int(v) and limit < v <= MAX_SIZE else rule(v)


@dataclass(frozen=True)
class Target:
    """One public entry point with one argument replaced by the value under test.

    ``valid(v)`` is True if the call must succeed, False if it must be refused, None if either is
    acceptable (the rule depends on other arguments); ``names`` are the spellings of the parameter
    one of which the message must contain.
    """

    label: str
    call: Callable[[Any], Any]
    names: tuple[str, ...]
    valid: Rule


E = Conv1d(1, 1, 2).expand(3)
ET = ConvTranspose1d(1, 1, 2, stride=2).expand(3)
G = gradients(E, loss="mse")
S = Sequential(Conv1d(1, 1, 2), Activation("relu")).expand(3)
POOLED = Sequential(MaxPool1d(2, 1)).expand(3, in_channels=1).gradients()
MAX_SIZE = 2**60  # symconv.base.validate.MAX_SIZE: sizes beyond it are refused


def _spec_targets() -> list[Target]:
    conv = {"in_channels": 1, "out_channels": 1, "kernel_size": 2}
    conv_rules: dict[str, Rule] = {
        "in_channels": at_least(1),
        "out_channels": at_least(1),
        "kernel_size": sized(at_least(1)),
        "stride": sized(at_least(1)),
        "dilation": sized(at_least(1)),
        "groups": at_least(1, 1),
        "padding": lambda v: at_least(0)(v) or (None if isinstance(v, (tuple, list, str)) else False),
        "bias": is_bool,
        "flip": is_bool,
        "padding_mode": lambda v: None if isinstance(v, str) else False,
    }
    out = [Target(f"Conv1d({n})", lambda v, n=n: Conv1d(**{**conv, n: v}), (n,), r) for n, r in conv_rules.items()]
    transposed_rules: dict[str, Rule] = {
        **{n: conv_rules[n] for n in ("in_channels", "out_channels", "kernel_size", "stride", "dilation", "groups")},
        "padding": sized(at_least(0)),
        "output_padding": sized(at_least(0, 0)),
        "bias": is_bool,
    }
    out += [
        Target(f"ConvTranspose1d({n})", lambda v, n=n: ConvTranspose1d(**{**conv, n: v}), (n,), r)
        for n, r in transposed_rules.items()
    ]
    pool_rules: dict[str, Rule] = {
        "kernel_size": sized(at_least(1)),
        "stride": lambda v: v is None or sized(at_least(1))(v),
        "padding": sized(at_least(0, 1)),
        "ceil_mode": is_bool,
        "count_include_pad": is_bool,
        "dilation": sized(at_least(1)),
        "return_indices": lambda v: is_bool(v) and not v,
    }
    for cls, names in ((AvgPool1d, ("count_include_pad",)), (MaxPool1d, ("dilation", "return_indices"))):
        for n in ("kernel_size", "stride", "padding", "ceil_mode", *names):
            out.append(
                Target(f"{cls.__name__}({n})", lambda v, c=cls, n=n: c(**{"kernel_size": 3, n: v}), (n,), pool_rules[n])
            )
    return [
        *out,
        Target("Linear(in_features)", lambda v: Linear(v, 2), ("in_features",), at_least(1)),
        Target("Linear(out_features)", lambda v: Linear(2, v), ("out_features",), at_least(1)),
        Target("Linear(bias)", lambda v: Linear(2, 2, v), ("bias",), is_bool),
        Target("Activation(f)", lambda v: Activation(v), ("activation",), name_or_callable),
        Target("convolve(kernel_size)", lambda v: convolve(v), ("kernel_size",), sized(at_least(1))),
        Target("correlate(mode)", lambda v: correlate(3, v), ("mode",), never),
        Target("correlate(convention)", lambda v: correlate(3, "same", v), ("convention",), never),
    ]


def _expansion_targets() -> list[Target]:
    layer = Conv1d(1, 1, 2)
    return [
        Target("expand(input_length)", small(layer.expand), ("input_length",), small_rule(at_least(2))),
        Target(
            "ConvTranspose1d.expand(input_length)",
            small(ConvTranspose1d(1, 1, 2).expand),
            ("input_length",),
            small_rule(at_least(1)),
        ),
        Target(
            "expand(index_base)",
            lambda v: layer.expand(3, index_base=v),
            ("index_base",),
            lambda v: is_int(v) and v in (0, 1),
        ),
        Target("expand(names)", lambda v: layer.expand(3, names=v), ("names",), lambda v: v is None or v == {}),
        Target("evaluate(x)", lambda v: E.evaluate(v, [1, 2]), ("x",), data(True)),
        Target("evaluate(w)", lambda v: E.evaluate([1, 2, 3], v), ("w",), data(True)),
        Target("evaluate(b)", lambda v: E.evaluate([1, 2, 3], [1, 2], v), ("b",), scalar_data),
        Target("transposed evaluate(x)", lambda v: ET.evaluate(v, [1, 2]), ("x",), data(True)),
        Target("transposed evaluate(b)", lambda v: ET.evaluate([1, 2, 3], [1, 2], v), ("b",), scalar_data),
        Target("subs(x)", lambda v: E.subs(x=v), ("x",), data(False)),
        Target("subs(w)", lambda v: E.subs(w=v), ("w",), data(False)),
        Target("subs(b)", lambda v: E.subs(b=v), ("b",), scalar_data),
        Target("activate(f)", lambda v: E.activate(v), ("activation",), name_or_callable),
        Target("taps.feeding(o)", lambda v: E.taps.feeding(v, 0), ("o",), index_in(1)),
        Target("taps.feeding(i)", lambda v: E.taps.feeding(0, v), ("i",), index_in(2)),
        Target("taps.fed_by(t)", lambda v: E.taps.fed_by(0, v), ("t",), index_in(3)),
        Target("taps.tying_group(k)", lambda v: E.taps.tying_group(0, 0, v), ("k",), index_in(2)),
        Target("taps.receptive_field(i)", lambda v: E.taps.receptive_field(0, v), ("i",), index_in(2)),
        Target("transposed taps.feeding(u)", lambda v: ET.taps.feeding(0, v), ("u",), index_in(6)),
        Target("transposed taps.fed_by(i)", lambda v: ET.taps.fed_by(0, v), ("i",), index_in(3)),
        Target("transposed taps.tying_group(ow)", lambda v: ET.taps.tying_group(0, v, 0), ("ow",), index_in(1)),
    ]


def _gradient_targets() -> list[Target]:
    losses = lambda v: v is None or (v in ("sum", "mse") if isinstance(v, str) else False)  # noqa: E731
    return [
        Target("gradients(expansion)", gradients, ("expansion",), never),
        Target("gradients(activation)", lambda v: gradients(E, activation=v), ("activation",), name_or_callable),
        Target(
            "gradients(loss)",
            lambda v: gradients(E, loss=v),
            ("loss",),
            lambda v: losses(v) or (None if isinstance(v, sympy.Expr) else False),
        ),
        Target(
            "Gradients.evaluate(target)",
            lambda v: G.evaluate([1, 2, 3], [1, 2], [0], target=v),
            ("target",),
            data(True),
        ),
        Target("Gradients.evaluate(x)", lambda v: G.evaluate(v, [1, 2], [0], target=[0, 0]), ("x",), data(True)),
        Target("Sequential(layers)", lambda v: Sequential(Conv1d(1, 1, 2), v), ("layers",), never),
        Target(
            "Sequential.expand(input_length)",
            small(Sequential(Activation()).expand),
            ("input_length",),
            spatial_rule,
        ),
        Target(
            "Sequential.expand(in_channels)",
            small(lambda v: Sequential(Activation()).expand(3, in_channels=v), 10**3),
            ("in_channels",),
            lambda v: True if v is None else small_rule(at_least(1), 10**3)(v),
        ),
        Target("StackExpansion.gradients(loss)", S.gradients, ("loss",), losses),
        Target(
            "StackExpansion.receptive_field(position)", lambda v: S.receptive_field(0, v), ("position",), index_in(2)
        ),
        Target("StackGradients.evaluate(values)", lambda v: S.gradients().evaluate({"x_0": v}), ("values",), finite),
        Target(
            "StackGradients.verify(points)",
            small(lambda v: POOLED.verify(points=v), 3),
            ("points",),
            small_rule(at_least(1), 3),
        ),
        Target("StackGradients.verify(seed)", lambda v: POOLED.verify(seed=v), ("seed",), lambda v: is_int(v)),
        Target(
            "Gradients.verify(identities)",
            lambda v: G.verify(identities=v),
            ("identities",),
            lambda v: v is None or (isinstance(v, (list, tuple)) and not v),
        ),
    ]


def _arithmetic_targets() -> list[Target]:
    args = {"input_length": 5, "kernel_size": 2, "stride": 1, "padding": 0, "dilation": 1}
    minimum = {"input_length": 1, "kernel_size": 1, "stride": 1, "padding": 0, "dilation": 1}
    out = []
    for n, m in minimum.items():
        out.append(
            Target(
                f"conv_output_length({n})", lambda v, n=n: conv_output_length(**{**args, n: v}), (n,), at_least(m, 2)
            )
        )
        out.append(
            Target(
                f"transposed_output_length({n})",
                lambda v, n=n: transposed_output_length(**{**args, n: v}),
                (n,),
                at_least(m, 0 if n == "padding" else 2),
            )
        )
    return [
        *out,
        Target(
            "transposed_output_length(output_padding)",
            lambda v: transposed_output_length(3, 3, 1, 0, v),
            ("output_padding",),
            at_least(0, 0),
        ),
        Target(
            "conv_input_lengths(output_length)",
            lambda v: conv_input_lengths(v, 3),
            ("input_length", "output_length"),
            at_least(1),
        ),
    ]


TARGETS = _spec_targets() + _expansion_targets() + _gradient_targets() + _arithmetic_targets()


def names(parameter: str, message: str) -> bool:
    """Whether ``message`` names ``parameter``: quoted, as ``'x'`` or ``names['x']``, or (for names of
    four letters or more) as a word of a formula such as ``dilation*(kernel_size-1)+1``."""
    quoted = re.search(rf"'{re.escape(parameter)}(\[\d+\])?'", message)
    return bool(quoted or (len(parameter) >= 4 and re.search(rf"\b{re.escape(parameter)}\b", message)))


def attempt(target: Target, value: Any) -> BaseException | None:
    """Call the target; return the ValueError/TypeError raised (checked), None on success."""
    try:
        target.call(value)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert any(names(n, message) for n in target.names), (
            f"{target.label} with {value!r}: the message does not name {target.names}: {message}"
        )
        return error
    return None


@pytest.mark.parametrize("target", TARGETS, ids=[t.label for t in TARGETS])
def test_every_bad_argument_is_refused_by_name_and_no_other_exception_escapes(target: Target) -> None:
    for value in POOL:
        expected = target.valid(value)
        error = attempt(target, value)
        if expected is True:
            assert error is None, f"{target.label} refused the valid {value!r}: {error}"
        elif expected is False:
            assert error is not None, f"{target.label} accepted the invalid {value!r}"


GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=1e6),
    st.fractions(max_denominator=10),
    st.text(max_size=5),
    st.binary(max_size=5),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=2), st.none()), max_size=4),
    st.tuples(st.integers(-3, 3), st.integers(-3, 3)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(TARGETS), GARBAGE)
def test_random_garbage_gets_a_named_value_or_type_error(target: Target, value: Any) -> None:
    expected = target.valid(value)
    error = attempt(target, value)
    if expected is False:
        assert error is not None, f"{target.label} accepted the invalid {value!r}"


# -- mixed dtypes against PyTorch --------------------------------------------------------------------

KINDS = ("int", "float", "bool", "fraction", "complex")


def make(kind: str, draws: list[int]) -> np.ndarray:
    """Small dyadic numbers of one kind, so that float64 sums of products are exact."""
    if kind == "int":
        return np.array(draws, dtype=np.int64)
    if kind == "bool":
        return np.array([d % 2 == 0 for d in draws], dtype=bool)
    if kind == "float":
        return np.array([d / 4 for d in draws], dtype=np.float64)
    if kind == "fraction":
        out = np.empty(len(draws), dtype=object)
        out[:] = [Fraction(d, 4) for d in draws]
        return out
    return np.array([complex(d / 2, (d % 3) - 1) for d in draws], dtype=np.complex128)


def expected_kind(kinds: tuple[str, ...]) -> str:
    if "fraction" in kinds:
        return "O"
    if "complex" in kinds:
        return "c"
    return "f" if "float" in kinds else "i"


def as_torch(array: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    if array.dtype == object:
        array = array.astype(np.complex128 if dtype == torch.complex128 else np.float64)
    return torch.tensor(array.astype(np.complex128 if dtype == torch.complex128 else array.dtype), dtype=dtype)


@st.composite
def mixed_cases(draw: Any) -> tuple[Any, int, tuple[str, str, str], list[np.ndarray]]:
    transposed = draw(st.booleans())
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    p = draw(st.integers(0, 2))
    length = draw(st.integers(1, 5))
    if transposed:
        layer: Any = ConvTranspose1d(cin, cout, k, s, p, draw(st.integers(0, max(s, d) - 1)), groups, True, d)
    else:
        layer = Conv1d(cin, cout, k, s, p, d, groups)
    try:
        layer.output_length(length)
    except ValueError:
        layer, length = (ConvTranspose1d if transposed else Conv1d)(cin, cout, 1, groups=groups), length
    kinds = tuple(draw(st.sampled_from(KINDS)) for _ in range(3))
    n = draw(st.integers(1, 2))
    shapes = [(n, cin, length), layer.weight_shape, (cout,)]
    arrays = []
    for kind, shape in zip(kinds, shapes):
        size = int(np.prod(shape))
        values = draw(st.lists(st.integers(-6, 6), min_size=size, max_size=size))
        arrays.append(make(kind, values).reshape(shape))
    return layer, length, kinds, arrays  # type: ignore[return-value]


@settings(max_examples=100, deadline=None)
@given(mixed_cases())
def test_evaluate_with_mixed_dtypes_equals_torch_exactly(case: Any) -> None:
    layer, length, kinds, (x, w, b) = case
    ours = layer.expand(length).evaluate(x, w, b)
    assert ours.dtype.kind == expected_kind(kinds), (kinds, ours.dtype)
    dtype = torch.complex128 if "complex" in kinds else torch.float64
    xt, wt, bt = (as_torch(a, dtype) for a in (x, w, b))
    if isinstance(layer, ConvTranspose1d):
        theirs = F.conv_transpose1d(
            xt, wt, bt, layer.stride, layer.padding, layer.output_padding, layer.groups, layer.dilation
        )
    else:
        theirs = F.conv1d(xt, wt, bt, layer.stride, layer.padding[0], layer.dilation, layer.groups)
    assert ours.shape == tuple(theirs.shape)
    assert ours.ravel().tolist() == theirs.ravel().tolist(), (kinds, ours, theirs)
    if "fraction" in kinds and "float" not in kinds and "complex" not in kinds:
        assert all(isinstance(v, (int, Fraction)) for v in ours.ravel()), "Fractions must stay exact"


@settings(max_examples=25, deadline=None)
@given(mixed_cases())
def test_subs_with_mixed_kinds_equals_evaluate(case: Any) -> None:
    layer, length, _, (x, w, b) = case
    e = layer.expand(length)
    z = e.subs(x=x[:1], w=w, b=b).z
    # SymPy's complex() of a sum of Floats may leave an error of 1e-20 where the exact value is 0
    assert [complex(v) for v in z] == pytest.approx([complex(v) for v in e.evaluate(x[:1], w, b)[0].ravel()], abs=1e-12)


# -- regressions named after what they guard -------------------------------------------------------


def test_transposed_output_length_refuses_output_padding_not_below_max_stride_and_dilation() -> None:
    """Regression: transposed_output_length(3, 3, 1, 0, 5) returned 10 where torch refuses."""
    with pytest.raises(ValueError) as info:
        transposed_output_length(3, 3, 1, 0, 5)
    assert str(info.value) == (
        "'output_padding' must be smaller than either stride or dilation (got output_padding=5, stride=1, dilation=1)."
    )
    assert transposed_output_length(3, 3, 1, 0, 1, 2) == ConvTranspose1d(
        1, 1, 3, output_padding=1, dilation=2
    ).output_length(3)


@pytest.mark.parametrize("query", ["feeding", "fed_by", "receptive_field"])
def test_taps_queries_refuse_floats_and_bools_and_accept_numpy_ints(query: str) -> None:
    """Regression: taps.feeding(0, 1.5) returned [] and NumPy ints leaked into the Taps returned."""
    for taps in (Conv1d(1, 1, 2).expand(5).taps, ConvTranspose1d(1, 1, 2).expand(5).taps):
        ask = getattr(taps, query)
        for bad in (1.5, np.float64(1.0), True, np.bool_(False), "1", None):
            with pytest.raises(TypeError, match=r"must be an int index \(got "):
                ask(0, bad)
        plain, numpy = ask(0, 1), ask(np.int64(0), np.int32(1))
        assert plain == numpy
        assert all(
            type(v) is int for item in numpy for part in item for v in (part if isinstance(part, tuple) else [part])
        )


def test_sizes_beyond_2_to_the_60_are_refused_before_anything_is_built() -> None:
    """Regression: stride=2**70 raised OverflowError inside the taps (NumPy's int64)."""
    for build, name in [
        (lambda: Conv1d(1, 1, 3, stride=2**70), "stride"),
        (lambda: Conv1d(1, 1, 3).expand(2**61), "input_length"),
        (lambda: ConvTranspose1d(1, 1, 3, padding=2**61), "padding"),
        (lambda: conv_output_length(5, 2, dilation=2**64), "dilation"),
    ]:
        with pytest.raises(ValueError, match=rf"^'{name}' must be .* no larger than 2\*\*60"):
            build()


def test_a_huge_zero_padding_builds_no_taps_for_the_pads() -> None:
    """Regression: padding=2**40 allocated an array for every padded output position (MemoryError)."""
    e = Conv1d(1, 1, 3, padding=2**40).expand(3)
    assert e.output_length == 2**41 + 1
    assert len(e.taps) == 9
    assert [tap.input for tap in e.taps.feeding(0, 2**40)] == [(0, 0), (0, 1), (0, 2)]


def test_mse_over_an_empty_batch_is_refused_by_name() -> None:
    """Regression: an empty batch with loss='mse' raised ZeroDivisionError (the mean of nothing)."""
    g = gradients(Conv1d(1, 1, 1).expand(1), loss="mse")
    with pytest.raises(ValueError, match=r"^'x' must hold at least one sample for loss='mse'"):
        g.evaluate(np.zeros((0, 1, 1)), [1], [0], target=np.zeros((0, 1, 1)))
    assert gradients(Conv1d(1, 1, 1).expand(1)).evaluate(np.zeros((0, 1, 1)), [1], [0], delta=np.zeros((0, 1, 1)))[
        "dx"
    ].shape == (0, 1, 1)


def test_stack_verify_refuses_zero_points_which_would_prove_nothing() -> None:
    """Regression: verify(points=0) of a max-pooling stack reported 'proven' after checking no point."""
    g = Sequential(MaxPool1d(2, 1)).expand(3, in_channels=1).gradients()
    with pytest.raises(ValueError, match=r"^'points' must be a positive int \(got 0\)\.$"):
        g.verify(points=0)
    assert g.verify(points=1, seed=np.int64(3)).ok


REAL_KINDS = ("int", "float", "bool", "fraction")


@settings(max_examples=40, deadline=None)
@given(mixed_cases(), st.sampled_from([None, "relu"]), st.sampled_from([None, "sum", "mse"]), st.data())
def test_gradients_with_mixed_real_dtypes_equal_torch_autograd(
    case: Any, activation: Any, loss: Any, data: Any
) -> None:
    """Gradients.evaluate of Conv1d and ConvTranspose1d with x, w, b of different real kinds equal
    torch.autograd (float64); exact where no mean is taken."""
    layer, length, kinds, arrays = case
    if "complex" in kinds:
        arrays = [
            make(data.draw(st.sampled_from(REAL_KINDS)), a.real.astype(int).ravel().tolist()).reshape(a.shape)
            if a.dtype.kind == "c"
            else a
            for a in arrays
        ]
    x, w, b = arrays
    e = layer.expand(length)
    upstream = np.array(
        data.draw(
            st.lists(
                st.integers(-3, 3),
                min_size=x.shape[0] * layer.out_channels * e.output_length,
                max_size=x.shape[0] * layer.out_channels * e.output_length,
            )
        )
    ).reshape(x.shape[0], layer.out_channels, e.output_length)
    kwargs = {"delta": upstream} if loss is None else {"target": upstream} if loss == "mse" else {}
    ours = gradients(e, activation=activation, loss=loss).evaluate(x, w, b, **kwargs)
    xt, wt, bt = (as_torch(a, torch.float64).requires_grad_() for a in (x, w, b))
    if isinstance(layer, ConvTranspose1d):
        out = F.conv_transpose1d(
            xt, wt, bt, layer.stride, layer.padding, layer.output_padding, layer.groups, layer.dilation
        )
    else:
        out = F.conv1d(xt, wt, bt, layer.stride, layer.padding[0], layer.dilation, layer.groups)
    out = torch.relu(out) if activation == "relu" else out
    u = torch.tensor(upstream, dtype=torch.float64)
    if loss is None:
        out.backward(u)
    elif loss == "sum":
        out.sum().backward()
    else:
        torch.nn.MSELoss()(out, u).backward()
    for key, tensor in (("dx", xt), ("dw", wt), ("db", bt)):
        got = np.asarray(ours[key]).astype(np.float64)
        if loss == "mse":
            np.testing.assert_allclose(got, tensor.grad.numpy(), rtol=1e-13, atol=1e-13)
        else:
            assert got.tolist() == tensor.grad.numpy().tolist(), (key, kinds)
