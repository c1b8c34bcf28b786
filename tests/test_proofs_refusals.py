"""False statements are refused with the reason (pinned) and a counterexample, never proven; true ones are proven."""

from __future__ import annotations

import pytest
import sympy

from symconv.layers.conv import Conv1d
from symconv.layers.transposed import ConvTranspose1d
from symconv.proofs import ProofError, prove
from symconv.proofs.symbols import K, L, d, delta, g, i, k, output_length, p, s, t, w, x
from symconv.proofs.terms import Bracket, Sum
from symconv.proofs.theorems import gradients

POSITIVE = (L >= 1, K >= 1, s >= 1, d >= 1, p >= 0)


def test_scilean_lemma_t2_is_refused_at_the_published_counterexample_shape() -> None:
    """N8: SciLean's t2, ``(z*y + (-y - x % w)) / y = z - 1`` for ``w <= y``, fails (e.g. z=2, y=3, w=2, x=1)."""
    z, y, ww, xx = sympy.symbols("z y w x", integer=True)
    lemma = sympy.Eq(sympy.floor((z * y - y - sympy.Mod(xx, ww)) / y), z - 1)
    reason = (
        r"^not proven: Eq\(floor\(\(y\*z - y - Mod\(x, w\)\)/y\), z - 1\) under y >= 1, w >= 1, w <= y; "
        r"counterexample: w = -?\d+, x = -?\d+, y = -?\d+, z = -?\d+$"
    )
    with pytest.raises(ProofError, match=reason) as info:
        prove(lemma, [y >= 1, ww >= 1, ww <= y])
    cex = info.value.counterexample
    zz, yy, w_, x_ = cex["z"], cex["y"], cex["w"], cex["x"]
    assert (zz * yy - yy - x_ % w_) // yy != zz - 1  # the counterexample is one: checked with Python's ints
    assert (2 * 3 - 3 - 1 % 2) // 3 == 0 != 2 - 1  # the vector's own instance


def _conv_out_dim(
    sp: sympy.Expr,
    ker: sympy.Expr,
    low: sympy.Expr,
    high: sympy.Expr,
    stride: sympy.Expr,
    xdil: sympy.Expr,
    ydil: sympy.Expr,
) -> sympy.Expr:
    """SciLean's convOutDim: ((sp - 1)*xdil + 1 + low + high - ((ker - 1)*ydil + 1)) / stride + 1."""
    return sympy.floor(((sp - 1) * xdil + 1 + low + high - ((ker - 1) * ydil + 1)) / stride) + 1


def test_scilean_outdim_swap_is_refused() -> None:
    """N8: the round trip outDim_swap (h: stride <= xdil) is false; the vector's instance gives 1, not 2."""
    sp, ker, low, high, st, xd, yd = sympy.symbols("sp ker low high stride xdil ydil", integer=True)
    span = (ker - 1) * yd + 1
    back = _conv_out_dim(
        _conv_out_dim(sp, ker, low, high, st, xd, yd), ker, span - low - 1, span - high - 1, xd, st, yd
    )
    hyps = [st >= 1, xd >= 1, yd >= 1, st <= xd, ker >= 1, sp >= 1, low >= 0, high >= 0]
    with pytest.raises(ProofError, match=r"counterexample") as info:
        prove(sympy.Eq(back, sp), hyps)
    env = {sympy.Symbol(n, integer=True): v for n, v in info.value.counterexample.items()}
    assert back.subs(env) != sp.subs(env)
    instance = {sp: 2, ker: 2, low: 0, high: 0, st: 2, xd: 2, yd: 1}
    assert back.subs(instance) == 1


def test_sympy_dilated_gradient_is_refused() -> None:
    """N7: d/dx_1 of sum_i g_i sum_k w_k x_{i+2k} is g_1 w_0; SymPy 1.14's g_0 w[1/2] + g_1 w_0 is refused."""
    loss = Sum(g[i] * Sum(w[k] * x[i + 2 * k], (k, 0, 2)), (i, 0, 2))
    with pytest.raises(ProofError, match=r"w\[1/2\] is read at index 1/2, which is not an integer"):
        prove(sympy.Eq(sympy.Derivative(loss, x[1]), g[0] * w[sympy.Rational(1, 2)] + g[1] * w[0]))
    proven = prove(sympy.Eq(sympy.Derivative(loss, x[1]), g[1] * w[0]))
    assert proven.verify()
    written = sum(g[a] * w[b] * x[a + 2 * b] for a in range(3) for b in range(3))
    assert sympy.diff(written, x[1]) == g[1] * w[0]  # the independent oracle


