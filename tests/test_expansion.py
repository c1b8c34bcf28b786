"""The expansion of a layer: symbols and names, index base, subs, activate, repr, LaTeX, taps queries,
counts, and the shapes and dtypes of ``evaluate``."""

from __future__ import annotations

import pickle
import re
from fractions import Fraction

import numpy as np
import pytest
import sympy

from symconv import Conv1d, convolve, correlate
from symconv.geometry.taps import Counts, Tap
from symconv.layers.softplus import softplus
from symconv.views.expansion import Expansion, Substitution


def S(name: str) -> sympy.Symbol:
    return sympy.Symbol(name)


# -- symbols and names --------------------------------------------------------------------------


def test_single_channel_symbols() -> None:
    e = Conv1d(1, 1, 3).expand(5)
    assert e.x.shape == (1, 5) and e.w.shape == (1, 1, 3) and e.b.shape == (1,)
    assert e.x.tolist() == [[S(f"x_{t}") for t in range(5)]]
    assert e.w.tolist() == [[[S("w_0"), S("w_1"), S("w_2")]]]
    assert e.b.tolist() == [S("b")]
    assert e.z_symbols.tolist() == [[S("z_0"), S("z_1"), S("z_2")]]
    assert e.vec_x == sympy.Matrix([S(f"x_{t}") for t in range(5)])
    assert e.bias_vector == sympy.Matrix([S("b")] * 3)


def test_multi_channel_symbols_are_channel_major() -> None:
    e = Conv1d(2, 4, 2, groups=2).expand(3)
    assert e.x.shape == (2, 3) and e.w.shape == (4, 1, 2) and e.b.shape == (4,)
    assert e.x[1, 2] == S("x_1,2")
    assert e.w[3, 0, 1] == S("w_3,0,1")
    assert e.b.tolist() == [S(f"b_{o}") for o in range(4)]
    assert e.z_symbols[2, 1] == S("z_2,1")
    assert list(e.vec_x) == [S(f"x_{c},{t}") for c in range(2) for t in range(3)]
    assert list(e.bias_vector) == [S(f"b_{o}") for o in range(4) for _ in range(2)]
    # output channel 3 is in group 1: it reads input channel 1 only
    assert e.z[3, 0] == S("b_3") + S("w_3,0,0") * S("x_1,0") + S("w_3,0,1") * S("x_1,1")
    assert sympy.latex(e.x[1, 2]) == "x_{1,2}"


def test_index_base_one_is_textbook_style() -> None:
    e = Conv1d(1, 1, 3).expand(4, index_base=1)
    assert e.x.tolist() == [[S("x_1"), S("x_2"), S("x_3"), S("x_4")]]
    assert e.equations[0] == sympy.Eq(
        S("z_1"), S("b") + S("w_1") * S("x_1") + S("w_2") * S("x_2") + S("w_3") * S("x_3")
    )
    multi = Conv1d(2, 1, 1).expand(2, index_base=1)
    assert multi.x.tolist() == [[S("x_1,1"), S("x_1,2")], [S("x_2,1"), S("x_2,2")]]
    assert multi.w.tolist() == [[[S("w_1,1,1")], [S("w_1,2,1")]]]
    # array positions stay 0-based: taps and evaluate do not change
    assert e.taps.feeding(0, 0) == Conv1d(1, 1, 3).expand(4).taps.feeding(0, 0)
    assert e.evaluate([1, 2, 3, 4], [5, 6, 7]).tolist() == [38, 56]


def test_custom_names() -> None:
    e = Conv1d(1, 1, 2).expand(3, names={"x": "u", "w": "k", "b": "beta", "z": "y_hat"})
    assert e.equations[0] == sympy.Eq(S("y_hat_0"), S("beta") + S("k_0") * S("u_0") + S("k_1") * S("u_1"))
    assert str(e).splitlines()[1] == "y_hat_1 = beta + k_0*u_1 + k_1*u_2"


