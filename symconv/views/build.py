"""The symbolic views of an expansion, built from the taps: in bulk, or one entry at a time.

Both routes put SymPy products and sums together in canonical order directly
(``Mul._from_args`` / ``Add._from_args``), which gives the very objects ``Mul(...)`` /
``Add(...)`` would, without their flattening cost, so an entry built on its own is identical
to the same entry of the view built whole:

* in bulk (:func:`grouped_sums`), in time linear in the number of taps;
* one entry at a time, from the taps that reach it (``taps.feeding``, ``taps.fed_by``), in
  time proportional to that entry. The views are :mod:`lazy <symconv.views.lazy>`: indexing takes
  this route.

A view's size, the number of terms it holds, is arithmetic: one per tap, one per bias,
one per symbol. Views above the expansion's ``max_terms`` are refused whole (see
:class:`~symconv.views.lazy.Source`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import sympy
from sympy.core.basic import _args_sortkey

from symconv.base.symbols import entries, symbol, symbol_array
from symconv.geometry.kernel import padded_sources
from symconv.geometry.taps import Taps
from symconv.layers.conv import Conv1d
from symconv.views.lazy import Equations, LazyArray, LazyMatrix, Source, position, unravel


class Expansion(Protocol):
    """What the builders read of an expansion (:class:`symconv.views.expansion.Expansion` is the one).

    Written as a protocol so that this module sits below the class that calls it.
    """

    layer: Any
    spec: Conv1d
    taps: Taps
    input_length: int
    output_length: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]

    @property
    def where(self) -> str: ...

    index_base: int
    names: dict[str, str]
    max_terms: int

    @property
    def matrix_shape(self) -> tuple[int, int]: ...

    @property
    def x(self) -> LazyArray: ...

    @property
    def w(self) -> LazyArray: ...

    @property
    def b(self) -> LazyArray | None: ...

    @property
    def z_symbols(self) -> LazyArray: ...

    @property
    def z(self) -> LazyMatrix | LazyArray: ...

    @property
    def bias_vector(self) -> LazyMatrix: ...

    @property
    def equations(self) -> Equations: ...

    def matrix_row(self, r: int) -> sympy.SparseMatrix: ...

    def matrix_column(self, c: int) -> sympy.SparseMatrix: ...


def product(a: sympy.Basic, b: sympy.Basic) -> sympy.Expr:
    """``a*b`` for two symbols, in canonical order, without ``Mul``'s flattening."""
    return sympy.Mul._from_args((a, b) if a.compare(b) < 0 else (b, a))


def total(terms: list[sympy.Expr]) -> sympy.Expr:
    """``Add(*terms)`` for distinct products and symbols, built in canonical order."""
    if len(terms) > 1:
        return sympy.Add._from_args(tuple(sorted(terms, key=_args_sortkey)))
    return terms[0] if terms else sympy.S.Zero


def grouped_sums(
    keys: np.ndarray,
    n_keys: int,
    first: np.ndarray,
    second: np.ndarray,
    a: list[sympy.Expr],
    b: list[sympy.Expr],
    extra: list[sympy.Expr] | None = None,
) -> list[sympy.Expr]:
    """For each key, the sum of ``a[first[j]] * b[second[j]]`` over the taps ``j`` with that key
    (plus ``extra[key]`` when given), in linear time.

    Distinct symbol products take the canonical fast route of :func:`product` and :func:`total`;
    anything else goes through ``Mul`` and ``Add``.
    """
    order = np.argsort(keys, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=n_keys))]).tolist()
    fi, se = first[order].tolist(), second[order].tolist()
    fast = all(isinstance(v, sympy.Symbol) for v in a) and all(isinstance(v, sympy.Symbol) for v in b)
    mul = product if fast else sympy.Mul
    out = []
    for key in range(n_keys):
        terms = [mul(a[i], b[j]) for i, j in zip(fi[bounds[key] : bounds[key + 1]], se[bounds[key] : bounds[key + 1]])]
        if extra is not None:
            terms.append(extra[key])
        out.append(total(terms) if fast else sympy.Add(*terms))
    return out


