"""Theorem 8: circular padding at stride 1 commutes with shifts; zero padding, with shifts by s inside."""

from __future__ import annotations

import functools
import random
from typing import Any

import numpy as np
import sympy

from symconv.proofs.proof import Chain, Equation, Fact, Part, Theorem
from symconv.proofs.symbols import K, L, d, i, j, k, p, s, u, w, x
from symconv.proofs.terms import Sum, exact, within

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


# Exactly where: output i of the shifted input reads x at tap k when both windows read an input there, output i + r of
# the input when its own window does. In kernel positions: the taps of output i that read an input are
# FIRST <= k <= LAST, those of output i + r are FIRST_R <= k <= LAST_R.
FIRST, LAST = sympy.ceiling((p - s * i) / d), sympy.floor((p + L - 1 - s * i) / d)
FIRST_R, LAST_R = sympy.ceiling((p - s * i - s * r) / d), sympy.floor((p + L - 1 - s * i - s * r) / d)
#: no tap k < K reads an input in row i + r and the left pad in row i (L_i);
#: none reads an input in row i + r and the right pad in row i (R_i)
LEFT_AGREES = sympy.Gt(sympy.Max(0, FIRST_R), sympy.Min(K - 1, FIRST - 1, LAST_R))
RIGHT_AGREES = sympy.Gt(sympy.Max(0, LAST + 1, FIRST_R), sympy.Min(K - 1, LAST_R))
EXACT_HYPS = (L >= 1, K >= 1, s >= 1, d >= 1, p >= 0)
EXACTLY = sympy.Eq(
    Sum(w[k] * yz(s * i + d * k), (k, 0, K - 1)), Sum(w[k] * xz(s * i + s * r + d * k), (k, 0, K - 1)), evaluate=False
)
#: the coefficient of w_j in output i of the shifted input, and in output i + r of the input
COEFF_SHIFTED = sympy.Eq(
    sympy.Derivative(EXACTLY.lhs, w[j]),
    within(0, j, K - 1) * within(FIRST, j, LAST) * within(FIRST_R, j, LAST_R) * x[s * i + s * r + d * j - p],
    evaluate=False,
)
COEFF = sympy.Eq(
    sympy.Derivative(EXACTLY.rhs, w[j]),
    within(0, j, K - 1) * within(FIRST_R, j, LAST_R) * x[s * i + s * r + d * j - p],
    evaluate=False,
)
#: where a condition fails, the tap that tells the rows apart
WITNESS_L, WITNESS_R = sympy.Max(0, FIRST_R), sympy.Max(0, LAST + 1, FIRST_R)
LEFT_FAILS = sympy.Implies(
    sympy.Not(LEFT_AGREES),
    sympy.And(WITNESS_L >= 0, WITNESS_L <= K - 1, FIRST_R <= WITNESS_L, WITNESS_L <= LAST_R, WITNESS_L < FIRST),
)
RIGHT_FAILS = sympy.Implies(
    sympy.Not(RIGHT_AGREES),
    sympy.And(WITNESS_R >= 0, WITNESS_R <= K - 1, FIRST_R <= WITNESS_R, WITNESS_R <= LAST_R, WITNESS_R > LAST),
)
#: the booklet's names of the bounds
_NAMES = {
    FIRST: sympy.Symbol("F", integer=True),
    LAST: sympy.Symbol("F'", integer=True),
    FIRST_R: sympy.Symbol("G", integer=True),
    LAST_R: sympy.Symbol("G'", integer=True),
}
INTERIOR_AGREES = sympy.Implies(sympy.And(*INTERIOR), sympy.And(LEFT_AGREES, RIGHT_AGREES))


def _taps(lo: sympy.Expr, hi: sympy.Expr, v: sympy.Symbol = k) -> sympy.Basic:
    return sympy.And(sympy.Le(lo, v), sympy.Le(v, hi))


def _exactly() -> Equation:
    hyps = (*EXACT_HYPS, LEFT_AGREES, RIGHT_AGREES)
    left = (
        Chain(EXACTLY.lhs, hyps)
        .unfold([(yz, ZERO_OF_SHIFT)], note="zero padding of the shifted input")
        .by(
            "equivalence",
            old=within(p, s * i + d * k, p + L - 1).args[0],
            new=_taps(FIRST, LAST),
            note="the taps of row $i$ that read an input",
        )
        .by(
            "equivalence",
            old=within(0, s * i + d * k - p + s * r, L - 1).args[0],
            new=_taps(FIRST_R, LAST_R),
            note="the taps of row $i + r$ that read an input",
        )
        .by("bracket_product")
        .by("equivalence", new=_taps(FIRST_R, LAST_R), note="both conditions: no tap reads an input in one row only")
    )
    right = (
        Chain(EXACTLY.rhs, hyps)
        .unfold([(xz, ZERO)], note="zero padding")
        .by("equivalence", new=_taps(FIRST_R, LAST_R), note="the taps of row $i + r$ that read an input")
    )
    return Equation(left, right, "exactly where the rows agree")


