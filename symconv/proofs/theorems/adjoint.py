"""Theorem 5: the transposed convolution is ``W^T``; its output length, the round trip, and its overlap counts."""

from __future__ import annotations

import functools
import math
import random
from typing import Any

import numpy as np
import sympy

from symconv.proofs.proof import Chain, Equation, Fact, Part, Theorem
from symconv.proofs.symbols import K, d, i, k, output_length, p, s, t, w
from symconv.proofs.terms import Bracket, Sum, divides, exact, within

M = sympy.Symbol("M", integer=True)  # inputs of the transposed layer (outputs of the convolution)
u = sympy.IndexedBase("u")
q = sympy.Symbol("o_p", integer=True)  # output padding
HYPOTHESES = (M >= 1, K >= 1, s >= 1, d >= 1, p >= 0)
TAP = s * i + d * k - p

SCATTER = Sum(Sum(Bracket(sympy.Eq(TAP, t)) * w[k] * u[i], (k, 0, K - 1)), (i, 0, M - 1))
ENTRY = Sum(w[k] * Bracket(sympy.Eq(t, TAP)), (k, 0, K - 1))
ADJOINT = sympy.Eq(SCATTER, Sum(ENTRY * u[i], (i, 0, M - 1)), evaluate=False)
OVERLAP = Sum(Sum(Bracket(sympy.Eq(TAP, t)), (k, 0, K - 1)), (i, 0, M - 1))
READ = (t + p - d * k) / s  # the input that kernel position k brings to output t, when it is an integer
GATHER = Sum(divides(s, t + p - d * k) * within(0, READ, M - 1) * w[k] * u[READ], (k, 0, K - 1))
COUNT = Sum(divides(s, t + p - d * k) * within(0, READ, M - 1), (k, 0, K - 1))

# With d = 1: the exact count of the taps that reach output t, and its interior values.
x_ = sympy.Symbol("x", integer=True)  # t + p
m_ = sympy.Symbol("m", integer=True)
q_ = sympy.Symbol("q", integer=True)
OVERLAP_1 = Sum(Sum(Bracket(sympy.Eq(s * i + k - p, t)), (k, 0, K - 1)), (i, 0, M - 1))
FIRST_I, LAST_I = sympy.ceiling((t + p - K + 1) / s), sympy.floor((t + p) / s)
COUNT_1 = sympy.Max(0, sympy.Min(M - 1, LAST_I) - sympy.Max(0, FIRST_I) + 1)
INTERIOR = sympy.floor(x_ / s) - sympy.ceiling((x_ - K + 1) / s) + 1  # the count where no input is cut off
EVEN = sympy.Implies(sympy.Eq(K, s * m_), sympy.Eq(INTERIOR, m_))
BETWEEN = sympy.And(sympy.floor(K / s) <= INTERIOR, sympy.ceiling(K / s) >= INTERIOR)
a_, b_ = sympy.symbols("a b", integer=True)
#: K = a s + b with 0 < b < s: outputs t with t + p = s q read a + 1 taps, those with t + p = s q + s - 1 read a.
UNEVEN_CASE = sympy.And(sympy.Eq(K, a_ * s + b_), a_ >= 0, b_ >= 1, b_ <= s - 1)
UNEVEN_HIGH = sympy.Implies(UNEVEN_CASE, sympy.Eq(INTERIOR.subs(x_, s * q_), a_ + 1))
UNEVEN_LOW = sympy.Implies(UNEVEN_CASE, sympy.Eq(INTERIOR.subs(x_, s * q_ + s - 1), a_))

# Stride and dilation with a common factor g: s = g a, d = g c. Outputs with g not dividing t + p get no tap.
g_, sa_, dc_ = sympy.symbols("g a' c'", integer=True)
OVERLAP_G = OVERLAP.xreplace({s: g_ * sa_, d: g_ * dc_})
UNREACHED = sympy.Eq(OVERLAP_G, 0, evaluate=False)
GCD_HYPS = (M >= 1, K >= 1, g_ >= 1, sa_ >= 1, dc_ >= 1, p >= 0, sympy.Ne(sympy.Mod(-p - t, g_), 0))

