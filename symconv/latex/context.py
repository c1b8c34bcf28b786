"""What every section builder needs: the expansion, the caller's options, and a few shared views."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from symconv.base.symbols import entries
from symconv.latex.numbers import Given
from symconv.views.build import padded_input
from symconv.views.expansion import Expansion


@dataclass(frozen=True)
class Options:
    """The caller's choices for a derivation.

    Attributes:
        max_size: Matrices and lists longer than this are elided with dots (at least 3).
        activation: The nonlinearity ``f`` (a name, a SymPy function or ``None`` for ``sigma``).
        x, w, b: Optional numbers to put in (flat, in the order of the symbol arrays), validated
            and converted by :func:`symconv.latex.numbers.given`.
        listing: Include the reference function rendered by latexify-py.
        figures: Include the TikZ figures.
    """

    max_size: int = 8
    activation: Any = None
    x: Given | None = None
    w: Given | None = None
    b: Given | None = None
    listing: bool = True
    figures: bool = True


class Context:
    """An expansion with its options, and the views the sections share."""

    def __init__(self, e: Expansion, options: Options) -> None:
        self.e = e
        self.options = options
        self.spec = e.spec
        self.base = e.index_base

    @property
    def max_size(self) -> int:
        return self.options.max_size

    @cached_property
    def xpad(self) -> list[list[Any]]:
        return padded_input(self.e)

    @cached_property
    def flat_x(self) -> list[sympy.Symbol]:
        return entries(self.e.x)

    @cached_property
    def flat_w(self) -> list[sympy.Symbol]:
        return entries(self.e.w)

    @cached_property
    def vec_z(self) -> list[sympy.Expr]:
        return list(self.e.z)

    @cached_property
    def vec_z_symbols(self) -> list[sympy.Symbol]:
        return entries(self.e.z_symbols)

    def matvec(self, m: Any, v: list[Any]) -> list[sympy.Expr]:
        """``m * v`` from the non-zero entries of a sparse matrix, in time linear in them."""
        terms: list[list[Any]] = [[] for _ in range(m.shape[0])]
        folded = False  # an entry that is a sum of weights needs expanding; products of symbols do not
        for (r, c), value in m.todok().items():
            terms[r].append(value * v[c])
            folded = folded or isinstance(value, sympy.Add) or isinstance(v[c], sympy.Add)
        return [sympy.expand(sympy.Add(*row)) if folded else sympy.Add(*row) for row in terms]

    def numbers(self, shown: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        """The caller's ``x``, ``w``, ``b`` as object arrays shaped like the symbols, or None.

        Args:
            shown: The LaTeX of each number as given, instead of its exact value.
        """
        o = self.options
        if o.x is None or o.w is None:
            return None
        if o.b is not None and not self.spec.bias:
            raise ValueError("'b' was given but the layer has bias=False.")
        x = _shaped("x", o.x, self.e.x.shape, shown)
        w = _shaped("w", o.w, self.spec.weight_shape, shown)
        b = None if o.b is None else _shaped("b", o.b, (self.spec.out_channels,), shown)
        return x, w, b

    @property
    def floats(self) -> bool:
        """Whether any given number is a float (then results are printed as floats)."""
        return any(g is not None and g.floats for g in (self.options.x, self.options.w, self.options.b))

    def sub(self, *index: int) -> str:
        """The LaTeX subscript of a position, in the chosen index base."""
        return ",".join(str(i + self.base) for i in index)


def numeric(a: Any) -> Any:
    """``a`` for NumPy evaluation: int64 when every entry is a small integer (exact), else the object array.

    Small means below ``2**20`` in magnitude, so that no sum of products can overflow int64.
    """
    if a is None or not all(getattr(v, "is_Integer", False) and abs(v) < 2**20 for v in a.ravel()):
        return a
    return np.array(a.tolist(), dtype=np.int64)


def _shaped(name: str, values: Given, shape: tuple[int, ...], shown: bool) -> np.ndarray:
    flat = np.empty(len(values.exact), dtype=object)
    flat[:] = values.shown if shown else values.exact
    if flat.size != int(np.prod(shape)):
        raise ValueError(f"'{name}' must have {int(np.prod(shape))} numbers for shape {shape} (got {flat.size}).")
    return flat.reshape(shape)
