"""Lazy views: SymPy matrices, arrays and lists of equations whose entries are built on request.

A view of a large layer (its equations, ``z``, its matrix, the symbol arrays, the gradients)
can hold billions of terms. A lazy view knows its shape, how to build one entry on its own
(from the taps, in time proportional to that entry) and how to build every entry at once (the
fast bulk route). Then:

* indexing builds only the entries asked for: ``e.z[o, i]``, ``e.equations[i]``, ``e.z[0, :5]``;
* ``len()`` and ``shape`` are arithmetic;
* iterating builds one entry at a time (all at once, by the bulk route, when the view is
  within ``max_terms``);
* anything that needs the whole view (comparing it, arithmetic, ``tolist``, ``xreplace``,
  ``sympy.latex``, ``sympy.pretty``) builds it once by the bulk route, and is refused with a
  ``ValueError`` that gives its size and the lazy alternative when the view holds more than
  ``max_terms`` terms. ``repr`` and ``str`` of a view above the limit give a one-line summary.

:class:`LazyMatrix` and :class:`LazyArray` are ``ImmutableMatrix`` and
``ImmutableDenseNDimArray`` subclasses, so ``isinstance`` checks and SymPy functions accept
them; every operation on them returns plain SymPy objects.

Examples:
    >>> from symconv import Conv1d
    >>> e = Conv1d(512, 512, 9).expand(10**6)
    >>> len(e.equations), e.z.shape
    (511995904, (512, 999992))
    >>> e.x[3, 7]
    x_3,7
    >>> e.z.tolist()
    Traceback (most recent call last):
    ...
    ValueError: z of Conv1d(...) on L=1000000 has 2359789121536 terms, above max_terms=10000000: ...
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sympy

from symconv.base.symbols import entries


def unravel(flat: int, shape: Sequence[int]) -> tuple[int, ...]:
    """The C-order position of flat index ``flat`` in an array of ``shape``."""
    index = []
    for size in reversed(shape):
        flat, rest = divmod(flat, size)
        index.append(rest)
    return tuple(reversed(index))


def _flat(whole: Any) -> list[Any]:
    """The entries of a built view in C order (a matrix iterates flat already, the fastest route)."""
    return list(whole) if isinstance(whole, sympy.MatrixBase) else entries(whole)


@dataclass(frozen=True, eq=False)
class Source:
    """How to build one view: one entry on its own, or every entry at once.

    Attributes:
        what: The view, for messages: ``'z of Conv1d(1, 1, 3) on L=4'``.
        shape: Its shape.
        entry: Builds the entry at a (non-negative, in-range) index tuple, on its own.
        bulk: Builds every entry, flat in C order, by the fast route.
        terms: The number of terms the whole view holds (arithmetic, from the taps).
        max_terms: The largest view built whole.
        hint: The lazy alternative, named in the refusal: ``'e.z[o, i] or e.equations[r]'``.
    """

    what: str
    shape: tuple[int, ...]
    entry: Callable[[tuple[int, ...]], Any]
    bulk: Callable[[], Sequence[Any]]
    terms: int
    max_terms: int
    hint: str

    @property
    def size(self) -> int:
        """The number of entries."""
        n = 1
        for s in self.shape:
            n *= s
        return n

    def check(self) -> None:
        """Refuse to build the whole view above ``max_terms``.

        Raises:
            ValueError: Giving the size, the limit and the lazy alternative.
        """
        if not self.within:
            raise ValueError(
                f"{self.what} has {self.terms} terms, above max_terms={self.max_terms}: it is not built whole. "
                f"Build single entries instead ({self.hint}), or raise the limit with expand(L, max_terms=...)."
            )

    @property
    def within(self) -> bool:
        """Whether the whole view may be built (at most ``max_terms`` terms)."""
        return self.terms <= self.max_terms

    def summary(self) -> str:
        """A one-line description, for ``repr`` of a view above the limit."""
        return (
            f"<lazy {self.what}: shape {self.shape}, {self.terms} terms, above max_terms={self.max_terms}; "
            f"index it ({self.hint}) to build single entries>"
        )

    def at(self, flat: int) -> Any:
        """The entry at a flat C-order position, built on its own."""
        return self.entry(unravel(flat, self.shape))


def position(name: str, value: Any, bound: int) -> int:
    """``value`` checked as an index in ``[0, bound)``.

    Raises:
        TypeError: Not an int.
        ValueError: Out of range, naming the parameter, the rule and the value.
    """
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"'{name}' must be an int (got {value!r} of type {type(value).__name__}).")
    i = operator.index(value)
    if not 0 <= i < bound:
        raise ValueError(f"'{name}' must be in [0, {bound}) (got {i}).")
    return i


def _position(value: Any, bound: int, error: type[Exception]) -> int:
    """``value`` as an index in ``[0, bound)`` for ``[]``; negative values count from the end."""
    i = operator.index(value)
    if not -bound <= i < bound:
        raise error(f"Index {i} out of range [-{bound}, {bound}).")
    return i % bound


def _positions(key: Any, bound: int, error: type[Exception]) -> tuple[list[int], bool]:
    """The indices a slice or an int selects, and whether it was a slice."""
    if isinstance(key, slice):
        return list(range(*key.indices(bound))), True
    return [_position(key, bound, error)], False


class _Lazy:
    """What lazy matrices and arrays share: the source, the cached whole, one entry."""

    _source: Source
    __dict__: dict[str, Any]

    @property
    def source(self) -> Source:
        """How this view is built."""
        return self._source

    @property
    def cached(self) -> bool:
        """Whether the whole view has been built."""
        return "_whole" in self.__dict__

    def _shown(self) -> bool:
        return self.cached or self._source.within

    def _make(self, entries: list[Any]) -> Any:
        raise NotImplementedError

    def built(self, check: bool = True) -> Any:
        """The whole view, built once by the bulk route and kept.

        Args:
            check: Refuse above ``max_terms`` (symconv's own bulk routes pass ``False`` for the
                views they read, having checked the view they build).
        """
        whole = self.__dict__.get("_whole")
        if whole is None:
            if check:
                self._source.check()
            whole = self.__dict__["_whole"] = self._make(list(self._source.bulk()))
        return whole

    @property
    def whole(self) -> Any:
        """The whole view, built once by the bulk route (refused above ``max_terms``)."""
        return self.built()

    def at(self, index: tuple[int, ...]) -> Any:
        """The entry at a non-negative, in-range index tuple: from the whole view if it was built,
        else built on its own (no checks: for symconv's own use)."""
        whole = self.__dict__.get("_whole")
        return self._source.entry(index) if whole is None else whole[index]

    def __repr__(self) -> str:
        return repr(self.whole) if self._shown() else self._source.summary()  # type: ignore[attr-defined]

    __str__ = __repr__

    def tolist(self) -> Any:
        return self.whole.tolist()  # type: ignore[attr-defined]

    def __eq__(self, other: Any) -> bool:
        return self.whole == other  # type: ignore[attr-defined,no-any-return]

    def __hash__(self) -> int:
        return hash(self.whole)  # type: ignore[attr-defined]

    def _sympystr(self, printer: Any) -> str:
        return printer._print(self.whole)  # type: ignore[attr-defined,no-any-return]

    def _latex(self, printer: Any) -> str:
        return printer._print(self.whole)  # type: ignore[attr-defined,no-any-return]

    def _pretty(self, printer: Any) -> Any:
        return printer._print(self.whole)  # type: ignore[attr-defined]


class LazyMatrix(_Lazy, sympy.ImmutableDenseMatrix):  # type: ignore[misc]
    """An ``ImmutableMatrix`` whose entries are built on request (see the module docstring).

    Make one with :meth:`of`. ``m[r, c]``, ``m[k]`` (flat), slices and ``m.row(r)`` build
    only the entries they return; every other operation works on the whole matrix.
    """

    @classmethod
    def of(cls, source: Source) -> LazyMatrix:
        """A lazy matrix of ``source.shape`` (two axes)."""
        obj = object.__new__(cls)
        obj._mhash = None
        obj._assumptions = cls.default_assumptions
        obj._rows, obj._cols = source.shape
        obj._source = source
        return obj

    # operations build plain matrices, never lazy ones
    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return sympy.ImmutableDenseMatrix(*args, **kwargs)

    @classmethod
    def _new(cls, *args: Any, **kwargs: Any) -> Any:
        return sympy.ImmutableDenseMatrix._new(*args, **kwargs)

    @classmethod
    def _fromrep(cls, rep: Any) -> Any:
        return sympy.ImmutableDenseMatrix._fromrep(rep)

    def _make(self, entries: list[Any]) -> sympy.ImmutableDenseMatrix:
        return sympy.ImmutableDenseMatrix(self._rows, self._cols, entries)

    @property  # type: ignore[override]
    def _rep(self) -> Any:
        return self.whole._rep

    def __reduce_ex__(self, protocol: Any) -> Any:  # pickles as the plain matrix
        return (sympy.ImmutableDenseMatrix, (self._rows, self._cols, list(self.whole)))

    @property  # type: ignore[override]
    def _args(self) -> Any:
        return self.whole._args

    def __getitem__(self, key: Any) -> Any:
        if self.cached or not isinstance(key, (int, slice, tuple)):
            return self.whole[key]
        if isinstance(key, tuple):
            if len(key) != 2 or not all(isinstance(k, (int, slice)) for k in key):
                return self.whole[key]
            rows, row_slice = _positions(key[0], self._rows, IndexError)
            cols, col_slice = _positions(key[1], self._cols, IndexError)
            if not (row_slice or col_slice):
                return self._source.entry((rows[0], cols[0]))
            entries = [self._source.entry((r, c)) for r in rows for c in cols]
            return sympy.ImmutableDenseMatrix(len(rows), len(cols), entries)
        flats, is_slice = _positions(key, self._rows * self._cols, IndexError)
        values = [self._source.at(k) for k in flats]
        return values if is_slice else values[0]

    def __iter__(self) -> Iterator[Any]:
        if self._shown():
            return iter(list(self.whole))
        return (self._source.at(k) for k in range(self._rows * self._cols))


class LazyArray(_Lazy, sympy.ImmutableDenseNDimArray):  # type: ignore[misc]
    """An ``ImmutableDenseNDimArray`` whose entries are built on request (see the module docstring).

    Make one with :meth:`of`. ``a[i, j, k]`` and slices build only the entries they return;
    every other operation works on the whole array.
    """

    @classmethod
    def of(cls, source: Source) -> LazyArray:
        """A lazy array of ``source.shape``."""
        obj = object.__new__(cls)
        obj._mhash = None
        obj._assumptions = cls.default_assumptions
        obj._shape = sympy.Tuple(*map(sympy.Integer, source.shape))
        obj._rank = len(source.shape)
        obj._loop_size = source.size
        obj._source = source
        return obj

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return sympy.ImmutableDenseNDimArray(*args, **kwargs)

    @classmethod
    def _new(cls, *args: Any, **kwargs: Any) -> Any:
        return sympy.ImmutableDenseNDimArray._new(*args, **kwargs)

    def _make(self, entries: list[Any]) -> sympy.ImmutableDenseNDimArray:
        return sympy.ImmutableDenseNDimArray(entries, self._source.shape)

    @property  # type: ignore[override]
    def _array(self) -> list[Any]:
        return self.whole._array  # type: ignore[attr-defined,no-any-return]

    def __reduce_ex__(self, protocol: Any) -> Any:  # pickles as the plain array
        return (sympy.ImmutableDenseNDimArray, (list(self._array), self._source.shape))

    @property  # type: ignore[override]
    def _args(self) -> Any:
        return self.whole._args

    def __getitem__(self, index: Any) -> Any:
        key = index if isinstance(index, tuple) else (index,)
        simple = all(isinstance(k, (int, slice)) for k in key) and len(key) <= self._rank
        if self.cached or not simple:
            return self.whole[index]
        key = key + (slice(None),) * (self._rank - len(key))
        picked = [_positions(k, s, ValueError) for k, s in zip(key, self._source.shape)]
        if not any(is_slice for _, is_slice in picked):
            return self._source.entry(tuple(p[0] for p, _ in picked))
        grid: list[tuple[int, ...]] = [()]
        for p, _ in picked:
            grid = [(*g, i) for g in grid for i in p]
        shape = [len(p) for p, is_slice in picked if is_slice]
        return sympy.ImmutableDenseNDimArray([self._source.entry(i) for i in grid], shape)

    def __iter__(self) -> Iterator[Any]:
        if self._shown():
            return iter(self.whole)
        return (self[i] for i in range(self._source.shape[0])) if self._rank else iter([self[()]])


class Equations(Sequence[sympy.Eq]):
    """The equations ``Eq(z_r, expression)`` of a layer, one per output, built on request.

    A sequence: ``len()`` is arithmetic, ``eqs[r]`` and ``eqs[a:b]`` build only the equations
    asked for, iterating builds one at a time (all at once when the layer is within
    ``max_terms``); ``==`` compares with any sequence (a list) and needs the whole view.
    """

    def __init__(self, lhs: LazyArray, rhs: LazyMatrix | LazyArray, what: str) -> None:
        self._lhs, self._rhs = lhs, rhs
        self._shape = tuple(rhs.source.shape)
        self._source = replace(rhs.source, what=what, hint="e.equations[r]")

    def __len__(self) -> int:
        return math.prod(self._shape)

    def _equation(self, r: int) -> sympy.Eq:
        index = unravel(r, self._shape)
        return sympy.Eq(self._lhs.at(index), self._rhs.at(index), evaluate=False)

    def __getitem__(self, key: Any) -> Any:
        if "_whole" in self.__dict__:
            return self.whole[key]
        if isinstance(key, slice):
            return [self._equation(r) for r in range(*key.indices(len(self)))]
        return self._equation(_position(key, len(self), IndexError))

    def __iter__(self) -> Iterator[sympy.Eq]:
        if "_whole" in self.__dict__ or self._source.within:
            return iter(self.whole)
        return (self._equation(r) for r in range(len(self)))

    @property
    def whole(self) -> list[sympy.Eq]:
        """Every equation, as a list (refused above ``max_terms``)."""
        built: list[sympy.Eq] | None = self.__dict__.get("_whole")
        if built is None:
            self._source.check()
            lhs, rhs = entries(self._lhs.whole), _flat(self._rhs.whole)
            built = self.__dict__["_whole"] = [sympy.Eq(s, e, evaluate=False) for s, e in zip(lhs, rhs)]
        return built

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and self.whole == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if "_whole" in self.__dict__ or self._source.within:
            return repr(self.whole)
        return self._source.summary()

    __str__ = __repr__
