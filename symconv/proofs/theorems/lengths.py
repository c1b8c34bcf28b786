"""Theorem 1, output length: which windows fit, the padding names, and the stride ambiguity."""

from __future__ import annotations

import random

import sympy

from symconv.proofs.proof import Chain, Equation, Fact, Part, Theorem
from symconv.proofs.symbols import SIZES, K, L, O, d, i, output_length, p_l, p_r, s, short_output_length, v
from symconv.proofs.terms import Sum, exact

P = L + p_l + p_r
L_OUT = output_length(L, K, s, d, p_l, p_r)
FITS = d * (K - 1) + 1 <= P
HYPOTHESES = (*SIZES, p_l >= 0, p_r >= 0, FITS)
HALF = sympy.floor(d * (K - 1) / 2)
L_MIN = (O - 1) * s - p_l - p_r + d * (K - 1) + 1

m, c, T = sympy.symbols("m c T", integer=True)
WINDOWS = sympy.Equivalent(sympy.And(i >= 0, i <= L_OUT - 1), sympy.And(i >= 0, s * i + d * (K - 1) <= P - 1))
TF_OUT = sympy.ceiling(L / s)
TF_TOTAL = sympy.Max(0, (TF_OUT - 1) * s + d * (K - 1) + 1 - L)
AMBIGUITY = sympy.Equivalent(sympy.Eq(L_OUT, O), sympy.And(L >= L_MIN, L_MIN + s - 1 >= L))
COUNT = Sum(1, (v, L_MIN, L_MIN + s - 1))
SPAN = d * (K - 1)


def _pads(left: sympy.Expr, right: sympy.Expr) -> tuple[sympy.Basic, sympy.Basic]:
    return sympy.Eq(p_l, left), sympy.Eq(p_r, right)


#: (title, extra hypotheses, claim): the facts of the theorem, in the booklet's order, under HYPOTHESES.
FACTS = (
    ("the windows that fit", (), WINDOWS),
    ("at least one output", (), L_OUT >= 1),
    ("'same' keeps the length at stride 1", (sympy.Eq(s, 1), *_pads(HALF, SPAN - HALF)), sympy.Eq(L_OUT, L)),
    ("'same', odd K: equal sides", (sympy.Eq(K, 2 * m + 1),), sympy.Eq(HALF, SPAN - HALF)),
    (
        "'same', even K and odd d: one more zero on the right",
        (sympy.Eq(K, 2 * m), sympy.Eq(d, 2 * c + 1)),
        sympy.Eq(SPAN - HALF, HALF + 1),
    ),
    ("'full' adds d(K-1)", (sympy.Eq(s, 1), *_pads(SPAN, SPAN)), sympy.Eq(L_OUT, L + SPAN)),
    ("'causal' keeps the length", (sympy.Eq(s, 1), *_pads(SPAN, 0)), sympy.Eq(L_OUT, L)),
    ("'valid' loses d(K-1)", (sympy.Eq(s, 1), *_pads(0, 0)), sympy.Eq(L_OUT, L - SPAN)),
    (
        "TensorFlow 'SAME' gives ceil(L/s)",
        (sympy.Eq(T, TF_TOTAL), *_pads(sympy.floor(T / 2), T - sympy.floor(T / 2))),
        sympy.Eq(L_OUT, TF_OUT),
    ),
    ("the stride ambiguity", (O >= 1,), AMBIGUITY),
)
CLAIMS = tuple(sympy.Implies(sympy.And(*extra), claim) if extra else claim for _, extra, claim in FACTS)


def _build() -> list[Part]:
    count = Chain(COUNT, (*HYPOTHESES, O >= 1)).by("count")
    return [
        *(Fact(claim, HYPOTHESES, title) for (title, _, _), claim in zip(FACTS, CLAIMS)),
        Equation(count, Chain(s, HYPOTHESES), "exactly s input lengths share one output length"),
    ]


def _instance(rng: random.Random) -> None:
    from symconv.geometry.arithmetic import conv_input_lengths
    from symconv.layers.conv import Conv1d

    k, st, dl = rng.randint(1, 7), rng.randint(1, 5), rng.randint(1, 4)
    pl, pr = rng.randint(0, 6), rng.randint(0, 6)
    n = rng.randint(max(1, dl * (k - 1) + 1 - pl - pr), 40)
    env = dict(L=n, K=k, s=st, d=dl, p_l=pl, p_r=pr)
    got = Conv1d(1, 1, k, stride=st, padding=(pl, pr), dilation=dl).output_length(n)
    assert got == _L_OUT(n, k, st, dl, pl, pr), env
    assert [j for j in range(-3, got + 4) if j >= 0 and st * j + dl * (k - 1) <= n + pl + pr - 1] == list(range(got)), (
        env
    )
    same = Conv1d(1, 1, k, padding="same", dilation=dl)
    assert same.output_length(n) == n and same.resolve_padding(n)[0] == _HALF(k, dl), env
    tf = Conv1d(1, 1, k, stride=st, padding="tf_same", dilation=dl)
    assert tf.output_length(n) == -(-n // st) == _TF_OUT(n, st), env
    assert tf.resolve_padding(n)[0] == _TF_TOTAL(n, k, st, dl) // 2, env
    assert Conv1d(1, 1, k, padding="causal", dilation=dl).output_length(n) == n, env
    full = Conv1d(1, 1, k, padding="full", dilation=dl).output_length(n)
    assert full == n + dl * (k - 1), env
    o = rng.randint(1, 6)
    lengths = [
        m for m in range(max(1, dl * (k - 1) + 1), 120) if Conv1d(1, 1, k, stride=st, dilation=dl).output_length(m) == o
    ]
    low = _L_MIN(o, k, st, dl, 0, 0)
    assert lengths == list(conv_input_lengths(o, k, st, 0, dl)) == list(range(low, low + st)), (env, o)


_L_OUT = exact(L_OUT, L, K, s, d, p_l, p_r)
_HALF = exact(HALF, K, d)
_TF_OUT = exact(TF_OUT, L, s)
_TF_TOTAL = exact(TF_TOTAL, L, K, s, d)
_L_MIN = exact(L_MIN, O, K, s, d, p_l, p_r)


def theorem() -> Theorem:
    return Theorem(
        name="output_length",
        title="Output length",
        statement=(*CLAIMS, sympy.Eq(COUNT, s)),
        hypotheses=HYPOTHESES,
        build=_build,
        instance=_instance,
        summary=(
            "A layer reads the input padded to $L + p_l + p_r$ positions through windows of span $d(K-1)+1$ "
            "that start at $s\\,i$. Its output length $L_{\\mathrm{out}}$ counts exactly the windows that fit. "
            "Each padding name then has a closed form, and at stride $s$ exactly $s$ input lengths share one "
            "output length."
        ),
        abbreviations=short_output_length(),
        definitions=(("L_{\\mathrm{out}}", sympy.latex(L_OUT)),),
    )
