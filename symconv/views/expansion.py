"""The expansion of a layer at one input length: every view, derived from the taps.

Views are lazy (:mod:`symconv.views.lazy`): a single entry (``e.z[o, i]``, ``e.equations[r]``,
``e.matrix_row(r)``) is built on its own from the taps that reach it, and a whole view is
built once, in time linear in the number of taps (:mod:`symconv.views.build`), unless it holds
more than ``max_terms`` terms: then it is refused with a ``ValueError`` that gives its size
and the lazy alternative. Nothing here differentiates or multiplies symbolic matrices.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from symconv.base import order
from symconv.base.symbols import check_names, entries
from symconv.base.validate import as_int, is_int
from symconv.base.values import as_numbers, exact_values
from symconv.geometry.taps import Taps
from symconv.layers.activations import activation
from symconv.layers.conv import Conv1d
from symconv.layers.protocol import Kind, TapsLayer, register_expander
from symconv.views import build as views
from symconv.views.blocks import Blocks
from symconv.views.build import grouped_sums, product, total  # noqa: F401  (re-exported: built here before)
from symconv.views.lazy import Equations, LazyArray, LazyMatrix

#: The default ``max_terms``: views holding more terms (one per tap, one per bias, one per
#: symbol) are not built whole. Pass ``expand(L, max_terms=...)`` to choose another limit.
MAX_TERMS = 10**7


def expand(
    layer: Any,
    input_length: int,
    *,
    index_base: int = 0,
    names: Mapping[str, str] | None = None,
    max_terms: int | None = None,
) -> Expansion:
    """The cached :class:`Expansion` of ``layer`` (a spec with ``resolve(L)``) at ``input_length``.

    ``max_terms`` (default :data:`MAX_TERMS`, ten million) is the largest view built whole.
    """
    if not (is_int(index_base) and index_base in (0, 1)):
        raise ValueError(f"'index_base' must be 0 or 1 (got {index_base!r}).")
    # Validate before the cache: True == 1.0 == 1 hash alike and would hit another entry.
    index_base, size = int(index_base), _size(input_length, layer.ndim)
    merged = check_names(names)
    limit = MAX_TERMS if max_terms is None else as_int("max_terms", max_terms, minimum=0)
    return _expand(layer, size, index_base, tuple(sorted(merged.items())), limit)


def _size(value: Any, ndim: int) -> int | tuple[int, ...]:
    """An input length (an int, for one spatial axis), or an input shape (a tuple of ``ndim`` ints), checked."""
    if ndim == 1:
        return as_int("input_length", value, minimum=1)
    if not isinstance(value, (tuple, list)) or len(value) != ndim:
        raise ValueError(f"'input_shape' must be a tuple of {ndim} spatial sizes (got {value!r}).")
    return tuple(as_int(f"input_shape[{a}]", n, minimum=1) for a, n in enumerate(value))


def as_expansion(layer: Any, input_length: int | None, *, parameter: str = "input_length", **options: Any) -> Expansion:
    """``layer`` itself if it is an :class:`Expansion`, else ``layer.expand(input_length, **options)``.

    Args:
        parameter: The name the caller gives ``input_length`` (a figure's ``shape``), used in error messages.

    Raises:
        ValueError: An input length with an Expansion, or none with a spec.
        TypeError: Neither a single layer's spec nor an Expansion (a stack, ``Sequential``, included).
    """
    if isinstance(layer, Expansion):
        if input_length is not None:
            raise ValueError(f"'{parameter}' must be left out when 'layer' is an Expansion (got {input_length!r}).")
        return layer
    if not isinstance(layer, TapsLayer):
        stack = getattr(layer, "kind", None) is Kind.STACK
        what = type(layer).__name__ + (", a stack; pass one of its layers" if stack else "")
        raise TypeError(f"'layer' must be a layer spec such as Conv1d, or an Expansion (got {what}).")
    if input_length is None:
        raise ValueError(f"'{parameter}' is required when 'layer' is a spec (got None).")
    try:
        return layer.expand(input_length, **options)  # type: ignore[no-any-return]
    except (ValueError, TypeError) as exc:
        if parameter == "input_length":
            raise
        renamed = str(exc).replace("'input_length'", f"'{parameter}'").replace("'input_shape'", f"'{parameter}'")
        raise type(exc)(renamed) from None


#: The explorer's renderers, which this floor cannot import (``symconv.explore`` is above it): ``symconv`` sets
#: them on import (:func:`set_explorer`). ``"html"``: ``Expansion -> str | None`` (``_repr_html_``);
#: ``"widget"``: ``Expansion -> widget`` (:meth:`Expansion.explore`).
EXPLORER: dict[str, Callable[[Expansion], Any]] = {}


def set_explorer(*, html: Callable[[Expansion], Any], widget: Callable[[Expansion], Any]) -> None:
    """Set the functions behind ``Expansion._repr_html_`` (an HTML fragment or None) and ``Expansion.explore``."""
    EXPLORER.update(html=html, widget=widget)


@functools.lru_cache(maxsize=64)
def _expand(
    layer: Any, size: int | tuple[int, ...], index_base: int, names: tuple[tuple[str, str], ...], max_terms: int
) -> Expansion:
    return Expansion(layer, size, index_base, dict(names), max_terms)


@dataclass(frozen=True)
class Substitution:
    """The layer with numbers put in for some of ``x``, ``w``, ``b``: exact SymPy values."""

    z: sympy.ImmutableMatrix
    equations: list[sympy.Eq]
    matrix: sympy.ImmutableSparseMatrix
    bias_vector: sympy.ImmutableMatrix


class Expansion:
    """A layer made explicit at one input size (a length ``L``, or a shape with several axes).

    Attributes:
        layer: The layer as given (a :class:`~symconv.Conv1d`, ``Conv2d``, ``ConvTranspose1d``, ...,
            or a NumPy/SciPy mode).
        spec: The layer that computes it, padding resolved (a mode resolves to a convolution).
        input_shape, output_shape: The spatial sizes, one per axis (``(L,)`` and ``(L_out,)`` in 1D).
        input_length, output_length: Positions per channel: ``L`` and ``L_out`` in 1D, the product
            of the shape beyond (the matrix's layout, channel-major and C order).
        padding: The resolved ``(left, right)`` padding (one pair per axis beyond 1D).
        taps: The connectivity (:class:`~symconv.geometry.taps.Taps`), the source of every view.
        max_terms: The largest view built whole (``expand(L, max_terms=...)``, default
            :data:`MAX_TERMS`); a view's terms are one per tap, one per bias, one per symbol.

    The views are lazy: ``e.equations[r]``, ``e.z[o, i]``, ``e.x[c, t]``, ``e.matrix_row(r)``
    and ``e.matrix_column(c)`` build one entry from the taps that reach it, in time
    proportional to that entry, at any size; ``len(e.equations)`` and ``e.z.shape`` are
    arithmetic. Building a whole view (printing or comparing it, ``e.matrix``, ``subs``,
    ``activate``) above ``max_terms`` raises ``ValueError``.

    Examples:
        >>> e = Conv1d(1, 1, 3).expand(4)
        >>> e.equations
        [Eq(z_0, b + w_0*x_0 + w_1*x_1 + w_2*x_2), Eq(z_1, b + w_0*x_1 + w_1*x_2 + w_2*x_3)]
        >>> e.matrix
        Matrix([
        [w_0, w_1, w_2,   0],
        [  0, w_0, w_1, w_2]])
        >>> e.evaluate([1, 2, 3, 4], [5, 6, 7]).tolist()
        [38, 56]
        >>> big = Conv1d(512, 512, 9).expand(10**6)
        >>> big.equations[0].rhs.count(sympy.Mul), big.matrix_row(0).nnz()
        (4608, 4608)
    """

    def __init__(
        self,
        layer: Any,
        size: int | tuple[int, ...],
        index_base: int,
        names: dict[str, str],
        max_terms: int = MAX_TERMS,
    ) -> None:
        self.layer = layer
        self.spec: Conv1d = layer.resolve(size)
        self.index_base = index_base
        self.names = names
        self.max_terms = max_terms
        self.taps: Taps = self.spec.make_taps(size)
        self.input_shape: tuple[int, ...] = tuple(self.taps.input_shape)
        self.output_shape: tuple[int, ...] = tuple(self.taps.output_shape)
        self.ndim = len(self.input_shape)
        #: Positions per channel: ``L`` and ``L_out`` for one spatial axis, the product of the shape beyond.
        self.input_length: int = self.taps.input_length
        self.output_length: int = self.taps.output_length
        self.padding: Any = self.spec.resolve_padding(size)

    def one_axis(self, what: str) -> Expansion:
        """``self``, if the layer has one spatial axis; else a ``ValueError`` saying ``what`` needs one.

        The views (symbols, equations, matrix, blocks, connectivity, evaluate, subs), the gradients
        with their closed forms and the checker work on any number of axes; derivations and figures
        work on one axis so far.
        """
        if self.ndim != 1:
            raise ValueError(
                f"{what}: not available yet for a layer with {self.ndim} spatial axes (got {self.layer!r} on "
                f"{self.where}); its equations, matrix, blocks, connectivity queries, evaluate, gradients and "
                "checking code are."
            )
        return self

    @property
    def where(self) -> str:
        """``'L=4'`` for one spatial axis, ``'input shape (5, 5)'`` beyond: how messages name the size."""
        return f"L={self.input_length}" if self.ndim == 1 else f"input shape {self.input_shape}"

    # -- symbols ---------------------------------------------------------------------------
    @property
    def single_channel(self) -> bool:
        return self.spec.in_channels == 1 and self.spec.out_channels == 1

    @cached_property
    def x(self) -> LazyArray:
        """Input symbols, shape ``(C_in, *input_shape)`` (``(C_in, L)`` in 1D)."""
        shape = (self.spec.in_channels, *self.input_shape)
        keep = (not self.single_channel, *(True,) * self.ndim)
        return views.symbols(self, "x", shape, keep, "e.x[c, t]" if self.ndim == 1 else "e.x[c, t, u]")

    @cached_property
    def w(self) -> LazyArray:
        """Weight symbols, shape ``(C_out, C_in/groups, *kernel)``."""
        multi = not self.single_channel
        keep = (multi, multi, *(True,) * self.ndim)
        return views.symbols(self, "w", self.spec.weight_shape, keep, "e.w[o, c, k]")

    @cached_property
    def b(self) -> LazyArray | None:
        """Bias symbols, shape ``(C_out,)``, or None without bias."""
        if not self.spec.bias:
            return None
        return views.symbols(self, "b", (self.spec.out_channels,), (not self.single_channel,), "e.b[o]")

    @cached_property
    def z_symbols(self) -> LazyArray:
        """Names of the outputs, shape ``(C_out, *output_shape)``: the left-hand sides of :attr:`equations`."""
        return self.output_symbols("z")

    def output_symbols(self, role: str) -> LazyArray:
        """Symbols shaped like the output, ``(C_out, *output_shape)``, for a role of ``names``.

        Roles: ``'z'`` (pre-activations), ``'a'`` (activations), ``'delta'`` (``dL/dz``),
        ``'g'`` (``dL/da``), ``'y'`` (loss targets).
        """
        known = self.__dict__.setdefault("_output_symbols", {})
        if role not in known:
            shape = (self.spec.out_channels, *self.output_shape)
            hint = f"e.output_symbols({role!r})[o, i]"
            keep = (not self.single_channel, *(True,) * self.ndim)
            known[role] = views.symbols(self, role, shape, keep, hint)
        return known[role]  # type: ignore[no-any-return]

    @cached_property
    def vec_x(self) -> sympy.ImmutableMatrix:
        """``vec(x)``, channel-major, as a column."""
        return sympy.ImmutableMatrix(entries(self.x))

    @cached_property
    def bias_vector(self) -> LazyMatrix:
        """The bias of every output, channel-major: ``b_o`` repeated ``L_out`` times (zeros without bias)."""
        return views.bias_vector(self)

    # -- views -----------------------------------------------------------------------------
    @cached_property
    def z(self) -> LazyMatrix | LazyArray:
        """The pre-activations, shape ``(C_out, *out)``, one explicit expression each (lazy).

        A matrix ``(C_out, L_out)`` for one spatial axis, an ``Array`` beyond.
        """
        return views.outputs(self)

    @cached_property
    def equations(self) -> Equations:
        """One ``Eq(z_{o,i}, expression)`` per output, channel-major: a lazy sequence (``list()`` it for a list)."""
        return views.equations(self)

    @cached_property
    def _matrix_entries(self) -> dict[tuple[int, int], sympy.Expr]:
        """The non-zero entries ``{(row, column): weight or sum of weights}``, in linear time."""
        return views.matrix_entries(self)

    @property
    def matrix_shape(self) -> tuple[int, int]:
        """``(C_out*L_out, C_in*L)``: the shape of :attr:`matrix`, without building it."""
        return self.spec.out_channels * self.output_length, self.spec.in_channels * self.input_length

    @cached_property
    def _matrix(self) -> sympy.ImmutableSparseMatrix:
        """The matrix, immutable. Building it sorts every entry into a SymPy ``Dict`` (``ordered``):
        about 40x slower than the mutable one at L = 16384, so :attr:`matrix` does not go through it."""
        return sympy.ImmutableSparseMatrix(*self.matrix_shape, self._matrix_entries)

    @cached_property
    def _mutable_matrix(self) -> sympy.SparseMatrix:
        return sympy.SparseMatrix(*self.matrix_shape, self._matrix_entries)

    @property
    def matrix(self) -> sympy.SparseMatrix:
        """The weight-tied matrix: ``vec(z) = matrix * vec(x) + bias_vector`` (layout in :mod:`symconv.geometry.taps`).

        Under reflect, replicate or circular padding an entry can be a sum of weights. A fresh
        mutable ``SparseMatrix`` on each access (a copy of a cached one).
        """
        return self._mutable_matrix.copy()

    def blocks(self) -> Blocks:
        """The matrix of a layer with 2 or 3 spatial axes cut into blocks, one per (output row, input row).

        Block ``(a, b)`` is the last axis's ``W_out x W_in`` matrix between output row
        ``a = (o, i_0, ...)`` and input row ``b = (c, t_0, ...)`` (every index but the last);
        :mod:`symconv.views.blocks` says when blocks repeat along diagonals (zero padding, stride 1)
        and when they do not.

        Examples:
            >>> from symconv import Conv2d
            >>> b = Conv2d(1, 1, 3, padding=1, padding_mode="circular", bias=False).expand((4, 4)).blocks()
            >>> print(b.pattern())
            A B . C
            C A B .
            . C A B
            B . C A
            >>> b.circulant(), b.repeats_along_diagonals()
            (True, True)

        Raises:
            ValueError: A layer with one spatial axis (its matrix has no block structure to cut).
        """
        if self.ndim < 2:
            raise ValueError(
                f"blocks() needs a layer with 2 or 3 spatial axes; {type(self.spec).__name__} has one "
                "(its matrix is the 1D matrix: e.matrix)."
            )
        out_shape = (self.spec.out_channels, *self.output_shape)
        in_shape = (self.spec.in_channels, *self.input_shape)
        w_flat = views.flat(self.w)
        return Blocks(self.taps.triples(), out_shape, in_shape, lambda k: w_flat[k])

    def matrix_row(self, r: int) -> sympy.SparseMatrix:
        """Row ``r`` of :attr:`matrix` (output ``(o, i)``, ``r = o*L_out + i``), built on its own.

        Examples:
            >>> Conv1d(1, 1, 3).expand(4).matrix_row(1)
            Matrix([[0, w_0, w_1, w_2]])
        """
        return views.matrix_row(self, r)

    def matrix_column(self, c: int) -> sympy.SparseMatrix:
        """Column ``c`` of :attr:`matrix` (input ``(c', t)``, ``c = c'*L + t``), built on its own."""
        return views.matrix_column(self, c)

    def to_scipy_sparse(self, w: Any) -> Any:
        """The weight-tied matrix with numbers put in for ``w``, as a ``scipy.sparse`` CSR matrix.

        Built from the taps without SymPy, at any size the taps hold: entries that folded taps
        share are summed. ``vec(z) = M @ vec(x) + bias`` with ``vec`` in C order.

        Examples:
            >>> m = Conv1d(1, 1, 3, padding=1, padding_mode="replicate").expand(4).to_scipy_sparse([1, 2, 3])
            >>> m.toarray().tolist()
            [[3, 3, 0, 0], [1, 2, 3, 0], [0, 1, 2, 3], [0, 0, 1, 5]]
        """
        import scipy.sparse

        wa = self.weight_array(w)
        rows, cols, weights = self.taps.triples()
        data = wa.ravel()[weights]
        return scipy.sparse.coo_matrix((data, (rows, cols)), shape=self.matrix_shape).tocsr()

    def activate(self, f: Any = None) -> sympy.ImmutableMatrix:
        """``h = f(z)`` elementwise; ``f`` a SymPy function, a callable, or ``'relu'``, ``'tanh'``,
        ``'sigmoid'``, ``'softplus'``, ``'identity'``; an undefined ``sigma`` by default.

        Examples:
            >>> Conv1d(1, 1, 2, bias=False).expand(3).activate("relu")
            Matrix([[Max(0, w_0*x_0 + w_1*x_1), Max(0, w_0*x_1 + w_1*x_2)]])
        """
        _, fn = activation(f)
        return self.z.applyfunc(fn)

    # -- numbers -----------------------------------------------------------------------------
    def evaluate(self, x: Any, w: Any, b: Any = None) -> np.ndarray:
        """Evaluate the layer on numbers, from the taps (vectorised, exact on ints and objects).

        Args:
            x: ``(N, C_in, *input_shape)`` (a batch), ``(C_in, *input_shape)`` (one sample), or
                ``input_shape`` alone for a single-channel layer (``(N, C_in, L)``, ``(C_in, L)``,
                ``(L,)`` in 1D).
            w: ``(C_out, C_in/groups, *kernel)``, or the kernel alone for a single-channel layer.
            b: ``(C_out,)``; ``None`` (the default) adds no bias, as ``F.conv1d`` does.

        Returns:
            The output, batched or not as ``x`` was: ``(N, C_out, *output_shape)``,
            ``(C_out, *output_shape)`` or ``output_shape``.
        """
        xa, unbatch = self.input_array(x)
        out = self.taps.apply(xa, self.weight_array(w), self.bias_array(b))
        return out[0, 0] if unbatch == 2 else (out[0] if unbatch == 1 else out)

    def input_array(self, x: Any) -> tuple[np.ndarray, int]:
        """``x`` as ``(N, C_in, *in)``, and how to unbatch the result (0: batched, 1: one sample, 2: plain)."""
        xa = as_numbers("x", x)
        c, spatial = self.spec.in_channels, self.input_shape
        if xa.ndim == self.ndim + 2 and xa.shape[1:] == (c, *spatial):
            return xa, 0
        if xa.shape == (c, *spatial):
            return xa[None], 1
        if self.single_channel and xa.shape == spatial:
            return xa[None, None], 2
        shown = ", ".join(map(str, spatial))
        plain = (
            f" or ({shown},)"
            if self.single_channel and self.ndim == 1
            else f" or ({shown})"
            if self.single_channel
            else ""
        )
        raise ValueError(f"'x' must have shape (N, {c}, {shown}) or ({c}, {shown}){plain} (got {xa.shape}).")

    def weight_array(self, w: Any) -> np.ndarray:
        """``w`` checked and shaped ``(C_out, C_in/groups, *K)`` (a single-channel layer takes the kernel alone)."""
        wa = as_numbers("w", w)
        shape = self.spec.weight_shape
        if wa.shape == shape:
            return wa
        kernel = tuple(shape[2:])
        if self.single_channel and wa.shape == kernel:
            return wa.reshape(shape)
        plain = f" or {kernel}" if self.single_channel else ""
        raise ValueError(f"'w' must have shape {shape}{plain} (got {wa.shape}).")

    def bias_array(self, b: Any) -> np.ndarray | None:
        """``b`` checked and shaped ``(C_out,)``, or None."""
        if b is None:
            return None
        if not self.spec.bias:
            raise ValueError("'b' was given but the layer has bias=False.")
        ba = as_numbers("b", b)
        c = self.spec.out_channels
        if ba.shape == (c,) or (c == 1 and ba.shape == ()):
            return ba.reshape(c)
        raise ValueError(f"'b' must have shape ({c},) or be None (got {ba.shape}).")

    def subs(self, x: Any = None, w: Any = None, b: Any = None) -> Substitution:
        """The equations and matrix with numbers put in for ``x``, ``w`` and/or ``b`` (exact).

        Values may be numbers (bools as 0 and 1, ints, floats, complex numbers, ``Fraction``,
        NumPy and SymPy numbers) or SymPy expressions; a string raises ``TypeError`` (it is
        never parsed: ``sympify`` of a string is ``eval``).

        Examples:
            >>> Conv1d(1, 1, 3).expand(4).subs(x=[1, 2, 3, 4], w=[5, 6, 7], b=[0]).z
            Matrix([[38, 56]])
        """
        views.check(self, "subs", len(self.taps), "e.z[o, i].xreplace({symbol: value})")
        exact: dict[sympy.Basic, sympy.Expr] = {}
        if x is not None:
            xa = self.input_array(x)[0]
            if xa.shape[0] != 1:
                raise ValueError(f"'x' must be one sample for subs, not a batch (got shape {xa.shape}).")
            exact.update(zip(entries(self.x), exact_values("x", xa)))
        if w is not None:
            exact.update(zip(entries(self.w), exact_values("w", self.weight_array(w))))
        if b is not None:
            if self.b is None:
                raise ValueError("'b' was given but the layer has bias=False.")
            bias = self.bias_array(b)
            assert bias is not None
            exact.update(zip(entries(self.b), exact_values("b", bias)))
        z = self.z.xreplace(exact)
        lhs = entries(self.z_symbols)
        return Substitution(
            z=z,
            equations=[sympy.Eq(s, e, evaluate=False) for s, e in zip(lhs, z)],
            matrix=self._matrix.xreplace(exact),
            bias_vector=self.bias_vector.xreplace(exact),
        )

    # -- display -----------------------------------------------------------------------------
    def __repr__(self) -> str:
        out = f"L_out={self.output_length}" if self.ndim == 1 else f"output shape {self.output_shape}"
        return f"<Expansion of {self.layer!r} on {self.where}: {out}, padding={self.padding}, {len(self.taps)} taps>"

    def __str__(self) -> str:
        return "\n".join(f"{order.sstr(eq.lhs)} = {order.sstr(eq.rhs)}" for eq in self.equations.whole)

    def _repr_latex_(self, max_rows: int = 12) -> str:
        eqs = self.equations
        shown = list(eqs) if len(eqs) <= max_rows else eqs[: max_rows - 1]
        lines = [f"{order.latex(e.lhs)} &= {order.latex(e.rhs)}" for e in shown]
        if len(shown) < len(eqs):
            lines += [r"&\;\;\vdots", f"{order.latex(eqs[-1].lhs)} &= {order.latex(eqs[-1].rhs)}"]
        return "$\\displaystyle \\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}$"

    def _repr_html_(self) -> str | None:
        """Jupyter's rich display: the explorer (``symconv explore``'s view, hover included, no server) of a 1D or
        2D convolution of at most ``symconv.explore.notebook.MAX_NOTEBOOK_TAPS`` taps (20,000); else None, and
        Jupyter shows :meth:`_repr_latex_`."""
        render = EXPLORER.get("html")
        return None if render is None else render(self)  # type: ignore[no-any-return]

    def explore(self) -> Any:
        """A live explorer widget (anywidget, ``pip install symconv[widget]``) of this layer: its controls (kernel
        size, stride, dilation, padding, padding mode, input size, channels, groups, transposed) recompute the view
        in Python, from symconv's taps. ``w.stride = 2`` changes it from Python.

        Raises:
            ImportError: anywidget is not installed.
            ValueError: A layer the explorer does not draw (3D, pooling).
        """
        make = EXPLORER.get("widget")
        if make is None:  # pragma: no cover - symconv sets it on import
            raise RuntimeError("the explorer is not registered: import symconv.")
        return make(self)


register_expander(expand)
