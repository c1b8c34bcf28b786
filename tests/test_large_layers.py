"""Large layers (issue 9, item 15): single entries built on their own, whole views refused
above ``max_terms``, arithmetic counts, and a CLI and derivations that elide or refuse.

The big cases only index, count or get refused: nothing here builds a large view, and no
test measures time (the timings are in ``benchmarks/bench_large.py``). The small cases
cross-check the one-entry routes against the whole views and the materialised taps.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symconv
from symconv import Conv1d, ConvTranspose1d, gradients
from symconv.cli.app import main
from symconv.geometry.padding import PADDING_MODES
from symconv.geometry.taps import Tap
from symconv.views.expansion import Expansion

BIG = Conv1d(512, 512, 9)
BIG_L = 10**6
BIG_OUT = BIG_L - 8  # L_out
BIG_TAPS = 512 * 512 * 9 * BIG_OUT


@pytest.fixture(scope="module")
def big() -> Expansion:
    return BIG.expand(BIG_L)


@st.composite
def small_layers(draw: st.DrawFn) -> tuple[object, int]:
    """A small Conv1d (every padding mode) or ConvTranspose1d, and an input length it accepts."""
    groups = draw(st.sampled_from([1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    size, stride, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    length, bias = draw(st.integers(1, 8)), draw(st.booleans())
    if draw(st.booleans()):
        out_pad = draw(st.integers(0, max(stride, dilation) - 1))
        layer: object = ConvTranspose1d(
            c_in, c_out, size, stride, draw(st.integers(0, 2)), out_pad, groups, bias, dilation
        )
    else:
        padding = draw(st.tuples(st.integers(0, 3), st.integers(0, 3)))
        mode, flip = draw(st.sampled_from(PADDING_MODES)), draw(st.booleans())
        layer = Conv1d(c_in, c_out, size, stride, padding, dilation, groups, bias, mode, flip)
    try:
        layer.output_length(length)  # type: ignore[attr-defined]
    except ValueError:
        assume(False)
    return layer, length


SMALL = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


# -- single entries are the entries of the whole view ------------------------------------------
@SMALL
@given(small_layers())
def test_single_entries_are_the_entries_of_the_whole_views(case: tuple[object, int]) -> None:
    layer, length = case
    whole = layer.expand(length)  # type: ignore[attr-defined]
    lazy = layer.expand(length, max_terms=0)  # type: ignore[attr-defined]  # nothing is built whole
    z, matrix = whole.z.tolist(), whole.matrix
    rows, cols = matrix.shape
    assert [[lazy.z[o, i] for i in range(len(row))] for o, row in enumerate(z)] == z
    assert [lazy.equations[r] for r in range(len(lazy.equations))] == list(whole.equations)
    assert [lazy.x[c, t] for c, t in np.ndindex(*whole.x.shape)] == list(whole.x._array)
    assert [lazy.w[i] for i in np.ndindex(*whole.w.shape)] == list(whole.w._array)
    assert [lazy.matrix_row(r) for r in range(rows)] == [matrix[r, :] for r in range(rows)]
    assert [lazy.matrix_column(c) for c in range(cols)] == [matrix[:, c] for c in range(cols)]
    assert [lazy.bias_vector[r] for r in range(rows)] == list(whole.bias_vector)


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(small_layers(), st.sampled_from([None, "relu", "tanh"]), st.sampled_from([None, "sum", "mse"]))
def test_single_gradient_entries_are_the_entries_of_the_whole_gradients(
    case: tuple[object, int], activation: str | None, loss: str | None
) -> None:
    layer, length = case
    whole = gradients(layer.expand(length), activation, loss)  # type: ignore[attr-defined]
    lazy = gradients(layer.expand(length, max_terms=0), activation, loss)  # type: ignore[attr-defined]
    for name in ("delta", "dw", "dx", "db"):
        view, reference = getattr(lazy, name), getattr(whole, name)
        if reference is None:
            assert view is None
            continue
        flat = list(reference) if isinstance(reference, sympy.MatrixBase) else list(reference._array)
        assert [view[index] for index in np.ndindex(*reference.shape)] == flat, name


# -- the taps' queries are arithmetic and agree with the materialised triples --------------------
def _materialised(taps: object, spec: object) -> list[Tap]:
    rows, cols, weights = taps.triples()  # type: ignore[attr-defined]
    weight = np.unravel_index(weights, spec.weight_shape)  # type: ignore[attr-defined]
    out = np.divmod(rows, taps.output_length)  # type: ignore[attr-defined]
    inp = np.divmod(cols, taps.input_length)  # type: ignore[attr-defined]
    return sorted(
        Tap((int(o), int(i)), (int(c), int(t)), (int(a), int(b), int(k)))
        for o, i, c, t, a, b, k in zip(*out, *inp, *weight)
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(small_layers())
def test_counts_feeding_fed_by_and_tying_groups_match_the_materialised_taps(case: tuple[object, int]) -> None:
    layer, length = case
    e = layer.expand(length)  # type: ignore[attr-defined]
    taps, spec = e.taps, e.spec if not getattr(e.layer, "transposed", False) else e.layer
    every = _materialised(taps, spec)
    entries = {(t.output, t.input) for t in every}
    assert len(taps) == len(every)
    assert taps.nonzeros() == len(entries) == len(e.matrix.todok())  # folded pads share entries
    assert taps.counts().taps == len(every) and taps.counts().nonzeros == len(entries)
    for o, i in np.ndindex(spec.out_channels, e.output_length):
        assert taps.feeding(o, i) == [t for t in every if t.output == (o, i)]
    for c, t in np.ndindex(spec.in_channels, e.input_length):
        assert taps.fed_by(c, t) == [tap for tap in every if tap.input == (c, t)]
    for index in np.ndindex(*spec.weight_shape):
        group = sorted((tap.output, tap.input) for tap in every if tap.weight == index)
        assert taps.tying_group(*index) == group
        assert [taps.tying_group(*index, limit=n) for n in range(4)] == [group[:n] for n in range(4)]


def test_nonzeros_are_fewer_than_taps_where_reflect_padding_folds_two_taps_onto_one_entry() -> None:
    e = Conv1d(1, 1, 3, padding=2, padding_mode="reflect", bias=False).expand(4)
    assert e.taps.counts().taps == 18
    assert e.taps.nonzeros() == len(e.matrix.todok()) == 16
    assert e.matrix[1, 1] == e.matrix[4, 2] == e.w[0, 0, 0] + e.w[0, 0, 2]


# -- the big layer: arithmetic and single entries only -------------------------------------------
def test_counts_of_conv1d_512_512_9_on_a_million_inputs_are_arithmetic(big: Expansion) -> None:
    n_out = 512 * BIG_OUT
    assert big.taps.counts() == (BIG_TAPS, 512 * 512 * 9 + 512, BIG_TAPS, n_out * 512 * BIG_L + n_out)
    assert len(big.taps) == BIG_TAPS
    assert len(big.equations) == n_out and big.z.shape == (512, BIG_OUT) and big.x.shape == (512, BIG_L)


def test_nonzeros_of_a_long_reflect_padded_layer_grow_by_kernel_size_per_output() -> None:
    layer = Conv1d(2, 4, 5, padding=(3, 1), padding_mode="reflect", groups=2, dilation=1)
    short = layer.expand(40).taps
    rows, cols, _ = short.triples()
    reference = len(set(zip(rows.tolist(), cols.tolist())))  # independent: the materialised entries
    long = layer.expand(10**7).taps
    assert long.nonzeros() == reference + 5 * (10**7 - 40) * 4 * 1


def test_feeding_and_fed_by_of_a_long_circular_layer_wrap_around() -> None:
    n = 10**7
    taps = Conv1d(2, 2, 3, padding=1, padding_mode="circular").expand(n).taps
    assert [(t.input, t.weight) for t in taps.feeding(1, 0)] == [
        ((0, 0), (1, 0, 1)),
        ((0, 1), (1, 0, 2)),
        ((0, n - 1), (1, 0, 0)),
        ((1, 0), (1, 1, 1)),
        ((1, 1), (1, 1, 2)),
        ((1, n - 1), (1, 1, 0)),
    ]
    assert [(t.output, t.weight[2]) for t in taps.fed_by(0, n - 1) if t.output[0] == 0] == [
        ((0, 0), 0),
        ((0, n - 2), 2),
        ((0, n - 1), 1),
    ]


def test_the_first_equation_of_conv1d_512_512_9_on_a_million_inputs_is_built_alone(big: Expansion) -> None:
    eq = big.equations[0]
    terms = [sympy.Symbol(f"w_0,{c},{k}") * sympy.Symbol(f"x_{c},{k}") for c in range(512) for k in range(9)]
    assert eq.lhs == sympy.Symbol("z_0,0")
    assert eq.rhs == sympy.Add(sympy.Symbol("b_0"), *terms)
    assert big.z[0, 0] == eq.rhs


def test_matrix_row_and_column_of_a_huge_layer_hold_the_weights_of_their_taps() -> None:
    n = 10**7
    e = Conv1d(64, 64, 9, dilation=2).expand(n)
    row = e.matrix_row(3 * e.output_length + 100)  # output (3, 100)
    assert row.shape == (1, 64 * n) and row.nnz() == 64 * 9
    assert all(row[0, c * n + 100 + 2 * k] == e.w[3, c, k] for c in (0, 63) for k in range(9))
    column = e.matrix_column(5 * n + 20)  # input (5, 20)
    assert column.shape == (64 * e.output_length, 1) and column.nnz() == 64 * 9
    assert column[7 * e.output_length + 20 - 2 * 4, 0] == e.w[7, 5, 4]


def test_gradient_entries_of_a_huge_layer_are_built_alone() -> None:
    g = gradients(Conv1d(64, 64, 3).expand(10**6))
    d, w = g.expansion.output_symbols("delta"), g.expansion.w
    assert g.delta[3, 7] == sympy.Symbol("delta_3,7")
    assert g.dx[5, 1000] == sympy.Add(*[w[o, 5, k] * d[o, 1000 - k] for o in range(64) for k in range(3)])
    small = gradients(Conv1d(2, 2, 3).expand(10**4, max_terms=100))
    x, d = small.expansion.x, small.expansion.output_symbols("delta")
    assert small.dw[1, 0, 2] == sympy.Add(*[d[1, i] * x[0, i + 2] for i in range(10**4 - 2)])
    assert small.db[1] == sympy.Add(*[d[1, i] for i in range(10**4 - 2)])


def test_iterating_a_view_above_max_terms_builds_one_entry_at_a_time() -> None:
    e = Conv1d(1, 1, 3).expand(10**8)
    assert list(itertools.islice(e.equations, 3)) == [e.equations[0], e.equations[1], e.equations[2]]
    assert e.equations[-1].lhs == sympy.Symbol("z_99999997")
    assert e.equations[5:7] == [e.equations[5], e.equations[6]]
    assert e.z[5] == e.z[0, 5] == e.equations[5].rhs  # one channel: a flat index, as for any Matrix


# -- whole views above max_terms are refused with their size and the lazy alternative -------------
REFUSED = [
    ("z", lambda e: e.z.tolist(), "z of", BIG_TAPS + 512 * BIG_OUT, "e.z[o, i]"),
    ("equations", lambda e: e.equations.whole, "equations of", BIG_TAPS + 512 * BIG_OUT, "e.equations[r]"),
    ("str", str, "equations of", BIG_TAPS + 512 * BIG_OUT, "e.equations[r]"),
    ("matrix", lambda e: e.matrix, "the matrix of", BIG_TAPS, "e.matrix_row(r)"),
    ("subs", lambda e: e.subs(b=np.zeros(512)), "subs of", BIG_TAPS, "e.z[o, i].xreplace"),
    ("activate", lambda e: e.activate("relu"), "z of", BIG_TAPS + 512 * BIG_OUT, "e.z[o, i]"),
    ("x", lambda e: e.x.tolist(), "x of", 512 * BIG_L, "e.x[c, t]"),
    ("bias_vector", lambda e: list(e.bias_vector.whole), "bias_vector of", 512 * BIG_OUT, "e.bias_vector[r]"),
    ("dw", lambda e: gradients(e).dw.tolist(), "dw of", BIG_TAPS + 512 * BIG_OUT, "g.dw[o, c, k]"),
    ("dx", lambda e: gradients(e).dx == 0, "dx of", BIG_TAPS + 512 * BIG_OUT, "g.dx[c, t]"),
    ("db", lambda e: gradients(e).db.tolist(), "db of", 512 * BIG_OUT, "g.db[o]"),
    ("identities", lambda e: gradients(e).verify(), "the closed forms of", BIG_TAPS + 512 * BIG_OUT, "g.dw"),
]


@pytest.mark.parametrize(("view", "build", "what", "terms", "hint"), REFUSED, ids=[r[0] for r in REFUSED])
def test_whole_views_above_max_terms_are_refused_with_their_size_and_the_lazy_alternative(
    big: Expansion, view: str, build: object, what: str, terms: int, hint: str
) -> None:
    with pytest.raises(ValueError, match="max_terms=10000000") as info:
        build(big)  # type: ignore[operator]
    message = str(info.value)
    assert message.startswith(what) and f" has {terms} terms, above max_terms=10000000" in message
    assert hint in message and "expand(L, max_terms=...)" in message


def test_a_view_above_max_terms_prints_a_one_line_summary(big: Expansion) -> None:
    assert repr(big.z).startswith("<lazy z of Conv1d(") and f"{BIG_TAPS + 512 * BIG_OUT} terms" in repr(big.z)
    assert str(big.equations).startswith("<lazy equations of") and "e.equations[r]" in str(big.equations)
    assert repr(big.x).startswith("<lazy x of") and "shape (512, 1000000)" in repr(big.x)


def test_max_terms_is_chosen_per_expansion() -> None:
    assert symconv.views.expansion.MAX_TERMS == 10**7
    e = Conv1d(1, 1, 3).expand(100, max_terms=10)
    assert e.max_terms == 10 and e.equations[5].lhs == sympy.Symbol("z_5")
    with pytest.raises(ValueError, match=r"has 392 terms, above max_terms=10: "):
        e.z.tolist()
    assert len(Conv1d(1, 1, 3).expand(100, max_terms=392).z.tolist()[0]) == 98
    assert repr(e.equations).startswith("<lazy equations")


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [(-1, ValueError, "'max_terms' must be an int >= 0 (got -1)."), (1.5, TypeError, "'max_terms' must be an int")],
)
def test_max_terms_must_be_an_int_at_least_zero(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        Conv1d(1, 1, 3).expand(4, max_terms=value)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)


def test_lazy_views_refuse_indices_out_of_range(big: Expansion) -> None:
    with pytest.raises(IndexError):
        big.z[512, 0]
    with pytest.raises(IndexError):
        big.equations[len(big.equations)]
    with pytest.raises(ValueError, match=r"'r' must be in \[0, 511995904\) \(got -1\)\."):
        big.matrix_row(-1)
    with pytest.raises(TypeError, match="'c' must be an int"):
        big.matrix_column(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        big.x[0, BIG_L]


def test_small_views_keep_their_list_and_matrix_behaviour() -> None:
    e = Conv1d(1, 1, 3).expand(4)
    assert e.equations == list(e.equations) and e.equations != [] and len(e.equations) == 2
    assert isinstance(e.z, sympy.ImmutableMatrix) and e.z == sympy.ImmutableMatrix(e.z.tolist())
    assert e.z.T.shape == (2, 1) and type(e.z.T) is sympy.ImmutableDenseMatrix
    assert sympy.latex(e.z) == sympy.latex(sympy.ImmutableMatrix(e.z.tolist()))
    assert e.matrix_row(1) == sympy.Matrix([[0, *sympy.symbols("w_0 w_1 w_2")]])


# -- the command line and the derivations elide or refuse ----------------------------------------
def test_explain_of_a_hundred_million_inputs_prints_a_window_and_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--input-length", "100000000"]) == 0
    out = capsys.readouterr().out
    assert "z₁₃ = b + w₀⋅x₁₃ + w₁⋅x₁₄ + w₂⋅x₁₅" in out and "z₁₄ =" not in out
    assert "⋮  (99999983 more equations: Expansion.equations[r] builds any one)" in out
    assert "z₉₉₉₉₉₉₉₇ = b + w₀⋅x₉₉₉₉₉₉₉₇ + w₁⋅x₉₉₉₉₉₉₉₈ + w₂⋅x₉₉₉₉₉₉₉₉" in out
    assert "(99999998 x 100000000: too large to print here" in out
    assert (
        "w_2: z_0<-x_2, z_1<-x_3, z_2<-x_4, z_3<-x_5, z_4<-x_6, z_5<-x_7, z_6<-x_8, z_7<-x_9, …  (99999998 pairs)"
        in out
    )
    assert "Counts: 299999994 taps, 4 parameters, 299999994 non-zero matrix entries" in out
    assert "h₉₉₉₉₉₉₉₇ = σ(z₉₉₉₉₉₉₉₇)" in out and "(99999983 more outputs" in out


def test_explain_of_many_channels_shows_the_first_and_last_terms_of_each_equation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["explain", "--in-channels", "64", "--out-channels", "2", "--input-length", "5", "--no-bias"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "z_0,0 = w_0,0,0⋅x_0,0 + w_0,0,1⋅x_0,1" in out and "+ … + w_0,63,2⋅x_63,2  (192 terms)" in out


def test_diagram_of_a_long_layer_is_drawn_elided_saying_so(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    target = tmp_path / "c.tex"  # type: ignore[operator]
    assert main(["diagram", "--input-length", "3000", "-o", str(target)]) == 0
    assert "input positions 6--2995 of 3000" in target.read_text()  # the figure says what it leaves out
    picture = symconv.matrix_picture(Conv1d(1, 1, 3), 3000)
    assert "rows of output positions 6..2994 of 2998" in picture.elided and len(picture.cells) == 27


def test_derivation_above_max_taps_is_refused_naming_the_limit(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    with pytest.raises(ValueError, match=r"would check all of its 299999994 taps .*\(symconv\.latex\.MAX_TAPS\)"):
        symconv.derivation(Conv1d(1, 1, 3), 10**8)
    with pytest.raises(SystemExit) as info:
        main(["latex", "--input-length", "100000000", "-o", str(tmp_path / "d.tex")])  # type: ignore[operator]
    assert info.value.code == 2 and "MAX_TAPS" in capsys.readouterr().err
    assert not (tmp_path / "d.tex").exists()  # type: ignore[operator]
