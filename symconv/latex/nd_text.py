"""The notation of 2D and 3D derivations: axis names, index letters, per-axis index rules, shown windows.

One axis ``a`` has the input size ``n_a``, the output size ``n_a^out``, and an output index, a kernel
index and an input index letter: in 2D the axes are ``H`` and ``W`` with outputs ``(i, j)``, kernel
positions ``(k, l)`` and inputs ``(t, u)``; in 3D ``D, H, W`` with ``(i, j, q)``, ``(k, l, m)``,
``(t, u, v)``. Output ``i`` and kernel index ``k`` read input ``s i + d k - p`` on each axis (0-based), or
``s (i - 1) + d (k - 1) - p + 1`` with subscripts from 1.

Examples:
    >>> n = Notation(2, 1)
    >>> print(n.rule(0, flip=False))
    s_H (i - 1) + d_H (k - 1) - p_H + 1
    >>> window(10, 3), window(3, 3)
    ([0, None, 9], [0, 1, 2])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from symconv.latex.printing import kept

AXES = {2: ("H", "W"), 3: ("D", "H", "W")}
OUT = {2: ("i", "j"), 3: ("i", "j", "q")}
KER = {2: ("k", "l"), 3: ("k", "l", "m")}
INP = {2: ("t", "u"), 3: ("t", "u", "v")}


@dataclass(frozen=True)
class Notation:
    """Letters and rules for a layer with ``ndim`` spatial axes, subscripts from ``base``."""

    ndim: int
    base: int

    @property
    def axes(self) -> tuple[str, ...]:
        return AXES[self.ndim]

    @property
    def out(self) -> tuple[str, ...]:
        return OUT[self.ndim]

    @property
    def ker(self) -> tuple[str, ...]:
        return KER[self.ndim]

    @property
    def inp(self) -> tuple[str, ...]:
        return INP[self.ndim]

    def shifted(self, letter: str) -> str:
        """``i`` from 0, ``(i - 1)`` from 1."""
        return letter if self.base == 0 else f"({letter} - {self.base})"

    def rule(self, a: int, flip: bool, out: str | None = None, ker: str | None = None) -> str:
        """The input that output ``out`` and kernel index ``ker`` read on axis ``a`` (LaTeX, no dollars)."""
        ax, o, k = self.axes[a], out or self.out[a], ker or self.ker[a]
        kernel = self.shifted(k) if not flip else f"(K_{ax} - 1 - {self.shifted(k)})"
        tail = "" if self.base == 0 else f" + {self.base}"
        return f"s_{ax} {self.shifted(o)} + d_{ax} {kernel} - p_{ax}{tail}"

    def range(self, letter: str, size: Any) -> str:
        """``i = 0, \\dots, n - 1`` in the base, for a known size."""
        return f"{letter} = {self.base}, \\dots, {int(size) - 1 + self.base}"

    def sub(self, *index: int) -> str:
        return ",".join(str(i + self.base) for i in index)


def per_axis_limit(max_size: int, ndim: int) -> int:
    """How many positions per axis a table shows in full: ``max_size // ndim``, 3 at least (so a 3x3x3 grid
    is shown whole, and an 8x8 layer's 4x4 outputs at the default ``max_size`` of 8)."""
    return max(3, max_size // ndim)


def window(n: int, limit: int) -> list[int | None]:
    """The positions shown of ``n`` on one axis: all up to ``limit``, else the first ``limit - 2``, a gap, the last."""
    return kept(n, limit)


def grid(shape: tuple[int, ...], limit: int) -> list[tuple[int, ...] | None]:
    """The shown positions of a grid, in C order, ``None`` where a run of positions is left out.

    Examples:
        >>> grid((2, 5), 3)
        [(0, 0), None, (0, 4), (1, 0), None, (1, 4)]
    """
    out: list[tuple[int, ...] | None] = [()]
    for n in shape:
        nxt: list[tuple[int, ...] | None] = []
        for prefix in out:
            if prefix is None:
                nxt.append(None)
                continue
            nxt += [None if v is None else (*prefix, v) for v in window(n, limit)]
        out = _collapse(nxt)
    return out


def _collapse(items: list[tuple[int, ...] | None]) -> list[tuple[int, ...] | None]:
    """Consecutive gaps merged into one."""
    out: list[tuple[int, ...] | None] = []
    for item in items:
        if item is None and out and out[-1] is None:
            continue
        out.append(item)
    return out


def left_out(shape: tuple[int, ...], shown: list[tuple[int, ...] | None]) -> int:
    """How many grid positions ``shown`` leaves out."""
    total = 1
    for n in shape:
        total *= n
    return total - sum(1 for s in shown if s is not None)


def fitted_matrix(entry: Callable[[int, int], Any], shape: tuple[int, int], max_size: int, width: float) -> str:
    """A ``bmatrix`` of ``entry(r, c)`` elided as :func:`~symconv.latex.printing.text_matrix`, with fewer rows and
    columns shown (down to three) and long sums elided inside entries until it is about ``width`` points wide.

    Examples:
        >>> import sympy
        >>> print(fitted_matrix(lambda r, c: sympy.Integer(r * 10 + c), (2, 5), 4, 400.0))
        \\begin{bmatrix}0 & 1 & \\cdots & 4\\\\10 & 11 & \\cdots & 14\\end{bmatrix}
    """
    from symconv.latex.printing import tex, width_pt

    rows, cols = shape
    text = ""
    for sum_width in (None, 160.0, 90.0):
        for size in range(max_size, 2, -1):
            shown_r, shown_c = kept(rows, size), kept(cols, size)
            cells = {
                (r, c): tex(entry(r, c), sum_width=sum_width or 330.0)
                for r in shown_r
                for c in shown_c
                if r is not None and c is not None
            }
            columns = [
                max((width_pt(cells[(r, c)]) for r in shown_r if r is not None), default=0.0)
                for c in shown_c
                if c is not None
            ]
            total = sum(columns) + 12.0 * len(shown_c) + 10.0
            text = _matrix_text(cells, shown_r, shown_c)
            if total <= width:
                return text
    return text


def _matrix_text(cells: dict[tuple[int, int], str], rows: list[int | None], cols: list[int | None]) -> str:
    def line(r: int | None) -> str:
        if r is None:
            return " & ".join(r"\ddots" if c is None else r"\vdots" for c in cols)
        return " & ".join(r"\cdots" if c is None else cells[(r, c)] for c in cols)

    return "\\begin{bmatrix}" + "\\\\".join(line(r) for r in rows) + "\\end{bmatrix}"


def role(ctx: Any, name: str) -> str:
    """The LaTeX of a role's symbol name as the caller chose it (``names=``): ``x``, ``w``, ``z``, ...

    Examples:
        >>> from types import SimpleNamespace
        >>> role(SimpleNamespace(e=SimpleNamespace(names={"w": "theta"})), "w")
        '\\\\theta'
    """
    import sympy

    from symconv.latex.printing import tex

    return tex(sympy.Symbol(ctx.e.names[name]))