# The exact count for every stride and dilation: s = g a', d = g c' with Bezout a' lam + c' mu = 1 (so g = gcd(s, d)),
# at a reached output t = g xi - p. The pairs (i, k) that reach it are (lam xi + c' j, mu xi - a' j), j an integer.
xi_ = sympy.Symbol("\\xi", integer=True)  # (t + p)/g
lam_, mu_ = sympy.symbols("lambda mu", integer=True)
j_ = sympy.Symbol("j", integer=True)
BEZOUT = sympy.Eq(sa_ * lam_ + dc_ * mu_, 1)
GENERAL_HYPS = (M >= 1, K >= 1, g_ >= 1, sa_ >= 1, dc_ >= 1, p >= 0, BEZOUT)
OVERLAP_ALL = OVERLAP_G.xreplace({t: g_ * xi_ - p})
K_FIRST, K_LAST = sympy.ceiling((mu_ * xi_ - K + 1) / sa_), sympy.floor(mu_ * xi_ / sa_)  # 0 <= k <= K - 1
I_FIRST, I_LAST = sympy.ceiling(-lam_ * xi_ / dc_), sympy.floor((M - 1 - lam_ * xi_) / dc_)  # 0 <= i <= M - 1
COUNT_ALL = sympy.Max(0, sympy.Min(K_LAST, I_LAST) - sympy.Max(K_FIRST, I_FIRST) + 1)
C_XI = sympy.Symbol("c_{\\xi}", integer=True)  # the booklet's name for COUNT_ALL
#: away from the ends (every k < K meets an i < M): the count of the k < K with k = mu xi (mod a').
INSIDE = sympy.And(xi_ >= dc_ * (K - 1), xi_ <= sa_ * (M - 1))
INTERIOR_ALL = K_LAST - K_FIRST + 1
ALL_INSIDE = sympy.Implies(INSIDE, sympy.Eq(COUNT_ALL, INTERIOR_ALL))
ALL_BETWEEN = sympy.Implies(INSIDE, sympy.And(sympy.floor(K / sa_) <= COUNT_ALL, sympy.ceiling(K / sa_) >= COUNT_ALL))
ALL_EVEN = sympy.Implies(sympy.And(INSIDE, sympy.Eq(K, sa_ * m_)), sympy.Eq(COUNT_ALL, m_))
J_LOW = sympy.Min(0, mu_ * (M - 1)) - sympy.Max(0, lam_ * (K - 1))  # the range of j = mu i - lam k
J_HIGH = sympy.Max(0, mu_ * (M - 1)) - sympy.Min(0, lam_ * (K - 1))

L_T = (M - 1) * s - 2 * p + d * (K - 1) + q + 1
LENGTH_HYPS = (*HYPOTHESES, q >= 0, L_T >= 1)
BACK = output_length(L_T, K, s, d, p, p)
BACK_LENGTH = sympy.Eq(BACK, M + sympy.floor(q / s))
ROUND_TRIP = sympy.Equivalent(sympy.Eq(BACK, M), q <= s - 1)


def _gather_form(summand_u: sympy.Expr) -> Chain:
    return Chain(summand_u, HYPOTHESES).by("exchange").by("sum_delta")


def _exact_count() -> Equation:
    window = sympy.And(sympy.Le(FIRST_I, i), sympy.Le(i, LAST_I))
    left = (
        Chain(OVERLAP_1, HYPOTHESES)
        .by("sum_delta")
        .by("equivalence", new=window, note="$t + p - K + 1 \\le s\\,i \\le t + p$, divided by $s$")
        .by("restrict")
        .by("count_clipped")
    )
    return Equation(left, Chain(COUNT_1, HYPOTHESES), "the exact overlap count for d = 1")


def _unreached() -> Equation:
    left = (
        Chain(OVERLAP_G, GCD_HYPS)
        .by("congruence", modulus=g_, note="modulo $g$, where $s$ and $d$ vanish")
        .by("equivalence", old=sympy.Eq(sympy.Mod(-p - t, g_), 0), new=sympy.false, note="$g \\nmid t + p$")
        .by("count")
        .by("count")
    )
    return Equation(left, Chain(sympy.S.Zero, GCD_HYPS), "outputs that no tap reaches")


