"""Printing with ``sympy.latex``: matrices and long lists elided with ``\\cdots``/``\\vdots`` above a threshold.

Elision keeps the first ``max_size - 2`` rows (columns), a row (column) of dots and the
last one, so the first entries and the shape of the band stay visible. The dots are
``sympy.Symbol`` objects named ``\\cdots``, ``\\vdots`` and ``\\ddots``, so that
``sympy.latex`` prints the whole matrix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

import sympy

from symconv.base import order

#: The mark after a displayed equality that SymPy has checked.
CHECK = r"\hfill$\checkmark$"

CDOTS, VDOTS, DDOTS = sympy.Symbol(r"\cdots"), sympy.Symbol(r"\vdots"), sympy.Symbol(r"\ddots")


#: The widest a printed sum may be, in points, before its middle terms are elided: a display line of the
#: document is 500pt, and the left side and the alignment take up to about 100pt.
SUM_WIDTH = 390.0

_COMMAND = re.compile(r"\\(?:left|right|mathrm|operatorname|text|mathbf)\b")
_SCRIPT = re.compile(r"[_^]\{([^{}]*)\}")


def width_pt(latex: str) -> float:
    """A rough width in points of inline LaTeX math at 11pt (measured with pdflatex: ``w_{0,0,0} x_{0,5}`` is
    43.4pt, ``\\delta_{5,0}`` 16.2pt, ``a + b`` 23.9pt): a glyph about 7pt, a sub- or superscript digit about
    4pt and its comma 3pt, a binary operator with its spaces about 9pt. Used only to decide where a long sum
    is elided.

    Examples:
        >>> round(width_pt("w_{0,0,0} x_{0,5}")), round(width_pt(r"\\delta_{5,0}")), round(width_pt("a + b"))
        (43, 18, 23)
    """
    text = _COMMAND.sub("", latex)
    scripts = sum(4.0 * len(part.replace(",", "")) + 3.0 * part.count(",") for part in _SCRIPT.findall(text))
    text = _SCRIPT.sub("", text)
    operators = sum(text.count(op) for op in ("+", "-", "=", "\\cdot"))
    text = re.sub(r"\\[A-Za-z]+", "X", text).replace("{", "").replace("}", "").replace(" ", "")
    return 7.0 * (len(text) - operators) + scripts + 9.0 * operators


#: Index arithmetic is printed as the text writes it, ``s i + d k - p_l``: the stride term first, then the
#: dilation term, the padding, the constant; in a product the size before the index (``s i``, ``d k``).
_TERM_RANK = {"s": 0, "i": 0, "u": 0, "t": 0, "d": 1, "k": 1, "c": 1, "o": 1, "p_\\ell": 2}
_FACTOR_RANK = {"s": 0, "d": 0, "i": 1, "k": 1}


def _index_arithmetic(expr: Any) -> bool:
    """Whether ``expr`` is a sum or product of the read rule's symbols (``s``, ``d``, ``i``, ``k``, ``p_l``)."""
    names = {str(v) for v in expr.free_symbols}
    return bool(names) and names <= set(_TERM_RANK) and not expr.atoms(sympy.Indexed, sympy.Function)


def _is_f(func: Any) -> bool:
    """Whether ``func`` is the undefined nonlinearity (:data:`symconv.layers.activations.sigma`), written ``f``
    in documents as in the notation table."""
    return isinstance(func, sympy.core.function.UndefinedFunction) and func.__name__ == "sigma"


