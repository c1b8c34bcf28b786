"""Theorem 8: circular padding at stride 1 commutes with shifts; zero padding, with shifts by s inside."""

from __future__ import annotations

import random

import numpy as np
import sympy

from symconv.proofs.proof import Chain, Equation, Part, Theorem
from symconv.proofs.symbols import K, L, d, i, k, p, s, u, w, x
from symconv.proofs.terms import Sum, within

r = sympy.Symbol("r", integer=True)
t = sympy.Symbol("t", integer=True)
xc, yc = sympy.Function(r"\tilde{x}^{\mathrm{circ}}"), sympy.Function(r"\tilde{y}^{\mathrm{circ}}")
xz, yz = sympy.Function(r"\tilde{x}^{\mathrm{zeros}}"), sympy.Function(r"\tilde{y}^{\mathrm{zeros}}")
shifted = sympy.Function("y")  # the shifted input

# circular, stride 1: the padded input wraps around; the shifted input is x_{(t + r) mod L}
CIRC = sympy.Lambda(u, x[sympy.Mod(u - p, L)])
SHIFT_C = sympy.Lambda(t, x[sympy.Mod(t + r, L)])
CIRC_OF_SHIFT = sympy.Lambda(u, shifted(sympy.Mod(u - p, L)))
CIRC_HYPS = (L >= 1, K >= 1, d >= 1, p >= 0, p <= L, d * (K - 1) - p >= 0, d * (K - 1) - p <= L, i >= 0, i <= L - 1)
CIRCULAR = sympy.Eq(
    Sum(w[k] * yc(i + d * k), (k, 0, K - 1)), Sum(w[k] * xc(sympy.Mod(i + r, L) + d * k), (k, 0, K - 1)), evaluate=False
)

# zero padding, stride s, shift by s*r: (T x)_t = x_{t + s r}, zero outside the input
ZERO = sympy.Lambda(u, within(p, u, p + L - 1) * x[u - p])
ZERO_OF_SHIFT = sympy.Lambda(u, within(p, u, p + L - 1) * within(0, u - p + s * r, L - 1) * x[u - p + s * r])
INTERIOR = (p <= s * i, s * i + d * (K - 1) <= p + L - 1, p <= s * (i + r), s * (i + r) + d * (K - 1) <= p + L - 1)
ZERO_HYPS = (L >= 1, K >= 1, s >= 1, d >= 1, p >= 0, *INTERIOR)
ZEROS = sympy.Eq(
    Sum(w[k] * yz(s * i + d * k), (k, 0, K - 1)), Sum(w[k] * xz(s * (i + r) + d * k), (k, 0, K - 1)), evaluate=False
)


def _circular() -> Equation:
    left = (
        Chain(CIRCULAR.lhs, CIRC_HYPS)
        .unfold([(yc, CIRC_OF_SHIFT)], note="circular padding of the shifted input")
        .unfold([(shifted, SHIFT_C)], note="the shift, with $((a \\bmod L) + r) \\bmod L = (a + r) \\bmod L$")
    )
    right = Chain(CIRCULAR.rhs, CIRC_HYPS).unfold([(xc, CIRC)], note="circular padding")
    return Equation(left, right, "circular padding")


def _zeros() -> Equation:
    tap = s * i + d * k
    left = (
        Chain(ZEROS.lhs, ZERO_HYPS)
        .unfold([(yz, ZERO_OF_SHIFT)], note="zero padding of the shifted input")
        .by(
            "equivalence",
            old=within(p, tap, p + L - 1).args[0],
            new=sympy.true,
            note="row $i$ is interior: every tap reads an input",
        )
        .by(
            "equivalence",
            old=within(0, tap - p + s * r, L - 1).args[0],
            new=within(p, s * (i + r) + d * k, p + L - 1).args[0],
            note="the same condition, moved by $s\\,r$",
        )
    )
    right = Chain(ZEROS.rhs, ZERO_HYPS).unfold([(xz, ZERO)], note="zero padding")
    right.by(
        "arithmetic", old=s * (i + r) + d * k - p, new=s * i + s * r + d * k - p, note="$s(i + r) = s\\,i + s\\,r$"
    )
    return Equation(left, right, "zero padding, away from the borders")