def _exact_count_all() -> Equation:
    """The count for every s and d: the solutions of a' i + c' k = xi are (lam xi + c' j, mu xi - a' j)."""
    k_row = within(0, mu_ * xi_ - sa_ * j_, K - 1).args[0]
    i_row = within(0, lam_ * xi_ + dc_ * j_, M - 1).args[0]
    left = (
        Chain(OVERLAP_ALL, GENERAL_HYPS)
        .by("equivalence", new=sympy.Eq(0, xi_ - sa_ * i - dc_ * k), note="divided by $g$")
        .by("exchange")
        .by(
            "fibres",
            over=i,
            v=j_,
            image=mu_ * i - lam_ * k,
            lo=J_LOW,
            hi=J_HIGH,
            note="$j = \\mu\\, i - \\lambda\\, k$, an integer in this range",
        )
        .by("sum_delta", over=i)
        .by(
            "equivalence",
            old=sympy.Eq(j_, mu_ * (xi_ - dc_ * k) / sa_ - lam_ * k),
            new=sympy.Eq(k, mu_ * xi_ - sa_ * j_),
            note="$a'\\lambda + c'\\mu = 1$",
        )
        .by("exchange")
        .by("sum_delta", over=k)
        .by(
            "arithmetic",
            every=True,
            old=xi_ - dc_ * (mu_ * xi_ - sa_ * j_),
            new=sa_ * (lam_ * xi_ + dc_ * j_),
            note="$a'\\lambda + c'\\mu = 1$; then $a'$ divides it",
        )
        .by("equivalence", old=i_row, new=sympy.And(sympy.Le(I_FIRST, j_), sympy.Le(j_, I_LAST)), note="$0 \\le i < M$")
        .by("equivalence", old=k_row, new=sympy.And(sympy.Le(K_FIRST, j_), sympy.Le(j_, K_LAST)), note="$0 \\le k < K$")
        .by("bracket_product")
        .by("restrict")
        .by("count_clipped")
    )
    left.by("arithmetic", old=left.end, new=COUNT_ALL, note="the range of $j$ drops out")
    return Equation(left, Chain(COUNT_ALL, GENERAL_HYPS), "the exact overlap count for every s and d")


def _build() -> list[Part]:
    adjoint = Equation(
        Chain(ADJOINT.lhs, HYPOTHESES).by(
            "equivalence", every=True, new=sympy.Eq(t, TAP), note="the same equation, sides swapped"
        ),
        Chain(ADJOINT.rhs, HYPOTHESES).by("linearity", direction="in"),
        "the scatter is W transposed",
    )
    gather = _gather_form(SCATTER)
    overlap = _gather_form(OVERLAP)
    parts: list[Part] = [
        adjoint,
        Equation(gather, Chain(GATHER, HYPOTHESES), "the gather form"),
        Equation(overlap, Chain(COUNT, HYPOTHESES), "the overlap count"),
        Fact(BACK_LENGTH, LENGTH_HYPS, "the length back"),
        Fact(ROUND_TRIP, LENGTH_HYPS, "the round trip"),
        _unreached(),
        _exact_count(),
        Fact(EVEN, (s >= 1, K >= 1, m_ >= 1), "an even interior when s divides K"),
        Fact(BETWEEN, (s >= 1, K >= 1), "the interior counts are floor(K/s) and ceil(K/s)"),
        Fact(UNEVEN_HIGH, (s >= 1, K >= 1), "s not dividing K: a + 1 taps where s divides t + p"),
        Fact(UNEVEN_LOW, (s >= 1, K >= 1), "s not dividing K: a taps where s divides t + p + 1"),
        _exact_count_all(),
        Fact(ALL_INSIDE, GENERAL_HYPS, "away from the ends, the k below K in one residue class"),
        Fact(ALL_BETWEEN, GENERAL_HYPS, "away from the ends, floor(K/a) or ceil(K/a) taps, a = s/g"),
        Fact(ALL_EVEN, (*GENERAL_HYPS, m_ >= 1), "away from the ends, K/a taps when a = s/g divides K"),
    ]
    return parts


def claims() -> tuple[sympy.Basic, ...]:
    return (
        ADJOINT,
        sympy.Eq(SCATTER, GATHER, evaluate=False),
        sympy.Eq(OVERLAP, COUNT, evaluate=False),
        BACK_LENGTH,
        ROUND_TRIP,
        UNREACHED,
        sympy.Eq(OVERLAP_1, COUNT_1, evaluate=False),
        EVEN,
        BETWEEN,
        UNEVEN_HIGH,
        UNEVEN_LOW,
        sympy.Eq(OVERLAP_ALL, COUNT_ALL, evaluate=False),
        ALL_INSIDE,
        ALL_BETWEEN,
        ALL_EVEN,
    )


