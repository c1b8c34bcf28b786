"""Theorems 2 and 4: every tap lands in the padded input; the matrix entry formula for five padding modes."""

from __future__ import annotations

import random

import numpy as np
import sympy

from symconv.proofs.proof import Chain, Equation, Fact, Part, Theorem
from symconv.proofs.symbols import SIZES, K, L, d, i, k, output_length, p_l, p_r, s, short_output_length, t, u, w, x
from symconv.proofs.terms import Bracket, Sum, within

P = L + p_l + p_r
L_OUT = output_length(L, K, s, d, p_l, p_r)
HYPOTHESES = (*SIZES, p_l >= 0, p_r >= 0, d * (K - 1) + 1 <= P)
ROW = (i >= 0, i <= L_OUT - 1)
BOUNDS = sympy.Implies(
    sympy.And(i >= 0, i <= L_OUT - 1, k >= 0, k <= K - 1), sympy.And(s * i + d * k >= 0, s * i + d * k <= P - 1)
)

_m = sympy.Mod(u - p_l, 2 * L)
#: Per padding mode: the fold (the input that padded position u reads) and the mode's extra hypotheses.
MODES: dict[str, tuple[sympy.Expr, tuple[sympy.Basic, ...]]] = {
    "zeros": (u - p_l, ()),
    "circular": (sympy.Mod(u - p_l, L), (p_l <= L, p_r <= L)),
    "replicate": (sympy.Min(sympy.Max(u - p_l, 0), L - 1), ()),
    "reflect": (L - 1 - sympy.Abs(L - 1 - sympy.Abs(u - p_l)), (p_l <= L - 1, p_r <= L - 1)),
    "symmetric": (sympy.Min(_m, 2 * L - 1 - _m), ()),
}
NAMES = {mode: sympy.Function(rf"\tilde{{x}}^{{\mathrm{{{mode}}}}}") for mode in MODES}
#: The folds' names in the booklet: phi^mode(u) for the index that padded position u reads.
FOLDS = {mode: sympy.Function(rf"\varphi^{{\mathrm{{{mode}}}}}") for mode in MODES if mode != "zeros"}


def padded(mode: str) -> sympy.Lambda:
    """The padded input of ``mode`` at padded position ``u`` (zero padding reads 0 outside the input)."""
    fold = MODES[mode][0]
    if mode == "zeros":
        return sympy.Lambda(u, within(p_l, u, p_l + L - 1) * x[u - p_l])
    return sympy.Lambda(u, x[fold])


def entry(mode: str) -> sympy.Expr:
    """``W[i, t] = sum_k w_k [t = fold(s*i + d*k)]``."""
    return Sum(w[k] * Bracket(sympy.Eq(t, MODES[mode][0].subs(u, s * i + d * k))), (k, 0, K - 1))


def claim(mode: str) -> sympy.Basic:
    z = Sum(w[k] * NAMES[mode](s * i + d * k), (k, 0, K - 1))
    return sympy.Eq(z, Sum(entry(mode) * x[t], (t, 0, L - 1)), evaluate=False)


#: Theorem 2 for one row, used as a hypothesis of Theorem 4 (its proof is a part of that proof).
ROW_BOUNDS = sympy.Implies(sympy.And(k >= 0, k <= K - 1), sympy.And(s * i + d * k >= 0, s * i + d * k <= P - 1))


def _equation(mode: str) -> Equation:
    hyps = (*HYPOTHESES, *ROW, *MODES[mode][1], ROW_BOUNDS)
    c = claim(mode)
    left = Chain(c.lhs, hyps).unfold([(NAMES[mode], padded(mode))], note="the padded input")
    right = Chain(c.rhs, hyps).by("linearity", direction="in").by("exchange").by("sum_delta")
    landed = right.end.atoms(Bracket)
    (bracket,) = [b for b in landed if b.args[0] != sympy.true]
    image = MODES[mode][0].subs(u, s * i + d * k)
    if mode == "zeros":
        right.by(
            "equivalence",
            new=sympy.And(p_l <= s * i + d * k, s * i + d * k <= p_l + L - 1),
            note="the same condition, shifted by $p_l$",
        )
    else:
        right.by("equivalence", new=sympy.true, note="every tap reads an input: the fold lands in $0, \\dots, L-1$")
    assert image in bracket.args[0].free_symbols or True
    return Equation(left, right, f"padding '{mode}'")


def _build_entry() -> list[Part]:
    return [Fact(ROW_BOUNDS, (*HYPOTHESES, *ROW), "Theorem 2 for row i"), *(_equation(mode) for mode in MODES)]


def _build_bounds() -> list[Part]:
    return [Fact(BOUNDS, HYPOTHESES, "every tap in the padded input")]


def _random_layer(rng: random.Random, mode: str) -> tuple[int, int, int, int, int, int]:
    k_, st, dl = rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3)
    n = rng.randint(1, 12)
    cap = {"reflect": n - 1, "circular": n}.get(mode, 5)
    pl, pr = rng.randint(0, min(cap, 5)), rng.randint(0, min(cap, 5))
    n = max(n, dl * (k_ - 1) + 1 - pl - pr) if mode not in ("reflect", "circular") else n
    if n + pl + pr < dl * (k_ - 1) + 1:
        pl = pr = 0
        n = dl * (k_ - 1) + 1
    return n, k_, st, dl, pl, pr


