"""Theorem 9: full convolution is polynomial multiplication, through generating functions."""

from __future__ import annotations

import random

import numpy as np
import sympy

from symconv.proofs.proof import Chain, Equation, Part, Theorem
from symconv.proofs.symbols import K, L, k, t, w, x
from symconv.proofs.terms import Sum, within

n = sympy.Symbol("n", integer=True)
z = sympy.Symbol("z")
HYPOTHESES = (L >= 1, K >= 1)
X = Sum(x[t] * z**t, (t, 0, L - 1))
W = Sum(w[k] * z**k, (k, 0, K - 1))
#: NumPy's convolve(x, w, 'full'): y_n = sum_k [0 <= n-k <= L-1] w_k x_{n-k}, for n = 0 .. L+K-2.
Y = Sum(Sum(within(0, n - k, L - 1) * w[k] * x[n - k], (k, 0, K - 1)) * z**n, (n, 0, L + K - 2))
PRODUCT = sympy.Eq(X * W, Y, evaluate=False)


def _build() -> list[Part]:
    left = (
        Chain(PRODUCT.lhs, HYPOTHESES)
        .by("linearity", direction="in")
        .by("linearity", direction="in", note="a product of sums")
    )
    right = (
        Chain(PRODUCT.rhs, HYPOTHESES)
        .by("linearity", direction="in")
        .by("exchange")
        .by("reindex", over=n, j=t, shift=k, note="$n = t + k$")
        .by("restrict")
        .by("arithmetic", old=sympy.Max(0, -k), new=0, note="$k \\ge 0$")
        .by("arithmetic", old=sympy.Min(L - 1, K + L - k - 2), new=L - 1, note="$k \\le K - 1$")
        .by("power", note="$z^{t+k} = z^t z^k$")
    )
    return [Equation(left, right, "the product of the generating functions")]


def _instance(rng: random.Random) -> None:
    from symconv.layers.conv import Conv1d

    k_, n_ = rng.randint(1, 6), rng.randint(1, 8)
    xs = [rng.randint(-9, 9) for _ in range(n_)]
    ws = [rng.randint(-9, 9) for _ in range(k_)]
    taps = Conv1d(1, 1, k_, padding=(k_ - 1, k_ - 1), flip=True, bias=False).make_taps(n_)
    y = taps.apply(np.array([[xs]], dtype=np.int64), np.array([[ws]], dtype=np.int64), None)[0, 0]
    product = [int(c) for c in np.polynomial.polynomial.polymul(np.array(xs, dtype=object), np.array(ws, dtype=object))]
    product += [0] * (n_ + k_ - 1 - len(product))  # polymul trims zero leading coefficients
    assert list(y) == product, (k_, n_)


def theorem() -> Theorem:
    return Theorem(
        name="polynomial",
        title="Full convolution is polynomial multiplication",
        statement=(PRODUCT,),
        hypotheses=HYPOTHESES,
        build=_build,
        instance=_instance,
        summary=(
            "Attach to a sequence its generating function, $X(z) = \\sum_t x_t z^t$. The full convolution "
            "$y_n = \\sum_k w_k x_{n-k}$ (NumPy's \\texttt{'full'}, symconv's layer with \\texttt{flip=True} and "
            "padding $(K-1, K-1)$, Theorem 3) has the generating function $X(z)\\,W(z)$: its entries are the "
            "coefficients of the product of the two polynomials."
        ),
    )
