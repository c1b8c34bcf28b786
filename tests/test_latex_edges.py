"""Derivations at the edges (issue 9): names, transposed layers with dilation > stride, floats as given,
the 1-based equivariance theorem, the transposed weight shape, truth-valued claims and bad numbers.

Each test is named after what it guards. Independent routes: PyTorch for the transposed output
lengths and the float results, exact ``fractions.Fraction`` arithmetic for the worked numbers.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest
import sympy
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import Activation, Conv1d, ConvTranspose1d, Sequential
from symconv.latex import VerificationError, derivation
from symconv.latex.context import Context, Options
from symconv.latex.numbers import float_tex
from symconv.latex.steps import Claim, Step
from symconv.latex.theorems import _equivariance

QUICK = {"listing": False, "figures": False}


def step(d, name: str) -> Step:
    return next(s for s in d.steps if s.name == name)


# -- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [{"x": "u"}, {"b": "beta"}, {"w": "theta"}, {"w": "v"}, {"x": "v"}, {"x": "u", "w": "k", "b": "c", "z": "q"}],
)
@pytest.mark.parametrize(
    ("layer", "length"),
    [(Conv1d(1, 1, 3), 4), (Conv1d(2, 2, 3, groups=2, padding=1, padding_mode="reflect"), 4)],
)
def test_derivation_with_custom_names_builds(layer: Conv1d, length: int, names: dict[str, str]) -> None:
    d = derivation(
        layer,
        length,
        names=names,
        x=list(range(1, 2 * length + 1))[: layer.in_channels * length],
        w=list(range(1, int(np.prod(layer.weight_shape)) + 1)),
        **QUICK,
    )
    e = d.expansion
    assert step(d, "equations").math.count(f"{names.get('z', 'z')}_{{") >= e.output_length
    flip = step(d, "flip identity")
    # the flip step speaks of the caller's symbols, and its kernel name is none of them
    assert f"{names.get('x', 'x')}_{{" in flip.math and f"{names.get('b', 'b')}" in flip.math
    kernel = re.search(r"with a kernel \$(\w+)\$", flip.words).group(1)
    assert kernel not in e.names.values()
    assert f"\\mathrm{{flip}}({sympy.latex(sympy.Symbol(e.names['w']))})" in flip.math


@pytest.mark.parametrize("names", [{"x": "u"}, {"b": "beta"}, {"w": "theta"}, {"w": "v"}])
def test_transposed_derivation_with_custom_names_builds(names: dict[str, str]) -> None:
    d = derivation(ConvTranspose1d(2, 2, 2, stride=2), 3, names=names, **QUICK)
    assert sympy.latex(sympy.Symbol(f"{names.get('w', 'w')}_0,0,0")) in step(d, "transpose of a convolution").math


# -- the output padding theorem ------------------------------------------------------------------------


def torch_round_trip(layer: ConvTranspose1d, length: int, a: int) -> tuple[int, int]:
    """``(L_out(a), Conv1d(L_out(a)))`` from PyTorch's own layers (shapes only)."""
    x = torch.zeros(1, layer.in_channels, length)
    w = torch.zeros(layer.in_channels, layer.out_channels // layer.groups, layer.kernel_size)
    common = {"stride": layer.stride, "padding": layer.padding, "dilation": layer.dilation, "groups": layer.groups}
    out = torch.nn.functional.conv_transpose1d(x, w, output_padding=a, **common)
    back = torch.nn.functional.conv1d(out, w, **common)
    return out.shape[-1], back.shape[-1]


def printed_round_trips(d) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    lengths, back = step(d, "output padding").math.split("\\\\\n")
    pairs = [re.findall(r"a = (\d+) \\mapsto (\d+)", line) for line in (lengths, back)]
    return [(int(a), int(m)) for a, m in pairs[0]], [(int(a), int(m)) for a, m in pairs[1]]


def test_output_padding_theorem_holds_when_dilation_exceeds_stride() -> None:
    layer = ConvTranspose1d(1, 1, 2, dilation=2)
    d = derivation(layer, 1, **QUICK)
    theorem = step(d, "output padding")
    assert "exactly when $a < s = 1$" in theorem.words and "does not hold" in theorem.words
    lengths, back = printed_round_trips(d)
    assert lengths == [(0, 3), (1, 4)] and back == [(0, 1), (1, 2)]  # L_out = (L-1)s + d(K-1) + a + 1
    for (a, m), (_, n) in zip(lengths, back):
        assert torch_round_trip(layer, 1, a) == (m, n)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    groups=st.integers(1, 2),
    per_in=st.integers(1, 2),
    per_out=st.integers(1, 2),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 3),
    dilation=st.integers(1, 3),
    padding=st.integers(0, 2),
    data=st.data(),
)
def test_transposed_derivations_build_and_print_pytorch_lengths(
    groups: int, per_in: int, per_out: int, kernel: int, stride: int, dilation: int, padding: int, data
) -> None:
    a = data.draw(st.integers(0, max(stride, dilation) - 1), label="output_padding")
    length = data.draw(st.integers(1, 3), label="input_length")
    layer = ConvTranspose1d(
        groups * per_in,
        groups * per_out,
        kernel,
        stride=stride,
        padding=padding,
        output_padding=a,
        groups=groups,
        dilation=dilation,
    )
    try:
        layer.output_length(length)
    except ValueError:
        return  # padding too large for this length: refused by the layer, as by PyTorch
    d = derivation(layer, length, **QUICK)  # every step is verified as it is built
    assert d.claims > 0
    lengths, back = printed_round_trips(d)
    for (a_shown, m), (_, n) in zip(lengths, back):
        assert torch_round_trip(layer, length, a_shown) == (m, n)
        assert n == length + a_shown // stride