def _bezout(a: int, c: int) -> tuple[int, int]:
    """Integers ``lam``, ``mu`` with ``a lam + c mu = gcd(a, c)`` (extended Euclid)."""
    if c == 0:
        return 1, 0
    lam, mu = _bezout(c, a % c)
    return mu, lam - (a // c) * mu


@functools.cache
def _count_all() -> Any:
    """The proven closed form :data:`COUNT_ALL` as a fast function of ``(K, a', c', lam, mu, M, xi)``."""
    return exact(COUNT_ALL, K, sa_, dc_, lam_, mu_, M, xi_)


def _instance(rng: random.Random) -> None:
    from symconv.layers.conv import Conv1d
    from symconv.layers.transposed import ConvTranspose1d

    k_, st, dl = rng.randint(1, 5), rng.randint(1, 4), rng.randint(1, 3)
    n_in, pad = rng.randint(1, 8), rng.randint(0, 4)
    opad = rng.randint(0, max(st, dl) - 1)
    length = (n_in - 1) * st - 2 * pad + dl * (k_ - 1) + opad + 1
    if length < 1:
        return _instance(rng)
    layer = ConvTranspose1d(1, 1, k_, stride=st, padding=pad, output_padding=opad, dilation=dl, bias=False)
    assert layer.output_length(n_in) == length
    back = Conv1d(1, 1, k_, stride=st, padding=(pad, pad), dilation=dl).output_length(length)
    assert back == n_in + opad // st and (back == n_in) == (opad < st), (k_, st, dl, n_in, pad, opad)
    weights = np.array([rng.randint(-9, 9) for _ in range(k_)], dtype=np.int64)
    data = np.array([rng.randint(-9, 9) for _ in range(n_in)], dtype=np.int64)
    got = layer.make_taps(n_in).apply(data[None, None, :], weights[None, None, :], None)[0, 0]
    scatter = np.zeros(length, dtype=np.int64)
    counts = np.zeros(length, dtype=np.int64)
    for ii in range(n_in):
        for kk in range(k_):
            pos = st * ii + dl * kk - pad
            if 0 <= pos < length:
                scatter[pos] += weights[kk] * data[ii]
                counts[pos] += 1
    gather = [
        sum(
            int(weights[kk] * data[(tt + pad - dl * kk) // st])
            for kk in range(k_)
            if (tt + pad - dl * kk) % st == 0 and 0 <= (tt + pad - dl * kk) // st < n_in
        )
        for tt in range(length)
    ]
    assert (got == scatter).all() and list(scatter) == gather, (k_, st, dl, n_in, pad, opad)
    conv = Conv1d(1, 1, k_, stride=st, padding=(pad, pad), dilation=dl).make_taps(length)
    outs, ins, ks = conv.spatial
    matrix = np.zeros((conv.output_length, length), dtype=np.int64)
    np.add.at(matrix, (outs, ins), weights[ks])
    assert conv.output_length == back and (matrix[:n_in].T @ data == scatter).all()
    overlap = [
        sum(1 for kk in range(k_) if (tt + pad - dl * kk) % st == 0 and 0 <= (tt + pad - dl * kk) // st < n_in)
        for tt in range(length)
    ]
    assert list(counts) == overlap
    common = math.gcd(st, dl)
    assert all(counts[tt] == 0 for tt in range(length) if (tt + pad) % common), (k_, st, dl, pad)
    ones = layer.make_taps(n_in).apply(np.ones((1, 1, n_in), dtype=np.int64), np.ones((1, 1, k_), dtype=np.int64), None)
    assert list(ones[0, 0]) == list(counts), (k_, st, dl, n_in, pad, opad)
    sa, dc = st // common, dl // common
    lam, mu = _bezout(sa, dc)
    lam, mu = lam + dc * (shift := rng.randint(-3, 3)), mu - sa * shift  # any Bezout pair will do
    closed = _count_all()
    for tt in range(length):
        if (tt + pad) % common == 0:
            xi = (tt + pad) // common
            assert counts[tt] == closed(k_, sa, dc, lam, mu, n_in, xi), (k_, st, dl, n_in, pad, tt)
            if dc * (k_ - 1) <= xi <= sa * (n_in - 1):  # away from the ends: floor(K/a') or ceil(K/a')
                assert counts[tt] in (k_ // sa, -(-k_ // sa)) and (k_ % sa or counts[tt] == k_ // sa)
    if dl == 1:
        exact = [
            max(0, min(n_in - 1, (tt + pad) // st) - max(0, -((k_ - 1 - tt - pad) // st)) + 1) for tt in range(length)
        ]
        assert list(counts) == exact, (k_, st, n_in, pad)
        for tt in range(length):
            first, last = -((k_ - 1 - tt - pad) // st), (tt + pad) // st
            if first >= 0 and last <= n_in - 1:  # an interior output: floor(K/s) or ceil(K/s) taps, K/s when s | K
                assert counts[tt] in (k_ // st, -(-k_ // st)) and (k_ % st or counts[tt] == k_ // st)


def theorem() -> Theorem:
    return Theorem(
        name="adjoint",
        title="The transposed convolution is the adjoint",
        statement=claims(),
        hypotheses=LENGTH_HYPS,
        build=_build,
        instance=_instance,
        summary=(
            "A transposed convolution scatters each input $u_i$ through the taps of the matching convolution: "
            "$y_t = \\sum_i \\sum_k [s\\,i + d\\,k - p = t]\\, w_k\\, u_i$ (PyTorch's definition). "
            "This is $W^{\\mathsf T} u$, with $W$ the convolution's matrix (Theorem 4). Gathered per output, "
            "it reads $u$ only where $s$ divides $t + p - d\\,k$: the zeros inserted between the inputs. "
            "The same computation with $u = 1$ counts the taps that reach output $t$ (the overlap, or "
            "checkerboard). With output padding $o_p$ the length is $L_T = (M-1)s - 2p + d(K-1) + o_p + 1$; "
            "the convolution maps it back to $M + \\lfloor o_p/s \\rfloor$, so the "
            "round trip holds exactly when $o_p < s$. When $s$ and $d$ share a factor $g$, no tap reaches an output "
            "with $g \\nmid t + p$. For $d = 1$ the overlap count has a closed form; away from the "
            "ends it is $\\lfloor K/s \\rfloor$ or $\\lceil K/s \\rceil$, constant ($K/s$) exactly when $s$ "
            "divides $K$ (otherwise the checkerboard). For every $s$ and $d$, write $s = g\\,a'$ and $d = g\\,c'$ "
            "with $a'\\lambda + c'\\mu = 1$ (so $g = \\gcd(s, d)$; $\\lambda, \\mu$ from Euclid's algorithm): "
            "the outputs that taps reach are $t = g\\,\\xi - p$, the pairs that reach one are "
            "$(i, k) = (\\lambda\\xi + c'j,\\ \\mu\\xi - a'j)$ for integers $j$, so $k \\equiv \\mu\\xi \\pmod{a'}$, "
            "and counting the $j$ gives the exact count (12). Away from the ends it is "
            "$\\lfloor K/a' \\rfloor$ or $\\lceil K/a' \\rceil$, and $K/a'$ when $a'$ divides $K$ (vector N4: "
            "$K = 3$, $s = d = 2$ gives $1, 0, 2, 0, 3, 0, 3, \\dots$)."
        ),
        definitions=(
            ("L_T", sympy.latex(L_T)),
            ("W_{i,t}", sympy.latex(ENTRY)),
            (sympy.latex(C_XI), sympy.latex(COUNT_ALL)),
            (
                "",
                "In claims (8) to (11), $x = t + p$ for an output $t$ whose taps are all inside: "
                "$0 \\le \\lceil (t + p - K + 1)/s \\rceil$ and $\\lfloor (t + p)/s \\rfloor \\le M - 1$, "
                "where the count (7) is $\\lfloor x/s \\rfloor - \\lceil (x - K + 1)/s \\rceil + 1$",
            ),
            (
                "",
                "In claims (12) to (15), $s = g\\,a'$, $d = g\\,c'$ and $t = g\\,\\xi - p$; "
                "in (12) the four bounds on $j$ say $0 \\le k = \\mu\\xi - a'j \\le K - 1$ and "
                "$0 \\le i = \\lambda\\xi + c'j \\le M - 1$. In (13) to (15) the output is away from the ends: "
                "$d(K - 1) \\le t + p \\le s(M - 1)$, so every $k < K$ with $k \\equiv \\mu\\xi \\pmod{a'}$ "
                "meets an input",
            ),
        ),
        abbreviations=((COUNT_ALL, C_XI),),
        remarks=(
            "PyTorch accepts any $o_p < \\max(s, d)$: with $d > s$ an admissible $o_p \\ge s$ breaks the round trip "
            "(for example $s = 1$, $d = 2$, $o_p = 1$ gives $M + 1$). The rule of "
            "thumb ``$o_p = 1$ whenever $s \\ge 2$'' "
            "is refused by \\texttt{symconv.prove} with a counterexample."
        ),
    )