def test_names_that_sort_before_the_input_keep_canonical_order() -> None:
    e = Conv1d(1, 1, 2, bias=False).expand(3, names={"x": "a", "w": "v", "a": "h"})
    slow = sympy.Add(sympy.Mul(S("v_0"), S("a_0")), sympy.Mul(S("v_1"), S("a_1")))
    assert e.z[0, 0] == slow and hash(e.z[0, 0]) == hash(slow) and e.z[0, 0].args == slow.args
    assert str(e.z[0, 0]) == "a_0*v_0 + a_1*v_1"


def test_symbols_pickle_print_and_lambdify() -> None:
    e = Conv1d(1, 1, 3).expand(4)
    assert pickle.loads(pickle.dumps(e.z)) == e.z
    assert pickle.loads(pickle.dumps(e.x)) == e.x
    assert sympy.latex(e.z[0, 1]) == "b + w_{0} x_{1} + w_{1} x_{2} + w_{2} x_{3}"
    args = [*e.x[0, :], *e.w[0, 0, :], e.b[0]]
    f = sympy.lambdify(args, list(e.z))
    assert f(1, 2, 3, 4, 5, 6, 7, 0) == [38, 56]


def test_expand_is_cached_per_spec_length_base_and_names() -> None:
    layer = Conv1d(1, 1, 3)
    assert layer.expand(4) is layer.expand(4) is Conv1d(1, 1, 3, padding=0).expand(4)
    assert layer.expand(4) is not layer.expand(5)
    assert layer.expand(4) is not layer.expand(4, index_base=1)
    assert layer.expand(4) is not layer.expand(4, names={"x": "u"})
    assert isinstance(layer.expand(4), Expansion)
    assert Conv1d(1, 1, 3, padding=1).expand(4) is Conv1d(1, 1, 3, padding=(1, 1)).expand(4)


def test_bool_and_float_lengths_do_not_hit_the_cache() -> None:
    layer = Conv1d(1, 1, 1)
    layer.expand(1)
    layer.expand(2, index_base=1)
    with pytest.raises(TypeError, match="'input_length' must be a positive int"):
        layer.expand(True)
    with pytest.raises(TypeError, match="'input_length' must be a positive int"):
        layer.expand(1.0)
    with pytest.raises(ValueError, match="'index_base' must be 0 or 1"):
        layer.expand(2, index_base=1.0)  # used to name the symbols x_1.0, x_2.0
    assert layer.expand(np.int64(2)) is layer.expand(2)


# -- views ----------------------------------------------------------------------------------------


def test_attributes() -> None:
    e = Conv1d(1, 2, 3, stride=2, padding="causal").expand(6)
    assert (e.input_length, e.output_length, e.padding) == (6, 3, (2, 0))
    assert e.spec is e.layer and e.spec.padding == "causal"
    m = convolve(3, "same").expand(4)
    assert m.layer == convolve(3, "same") and m.spec == Conv1d(1, 1, 3, padding=(1, 1), bias=False, flip=True)
    assert m.b is None and m.bias_vector == sympy.zeros(4, 1)


def test_no_bias() -> None:
    e = Conv1d(2, 1, 2, bias=False).expand(3)
    assert e.b is None
    assert e.bias_vector == sympy.zeros(2, 1)
    assert all(not expr.has(S("b_0")) for expr in e.z)


def test_equations_and_z_are_consistent() -> None:
    e = Conv1d(2, 2, 3, padding=1, padding_mode="reflect").expand(4)
    assert [eq.lhs for eq in e.equations] == list(e.z_symbols._array)
    assert [eq.rhs for eq in e.equations] == list(e.z)
    assert isinstance(e.z, sympy.ImmutableMatrix) and e.z.shape == (2, 4)