def test_transposed_weight_shape_is_stated_once_and_correctly() -> None:
    text = derivation(ConvTranspose1d(2, 4, 3, groups=2), 3, **QUICK).latex()
    assert text.count("C_{\\mathrm{in}}, C_{\\mathrm{out}}/G, K) = (2, 2, 3)") == 1
    assert "C_{\\mathrm{out}}, C_{\\mathrm{in}}/G, K)" not in text
    assert (
        "C_{\\mathrm{out}}, C_{\\mathrm{in}}/G, K) = (4, 1, 3)"
        in derivation(Conv1d(2, 4, 3, groups=2), 3, **QUICK).latex()
    )


# -- floats as given -----------------------------------------------------------------------------------


def test_floats_are_printed_as_given_not_as_constants() -> None:
    x = [1, 1.4142135623730951, 3, 2.718281828459045]
    d = derivation(Conv1d(1, 1, 3, bias=False), 4, x=x, w=[5, 6, 7], **QUICK)
    text = d.latex()
    assert "\\sqrt" not in text and "e\\right)" not in text and " e," not in text
    numbers = step(d, "numbers")
    assert "x = \\left(1, 1.4142135623730951, 3, 2.718281828459045\\right)" in numbers.words
    exact = [Fraction(v) for v in x]  # the floats' exact binary values
    z = [5 * exact[i] + 6 * exact[i + 1] + 7 * exact[i + 2] for i in range(2)]
    for i, value in enumerate(z):
        relation = "=" if Fraction(float(value)) == value else "\\approx"
        assert f"{relation} {float_tex(float(value))}" in numbers.math.split("\\\\")[i]
    torch_z = torch.nn.functional.conv1d(
        torch.tensor([[x]], dtype=torch.float64), torch.tensor([[[5.0, 6, 7]]], dtype=torch.float64)
    )
    assert [float(v) for v in z] == pytest.approx(torch_z.ravel().tolist(), rel=1e-15)


