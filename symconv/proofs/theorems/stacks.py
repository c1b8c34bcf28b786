"""Theorem 7: the receptive field and the jump of n stacked layers, by induction on n."""

from __future__ import annotations

import random

import sympy

from symconv.proofs.proof import Chain, Equation, Induction, Part, Theorem
from symconv.proofs.terms import Product, Sum

n, i, v, j, l = sympy.symbols("n i v j l", integer=True)  # noqa: E741 (l counts the layers, as in the text)
m = sympy.Symbol("m", integer=True)  # the layer count in the recursions (l is the index of the sums)
s, d, K, p = (sympy.IndexedBase(name) for name in ("s", "d", "K", "p"))
A, B = sympy.Function("A"), sympy.Function("B")  # first and last input read by output i of the top of n layers
HYPOTHESES = (n >= 0,)

JUMP = Product(s[j], (j, 1, n))
SHIFT = -Sum(p[l] * Product(s[j], (j, 1, l - 1)), (l, 1, n))
FIELD = 1 + Sum(d[l] * (K[l] - 1) * Product(s[j], (j, 1, l - 1)), (l, 1, n))
FIRST = sympy.Eq(A(n, i), JUMP * i + SHIFT, evaluate=False)
LAST = sympy.Eq(B(n, i), JUMP * i + SHIFT + FIELD - 1, evaluate=False)
RECEPTIVE = sympy.Eq(B(n, i) - A(n, i) + 1, FIELD, evaluate=False)
STRIDE = sympy.Eq(A(n, i + 1) - A(n, i), JUMP, evaluate=False)

#: One layer more: output i of layer n+1 reads outputs s_{n+1} i - p_{n+1} ... s_{n+1} i + d_{n+1}(K_{n+1}-1) - p_{n+1}
#: of the stack of n layers; with no layer, position i is input i.
STEP_A = sympy.Lambda((m, v), A(m - 1, s[m] * v - p[m]))
STEP_B = sympy.Lambda((m, v), B(m - 1, s[m] * v + d[m] * (K[m] - 1) - p[m]))
NONE = sympy.Lambda((m, v), v)


def _induction(claim: sympy.Basic, f: sympy.Function, step: sympy.Lambda, title: str) -> Induction:
    at = claim.rhs  # in n and i
    base = Equation(
        Chain(claim.lhs.subs(n, 0), HYPOTHESES).unfold([(f, NONE)], note="no layer: input $i$ itself"),
        Chain(at.subs(n, 0), HYPOTHESES).by("empty", every=True),
        f"{title}: $n = 0$",
    )
    left = (
        Chain(claim.lhs.subs(n, n + 1), HYPOTHESES)
        .unfold([(f, step)], note="the top layer's window")
        .use(f, sympy.Lambda((m, v), at.subs(i, v)), note="for $n$ layers")
    )
    right = Chain(at.subs(n, n + 1), HYPOTHESES).by("peel", every=True, top=n + 1)
    right.algebra(left.end, note="collect")
    return Induction(claim, n, 0, base, Equation(left, right, f"{title}: from $n$ to $n + 1$"), title)


def _build() -> list[Part]:
    first = _induction(FIRST, A, STEP_A, "the first input")
    last = _induction(LAST, B, STEP_B, "the last input")
    field = Chain(RECEPTIVE.lhs, HYPOTHESES).use(
        A, sympy.Lambda((m, v), FIRST.rhs.subs(i, v)), hypothesis=False, note="claim (1)"
    )
    field.use(B, sympy.Lambda((m, v), LAST.rhs.subs(i, v)), hypothesis=False, note="claim (2)").algebra(FIELD)
    jump = Chain(STRIDE.lhs, HYPOTHESES).use(
        A, sympy.Lambda((m, v), FIRST.rhs.subs(i, v)), hypothesis=False, note="claim (1)"
    )
    jump.algebra(JUMP)
    return [
        first,
        last,
        Equation(field, Chain(FIELD, HYPOTHESES), "the receptive field"),
        Equation(jump, Chain(JUMP, HYPOTHESES), "the jump"),
    ]


def _instance(rng: random.Random) -> None:
    from symconv.layers.conv import Conv1d
    from symconv.proofs.terms import exact

    depth = rng.randint(1, 4)
    layers = [(rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 3), rng.randint(0, 2)) for _ in range(depth)]
    length, lengths = 400, []
    for k_, st, dl, pad in layers:
        lengths.append(length)
        length = Conv1d(1, 1, k_, stride=st, padding=(pad, pad), dilation=dl).output_length(length)
    top = length // 2
    reads = {top}
    for (k_, st, dl, pad), size in reversed(list(zip(layers, lengths))):
        taps = Conv1d(1, 1, k_, stride=st, padding=(pad, pad), dilation=dl).make_taps(size).axes[0]
        reads = {t for q in reads for t, _ in taps.reading(q)}
    values = {
        "s": {m + 1: c[1] for m, c in enumerate(layers)},
        "d": {m + 1: c[2] for m, c in enumerate(layers)},
        "K": {m + 1: c[0] for m, c in enumerate(layers)},
        "p": {m + 1: c[3] for m, c in enumerate(layers)},
    }
    from symconv.proofs.terms import evaluate

    env = {n: depth, i: top, **values}
    first, field, jump = (int(evaluate(e, env)) for e in (FIRST.rhs, FIELD, JUMP))
    assert min(reads) == first and max(reads) == first + field - 1, (layers, top)
    assert exact is not None and jump == __import__("math").prod(c[1] for c in layers)


def theorem() -> Theorem:
    return Theorem(
        name="stacks",
        title="The receptive field of a stack, by induction",
        statement=(FIRST, LAST, RECEPTIVE, STRIDE),
        hypotheses=HYPOTHESES,
        build=_build,
        instance=_instance,
        summary=(
            "Stack $n$ layers; layer $l$ has kernel size $K_l$, stride $s_l$, dilation $d_l$ and left padding $p_l$ "
            "(layer 1 reads the input). Output $i$ of the top layer depends on the inputs from $A(n, i)$ to $B(n, i)$ "
            "(padding positions included). By induction on $n$ both are affine in $i$ "
            "with slope $\\prod_j s_j$ (the jump), "
            "and they span the receptive field $r = 1 + \\sum_l d_l (K_l - 1) \\prod_{j<l} s_j$."
        ),
        definitions=(
            ("A(0, i) = B(0, i)", "i"),
            ("A(n+1, i)", sympy.latex(STEP_A(n + 1, i))),
            ("B(n+1, i)", sympy.latex(STEP_B(n + 1, i))),
        ),
        remarks=(
            "The window is the span from the first to the last input read: with dilation it can have holes. "
            "The induction step is a proof object (an equation whose left chain uses the induction hypothesis, "
            "checked to be the claim at $n$)."
        ),
    )