def test_matrix_is_sparse_mutable_and_fresh() -> None:
    e = Conv1d(1, 1, 3, padding=1, padding_mode="replicate").expand(5)
    m = e.matrix
    assert isinstance(m, sympy.SparseMatrix) and m.shape == (5, 5)
    assert m[0, 0] == S("w_0") + S("w_1") and m[4, 4] == S("w_1") + S("w_2")
    m[0, 0] = 99
    assert e.matrix[0, 0] == S("w_0") + S("w_1")


def test_a_layer_whose_taps_all_land_on_zero_padding() -> None:
    # stride 2 jumps over the one input: no taps, an all-zero matrix (used to raise IndexError)
    e = Conv1d(1, 1, 1, stride=2, padding=1, bias=False).expand(1)
    assert e.output_length == 2 and len(e.taps) == 0
    assert e.matrix == sympy.zeros(2, 1)
    assert e.z == sympy.zeros(1, 2)
    assert e.evaluate([5], [3]).tolist() == [0, 0]
    assert e.taps.counts() == Counts(taps=0, parameters=1, nonzeros=0, dense_parameters=2)
    with_bias = Conv1d(1, 1, 1, stride=2, padding=1).expand(1)
    assert with_bias.z == sympy.Matrix([[S("b"), S("b")]])
    assert with_bias.matrix == sympy.zeros(2, 1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("relu", lambda z: sympy.Max(0, z)),
        ("tanh", sympy.tanh),
        ("sigmoid", lambda z: 1 / (1 + sympy.exp(-z))),
        ("softplus", softplus),  # PyTorch's: z above 20, log(1 + e^z) otherwise
        ("identity", lambda z: z),
    ],
)
def test_activate_by_name(name: str, expected) -> None:
    e = Conv1d(1, 1, 2).expand(3)
    h = e.activate(name)
    assert h.shape == e.z.shape
    assert list(h) == [expected(z) for z in e.z]


def test_activate_default_sympy_function_and_callable() -> None:
    e = Conv1d(1, 1, 2).expand(3)
    sigma, f = sympy.Function("sigma"), sympy.Function("f")
    assert e.activate() == e.z.applyfunc(sigma)
    assert e.activate(f) == e.z.applyfunc(f)
    assert e.activate(sympy.sin) == e.z.applyfunc(sympy.sin)
    assert e.activate(lambda z: z**2) == e.z.applyfunc(lambda z: z**2)


def test_subs_is_exact() -> None:
    e = Conv1d(1, 1, 3).expand(4)
    both = e.subs(x=[1, 2, 3, 4], w=[5, 6, 7], b=[Fraction(1, 2)])
    assert isinstance(both, Substitution)
    assert both.z == sympy.Matrix([[sympy.Rational(77, 2), sympy.Rational(113, 2)]])
    assert all(isinstance(v, sympy.Rational) for v in both.z)
    assert both.equations == [
        sympy.Eq(S("z_0"), sympy.Rational(77, 2), evaluate=False),
        sympy.Eq(S("z_1"), sympy.Rational(113, 2), evaluate=False),
    ]
    assert both.matrix == sympy.Matrix([[5, 6, 7, 0], [0, 5, 6, 7]])
    assert both.bias_vector == sympy.Matrix([sympy.Rational(1, 2)] * 2)
    weights_only = e.subs(w=[5, 6, 7])
    assert weights_only.z[0, 0] == S("b") + 5 * S("x_0") + 6 * S("x_1") + 7 * S("x_2")
    assert e.subs(x=[1, 2, 3, 4]).matrix == e.matrix  # the matrix holds weights only
    assert e.subs(x=np.array([[1, 2, 3, 4]]), w=np.array([[[5, 6, 7]]]), b=[0]).z.tolist() == [[38, 56]]
    assert e.subs(x=[[[1, 2, 3, 4]]], w=[5, 6, 7], b=0).z.tolist() == [[38, 56]]