class _TextbookLatexPrinter(order.IndexOrderLatexPrinter):
    """The index-order printer, with long sums elided to ``sum_width`` points, the step function written as an
    indicator, ``\\mathbf{1}[z > 0]`` for SymPy's ``Heaviside(z, 0)`` (ReLU's derivative), and the undefined
    nonlinearity ``sigma`` as ``f``, its derivative ``f'``."""

    _default_settings: ClassVar[dict[str, Any]] = {**order.IndexOrderLatexPrinter._default_settings, "sum_width": None}

    def _as_ordered_terms(self, expr: Any, order: Any = None) -> list[Any]:
        terms = sympy.Add.make_args(expr)
        if any(isinstance(t, sympy.Indexed) and str(t.base) == "gamma" for t in terms):  # gamma_o + c
            return sorted(terms, key=lambda t: not isinstance(t, sympy.Indexed))
        if _index_arithmetic(expr):  # s i + d k - p_l + 1, as the text writes the read rule
            return sorted(terms, key=lambda t: min((_TERM_RANK.get(str(v), 9) for v in t.free_symbols), default=10))
        return list(super()._as_ordered_terms(expr, order))

    def _print_Mul(self, expr: Any) -> str:
        factors = expr.args
        if _index_arithmetic(expr) and all(f.is_Symbol or f.is_Integer for f in factors):
            number = [f for f in factors if f.is_Integer]
            symbols = sorted((f for f in factors if f.is_Symbol), key=lambda f: _FACTOR_RANK.get(str(f), 9))
            if number == [-1]:
                return "- " + " ".join(self._print(f) for f in symbols)
            return " ".join(self._print(f) for f in [*number, *symbols])
        return str(super()._print_Mul(expr))

    def _print_Add(self, expr: Any, order: Any = None) -> str:
        budget = self._settings["sum_width"]
        terms = self._as_ordered_terms(expr, order=order)
        if budget is None or len(terms) < 4:
            return str(super()._print_Add(expr, order=order))
        pieces = []
        for j, term in enumerate(terms):
            sign = "" if j == 0 else " + "
            if j and term.could_extract_minus_sign():
                sign, term = " - ", -term
            text = self._print(term)
            if self._needs_add_brackets(term):
                text = rf"\left({text}\right)"
            pieces.append((sign, text, width_pt(sign + text)))
        if sum(w for _, _, w in pieces) <= budget:
            return "".join(sign + text for sign, text, _ in pieces)
        last = pieces[-1]
        room = budget - last[2] - 40.0  # the dots and their label
        head: list[tuple[str, str, float]] = []
        used = 0.0
        for piece in pieces[:-2]:
            if head and used + piece[2] > room:
                break
            head.append(piece)
            used += piece[2]
        left_out = len(pieces) - len(head) - 1
        if left_out < 2:  # dots for one term save nothing
            return "".join(sign + text for sign, text, _ in pieces)
        dots = rf" + \overset{{\text{{{left_out} terms}}}}{{\cdots}}"
        return "".join(sign + text for sign, text, _ in head) + dots + last[0] + last[1]

    def _print_Function(self, expr: Any, exp: Any = None) -> str:
        if _is_f(expr.func) and exp is None:
            return rf"f\left({', '.join(self._print(arg) for arg in expr.args)}\right)"
        return str(super()._print_Function(expr, exp))

    def _print_Derivative(self, expr: Any) -> str:
        inner = expr.expr
        if _is_f(getattr(inner, "func", None)) and len(inner.args) == 1 and expr.variables == inner.args:
            return rf"f'\left({self._print(inner.args[0])}\right)"
        return str(super()._print_Derivative(expr))

    def _print_Subs(self, subs: Any) -> str:
        derivative, (variable,), (point,) = subs.args[0], subs.variables, subs.point
        inner: Any = getattr(derivative, "expr", None)
        if (
            isinstance(derivative, sympy.Derivative)
            and _is_f(getattr(inner, "func", None))
            and inner.args == (variable,)
            and derivative.variables == (variable,)
        ):
            return rf"f'\left({self._print(point)}\right)"
        return str(super()._print_Subs(subs))

    def _print_Heaviside(self, expr: Any, exp: Any = None) -> str:
        if len(expr.args) == 2 and expr.args[1] in (0, 1) and exp is None:
            relation = ">" if expr.args[1] == 0 else r"\ge"
            return rf"\mathbf{{1}}[{self._print(expr.args[0])} {relation} 0]"
        return str(super()._print_Heaviside(expr, exp))


def tex(value: Any, sum_width: float | None = SUM_WIDTH) -> str:
    """``sympy.latex`` with bracketed matrices (``bmatrix``), sums in index order and elided past ``sum_width``
    points (``None``: never), the project's one printer for documents.

    Examples:
        >>> deltas = sympy.symbols("delta_0:62")
        >>> printed = tex(sum(deltas))
        >>> printed.split(" + ")[-2:]
        ['\\\\overset{\\\\text{46 terms}}{\\\\cdots}', '\\\\delta_{61}']
        >>> printed.split(" + ")[:15] == [f"\\\\delta_{{{i}}}" for i in range(15)]
        True
        >>> z = sympy.Symbol("z")
        >>> print(tex(sympy.Heaviside(z, 0)), tex(sympy.Function("sigma")(z).diff(z)))
        \\mathbf{1}[z > 0] f'\\left(z\\right)
    """
    return str(_TextbookLatexPrinter({"mat_str": "bmatrix", "mat_delim": "", "sum_width": sum_width}).doprint(value))


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


def runs_tex(values: Sequence[int]) -> str:
    """Sorted integers written as runs: ``0, \\dots, 60`` for a run of more than three, ``2, 3`` otherwise.

    Examples:
        >>> print(runs_tex([0, 1, 2, 3, 4, 7, 9, 10]))
        0, \\dots, 4, 7, 9, 10
    """
    out: list[str] = []
    start = 0
    values = list(values)
    for j in range(1, len(values) + 1):
        if j == len(values) or values[j] != values[j - 1] + 1:
            run = values[start:j]
            out += [str(run[0]), r"\dots", str(run[-1])] if len(run) > 3 else [str(v) for v in run]
            start = j
    return ", ".join(out)


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


def matrix_width(m: Any) -> float:
    """The rough width in points of a SymPy matrix printed as a ``bmatrix`` (:func:`width_pt` of each column's
    widest entry, plus the space between columns)."""
    rows, cols = m.shape
    return sum(max(width_pt(tex(m[r, c])) for r in range(rows)) + 12.0 for c in range(cols)) + 10.0


def matrix_tex(m: Any, max_size: int, width: float | None = None) -> str:
    """``m`` printed as a ``bmatrix``, elided above ``max_size`` rows or columns, and with fewer shown (down to
    three) until it is at most ``width`` points wide when ``width`` is given."""
    shown = elided_matrix(m, max_size)
    while width is not None and max_size > 3 and matrix_width(shown) > width:
        max_size -= 1
        shown = elided_matrix(m, max_size)
    return tex(shown)


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
