"""Theorem 3, flip: true convolution is cross-correlation with the kernel reversed; NumPy's 'full' and 'same'."""

from __future__ import annotations

import random

import numpy as np
import sympy

from symconv.proofs.proof import Chain, Equation, Fact, Part, Theorem
from symconv.proofs.symbols import K, L, d, i, k, s, u, w, x
from symconv.proofs.terms import Sum, within

j, n, h = sympy.symbols("j n h", integer=True)
xt = sympy.Function("xpad")  # any padded input: the identity holds for every padding mode
HYPOTHESES = (L >= 1, K >= 1, s >= 1, d >= 1)

#: True convolution as symconv computes it (flip=True): weight K-1-k at kernel position k.
CONV = Sum(w[K - 1 - k] * xt(s * i + d * k), (k, 0, K - 1))
#: Cross-correlation with the reversed kernel, position by position: the kernel read backwards.
XCORR_FLIPPED = Sum(w[j] * xt(s * i + d * (K - 1 - j)), (j, 0, K - 1))
FLIP = sympy.Eq(CONV, XCORR_FLIPPED, evaluate=False)


def full_pad(left: sympy.Expr) -> sympy.Lambda:
    """Zero padding by ``left`` on the left: ``[left <= u <= left + L - 1] x_{u - left}``."""
    return sympy.Lambda(u, within(left, u, left + L - 1) * x[u - left])


#: NumPy's convolve(x, w, 'full'): y_n = sum_k w_k x_{n-k}, x zero outside 0..L-1.
def numpy_full(at: sympy.Expr) -> sympy.Expr:
    return Sum(within(0, at - k, L - 1) * w[k] * x[at - k], (k, 0, K - 1))


H = sympy.floor((K - 1) / 2)  # NumPy's 'same' starts at full index floor((K-1)/2) when K <= L
FULL = sympy.Eq(numpy_full(n), Sum(w[K - 1 - k] * xt(n + k), (k, 0, K - 1)), evaluate=False)
SAME = sympy.Eq(numpy_full(n + H), Sum(w[K - 1 - k] * xt(n + k), (k, 0, K - 1)), evaluate=False)
#: NumPy swaps the arguments when K > L: 'same' then starts at floor((min(K, L) - 1)/2); equal to H iff ...
OFFSET = sympy.Implies(K <= L, sympy.Eq(sympy.floor((sympy.Min(K, L) - 1) / 2), H))


def _flip() -> Equation:
    left = Chain(CONV, HYPOTHESES).by("reindex", j=j, sign=-1, shift=K - 1, note="$k = K - 1 - j$")
    return Equation(left, Chain(XCORR_FLIPPED, HYPOTHESES), "the kernel reversed")


def _build() -> list[Part]:
    return [_flip(), _full(), _same(), Fact(OFFSET, (K >= 1, L >= 1), "the offset of NumPy 'same' when K is at most L")]


def _to_numpy(claim: sympy.Basic, left_pad: sympy.Expr, at: sympy.Expr, hyps: tuple, title: str) -> Equation:
    right = (
        Chain(claim.rhs, hyps)
        .by("reindex", j=k, sign=-1, shift=K - 1, note="$k \\to K - 1 - k$")
        .unfold(
            [(xt, full_pad(left_pad))],
            note="zero padding by $K - 1 - h$" if left_pad != K - 1 else "zero padding by $K - 1$",
        )
    )
    right.by("equivalence", new=within(0, at - k, L - 1).args[0], note="the same bounds")
    left = Chain(claim.lhs, hyps)
    if left.end != right.end:
        left.algebra(right.end)
    return Equation(left, right, title)


def _full() -> Equation:
    return _to_numpy(FULL, K - 1, n, (*HYPOTHESES, n >= 0, n <= L + K - 2), "NumPy 'full'")


def _same() -> Equation:
    return _to_numpy(SAME, K - 1 - H, n + H, (*HYPOTHESES, n >= 0, n <= L - 1), "NumPy 'same'")


def _instance(rng: random.Random) -> None:
    from symconv.layers.conv import Conv1d

    k_, n_ = rng.randint(1, 7), rng.randint(1, 12)
    xs = np.array([rng.randint(-9, 9) for _ in range(n_)], dtype=np.int64)
    ws = np.array([rng.randint(-9, 9) for _ in range(k_)], dtype=np.int64)
    full = Conv1d(1, 1, k_, padding=(k_ - 1, k_ - 1), flip=True, bias=False).make_taps(n_)
    got = full.apply(xs[None, None, :], ws[None, None, :], None)[0, 0]
    assert list(got) == list(np.convolve(xs, ws, "full")), (k_, n_)
    flipped = Conv1d(1, 1, k_, padding=(k_ - 1, k_ - 1), bias=False).make_taps(n_)
    assert list(flipped.apply(xs[None, None, :], ws[None, None, ::-1].copy(), None)[0, 0]) == list(got)
    h_ = (k_ - 1) // 2
    same = Conv1d(1, 1, k_, padding=(k_ - 1 - h_, h_), flip=True, bias=False).make_taps(n_)
    mine = list(same.apply(xs[None, None, :], ws[None, None, :], None)[0, 0])
    if k_ <= n_:
        assert mine == list(np.convolve(xs, ws, "same")), (k_, n_)


def theorem() -> Theorem:
    return Theorem(
        name="flip",
        title="True convolution is cross-correlation with the kernel reversed",
        statement=(FLIP, FULL, SAME, OFFSET),
        hypotheses=HYPOTHESES,
        build=_build,
        instance=_instance,
        summary=(
            "symconv computes true convolution (\\texttt{flip=True}) by reading weight $w_{K-1-k}$ at kernel "
            "position $k$. For every padding mode (the padded input $\\tilde x$ is arbitrary) this is "
            "cross-correlation with the reversed kernel. With zero padding $K-1$ on both sides it is NumPy's "
            "\\texttt{convolve(x, w, 'full')}, $y_n = \\sum_k w_k x_{n-k}$; NumPy's \\texttt{'same'} is the "
            "part of it from $h = \\lfloor (K-1)/2 \\rfloor$ on, which is the layer with padding $(K-1-h, h)$, "
            "but only when $K \\le L$."
        ),
        definitions=(("h", r"\left\lfloor \frac{K - 1}{2} \right\rfloor"),),
        abbreviations=((H, sympy.Symbol("h", integer=True)),),
        remarks=(
            "When $K > L$, NumPy swaps the two arguments: \\texttt{'same'} then has "
            "$\\max(K, L)$ entries and starts at "
            "$\\lfloor (L-1)/2 \\rfloor$ of the full result. The offset claim (4) without the hypothesis $K \\le L$ is "
            "refused by \\texttt{symconv.prove} with a counterexample ($L = 2$, $K = 4$ gives $0 \\ne 1$)."
        ),
    )
