"""The symbols of the theorems: sizes, indices and sequences, all integer, named as in the booklet.

Examples:
    >>> output_length(L, K, s, d, p_l, p_r)
    floor((L - d*(K - 1) + p_l + p_r - 1)/s) + 1
"""

from __future__ import annotations

import sympy

from symconv.geometry.axis import Axis

_int = {"integer": True}
L, K, s, d, p, p_l, p_r, O, q = sympy.symbols("L K s d p p_l p_r O q", **_int)  # noqa: E741 (the output length O)
i, k, t, u, v, j, m, n, r = sympy.symbols("i k t u v j m n r", **_int)
x, w, y, delta, g = (sympy.IndexedBase(name) for name in ("x", "w", "y", "delta", "g"))
b = sympy.Symbol("b")
xpad = sympy.Function("xpad")
W = sympy.Function("W")

#: The hypotheses on the sizes of a layer: at least one input and one kernel tap, positive stride and dilation.
SIZES = (L >= 1, K >= 1, s >= 1, d >= 1)


def output_length(
    length: sympy.Expr,
    kernel: sympy.Expr,
    stride: sympy.Expr,
    dilation: sympy.Expr,
    left: sympy.Expr,
    right: sympy.Expr,
) -> sympy.Expr:
    """The output length that symconv's geometry computes for symbolic sizes: the statement the proofs use."""
    return Axis(length, kernel, stride, dilation, padding=(left, right)).output_size


#: ``L_out`` in the booklet: ``floor((L - d(K-1) + p_l + p_r - 1)/s)`` is printed ``L_out - 1``.
L_OUT_NAME = sympy.Symbol(r"L_{\mathrm{out}}", integer=True)


def short_output_length(
    left: sympy.Expr = None, right: sympy.Expr = None
) -> tuple[tuple[sympy.Basic, sympy.Basic], ...]:
    """The abbreviation of the output length with paddings ``left`` and ``right`` (``p_l``, ``p_r`` by default)."""
    left = p_l if left is None else left
    right = p_r if right is None else right
    floor_part = output_length(L, K, s, d, left, right) - 1
    return ((floor_part, L_OUT_NAME - 1),)