def _coefficients() -> list[Part]:
    shifted = (
        Chain(COEFF_SHIFTED.lhs, EXACT_HYPS)
        .unfold([(yz, ZERO_OF_SHIFT)], note="zero padding of the shifted input")
        .by("derivative")
        .by("sum_delta")
        .by("equivalence", old=within(p, s * i + d * j, p + L - 1).args[0], new=_taps(FIRST, LAST, j))
        .by("equivalence", old=within(0, s * i + d * j - p + s * r, L - 1).args[0], new=_taps(FIRST_R, LAST_R, j))
    )
    plain = (
        Chain(COEFF.lhs, EXACT_HYPS)
        .unfold([(xz, ZERO)], note="zero padding")
        .by("derivative")
        .by("sum_delta")
        .by("equivalence", old=within(p, s * i + s * r + d * j, p + L - 1).args[0], new=_taps(FIRST_R, LAST_R, j))
    )
    return [
        Equation(
            shifted,
            Chain(COEFF_SHIFTED.rhs, EXACT_HYPS),
            "the coefficient of the weight at tap j in row i, input shifted",
        ),
        Equation(plain, Chain(COEFF.rhs, EXACT_HYPS), "the coefficient of the weight at tap j in row i + r"),
    ]


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
    return [
        _circular(),
        _zeros(),
        _exactly(),
        *_coefficients(),
        Fact(LEFT_FAILS, EXACT_HYPS, "the left condition fails: a tap reads an input in row i + r, a pad in row i"),
        Fact(RIGHT_FAILS, EXACT_HYPS, "the right condition fails: likewise, past the input's end"),
        Fact(INTERIOR_AGREES, EXACT_HYPS, "the interior rows satisfy both conditions"),
    ]


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
    _exact_instance(rng)


@functools.cache
def _agrees() -> Any:
    """The proven condition ``LEFT_AGREES and RIGHT_AGREES`` as a fast function of ``(K, L, s, d, p, i, r)``."""
    left, right = (exact(c, K, L, s, d, p, i, r) for c in (LEFT_AGREES, RIGHT_AGREES))
    return lambda *v: bool(left(*v)) and bool(right(*v))


def _exact_instance(rng: random.Random) -> None:
    """Zero padding with p_l, p_r: rows i and i + r agree for random data exactly where the condition holds."""
    from symconv.layers.conv import Conv1d

    k_, st, dl = rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 3)
    left, right = rng.randint(0, 4), rng.randint(0, 4)
    n = rng.randint(max(1, dl * (k_ - 1) + 1 - left - right), 14)
    layer = Conv1d(1, 1, k_, stride=st, padding=(left, right), dilation=dl, bias=False).make_taps(n)
    ws = np.array([[[rng.choice((-1, 1)) * rng.randint(1, 10**6) for _ in range(k_)]]], dtype=np.int64)
    xs = np.array([rng.choice((-1, 1)) * rng.randint(1, 10**6) for _ in range(n)], dtype=np.int64)
    r_ = rng.randint(-4, 4)
    moved = np.array([xs[q + st * r_] if 0 <= q + st * r_ < n else 0 for q in range(n)], dtype=np.int64)
    out = layer.apply(xs[None, None, :], ws, None)[0, 0]
    out_moved = layer.apply(moved[None, None, :], ws, None)[0, 0]
    agrees = _agrees()
    for row in range(layer.output_length):
        if not 0 <= row + r_ < layer.output_length:
            continue
        holds = agrees(k_, n, st, dl, left, row, r_)
        # the taps where the rows differ: an input in row + r, a pad in row (on the shifted input)
        differ = [
            kk
            for kk in range(k_)
            if 0 <= st * (row + r_) + dl * kk - left < n and not 0 <= st * row + dl * kk - left < n
        ]
        assert holds == (not differ), (n, k_, st, dl, left, right, r_, row)
        assert (out_moved[row] == out[row + r_]) == holds, (n, k_, st, dl, left, right, r_, row)
        if not holds:  # the witness data w = e_J, x = e_m: row i gives 0, row i + r gives 1
            tap = differ[0]
            unit_w = np.zeros_like(ws)
            unit_w[0, 0, tap] = 1
            unit_x = np.zeros_like(xs)
            unit_x[st * (row + r_) + dl * tap - left] = 1
            shifted_unit = np.array([unit_x[q + st * r_] if 0 <= q + st * r_ < n else 0 for q in range(n)])
            one = layer.apply(unit_x[None, None, :], unit_w, None)[0, 0][row + r_]
            zero = layer.apply(shifted_unit[None, None, :], unit_w, None)[0, 0][row]
            assert (one, zero) == (1, 0), (n, k_, st, dl, left, right, r_, row)


