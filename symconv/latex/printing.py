"""Printing with ``sympy.latex``: matrices and long lists elided with ``\\cdots``/``\\vdots`` above a threshold.

Elision keeps the first ``max_size - 2`` rows (columns), a row (column) of dots and the
last one, so the first entries and the shape of the band stay visible. The dots are
``sympy.Symbol`` objects named ``\\cdots``, ``\\vdots`` and ``\\ddots``, so that
``sympy.latex`` prints the whole matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from symconv.base import order

#: The mark after a displayed equality that SymPy has checked.
CHECK = r"\hfill$\checkmark$"

CDOTS, VDOTS, DDOTS = sympy.Symbol(r"\cdots"), sympy.Symbol(r"\vdots"), sympy.Symbol(r"\ddots")


def tex(value: Any) -> str:
    """``sympy.latex`` with bracketed matrices (``bmatrix``), the project's one printer."""
    return order.latex(value, mat_str="bmatrix", mat_delim="")


def code(text: str) -> str:
    """``text`` in typewriter type, safe in OT1 fonts: ``_`` escaped, single quotes made double, and a line
    break allowed after ``_``, ``=`` and ``(`` (typewriter type is never hyphenated, so a long name would
    run into the margin).

    Examples:
        >>> print(code("padding_mode='zeros'"))
        \\texttt{padding\\_\\allowbreak{}mode=\\allowbreak{}"zeros"}
    """
    escaped = text.replace("_", "\\_\\allowbreak{}").replace("'", '"')
    return "\\texttt{" + escaped.replace("=", "=\\allowbreak{}").replace("(", "(\\allowbreak{}") + "}"


def kept(n: int, max_size: int) -> list[int | None]:
    """Indices shown out of ``n`` (``None`` marks the elided run).

    Examples:
        >>> kept(4, 6)
        [0, 1, 2, 3]
        >>> kept(10, 5)
        [0, 1, 2, None, 9]
    """
    if n <= max_size:
        return list(range(n))
    return [*range(max(max_size - 2, 1)), None, n - 1]


def elided_matrix(m: Any, max_size: int) -> sympy.Matrix:
    """A copy of ``m`` (a SymPy matrix) with rows and columns beyond ``max_size`` replaced by dots.

    Examples:
        >>> elided_matrix(sympy.eye(5), 4)
        Matrix([
        [     1,      0, \\cdots,      0],
        [     0,      1, \\cdots,      0],
        [\\vdots, \\vdots, \\ddots, \\vdots],
        [     0,      0, \\cdots,      1]])
    """
    rows, cols = kept(m.shape[0], max_size), kept(m.shape[1], max_size)

    def entry(r: int | None, c: int | None) -> Any:
        if r is None and c is None:
            return DDOTS
        if r is None:
            return VDOTS
        if c is None:
            return CDOTS
        return m[r, c]

    return sympy.Matrix([[entry(r, c) for c in cols] for r in rows])


def matrix_tex(m: Any, max_size: int) -> str:
    """``m`` printed as a ``bmatrix``, elided above ``max_size`` rows or columns."""
    return tex(elided_matrix(m, max_size))


def column_tex(values: Sequence[Any], max_size: int) -> str:
    """A column vector of ``values``, elided."""
    return matrix_tex(sympy.Matrix(list(values)), max_size)


def row_tex(values: Sequence[Any], max_size: int) -> str:
    """A row vector ``(v_0, v_1, ...)`` in parentheses, elided."""
    shown = [CDOTS if i is None else values[i] for i in kept(len(values), max_size)]
    return r"\left(" + ", ".join(tex(v) for v in shown) + r"\right)"


def text_row(texts: Sequence[str], max_size: int) -> str:
    """A row vector of LaTeX texts ``(a, b, ...)`` in parentheses, elided as :func:`row_tex`."""
    shown = [r"\cdots" if i is None else texts[i] for i in kept(len(texts), max_size)]
    return r"\left(" + ", ".join(shown) + r"\right)"


def text_matrix(rows: Sequence[Sequence[str]], max_size: int) -> str:
    """A ``bmatrix`` of LaTeX texts, elided as :func:`matrix_tex` (and printed as ``sympy.latex`` prints one).

    Examples:
        >>> print(text_matrix([["1", "2.5"], ["3", "4"]], 8))
        \\begin{bmatrix}1 & 2.5\\\\3 & 4\\end{bmatrix}
    """
    cols = kept(len(rows[0]), max_size) if rows else []

    def line(r: int | None) -> str:
        if r is None:
            return " & ".join(r"\ddots" if c is None else r"\vdots" for c in cols)
        return " & ".join(r"\cdots" if c is None else rows[r][c] for c in cols)

    return "\\begin{bmatrix}" + "\\\\".join(line(r) for r in kept(len(rows), max_size)) + "\\end{bmatrix}"


def equation_lines(pairs: Sequence[tuple[Any, Any]], max_size: int) -> list[tuple[str, str]]:
    """``(lhs, rhs)`` LaTeX rows for ``align*``, elided with a row of ``\\vdots``."""
    out = []
    for i in kept(len(pairs), max_size):
        if i is None:
            out.append((r"\vdots\;", ""))
        else:
            out.append((tex(pairs[i][0]), tex(pairs[i][1])))
    return out


def widest(values: Sequence[Any], max_size: int) -> int:
    """The most columns any of these matrices shows once elided (for ``MaxMatrixCols``)."""
    return max([min(v.shape[1], max_size) for v in values if hasattr(v, "shape")], default=0)
