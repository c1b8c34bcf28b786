"""Theorem 6: the gradients of a strided, dilated, zero-padded layer, for all sizes."""

from __future__ import annotations

import random

import numpy as np
import sympy

from symconv.proofs.proof import Chain, Equation, Fact, Part, Theorem
from symconv.proofs.symbols import (
    SIZES,
    K,
    L,
    b,
    d,
    delta,
    i,
    j,
    k,
    output_length,
    p_l,
    p_r,
    s,
    short_output_length,
    t,
    w,
    x,
    xpad,
)
from symconv.proofs.terms import Bracket, Sum, within

P = L + p_l + p_r
L_OUT = output_length(L, K, s, d, p_l, p_r)
HYPOTHESES = (*SIZES, p_l >= 0, p_r >= 0, d * (K - 1) + 1 <= P)
PADDED = sympy.Lambda(
    sympy.Symbol("u", integer=True),
    within(p_l, sympy.Symbol("u", integer=True), p_l + L - 1) * x[sympy.Symbol("u", integer=True) - p_l],
)
LOSS = Sum(delta[i] * (b + Sum(w[k] * xpad(s * i + d * k), (k, 0, K - 1))), (i, 0, L_OUT - 1))
TAP = s * i + d * k - p_l

DW = sympy.Eq(sympy.Derivative(LOSS, w[j]), Sum(delta[i] * xpad(s * i + d * j), (i, 0, L_OUT - 1)), evaluate=False)
DX = sympy.Eq(
    sympy.Derivative(LOSS, x[t]),
    Sum(Sum(Bracket(sympy.Eq(TAP, t)) * w[k] * delta[i], (k, 0, K - 1)), (i, 0, L_OUT - 1)),
    evaluate=False,
)
DB = sympy.Eq(sympy.Derivative(LOSS, b), Sum(delta[i], (i, 0, L_OUT - 1)), evaluate=False)
#: The weight gradient is a layer with stride d and dilation s over the padded input, kernel delta: it has >= K outputs.
SWAPPED = output_length(P, L_OUT, d, s, 0, 0) >= K
DEFS = [(xpad, PADDED)]

#: Through an elementwise activation h_j = f(z_j), with g_j the derivative of the loss with respect to h_j.
N = sympy.Symbol("N", integer=True)
z, g = sympy.IndexedBase("z"), sympy.IndexedBase("g")
f, f_prime = sympy.Function("f"), sympy.Function("f'")
ACTIVATED = Sum(g[j] * f(z[j]), (j, 0, N - 1))
DZ = sympy.Eq(sympy.Derivative(ACTIVATED, z[i]), g[i] * f_prime(z[i]), evaluate=False)


def _dw() -> Equation:
    hyps = (*HYPOTHESES, j >= 0, j <= K - 1)
    left = (
        Chain(DW.lhs, hyps)
        .unfold(DEFS, note="the padded input")
        .by("derivative")
        .by("sum_delta")
        .by("equivalence", new=sympy.true, note="$0 \\le j \\le K - 1$")
    )
    right = Chain(DW.rhs, hyps).unfold(DEFS)
    return Equation(left, right, "the weight gradient")


def _dx() -> Equation:
    hyps = (*HYPOTHESES, t >= 0, t <= L - 1)
    left = (
        Chain(DX.lhs, hyps)
        .unfold(DEFS, note="the padded input")
        .by("derivative")
        .by("bracket_product")
        .by("equivalence", new=sympy.Eq(TAP, t), note="$0 \\le t \\le L - 1$ makes the range test redundant")
    )
    left.by("linearity", direction="in")
    right = Chain(DX.rhs, hyps)
    return Equation(left, right, "the input gradient")


def _db() -> Equation:
    left = Chain(DB.lhs, HYPOTHESES).unfold(DEFS, note="the padded input").by("derivative")
    return Equation(left, Chain(DB.rhs, HYPOTHESES), "the bias gradient")


def _activation() -> Equation:
    hyps = (N >= 1, i >= 0, i <= N - 1)
    left = (
        Chain(DZ.lhs, hyps)
        .by("derivative", univariate={f: f_prime}, note="$h_j = f(z_j)$ depends on $z_i$ only when $j = i$")
        .by("sum_delta")
        .by("equivalence", new=sympy.true, note="$0 \\le i \\le N - 1$")
    )
    return Equation(left, Chain(DZ.rhs, hyps), "through an elementwise activation")