def sum_of_products(pairs: list[tuple[sympy.Expr, sympy.Expr]], extra: sympy.Expr | None = None) -> sympy.Expr:
    """One entry of :func:`grouped_sums`: ``sum(a*b for a, b in pairs)`` (plus ``extra``), the same object."""
    fast = all(isinstance(a, sympy.Symbol) and isinstance(b, sympy.Symbol) for a, b in pairs)
    terms = [product(a, b) if fast else sympy.Mul(a, b) for a, b in pairs]
    if extra is not None:
        terms.append(extra)
    return total(terms) if fast else sympy.Add(*terms)


def source(
    e: Expansion,
    view: str,
    shape: tuple[int, ...],
    entry: Callable[[tuple[int, ...]], Any],
    bulk: Callable[[], Sequence[Any]],
    terms: int,
    hint: str,
) -> Source:
    """A :class:`~symconv.views.lazy.Source` for a view of ``e``, named ``'<view> of <layer> on L=<L>'`` in messages."""
    what = f"{view} of {e.layer!r} on {e.where}"
    return Source(what, shape, entry, bulk, terms, e.max_terms, hint)


def flat(view: LazyArray | LazyMatrix | sympy.NDimArray | sympy.MatrixBase) -> list[sympy.Expr]:
    """The entries of a lazy view in C order, built in bulk and kept, without the ``max_terms`` check:
    for the bulk route of another view, which was checked, reading this one."""
    whole = view.built(check=False) if isinstance(view, (LazyArray, LazyMatrix)) else view
    return entries(whole) if isinstance(whole, sympy.NDimArray) else list(whole)


def symbols(e: Expansion, role: str, shape: tuple[int, ...], keep: tuple[bool, ...], hint: str) -> LazyArray:
    """The symbols of ``role`` (a key of ``e.names``), subscripted on the axes where ``keep`` is true;
    ``hint`` is how to index them, for the refusal message."""
    name, base = e.names[role], e.index_base

    def entry(index: tuple[int, ...]) -> sympy.Symbol:
        return symbol(name, [p for p, k in zip(index, keep) if k], base)

    def bulk() -> list[sympy.Expr]:
        return entries(symbol_array(name, shape, keep, base))

    return LazyArray.of(source(e, role, shape, entry, bulk, int(np.prod(shape)), hint))


def padded_input(e: Expansion) -> list[list[sympy.Expr]]:
    """``xpad[c][j]``: the input of one spatial axis with its padding filled by the padding mode (0 on zero pads)."""
    source = padded_sources(e.taps.axis).tolist()
    return [[sympy.S.Zero if t < 0 else e.x.at((c, t)) for t in source] for c in range(e.spec.in_channels)]


def outputs(e: Expansion) -> LazyMatrix | LazyArray:
    """``z``, shape ``(C_out, *out)``: each entry the bias plus the products of the taps that reach it.

    A matrix ``(C_out, L_out)`` for one spatial axis, an array beyond.
    """
    spec = e.spec
    shape = (spec.out_channels, *e.output_shape)
    n_out = spec.out_channels * e.output_length
    one_axis = len(e.output_shape) == 1

    def entry(index: tuple[int, ...]) -> sympy.Expr:
        o, *pos = index
        feeding = e.taps.feeding(o, pos[0] if one_axis else tuple(pos))
        pairs = [(e.w.at(t.weight), e.x.at(t.input)) for t in feeding]
        return sum_of_products(pairs, None if e.b is None else e.b.at((o,)))

    def bulk() -> list[sympy.Expr]:
        rows, cols, weights = e.taps.triples()
        bias = None if e.b is None else [bo for bo in flat(e.b) for _ in range(e.output_length)]
        return grouped_sums(rows, n_out, weights, cols, flat(e.w), flat(e.x), bias)

    terms = len(e.taps) + (n_out if spec.bias else 0)
    hint = "e.z[o, i] or e.equations[r]" if one_axis else "e.z[o, i, j] or e.equations[r]"
    made = source(e, "z", shape, entry, bulk, terms, hint)
    return LazyMatrix.of(made) if one_axis else LazyArray.of(made)


def equations(e: Expansion) -> Equations:
    """The equations ``Eq(z_{o,i}, expression)``, channel-major."""
    return Equations(e.z_symbols, e.z, f"equations of {e.layer!r} on {e.where}")