def theorem() -> Theorem:
    return Theorem(
        name="equivariance",
        title="Shifts commute with the layer",
        statement=(CIRCULAR, ZEROS, EXACTLY, COEFF_SHIFTED, COEFF, LEFT_FAILS, RIGHT_FAILS, INTERIOR_AGREES),
        hypotheses=(L >= 1, K >= 1, s >= 1, d >= 1, p >= 0),
        build=_build,
        instance=_instance,
        summary=(
            "With circular padding, stride 1 and $p_l + p_r = d(K-1)$ (so that "
            "$L_{\\mathrm{out}} = L$), shifting the input "
            "by $r$ (cyclically, $x_t \\mapsto x_{(t+r) \\bmod L}$) shifts the output by "
            "$r$: exactly, for every $i$ and $r$. "
            "With zero padding and stride $s$, shifting the input by $s\\,r$ (zeros moved in) shifts the output by $r$ "
            "exactly at the rows $i$ whose taps, and those of row $i + r$, all read inputs: "
            "$p \\le s\\,i$ and $s\\,i + d(K-1) \\le p + L - 1$, and the same for $i + r$. "
            "Exactly (3), with $p = p_l$ the left padding (the right padding only bounds the rows): "
            "the taps $k < K$ of row $i$ that read an input are $F \\le k \\le F'$, those of row "
            "$i + r$ are $G \\le k \\le G'$ (below); row $i$ of the shifted input reads $x$ where both do, row $i + r$ "
            "of the input where the second does. So the rows agree for every $w$ and $x$ when no tap $k < K$ "
            "reads an input in row $i + r$ and a pad in row $i$, on the left or on the right: "
            "$\\max(0, G) > \\min(K - 1, F - 1, G')$ and $\\max(0, F' + 1, G) > \\min(K - 1, G')$. "
            "Otherwise (6), (7) name such a tap $J$ (or $J'$), and by (4), (5) the coefficient of $w_J$ "
            "is $0$ in row $i$ and "
            "$x_{s i + s r + d J - p}$ in row $i + r$: the rows differ as polynomials, hence for generic data "
            "(for $w = e_J$ and $x$ the unit vector at $s\\,i + s\\,r + d\\,J - p$ they are $0$ and $1$). "
            "The interior rows of (2) satisfy the condition (8); so do rows that read pads, as long as "
            "they read the same pads."
        ),
        definitions=(
            (sympy.latex(xc(u)), sympy.latex(CIRC(u))),
            (sympy.latex(yc(u)), sympy.latex(CIRC_OF_SHIFT(u))),
            (sympy.latex(shifted(t)), sympy.latex(SHIFT_C(t))),
            (sympy.latex(xz(u)), sympy.latex(ZERO(u))),
            (sympy.latex(yz(u)), sympy.latex(ZERO_OF_SHIFT(u))),
            ("F,\\ F'", f"{sympy.latex(FIRST)},\\ {sympy.latex(LAST)}"),
            ("G,\\ G'", f"{sympy.latex(FIRST_R)},\\ {sympy.latex(LAST_R)}"),
            ("\\mathcal{L}_i", sympy.latex(LEFT_AGREES.xreplace(_NAMES))),
            ("\\mathcal{R}_i", sympy.latex(RIGHT_AGREES.xreplace(_NAMES))),
            ("J,\\ J'", f"{sympy.latex(WITNESS_L.xreplace(_NAMES))},\\ {sympy.latex(WITNESS_R.xreplace(_NAMES))}"),
        ),
        abbreviations=(
            *_NAMES.items(),
            (WITNESS_L, sympy.Symbol("J", integer=True)),
            (WITNESS_R, sympy.Symbol("J'", integer=True)),
            (LEFT_AGREES, sympy.Symbol("\\mathcal{L}_i")),
            (RIGHT_AGREES, sympy.Symbol("\\mathcal{R}_i")),
        ),
        remarks=(
            "Near the borders the zero-padded layer reads pads in one of the two rows, "
            "and a shift that is not a multiple "
            "of $s$ moves the taps between the sampled positions: there the equality fails (vector T22)."
        ),
    )