def _build() -> list[Part]:
    return [_circular(), _zeros()]


def _instance(rng: random.Random) -> None:
    from symconv.layers.conv import Conv1d

    k_, dl = rng.randint(1, 4), rng.randint(1, 3)
    n = rng.randint(max(1, (dl * (k_ - 1) + 1) // 2), 12)
    span = dl * (k_ - 1)
    left = rng.randint(max(0, span - n), min(span, n))
    xs = np.array([rng.randint(-9, 9) for _ in range(n)], dtype=np.int64)
    ws = np.array([[[rng.randint(-9, 9) for _ in range(k_)]]], dtype=np.int64)
    shift = rng.randint(-2 * n, 2 * n)
    circ = Conv1d(1, 1, k_, padding=(left, span - left), dilation=dl, padding_mode="circular", bias=False).make_taps(n)
    z = circ.apply(xs[None, None, :], ws, None)[0, 0]
    z_shifted = circ.apply(np.roll(xs, -shift)[None, None, :], ws, None)[0, 0]
    assert list(z_shifted) == list(np.roll(z, -shift)), (n, k_, dl, left, shift)
    st, pad = rng.randint(1, 3), rng.randint(0, 3)
    n2 = rng.randint(max(1, dl * (k_ - 1) + 1 - 2 * pad), 16)
    zero = Conv1d(1, 1, k_, stride=st, padding=(pad, pad), dilation=dl, bias=False).make_taps(n2)
    xs2 = np.array([rng.randint(-9, 9) for _ in range(n2)], dtype=np.int64)
    out = zero.apply(xs2[None, None, :], ws, None)[0, 0]
    r_ = rng.randint(-3, 3)
    moved = np.array([xs2[q + st * r_] if 0 <= q + st * r_ < n2 else 0 for q in range(n2)], dtype=np.int64)
    out_moved = zero.apply(moved[None, None, :], ws, None)[0, 0]
    for row in range(zero.output_length):
        inner = all(pad <= st * q and st * q + dl * (k_ - 1) <= pad + n2 - 1 for q in (row, row + r_))
        if inner and 0 <= row + r_ < zero.output_length:
            assert out_moved[row] == out[row + r_], (n2, k_, st, dl, pad, r_, row)


def theorem() -> Theorem:
    return Theorem(
        name="equivariance",
        title="Shifts commute with the layer",
        statement=(CIRCULAR, ZEROS),
        hypotheses=(L >= 1, K >= 1, d >= 1, p >= 0),
        build=_build,
        instance=_instance,
        summary=(
            "With circular padding, stride 1 and $p_l + p_r = d(K-1)$ (so that "
            "$L_{\\mathrm{out}} = L$), shifting the input "
            "by $r$ (cyclically, $x_t \\mapsto x_{(t+r) \\bmod L}$) shifts the output by "
            "$r$: exactly, for every $i$ and $r$. "
            "With zero padding and stride $s$, shifting the input by $s\\,r$ (zeros moved in) shifts the output by $r$ "
            "exactly at the rows $i$ whose taps, and those of row $i + r$, all read inputs: "
            "$p \\le s\\,i$ and $s\\,i + d(K-1) \\le p + L - 1$, and the same for $i + r$."
        ),
        definitions=(
            (sympy.latex(xc(u)), sympy.latex(CIRC(u))),
            (sympy.latex(yc(u)), sympy.latex(CIRC_OF_SHIFT(u))),
            (sympy.latex(shifted(t)), sympy.latex(SHIFT_C(t))),
            (sympy.latex(xz(u)), sympy.latex(ZERO(u))),
            (sympy.latex(yz(u)), sympy.latex(ZERO_OF_SHIFT(u))),
        ),
        remarks=(
            "Near the borders the zero-padded layer reads pads in one of the two rows, "
            "and a shift that is not a multiple "
            "of $s$ moves the taps between the sampled positions: there the equality fails (vector T22)."
        ),
    )