def test_subs_with_sums_of_weights() -> None:
    e = Conv1d(1, 1, 3, padding=1, padding_mode="reflect", bias=False).expand(5)
    sub = e.subs(w=[1, 10, 100])
    assert sub.matrix.row(0).tolist() == [[10, 101, 0, 0, 0]]
    assert sub.matrix.row(4).tolist() == [[0, 0, 0, 101, 10]]


# -- display ----------------------------------------------------------------------------------


def test_repr_and_str() -> None:
    e = Conv1d(1, 1, 3).expand(4)
    assert repr(e) == (
        "<Expansion of Conv1d(in_channels=1, out_channels=1, kernel_size=3, stride=1, padding=(0, 0), dilation=1, "
        "groups=1, bias=True, padding_mode='zeros', flip=False) on L=4: L_out=2, padding=(0, 0), 6 taps>"
    )
    assert str(e) == "z_0 = b + w_0*x_0 + w_1*x_1 + w_2*x_2\nz_1 = b + w_0*x_1 + w_1*x_2 + w_2*x_3"
    assert repr(e.taps) == "<Taps on L=4: 1 -> 1 channels, kernel 3, padding (0, 0): 6 taps>"


def test_repr_latex() -> None:
    e = Conv1d(1, 1, 2, bias=False).expand(3)
    assert e._repr_latex_() == (
        r"$\displaystyle \begin{aligned}z_{0} &= w_{0} x_{0} + w_{1} x_{1} \\ "
        r"z_{1} &= w_{0} x_{1} + w_{1} x_{2}\end{aligned}$"
    )


def test_repr_latex_elides_long_layers() -> None:
    text = Conv1d(1, 1, 2).expand(21)._repr_latex_()
    assert text.startswith(r"$\displaystyle \begin{aligned}z_{0} &= b + w_{0} x_{0} + w_{1} x_{1}")
    assert (
        r"z_{10} &= b + w_{0} x_{10} + w_{1} x_{11} \\ &\;\;\vdots \\ z_{19} &= b + w_{0} x_{19} + w_{1} x_{20}" in text
    )
    assert "z_{11}" not in text and text.endswith(r"\end{aligned}$")
    assert text.count("&=") == 12


# -- taps queries and counts --------------------------------------------------------------------


def test_feeding_fed_by_tying_and_receptive_field() -> None:
    taps = Conv1d(2, 2, 2).expand(3).taps
    assert taps.feeding(1, 0) == [
        Tap((1, 0), (0, 0), (1, 0, 0)),
        Tap((1, 0), (0, 1), (1, 0, 1)),
        Tap((1, 0), (1, 0), (1, 1, 0)),
        Tap((1, 0), (1, 1), (1, 1, 1)),
    ]
    assert taps.fed_by(0, 1) == [
        Tap((0, 0), (0, 1), (0, 0, 1)),
        Tap((0, 1), (0, 1), (0, 0, 0)),
        Tap((1, 0), (0, 1), (1, 0, 1)),
        Tap((1, 1), (0, 1), (1, 0, 0)),
    ]
    assert taps.tying_group(1, 0, 1) == [((1, 0), (0, 1)), ((1, 1), (0, 2))]
    assert taps.receptive_field(1, 1) == [(0, 1), (0, 2), (1, 1), (1, 2)]


def test_grouped_taps_stay_in_their_group() -> None:
    taps = Conv1d(4, 2, 1, groups=2).expand(2).taps
    assert taps.receptive_field(0, 0) == [(0, 0), (1, 0)]
    assert taps.receptive_field(1, 0) == [(2, 0), (3, 0)]
    assert [tap.output for tap in taps.fed_by(3, 1)] == [(1, 1)]
    assert taps.tying_group(1, 1, 0) == [((1, 0), (3, 0)), ((1, 1), (3, 1))]


