"""Theorem 10: a 2D layer's matrix is a sum of Kronecker products of the per-axis tap matrices."""

from __future__ import annotations

import random

import numpy as np
import sympy

from symconv.proofs.proof import Chain, Equation, Part, Theorem
from symconv.proofs.terms import Bracket, Sum, within

_int = {"integer": True}
L1, L2, K1, K2, s1, s2, d1, d2, p1, p2 = sympy.symbols("L_1 L_2 K_1 K_2 s_1 s_2 d_1 d_2 p_1 p_2", **_int)
i1, i2, k1, k2, t1, t2, u1, u2 = sympy.symbols("i_1 i_2 k_1 k_2 t_1 t_2 u_1 u_2", **_int)
x, w, a, b = (sympy.IndexedBase(n) for n in ("x", "w", "a", "b"))
xt = sympy.Function("xpad")
HYPOTHESES = (L1 >= 1, L2 >= 1, K1 >= 1, K2 >= 1, s1 >= 1, s2 >= 1, d1 >= 1, d2 >= 1, p1 >= 0, p2 >= 0)
PHI1, PHI2 = s1 * i1 + d1 * k1 - p1, s2 * i2 + d2 * k2 - p2
PADDED = sympy.Lambda((u1, u2), within(p1, u1, p1 + L1 - 1) * within(p2, u2, p2 + L2 - 1) * x[u1 - p1, u2 - p2])


def tap(axis: int) -> sympy.Expr:
    """Entry ``[i, t]`` of axis ``axis``'s tap matrix ``S_k``: ``[t = s*i + d*k - p]``."""
    return Bracket(sympy.Eq(t1, PHI1)) if axis == 1 else Bracket(sympy.Eq(t2, PHI2))


LAYER = Sum(Sum(w[k1, k2] * xt(s1 * i1 + d1 * k1, s2 * i2 + d2 * k2), (k2, 0, K2 - 1)), (k1, 0, K1 - 1))
ENTRY = Sum(Sum(w[k1, k2] * tap(1) * tap(2), (k2, 0, K2 - 1)), (k1, 0, K1 - 1))
KRONECKER = sympy.Eq(LAYER, Sum(Sum(ENTRY * x[t1, t2], (t2, 0, L2 - 1)), (t1, 0, L1 - 1)), evaluate=False)
SEPARABLE = sympy.Eq(
    ENTRY.xreplace({w[k1, k2]: a[k1] * b[k2]}),
    Sum(a[k1] * tap(1), (k1, 0, K1 - 1)) * Sum(b[k2] * tap(2), (k2, 0, K2 - 1)),
    evaluate=False,
)


def _kronecker() -> Equation:
    left = Chain(LAYER, HYPOTHESES).unfold([(xt, PADDED)], note="zero padding on both axes")
    right = (
        Chain(KRONECKER.rhs, HYPOTHESES)
        .by("linearity", direction="in")
        .by("linearity", direction="in")
        .by("exchange", over=t2)
        .by("exchange", over=t2)
        .by("sum_delta", over=t2)
        .by("exchange", over=t1)
        .by("exchange", over=t1)
        .by("sum_delta", over=t1)
    )
    right.by(
        "equivalence",
        old=within(0, PHI1, L1 - 1).args[0],
        new=within(p1, PHI1 + p1, p1 + L1 - 1).args[0],
        note="shifted by $p_1$",
    )
    right.by(
        "equivalence",
        old=within(0, PHI2, L2 - 1).args[0],
        new=within(p2, PHI2 + p2, p2 + L2 - 1).args[0],
        note="shifted by $p_2$",
    )
    return Equation(left, right, "the entry is a product of the axes' entries")


def _separable() -> Equation:
    right = Chain(SEPARABLE.rhs, HYPOTHESES).by("linearity", direction="in").by("linearity", direction="in")
    return Equation(Chain(SEPARABLE.lhs, HYPOTHESES), right, "a separable kernel")


def _build() -> list[Part]:
    return [_kronecker(), _separable()]


def _axis_matrix(n: int, k: int, st: int, dl: int, pad: int, kk: int, n_out: int) -> np.ndarray:
    m = np.zeros((n_out, n), dtype=np.int64)
    for row in range(n_out):
        col = st * row + dl * kk - pad
        if 0 <= col < n:
            m[row, col] = 1
    return m


def _instance(rng: random.Random) -> None:
    from symconv.layers.convnd import Conv2d

    shape = [rng.randint(1, 6), rng.randint(1, 6)]
    ks = [rng.randint(1, 3), rng.randint(1, 3)]
    st, dl, pad = (
        [rng.randint(1, 2) for _ in range(2)],
        [rng.randint(1, 2) for _ in range(2)],
        [rng.randint(0, 2) for _ in range(2)],
    )
    for ax in range(2):
        shape[ax] = max(shape[ax], dl[ax] * (ks[ax] - 1) + 1 - 2 * pad[ax])
    pads = ((pad[0], pad[0]), (pad[1], pad[1]))
    layer = Conv2d(1, 1, (ks[0], ks[1]), stride=(st[0], st[1]), padding=pads, dilation=(dl[0], dl[1]), bias=False)
    taps = layer.make_taps(tuple(shape))
    outs, ins, kidx = taps.spatial
    weights = np.array([rng.randint(-9, 9) for _ in range(ks[0] * ks[1])], dtype=np.int64)
    matrix = np.zeros((taps.output_length, taps.input_length), dtype=np.int64)
    np.add.at(matrix, (outs, ins), weights[kidx])
    out_shape = taps.output_shape
    kron = sum(
        weights[a_ * ks[1] + b_]
        * np.kron(
            _axis_matrix(shape[0], ks[0], st[0], dl[0], pad[0], a_, out_shape[0]),
            _axis_matrix(shape[1], ks[1], st[1], dl[1], pad[1], b_, out_shape[1]),
        )
        for a_ in range(ks[0])
        for b_ in range(ks[1])
    )
    assert (matrix == kron).all(), (shape, ks, st, dl, pad)


def theorem() -> Theorem:
    return Theorem(
        name="kronecker",
        title="The 2D matrix is a sum of Kronecker products",
        statement=(KRONECKER, SEPARABLE),
        hypotheses=HYPOTHESES,
        build=_build,
        instance=_instance,
        summary=(
            "A 2D layer reads $\\tilde x(s_1 i_1 + d_1 k_1,\\ s_2 i_2 + d_2 k_2)$. "
            "Its matrix entry at row $(i_1, i_2)$ "
            "and column $(t_1, t_2)$ is $\\sum_{k_1, k_2} w_{k_1 k_2} (S_{k_1})_{i_1 t_1} (S_{k_2})_{i_2 t_2}$, with "
            "$(S_k)_{i t} = [t = s\\,i + d\\,k - p]$ the tap matrix of one axis: the entry of "
            "$\\sum_{k_1, k_2} w_{k_1 k_2}\\, S_{k_1} \\otimes S_{k_2}$, since $(A \\otimes B)_{(i_1 i_2),(t_1 t_2)} = "
            "A_{i_1 t_1} B_{i_2 t_2}$ (rows and columns flattened row-major, as symconv does). No 2D index arithmetic "
            "is needed beyond the axes'. A separable kernel $w_{k_1 k_2} = a_{k_1} "
            "b_{k_2}$ gives one Kronecker product."
        ),
        definitions=(("\\tilde x(u_1, u_2)", sympy.latex(PADDED(u1, u2))),),
        remarks=(
            "Zero padding on both axes; the folded modes change each axis's tap matrix the same way as in Theorem 4."
        ),
    )