def test_output_padding_one_when_strided_is_refused() -> None:
    """The rule of thumb 'output_padding = 1 restores the input length when stride >= 2' is false."""
    out = output_length(L, K, s, d, p, p)
    back = (out - 1) * s - 2 * p + d * (K - 1) + 1 + 1
    with pytest.raises(ProofError, match=r"counterexample") as info:
        prove(sympy.Eq(back, L), [*POSITIVE, s >= 2, L + 2 * p >= d * (K - 1) + 1, back >= 1])
    c = info.value.counterexample
    conv = Conv1d(1, 1, c["K"], stride=c["s"], padding=c["p"], dilation=c["d"])
    n_out = conv.output_length(c["L"])
    trans = ConvTranspose1d(1, 1, c["K"], stride=c["s"], padding=c["p"], output_padding=1, dilation=c["d"])
    assert trans.output_length(n_out) != c["L"]  # PyTorch's arithmetic agrees that it is a counterexample


def test_same_at_stride_two_is_refused() -> None:
    half = sympy.floor(d * (K - 1) / 2)
    claim = sympy.Eq(output_length(L, K, 2, d, half, d * (K - 1) - half), L)
    reason = (
        r"^not proven: Eq\(floor\(L/2 - 1/2\) \+ 1, L\) under L >= 1, K >= 1, d >= 1; counterexample: K = \d+, L = \d+"
    )
    with pytest.raises(ProofError, match=reason) as info:
        prove(claim, [L >= 1, K >= 1, d >= 1])
    c = info.value.counterexample
    left = c["d"] * (c["K"] - 1) // 2
    layer = Conv1d(1, 1, c["K"], stride=2, padding=(left, c["d"] * (c["K"] - 1) - left), dilation=c["d"])
    assert layer.output_length(c["L"]) != c["L"]  # the taps' arithmetic agrees
    assert claim.subs({L: c["L"], K: c["K"], d: c["d"]}) is sympy.false


def test_transpose_times_matrix_is_not_the_identity() -> None:
    u = sympy.Symbol("u", integer=True)
    entry = lambda col: Sum(w[k] * Bracket(sympy.Eq(col, s * i + d * k - p)), (k, 0, K - 1))  # noqa: E731
    gram = Sum(
        entry(t) * entry(u).subs(k, sympy.Symbol("kk", integer=True)), (i, 0, output_length(L, K, s, d, p, p) - 1)
    )
    claim = sympy.Eq(gram, Bracket(sympy.Eq(t, u)))
    with pytest.raises(ProofError, match=r"refused: the two sides differ at"):
        prove(claim, [*POSITIVE, L + 2 * p >= d * (K - 1) + 1, t >= 0, t <= L - 1, u >= 0, u <= L - 1])


def test_gradient_with_a_wrong_offset_is_refused() -> None:
    wrong = Sum(
        Sum(Bracket(sympy.Eq(gradients.TAP + 1, t)) * w[k] * delta[i], (k, 0, K - 1)), (i, 0, gradients.L_OUT - 1)
    )
    hyps = (*gradients.HYPOTHESES, t >= 0, t <= L - 1)
    with pytest.raises(ProofError, match=r"refused: the two sides differ at .*\(left -?\d+, right -?\d+") as info:
        prove(sympy.Eq(gradients.DX.lhs, wrong), hyps, gradients.DEFS)
    assert set(info.value.counterexample) >= {"K", "L", "s", "d", "p_l", "p_r", "t"}
    assert prove(gradients.DX, hyps, gradients.DEFS).verify()  # the right offset is proven by the same strategy


def test_round_trip_needs_output_padding_below_stride() -> None:
    """PyTorch allows output_padding < max(s, d); the round trip needs output_padding < s."""
    op, m = sympy.symbols("o_p M", integer=True)
    length = (m - 1) * s - 2 * p + d * (K - 1) + op + 1
    back = output_length(length, K, s, d, p, p)
    hyps = [m >= 1, K >= 1, s >= 1, d >= 1, p >= 0, op >= 0, length >= 1]
    with pytest.raises(ProofError, match="counterexample"):
        prove(sympy.Eq(back, m), [*hyps, op < sympy.Max(s, d)])
    assert prove(sympy.Eq(back, m), [*hyps, op < s]).verify()


def test_bad_statements_are_type_errors() -> None:
    with pytest.raises(TypeError, match=r"'statement' must be a SymPy condition or Eq\(lhs, rhs\) \(got s \+ 1"):
        prove(s + 1)
    with pytest.raises(ValueError, match="'rule' must be one of"):
        from symconv.proofs.proof import Chain

        Chain(s).by("magic")


def test_numpy_same_offset_needs_k_at_most_l() -> None:
    """Theorem 3's hypothesis K <= L: without it NumPy's argument swap moves 'same' (12 pairs with L, K <= 8)."""
    import numpy as np

    from symconv.proofs.theorems.flip import OFFSET

    with pytest.raises(ProofError, match="counterexample"):
        prove(OFFSET.args[1], [K >= 1, L >= 1])
    broken = []
    for n in range(1, 9):
        for m in range(1, 9):
            a, v = np.arange(1, n + 1) ** 2, np.arange(2, m + 2) ** 3
            if list(np.convolve(a, v, "same")) != list(np.correlate(a, v[::-1], "same")):
                broken.append((n, m))
    assert len(broken) == 12 and all(m > n and n % 2 == 0 for n, m in broken)