def test_taps_under_reflect_padding_can_repeat_an_input() -> None:
    taps = Conv1d(1, 1, 3, padding=1, padding_mode="reflect").expand(5).taps
    # output 0 reads x_1, x_0, x_1 (the left pad reflects x_1): x_1 through w_0 and through w_2
    assert taps.feeding(0, 0) == [
        Tap((0, 0), (0, 0), (0, 0, 1)),
        Tap((0, 0), (0, 1), (0, 0, 0)),
        Tap((0, 0), (0, 1), (0, 0, 2)),
    ]
    inputs = sorted(tap.input for tap in taps.feeding(0, 0))
    assert inputs == [(0, 0), (0, 1), (0, 1)]
    assert taps.receptive_field(0, 0) == [(0, 0), (0, 1)]
    counts = taps.counts()
    assert (counts.taps, counts.nonzeros) == (15, 13)


def test_flip_reverses_the_weight_index() -> None:
    taps = Conv1d(1, 1, 3, flip=True).expand(4).taps
    assert [(tap.input[1], tap.weight[2]) for tap in taps.feeding(0, 0)] == [(0, 2), (1, 1), (2, 0)]
    assert taps.tying_group(0, 0, 0) == [((0, 0), (0, 2)), ((0, 1), (0, 3))]


def test_triples_layout() -> None:
    taps = Conv1d(2, 2, 2).expand(3).taps
    rows, cols, weights = taps.triples()
    assert rows.dtype == cols.dtype == weights.dtype == np.int64
    assert len(rows) == len(taps) == 16
    got = sorted(zip(rows.tolist(), cols.tolist(), weights.tolist()))
    expected = sorted(
        (o * 2 + i, c * 3 + i + k, (o * 2 + c) * 2 + k)
        for o in range(2)
        for c in range(2)
        for i in range(2)
        for k in range(2)
    )
    assert got == expected


def test_counts() -> None:
    e = Conv1d(4, 6, 3, groups=2, padding=1).expand(8)
    counts = e.taps.counts()
    assert isinstance(counts, Counts)
    assert counts.parameters == 6 * 2 * 3 + 6 == e.spec.num_parameters
    assert counts.dense_parameters == 6 * 8 * 4 * 8 + 6 * 8
    assert counts.taps == 6 * 2 * (8 * 3 - 2) == len(e.taps)
    assert counts.nonzeros == counts.taps == e.matrix.nnz()
    assert Conv1d(1, 1, 3, bias=False).expand(5).taps.counts() == Counts(9, 3, 9, 15)


# -- evaluate: shapes and dtypes ----------------------------------------------------------------


def test_evaluate_shapes_follow_x() -> None:
    e = Conv1d(2, 3, 2).expand(4)
    w = np.arange(12).reshape(3, 2, 2)
    batched = e.evaluate(np.arange(16).reshape(2, 2, 4), w)
    single = e.evaluate(np.arange(8).reshape(2, 4), w)
    assert batched.shape == (2, 3, 3) and single.shape == (3, 3)
    assert single.tolist() == batched[0].tolist()
    assert e.evaluate(np.zeros((0, 2, 4), dtype=np.int64), w).shape == (0, 3, 3)
    one = Conv1d(1, 1, 2).expand(4)
    assert one.evaluate([1, 2, 3, 4], [1, 1]).shape == (3,)
    assert one.evaluate([[1, 2, 3, 4]], [[[1, 1]]]).shape == (1, 3)
    assert one.evaluate([[[1, 2, 3, 4]]], [1, 1]).shape == (1, 1, 3)
    assert one.evaluate([1, 2, 3, 4], [1, 1], 10).tolist() == [13, 15, 17]


def test_evaluate_without_b_adds_no_bias() -> None:
    e = Conv1d(1, 2, 1).expand(2)
    w = [[[1]], [[2]]]
    assert e.evaluate([[3, 4]], w).tolist() == [[3, 4], [6, 8]]
    assert e.evaluate([[3, 4]], w, [10, 20]).tolist() == [[13, 14], [26, 28]]