def _build() -> list[Part]:
    return [_dw(), _dx(), _db(), Fact(SWAPPED, HYPOTHESES, "the weight gradient as a layer"), _activation()]


def _instance(rng: random.Random) -> None:
    from symconv.layers.conv import Conv1d

    k_, st, dl = rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3)
    pl, pr = rng.randint(0, 3), rng.randint(0, 3)
    n = rng.randint(max(1, dl * (k_ - 1) + 1 - pl - pr), 14)
    taps = Conv1d(1, 1, k_, stride=st, padding=(pl, pr), dilation=dl).make_taps(n)
    n_out = taps.output_length
    xs = np.array([rng.randint(-9, 9) for _ in range(n)], dtype=np.int64)
    ws = np.array([rng.randint(-9, 9) for _ in range(k_)], dtype=np.int64)
    ds = np.array([rng.randint(-9, 9) for _ in range(n_out)], dtype=np.int64)
    padded = np.concatenate([np.zeros(pl, np.int64), xs, np.zeros(pr, np.int64)])
    dw = [sum(int(ds[ii] * padded[st * ii + dl * jj]) for ii in range(n_out)) for jj in range(k_)]
    dx = [
        sum(int(ws[kk] * ds[ii]) for ii in range(n_out) for kk in range(k_) if st * ii + dl * kk - pl == tt)
        for tt in range(n)
    ]
    swapped = Conv1d(1, 1, n_out, stride=dl, dilation=st).make_taps(n + pl + pr)
    assert swapped.output_length >= k_
    by_layer = swapped.apply(padded[None, None, :], ds[None, None, :], None)[0, 0][:k_]
    assert list(taps.weight_grad(xs[None, None, :], ds[None, None, :]).ravel()) == dw == list(by_layer)
    assert list(taps.input_grad(ds[None, None, :], ws[None, None, :]).ravel()) == dx, (n, k_, st, dl, pl, pr)
    assert int(ds.sum()) == sum(int(v) for v in ds)


def theorem() -> Theorem:
    return Theorem(
        name="gradients",
        title="Gradients with stride and dilation",
        statement=(DW, DX, DB, SWAPPED, DZ),
        hypotheses=HYPOTHESES,
        build=_build,
        instance=_instance,
        summary=(
            "For a loss whose derivative with respect to output $z_i$ is $\\delta_i$, the chain rule gives "
            "$\\partial \\mathcal L / \\partial \\theta = \\sum_i \\delta_i\\, \\partial z_i/\\partial \\theta$, "
            "the derivative of $\\mathcal L = \\sum_i \\delta_i z_i$ with $\\delta$ held fixed. "
            "Differentiated term by term: the weight gradient correlates the padded input with $\\delta$ "
            "(a layer with stride $d$ and dilation $s$, which has at least $K$ outputs); the input gradient "
            "collects every tap that reads $x_t$: the transposed convolution of $\\delta$ (Theorem 5 with "
            "$u = \\delta$, $p = p_l$); the bias gradient sums $\\delta$."
        ),
        abbreviations=short_output_length(),
        definitions=(
            ("\\tilde x(u)", sympy.latex(PADDED(sympy.Symbol("u", integer=True)))),
            ("\\mathcal L", sympy.latex(LOSS)),
            ("L_{\\mathrm{out}}", sympy.latex(L_OUT)),
        ),
        remarks=(
            "The input gradient has the bracket $[s\\,i + d\\,k - p_l = t]$: summed over $i$ it becomes "
            "$[s \\mid t + p_l - d\\,k]$ (Theorem 5). SymPy 1.14 drops that divisibility condition for a "
            "dilated layer and reads $w_{1/2}$ (vector N7); \\texttt{symconv.prove} refuses that result. "
            "Claim (5) is the step through an elementwise activation $h = f(z)$: with $g "
            "= \\partial\\mathcal L/\\partial h$, "
            "$\\delta = f'(z) \\odot g$; the derivative rule uses the chain rule for a function of one variable."
        ),
    )
