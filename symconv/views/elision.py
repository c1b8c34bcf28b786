"""Printing a layer too long to show whole: a window of its views and a line for what is left out.

``symconv explain`` prints every equation, every weight's tying group and every activation of
a small layer. A long one (``--input-length 100000000``) gets the first entries, a line that
says how many were left out, and the last entry; a long equation (many channels) gets its
first terms and its last. Each entry shown is built on its own (the views are lazy) and the
counts are arithmetic, so the cost depends on what is printed, not on the layer's size.

Examples:
    >>> from symconv import Conv1d
    >>> lines = equation_lines(Conv1d(1, 1, 3).expand(10**8))
    >>> len(lines), lines[-2]
    (16, '⋮  (99999983 more equations: Expansion.equations[r] builds any one)')
"""

from __future__ import annotations

import math
from typing import Any

import sympy

from symconv.base import order
from symconv.layers.activations import activation
from symconv.views.expansion import Expansion

MAX_ROWS = 16  # equations, weights and activations printed before eliding
MAX_PAIRS = 8  # (output, input) pairs printed per tying group
MAX_SHOWN_TERMS = 12  # terms printed per equation


def window(n: int, max_rows: int) -> list[int | None]:
    """The indices printed out of ``n``: all of them, or the first ``max_rows - 2``, ``None`` for the gap, the last.

    Examples:
        >>> window(4, 6), window(10, 5)
        ([0, 1, 2, 3], [0, 1, 2, None, 9])
    """
    if n <= max_rows:
        return list(range(n))
    return [*range(max(max_rows - 2, 1)), None, n - 1]


def _pretty(expr: Any) -> str:
    return order.pretty(expr, use_unicode=True, wrap_line=False)


def output_position(e: Expansion, r: int) -> tuple[int, ...]:
    """Output ``(o, *i)`` of row ``r`` (C order: ``(o, i)`` in 1D, ``(o, i, j)`` in 2D)."""
    o, flat = divmod(r, e.output_length)
    spatial = []
    for size in reversed(e.output_shape):
        flat, index = divmod(flat, size)
        spatial.append(index)
    return (o, *reversed(spatial))


def _terms(e: Expansion, o: int, i: Any) -> tuple[list[Any], int]:
    """The first terms of output ``(o, *i)`` and its last, in the order of its taps (bias first), and how many
    there are: each term built on its own."""
    terms: list[Any] = [] if e.b is None else [e.b.at((o,))]
    taps = e.taps.feeding(o, i)
    picked = [t for j, t in enumerate(taps) if j < MAX_SHOWN_TERMS or j == len(taps) - 1]
    return terms + [sympy.Mul(e.w.at(t.weight), e.x.at(t.input)) for t in picked], len(terms) + len(taps)


def equation_line(e: Expansion, r: int, max_terms: int = MAX_SHOWN_TERMS) -> str:
    """Equation ``r`` of expansion ``e`` pretty-printed; one of more than ``max_terms`` terms shows its first
    terms and its last, read off the taps without building the whole sum.

    Examples:
        >>> from symconv import Conv1d
        >>> equation_line(Conv1d(8, 1, 3).expand(4), 0, 4)
        'z_0,0 = b₀ + w_0,0,0⋅x_0,0 + w_0,0,1⋅x_0,1 + … + w_0,7,2⋅x_7,2  (25 terms)'
    """
    o, *i = position = output_position(e, r)
    terms, count = _terms(e, o, i[0] if len(i) == 1 else tuple(i))
    lhs = e.z_symbols.at(position)
    if count <= max_terms:
        return _pretty(sympy.Eq(lhs, e.z.at(position), evaluate=False))
    shown = " + ".join(_pretty(t) for t in terms[: max_terms - 1])
    return f"{_pretty(lhs)} = {shown} + … + {_pretty(terms[-1])}  ({count} terms)"


def equation_lines(e: Expansion, max_rows: int = MAX_ROWS, max_terms: int = MAX_SHOWN_TERMS) -> list[str]:
    """The equations of expansion ``e``, pretty-printed, elided past ``max_rows`` rows and ``max_terms`` terms."""
    n = len(e.equations)
    lines = []
    for r in window(n, max_rows):
        if r is None:
            lines.append(f"⋮  ({n - max_rows + 1} more equations: Expansion.equations[r] builds any one)")
        else:
            lines.append(equation_line(e, r, max_terms))
    return lines


def tying_lines(e: Expansion, max_rows: int = MAX_ROWS, max_pairs: int = MAX_PAIRS) -> list[str]:
    """Each weight's tying group as ``z<-x`` pairs, elided past ``max_rows`` weights and ``max_pairs`` pairs."""
    c_out, c_in, *kernel = e.taps.weight_shape
    size = math.prod(kernel)
    # a weight has one pair per tap of its kernel position, on every axis: the axes' counts multiply
    # (a transposed layer's weight has the pairs of its convolution's, swapped)
    per_axis = [{m.k: m.size for m in axis.maps} for axis in getattr(e.taps, "conv_taps", e.taps).axes]
    lines = []
    for flat in window(c_out * c_in * size, max_rows):
        if flat is None:
            lines.append(f"  ⋮  ({c_out * c_in * size - max_rows + 1} more weights)")
            continue
        o, cw, k = flat // (c_in * size), (flat // size) % c_in, flat % size
        ks = []
        for n in reversed(kernel):
            k, kj = divmod(k, n)
            ks.append(kj)
        ks.reverse()
        count = math.prod(sizes[kj] for sizes, kj in zip(per_axis, ks))
        pairs = e.taps.tying_group(o, cw, ks[0] if len(ks) == 1 else tuple(ks), max_pairs)
        shown = ", ".join(f"{e.z_symbols.at(out)}<-{e.x.at(inp)}" for out, inp in pairs)
        more = f", …  ({count} pairs)" if count > len(pairs) else ""
        lines.append(f"  {e.w.at((o, cw, *ks))}: {shown}{more}")
    return lines


def activation_lines(e: Expansion, f: Any = "sigma", max_rows: int = MAX_ROWS) -> list[str]:
    """``h = f(z)``: the matrix of activations, or one line per output elided past ``max_rows``."""
    n = len(e.equations)
    if n <= max_rows and e.ndim == 1:
        return [_pretty(e.activate(f))]
    _, fn = activation(f)
    lines = []
    for r in window(n, max_rows):
        if r is None:
            lines.append(f"⋮  ({n - max_rows + 1} more outputs, each on its own)")
            continue
        z = e.z_symbols.at(output_position(e, r))
        h = sympy.Symbol(str(z).replace(e.names["z"], "h", 1))
        lines.append(f"{_pretty(h)} = {_pretty(fn(z))}")
    return lines