def test_evaluate_rejects_a_bias_for_a_layer_without_one() -> None:
    e = Conv1d(1, 1, 3, bias=False).expand(4)
    with pytest.raises(ValueError, match=r"^'b' was given but the layer has bias=False\.$"):
        e.evaluate([1, 2, 3, 4], [5, 6, 7], [100])
    with pytest.raises(ValueError, match=r"^'b' was given but the layer has bias=False\.$"):
        correlate(3).expand(4).evaluate([1, 2, 3, 4], [5, 6, 7], [1])


@pytest.mark.parametrize(
    ("x_dtype", "w_dtype", "expected"),
    [
        (np.int64, np.int64, np.int64),
        (np.int32, np.int8, np.int64),
        (np.uint8, np.uint8, np.int64),
        (np.bool_, np.int64, np.int64),
        (np.float64, np.int64, np.float64),
        (np.float32, np.float32, np.float64),
        (np.int64, np.float64, np.float64),
        (np.complex128, np.int64, np.complex128),
    ],
)
def test_evaluate_dtypes(x_dtype, w_dtype, expected) -> None:
    e = Conv1d(1, 1, 3).expand(4)
    got = e.evaluate(np.array([1, 0, 1, 1], dtype=x_dtype), np.array([5, 6, 7], dtype=w_dtype))
    assert got.dtype == expected
    assert got.tolist() == [12, 13]


def test_evaluate_python_ints_are_exact() -> None:
    e = Conv1d(1, 1, 3).expand(4)
    got = e.evaluate([1, 2, 3, 4], [5, 6, 7], [0])
    assert got.dtype == np.int64 and got.tolist() == [38, 56]


def test_evaluate_beyond_float64_precision_stays_exact() -> None:
    e = Conv1d(1, 1, 2).expand(3)
    x = np.array([2**40 + 1, 2**40 + 3, 1], dtype=np.int64)
    w = np.array([2**12 + 1, 1], dtype=np.int64)
    got = e.evaluate(x, w)
    assert got.dtype == np.int64
    assert got.tolist() == [(2**40 + 1) * (2**12 + 1) + 2**40 + 3, (2**40 + 3) * (2**12 + 1) + 1]


def test_evaluate_int64_overflow_moves_to_python_ints() -> None:
    e = Conv1d(1, 1, 3).expand(4)
    big = np.iinfo(np.int64).max
    x = np.array([big, big, -big, 7], dtype=np.int64)
    w = np.array([big, 2, 3], dtype=np.int64)
    got = e.evaluate(x, w, np.array([big], dtype=np.int64))
    assert got.dtype == object
    assert all(type(v) is int for v in got)
    assert got.tolist() == [big * big + 2 * big - 3 * big + big, big * big - 2 * big + 21 + big]
    assert abs(got[0]) > 2**63
    wide = e.evaluate(np.array([2**63 + 5] * 4, dtype=np.uint64), np.array([1, 1, 1], dtype=np.uint64))
    assert wide.dtype == object and wide.tolist() == [3 * (2**63 + 5)] * 2


def test_evaluate_fractions_and_sympy_numbers_stay_exact() -> None:
    e = Conv1d(1, 1, 2).expand(3)
    third = Fraction(1, 3)
    got = e.evaluate([third, third, Fraction(2, 3)], [3, Fraction(1, 2)], [Fraction(1, 6)])
    assert got.dtype == object and got.tolist() == [Fraction(4, 3), Fraction(3, 2)]
    assert all(type(v) is Fraction for v in got)
    symbolic = e.evaluate([sympy.Rational(1, 3), 1, 2], [sympy.sqrt(2), 1])
    assert symbolic.tolist() == [sympy.sqrt(2) / 3 + 1, sympy.sqrt(2) + 2]
    mixed = e.evaluate(np.array([1, 2, 3], dtype=np.int64), [Fraction(1, 2), 1])
    assert mixed.tolist() == [Fraction(5, 2), 4]