def _instance_entry(rng: random.Random) -> None:
    from symconv.geometry.padding import fold as symconv_fold
    from symconv.layers.conv import Conv1d

    mode = rng.choice(sorted(MODES))
    n, k_, st, dl, pl, pr = _random_layer(rng, mode)
    torch_mode = {"symmetric": "symmetric"}.get(mode, mode)
    taps = Conv1d(1, 1, k_, stride=st, padding=(pl, pr), dilation=dl, padding_mode=torch_mode).make_taps(n)
    weights = [rng.randint(-9, 9) for _ in range(k_)]
    outs, ins, ks = taps.spatial
    matrix = np.zeros((taps.output_length, n), dtype=np.int64)
    np.add.at(matrix, (outs, ins), np.array(weights, dtype=np.int64)[ks])
    formula = np.zeros_like(matrix)
    for row in range(taps.output_length):
        for kk in range(k_):
            pos = st * row + dl * kk
            col = int(symconv_fold(mode, np.array([pos - pl]), n)[0]) if mode != "zeros" else pos - pl
            mine = _FOLDS[mode](pos, n, pl)
            if mode != "zeros":
                assert mine == col, (mode, n, k_, st, dl, pl, pr, pos)
            if 0 <= mine < n:
                formula[row, mine] += weights[kk]
    assert (matrix == formula).all(), (mode, n, k_, st, dl, pl, pr)
    assert all(0 <= st * r + dl * kk < n + pl + pr for r in range(taps.output_length) for kk in range(k_))


def _fold_function(mode: str):  # type: ignore[no-untyped-def]
    from symconv.proofs.terms import exact

    f = exact(MODES[mode][0], u, L, p_l)
    return lambda pos, n, pl: f(pos, n, pl)


_FOLDS = {mode: _fold_function(mode) for mode in MODES}


def _instance_bounds(rng: random.Random) -> None:
    from symconv.layers.conv import Conv1d

    n, k_, st, dl, pl, pr = _random_layer(rng, "zeros")
    taps = Conv1d(1, 1, k_, stride=st, padding=(pl, pr), dilation=dl).make_taps(n)
    found = set(zip(*(a.tolist() for a in taps.spatial)))
    n_out = taps.output_length
    windows = {(r, st * r + dl * kk - pl, kk) for r in range(n_out) for kk in range(k_)}
    assert all(0 <= st * r + dl * kk < n + pl + pr for r in range(n_out) for kk in range(k_))
    assert found == {(r, c, kk) for r, c, kk in windows if 0 <= c < n}, (n, k_, st, dl, pl, pr)


def bounds_theorem() -> Theorem:
    return Theorem(
        name="bounds",
        title="Every tap lands in the padded input",
        statement=(BOUNDS,),
        hypotheses=HYPOTHESES,
        build=_build_bounds,
        instance=_instance_bounds,
        summary=(
            "For every output $i < L_{\\mathrm{out}}$ and kernel position $k < K$, the padded position "
            "$s\\,i + d\\,k$ lies in $0, \\dots, L + p_l + p_r - 1$: no tap reads past the padding, whatever the sizes."
        ),
        abbreviations=short_output_length(),
        definitions=(("L_{\\mathrm{out}}", sympy.latex(L_OUT)),),
    )


def _short_folds(at: sympy.Expr) -> dict[sympy.Basic, sympy.Basic]:
    """Each fold at ``at`` written as its name: ``phi^mode(at)``."""
    return {MODES[m][0].subs(u, at): f(at) for m, f in FOLDS.items()}


def entry_theorem() -> Theorem:
    return Theorem(
        name="matrix_entry",
        title="The matrix entry formula",
        statement=tuple(claim(mode) for mode in MODES),
        hypotheses=(*HYPOTHESES, *ROW),
        build=_build_entry,
        instance=_instance_entry,
        summary=(
            "Output $i$ of the layer is $z_i = \\sum_k w_k\\, \\tilde x(s\\,i + "
            "d\\,k)$, with $\\tilde x$ the padded input. "
            "Written as a matrix acting on $x$, its entry $W_{i,t}$ sums the weights whose tap reads input $t$: "
            "$W_{i,t} = \\sum_k w_k\\,[t = \\varphi(s\\,i + d\\,k)]$, with $\\varphi$ the padding mode's fold. "
            "For zero padding $\\varphi(u) = u - p_l$ and the taps that land on a pad drop out."
        ),
        definitions=(
            *((sympy.latex(f(u)), sympy.latex(MODES[m][0])) for m, f in FOLDS.items()),
            *((sympy.latex(NAMES[m](u)), sympy.latex(padded(m)(u).xreplace(_short_folds(u)))) for m in MODES),
            ("", "reflect needs $p_l, p_r \\le L - 1$; circular needs $p_l, p_r \\le L$"),
        ),
        abbreviations=(*short_output_length(), *_short_folds(s * i + d * k).items()),
    )