def bias_vector(e: Expansion) -> LazyMatrix:
    """The bias of every output, channel-major: ``b_o`` repeated ``L_out`` times (zeros without bias)."""
    n_out = e.spec.out_channels * e.output_length

    def entry(index: tuple[int, ...]) -> sympy.Expr:
        return sympy.S.Zero if e.b is None else e.b.at((index[0] // e.output_length,))

    def bulk() -> list[sympy.Expr]:
        return [entry((r, 0)) for r in range(n_out)]

    return LazyMatrix.of(source(e, "bias_vector", (n_out, 1), entry, bulk, n_out, "e.bias_vector[r]"))


def check(e: Expansion, view: str, terms: int, hint: str) -> None:
    """Refuse to build ``view`` of ``e`` whole when it holds more than ``e.max_terms`` terms."""
    source(e, view, (), _no_entry, list, terms, hint).check()


def _no_entry(index: tuple[int, ...]) -> sympy.Expr:
    """The entry builder of a size check, which has no entries."""
    raise IndexError(f"a size check has no entries (asked for {index}).")


def matrix_entries(e: Expansion) -> dict[tuple[int, int], sympy.Expr]:
    """The non-zero entries ``{(row, column): weight or sum of weights}``, in linear time."""
    check(e, "the matrix", len(e.taps), "e.matrix_row(r) or e.matrix_column(c)")
    rows, cols, weights = e.taps.triples()
    ncols = e.matrix_shape[1]
    key = rows * ncols + cols
    order = np.argsort(key, kind="stable")
    key, weights = key[order], weights[order]
    w_flat = flat(e.w)
    starts = np.flatnonzero(np.r_[key.size > 0, key[1:] != key[:-1]])  # no taps: no entries
    ends = np.r_[starts[1:], key.size]
    entries = {}
    for start, end in zip(starts.tolist(), ends.tolist()):
        r, c = divmod(int(key[start]), ncols)
        ws = [w_flat[k] for k in weights[start:end].tolist()]
        entries[(r, c)] = ws[0] if len(ws) == 1 else sympy.Add(*ws)
    return entries


def _summed(e: Expansion, keyed: list[tuple[int, tuple[int, ...]]]) -> dict[int, sympy.Expr]:
    """``{key: weight, or the sum of the weights sharing that key}``."""
    grouped: dict[int, list[sympy.Expr]] = {}
    for key, weight in keyed:
        grouped.setdefault(key, []).append(e.w.at(weight))
    return {key: ws[0] if len(ws) == 1 else sympy.Add(*ws) for key, ws in grouped.items()}


def _flat(position: tuple[int, ...], shape: tuple[int, ...]) -> int:
    """The C-order flat index of ``position`` (channel first) in an array of ``shape``."""
    flat = 0
    for p, size in zip(position, shape):
        flat = flat * size + p
    return flat


def _spatial(flat_index: int, shape: tuple[int, ...]) -> int | tuple[int, ...]:
    """A flat spatial index as the taps take it: an int for one axis, a tuple of indices beyond."""
    return flat_index if len(shape) == 1 else unravel(flat_index, shape)


def matrix_row(e: Expansion, r: int) -> sympy.SparseMatrix:
    """Row ``r`` of the matrix (output ``(o, *i)``, ``r`` its C-order flat index), built from that output's taps."""
    rows, cols = e.matrix_shape
    o, i = divmod(position("r", r, rows), e.output_length)
    in_shape = (e.spec.in_channels, *e.input_shape)
    keyed = [(_flat(t.input, in_shape), t.weight) for t in e.taps.feeding(o, _spatial(i, e.output_shape))]
    return sympy.SparseMatrix(1, cols, {(0, c): v for c, v in _summed(e, keyed).items()})


def matrix_column(e: Expansion, c: int) -> sympy.SparseMatrix:
    """Column ``c`` of the matrix (input ``(c', *t)``, ``c`` its C-order flat index), built from that input's taps."""
    rows, cols = e.matrix_shape
    ch, t = divmod(position("c", c, cols), e.input_length)
    out_shape = (e.spec.out_channels, *e.output_shape)
    keyed = [(_flat(tap.output, out_shape), tap.weight) for tap in e.taps.fed_by(ch, _spatial(t, e.input_shape))]
    return sympy.SparseMatrix(rows, 1, {(r, 0): v for r, v in _summed(e, keyed).items()})