def test_evaluate_symbols_reproduce_z() -> None:
    e = Conv1d(2, 2, 2, padding=1, padding_mode="circular").expand(3)
    got = e.evaluate(np.array(e.x.tolist(), dtype=object), np.array(e.w.tolist(), dtype=object), np.array(e.b.tolist()))
    assert sympy.Matrix(got.tolist()).applyfunc(sympy.expand) == e.z


# -- issue 9: names that clash, values that are not numbers -------------------------------------


@pytest.mark.parametrize(
    ("names", "role", "other"),
    [
        ({"b": "x_0"}, "b", "x"),
        ({"b": "z_0"}, "b", "z"),
        ({"b": "w_1"}, "b", "w"),
        ({"b": "delta_0"}, "b", "delta"),
        ({"x": "u", "b": "u_2"}, "b", "x"),
        ({"w": "x_0,1"[:3]}, "w", "x"),
    ],
)
def test_names_that_make_two_roles_share_a_symbol_are_refused(names: dict[str, str], role: str, other: str) -> None:
    """Regression: names={'b': 'x_0'} made the bias the input x_0 (and subs gave wrong numbers)."""
    with pytest.raises(ValueError) as info:
        Conv1d(1, 1, 2).expand(3, names=names)
    message = str(info.value)
    assert f"names[{role!r}]" in message and f"role {other!r}" in message, message
    assert message.startswith("'names' must keep the symbols of different roles apart")


def test_names_that_share_a_role_name_are_refused() -> None:
    for names in ({"x": "w"}, {"z": "x"}, {"b": "w"}):
        with pytest.raises(ValueError, match="would both be"):
            Conv1d(1, 1, 2).expand(3, names=names)


def test_names_must_be_a_mapping_of_identifiers() -> None:
    for bad in ("x", ["x"], 3):
        with pytest.raises(TypeError, match=r"^'names' must be a mapping from roles to names"):
            Conv1d(1, 1, 2).expand(3, names=bad)
    with pytest.raises(ValueError, match=r"^'names\['x'\]' must be an identifier such as 'a' \(got 'lambda'\)\.$"):
        Conv1d(1, 1, 2).expand(3, names={"x": "lambda"})  # a keyword breaks lambdify


def test_names_close_to_another_role_but_not_its_symbols_are_kept() -> None:
    e = Conv1d(1, 1, 2).expand(3, names={"b": "x0", "w": "x_w"})
    assert e.z[0, 0] == S("x0") + S("x_w_0") * S("x_0") + S("x_w_1") * S("x_1")


@pytest.mark.parametrize(
    "bad",
    [
        ["__import__('os').getpid()", "2", "3"],
        np.array(["1", "2", "3"]),
        [b"1", b"2", b"3"],
        [1, None, 3],
        [1, object(), 3],
        np.array([1, 2, 3], dtype="timedelta64[s]"),
        np.array(["2020-01-01"] * 3, dtype="datetime64[D]"),
        [1, sympy.true, 3],
        np.array([1, sympy.Matrix([1]), 3], dtype=object)[[0, 2, 1]],
    ],
    ids=["code", "numeric-strings", "bytes", "None", "object", "timedelta", "datetime", "sympy-true", "matrix"],
)
def test_subs_refuses_values_that_are_not_numbers_without_parsing_them(bad, monkeypatch) -> None:
    """Regression: subs ran strings through sympify, which is eval."""
    calls: list[object] = []
    original = sympy.sympify

    def spy(value, *args, **kwargs):
        calls.append(value)
        return original(value, *args, **kwargs)

    monkeypatch.setattr(sympy, "sympify", spy)
    e = Conv1d(1, 1, 3).expand(3)
    with pytest.raises(TypeError, match=r"^'x' must hold numbers \(bool, int, float, complex, Fraction"):
        e.subs(x=bad)
    with pytest.raises(TypeError, match=r"^'w' must hold numbers"):
        e.subs(w=bad)
    assert not any(isinstance(v, (str, bytes)) for v in calls)