def test_floats_are_computed_with_exactly() -> None:
    d = derivation(Conv1d(1, 1, 2, bias=False), 2, x=[0.1, 0.2], w=[1, 1], **QUICK)
    exact = Fraction(0.1) + Fraction(0.2)  # not 3/10, and not the float 0.30000000000000004
    assert float(exact) == 0.30000000000000004
    assert f"\\approx {float_tex(float(exact))}" in step(d, "numbers").math or Fraction(float(exact)) == exact
    assert "0.1 + 1 \\cdot 0.2" in step(d, "numbers").math


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1e-20, "1 \\cdot 10^{-20}"), (-1.5e300, "-1.5 \\cdot 10^{300}"), (0.5, "0.5"), (3.0, "3.0"), (-0.0, "-0.0")],
)
def test_float_tex_is_the_shortest_repr(value: float, shown: str) -> None:
    assert float_tex(value) == shown


def test_exact_numbers_stay_exact() -> None:
    d = derivation(Conv1d(1, 1, 3), 4, x=[1, -2, 3, Fraction(1, 3)], w=[-5, 6, 7], b=[-1], **QUICK)
    math = step(d, "numbers").math
    assert "\\left(-5\\right) \\cdot \\left(-2\\right) + 6 \\cdot 3 + 7 \\cdot \\frac{1}{3} - 1 = \\frac{88}{3}" in math


def test_exactly_representable_float_results_use_equals() -> None:
    d = derivation(Conv1d(1, 1, 2, bias=False), 3, x=[0.5, 0.25, 1.5], w=[1, 2], **QUICK)
    math = step(d, "numbers").math
    assert "0.5 + 2 \\cdot 0.25 = 1.0" not in math  # 1 is printed as the integer it is
    assert "= 1" in math and "= 3.25" in math and "\\approx" not in math


# -- the equivariance theorem in either index base -------------------------------------------------------


def _condition(text: str, s: int, d: int, k: int, p: int, n: int, i: int) -> bool:
    python = (
        text.replace("p_\\ell", "p")
        .replace("\\ge", ">=")
        .replace("\\le", "<=")
        .replace("d(K-1)", "d*(K-1)")
        .replace("s(", "s*(")
        .replace("s i", "s*i")
    )
    return bool(eval(python, {}, {"s": s, "d": d, "K": k, "p": p, "L": n, "i": i}))  # our own printed text


SWEEP = [
    (Conv1d(1, 1, k, stride=s, dilation=d, padding=p), n)
    for k in (1, 2, 3)
    for s in (1, 2, 3)
    for d in (1, 2)
    for p in (0, 1, 2)
    for n in (5, 8)
    if n + 2 * p >= d * (k - 1) + 1
]


def _runs(shown: str) -> list[int]:
    """The integers of ``0, \\dots, 4, 7``: a run written with dots stands for every integer between."""
    parts = shown.split(", ")
    out: list[int] = []
    for j, part in enumerate(parts):
        if part == r"\dots":
            out += range(int(parts[j - 1]) + 1, int(parts[j + 1]))
        else:
            out.append(int(part))
    return out


@pytest.mark.parametrize("base", [0, 1])
def test_equivariance_index_sets_satisfy_the_printed_condition(base: int) -> None:
    checked = 0
    for layer, n in SWEEP:
        e = layer.expand(n, index_base=base)
        theorem = _equivariance(Context(e, Options()))  # verified as it is built
        first, second = re.search(rf"subscripts from {base}: \$(.+?)\$ and \$(.+?)\$", theorem.words).groups()
        shown = re.search(r"i \\in \\\{(.*)\\\}", theorem.math).group(1)
        printed = [] if "none" in shown else _runs(shown)
        s, d, k, p = layer.stride, layer.dilation, layer.kernel_size, e.padding[0]
        holds = [
            i
            for i in range(base, e.output_length - 1 + base)
            if _condition(first, s, d, k, p, n, i) and _condition(second, s, d, k, p, n, i)
        ]
        assert printed == holds, (layer, n, base)
        border = re.search(r"at \$i = (\d+)\$", theorem.reason)
        assert border is None or int(border.group(1)) not in printed
        checked += len(printed)
    assert checked > 100


# -- truth-valued claims and the stack ---------------------------------------------------------------------


def test_truth_valued_claims_never_raise_sympy_type_errors() -> None:
    assert Claim(True, True).holds() and not Claim(False, True).holds()
    with pytest.raises(VerificationError, match="False = True is false"):
        Step("outcome", "A check.", "", "None.", (Claim(False, True),))


def test_stack_derivation_of_two_relus_builds() -> None:
    d = derivation(Sequential(Activation("relu"), Activation("relu")), 1)
    assert step(d, "every gradient").verified > 0


def test_failed_stack_gradient_names_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from symconv.base import verification

    failed = verification.Verification((verification.Check("dL/dx = sympy.diff", False, "entry 0 differs"),))
    monkeypatch.setattr("symconv.stack.sequential.StackGradients.verify", lambda self, points=3: failed)
    with pytest.raises(VerificationError, match=r"'every gradient'.*dL/dx = sympy.diff: entry 0 differs"):
        derivation(Sequential(Activation("relu"), Activation("relu")), 1)


def test_stack_derivation_refuses_options_it_would_ignore() -> None:
    net = Sequential(Activation("relu"))
    for key, value in (("x", [1]), ("names", {"x": "u"}), ("activation", "relu")):
        with pytest.raises(ValueError, match=f"'{key}' cannot be chosen for a stack"):
            derivation(net, 1, **{key: value})
    with pytest.raises(ValueError, match="'index_base' must be 0 for a stack"):
        derivation(net, 1, index_base=1)


# -- bad numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "value", "error", "shown"),
    [
        ("x", None, TypeError, "got None of type NoneType at position 1"),
        ("x", float("nan"), ValueError, "got nan at position 1"),
        ("x", float("inf"), ValueError, "got inf at position 1"),
        ("x", -np.inf, ValueError, "got -inf at position 1"),
        ("x", "2", TypeError, "got '2' of type str at position 1"),
        ("x", b"2", TypeError, "got b'2' of type bytes at position 1"),
        ("x", True, TypeError, "got True of type bool at position 1"),
        ("x", 1 + 2j, TypeError, "got (1+2j) of type complex at position 1"),
        ("x", sympy.Symbol("a"), TypeError, "got the expression a at position 1"),
        ("x", sympy.nan, ValueError, "got nan at position 1"),
        ("x", sympy.oo, ValueError, "got oo at position 1"),
        ("w", None, TypeError, "got None of type NoneType at position 1"),
        ("w", float("nan"), ValueError, "got nan at position 1"),
        ("b", "1", TypeError, "got '1' of type str at position 1"),
    ],
)
def test_bad_numbers_name_the_argument_the_rule_and_the_value(role: str, value, error, shown: str) -> None:
    numbers = {"x": [1, 2, 3, 4], "w": [5, 6, 7], "b": [0, 0]}
    numbers[role] = [numbers[role][0], value, *numbers[role][2:]]
    layer = Conv1d(1, 2 if role == "b" else 1, 3)
    if role == "b":
        numbers["w"] = [5, 6, 7, 8, 9, 10]
    with pytest.raises(error, match=rf"'{role}' entries must be finite numbers .*\({re.escape(shown)}\)\."):
        derivation(layer, 4, **numbers)


def test_numbers_need_both_x_and_w() -> None:
    for given_numbers, shown in (({"x": [1, 2, 3]}, "['x']"), ({"w": [1, 2]}, "['w']"), ({"b": [1]}, "['b']")):
        with pytest.raises(ValueError, match=re.escape(f"are both needed to work through numbers (got only {shown})")):
            derivation(Conv1d(1, 1, 2), 3, **given_numbers)


def test_listing_and_figures_must_be_bools() -> None:
    with pytest.raises(TypeError, match="'listing' must be a bool \\(got 'no' of type str\\)"):
        derivation(Conv1d(1, 1, 2), 3, listing="no")
    with pytest.raises(TypeError, match="'figures' must be a bool"):
        derivation(Conv1d(1, 1, 2), 3, figures=1)


def test_verification_compares_truth_values_without_sympy_type_errors() -> None:
    from symconv.base.verification import Check, same

    assert same(True, sympy.true) and not same(False, True) and not same(sympy.false, 0)
    assert Check.entrywise("outcomes", [True, False], [True, True]).detail == "entry 1 differs: False != True"