def test_subs_accepts_every_kind_of_number_exactly() -> None:
    e = Conv1d(1, 1, 3).expand(3)
    x = [True, np.int8(2), Fraction(1, 3)]
    w = [np.float32(0.5), 2 + 1j, sympy.sqrt(2)]
    (z,) = e.subs(x=x, w=w, b=[np.uint64(2**64 - 1)]).z
    expected = (
        sympy.Integer(2**64 - 1)
        + sympy.Rational(1, 2)
        + 2 * (sympy.Integer(2) + sympy.I)
        + sympy.Rational(1, 3) * sympy.sqrt(2)
    )
    assert sympy.simplify(z - expected) == 0
    assert e.subs(x=[S("t"), 0, 0], w=[1, 0, 0], b=[0]).z[0, 0] == S("t")  # SymPy expressions are values too


@pytest.mark.parametrize(
    ("bad", "dtype"),
    [
        (["a"] * 5, "<U1"),
        ([b"a"] * 5, "|S1"),
        (np.ones(5, dtype="timedelta64[s]"), "timedelta64[s]"),
        (np.array(["2020-01-01"] * 5, dtype="datetime64[D]"), "datetime64[D]"),
    ],
)
def test_evaluate_refuses_arrays_of_strings_bytes_and_times(bad, dtype) -> None:
    """Regression: ['a'] * 5 convolved with [1, 2] gave 'aaa' (NumPy's str * int)."""
    e = Conv1d(1, 1, 2).expand(5)
    with pytest.raises(
        TypeError, match=rf"^'x' must hold numbers .* \(got an array of dtype {re.escape(dtype)} such as"
    ):
        e.evaluate(bad, [1, 2])
    with pytest.raises(TypeError, match=r"^'w' must hold numbers"):
        e.evaluate([1] * 5, bad[:2])
    with pytest.raises(TypeError, match=r"^'b' must hold numbers"):
        e.evaluate([1] * 5, [1, 2], bad[:1])


def test_evaluate_refuses_objects_that_are_not_numbers_and_ragged_input() -> None:
    e = Conv1d(1, 1, 2).expand(3)
    for bad in ([1, None, 3], [1, object(), 3], [1, {}, 3], [1, "2", 3.5]):
        with pytest.raises(TypeError, match=r"^'x' must hold numbers"):
            e.evaluate(bad, [1, 2])
    with pytest.raises(ValueError, match=r"^'x' must be a rectangular array of numbers"):
        e.evaluate([[1, 2, 3], [1]], [1, 2])


def test_evaluate_with_nan_propagates_like_torch() -> None:
    """NaN is a float: it propagates to every output that reads it, as in PyTorch, for Conv1d and
    ConvTranspose1d alike."""
    import torch
    import torch.nn.functional as F

    from symconv import ConvTranspose1d

    x, w, b = [1.0, 2.0, float("nan"), 4.0], [1.0, 1.0, 1.0], [1.0]
    tx, tw, tb = torch.tensor([[x]]), torch.tensor([[w]]), torch.tensor(b)
    conv = Conv1d(1, 1, 3).expand(4).evaluate(x, w, b)
    transposed = ConvTranspose1d(1, 1, 3).expand(4).evaluate(x, w, b)
    np.testing.assert_array_equal(conv, F.conv1d(tx.double(), tw.double(), tb.double()).ravel().numpy())
    np.testing.assert_array_equal(transposed, F.conv_transpose1d(tx.double(), tw.double(), tb.double()).ravel().numpy())
    assert np.isnan(conv).tolist() == [True, True]
    assert np.isnan(transposed).tolist() == [False, False, True, True, True, False]
