"""Closed forms of a layer's gradients, built by index formulas independent of the taps.

* ``dL/db[o] = sum_i delta[o, i]``;
* ``dL/dw[o, c, k] = sum_i delta[o, i] * xpad[gamma_o + c, s*i + d*j]``: the cross-correlation of
  the padded input with ``delta``, strided and dilated (``j = k``, or ``K-1-k`` for true
  convolution); ``c`` counts within ``o``'s group, whose first input channel is ``gamma_o``;
* ``dL/dx = W^T vec(delta)``, a transposed convolution: insert ``s-1`` zeros between the
  entries of ``delta``, convolve fully with the (dilated) kernel, crop the padding, and add
  the gradient that reached each padded position to the input it copies (reflect, replicate,
  circular). For stride 1 and zero padding this is the full convolution of ``delta`` with ``w``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import sympy

from symconv.base import order
from symconv.base.verification import Check
from symconv.geometry.kernel import padded_sources
from symconv.views.build import padded_input
from symconv.views.expansion import Expansion
from symconv.views.lazy import LazyArray, LazyMatrix


class GradientParts(Protocol):
    """What the closed forms and the numbers read of a layer's gradients.

    :class:`~symconv.grad.gradients.Gradients` is one; the modules below it are written against
    this protocol, so that they need not import it.
    """

    expansion: Expansion
    activation: tuple[str, Callable[[Any], Any]] | None
    loss: Any

    @property
    def delta(self) -> LazyMatrix | LazyArray: ...

    @property
    def dx(self) -> LazyArray: ...

    @property
    def dw(self) -> LazyArray: ...

    @property
    def db(self) -> LazyArray | None: ...

    @property
    def upstream(self) -> sympy.ImmutableMatrix: ...

    @property
    def output_symbols(self) -> sympy.Array: ...


@dataclass(frozen=True)
class Identity:
    """A closed form: its name, a sentence, the index formula, and both sides for this layer.

    ``explicit`` is the gradient read off the taps, ``closed`` the closed form's value; both
    flat, in C order of ``shape``.
    """

    name: str
    statement: str
    formula: sympy.Eq
    explicit: tuple[Any, ...]
    closed: tuple[Any, ...]
    shape: tuple[int, ...]

    def check(self) -> Check:
        return Check.entrywise(f"{self.name}: closed form = explicit gradient", self.explicit, self.closed, self.shape)

    @property
    def rhs(self) -> sympy.Array:
        return sympy.ImmutableDenseNDimArray(list(self.closed), self.shape)

    def __str__(self) -> str:
        return f"{self.name}: {self.statement}\n  {order.sstr(self.formula)}"


def closed_forms(g: GradientParts) -> tuple[Identity, ...]:
    """The bias, weight and input gradient closed forms of a convolution layer."""
    e = g.expansion
    delta = [list(g.delta.row(o)) for o in range(g.delta.rows)]
    xpad = padded_input(e)
    forms = [_weight_form(g, delta, xpad), _input_form(g, delta)]
    if g.db is not None:
        forms.insert(0, bias_form(g, delta))
    return tuple(forms)


def _indices() -> tuple[sympy.Symbol, ...]:
    return sympy.symbols("o c k i u", integer=True, nonnegative=True)


def bias_form(g: GradientParts, delta: list[list[Any]]) -> Identity:
    o, _, _, i, _ = _indices()
    d, b = sympy.IndexedBase("delta"), sympy.IndexedBase("b")
    n_out = g.expansion.output_length
    formula = sympy.Eq(sympy.Derivative(sympy.Symbol("L"), b[o]), sympy.Sum(d[o, i], (i, 0, n_out - 1)))
    closed = tuple(sympy.Add(*row) for row in delta)
    statement = "the bias gradient of channel o is the sum of delta over its positions"
    return Identity("bias gradient", statement, formula, tuple(g.db), closed, (len(delta),))  # type: ignore[arg-type]


def _weight_form(g: GradientParts, delta: list[list[Any]], xpad: list[list[Any]]) -> Identity:
    e, spec = g.expansion, g.expansion.spec
    s, dil, size = spec.stride, spec.dilation, spec.kernel_size
    c_in, c_out = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    closed = []
    for o, cw, k in np.ndindex(spec.weight_shape):
        j = size - 1 - k if spec.flip else k
        c = (o // c_out) * c_in + cw
        closed.append(sympy.Add(*[delta[o][i] * xpad[c][s * i + dil * j] for i in range(e.output_length)]))
    o, c, k, i, _ = _indices()
    d, w, xp = sympy.IndexedBase("delta"), sympy.IndexedBase("w"), sympy.IndexedBase("xpad")
    j = size - 1 - k if spec.flip else k
    channel = c + c_in * sympy.floor(o / c_out) if spec.groups > 1 else c
    formula = sympy.Eq(
        sympy.Derivative(sympy.Symbol("L"), w[o, c, k]),
        sympy.Sum(d[o, i] * xp[channel, s * i + dil * j], (i, 0, e.output_length - 1)),
    )
    statement = (
        f"the weight gradient is the cross-correlation of the padded input with delta "
        f"(stride {s}, dilation {dil}{', kernel flipped' if spec.flip else ''})"
    )
    explicit = tuple(sympy.flatten(g.dw.tolist()))
    return Identity("weight gradient", statement, formula, explicit, tuple(closed), spec.weight_shape)


def _input_form(g: GradientParts, delta: list[list[Any]]) -> Identity:
    e, spec = g.expansion, g.expansion.spec
    s, dil, size = spec.stride, spec.dilation, spec.kernel_size
    c_in, c_out = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    left, right = e.padding
    n_pad = e.input_length + left + right
    up = [[row[v // s] if v % s == 0 else sympy.S.Zero for v in range(s * (len(row) - 1) + 1)] for row in delta]
    dpad = [[sympy.S.Zero] * n_pad for _ in range(spec.in_channels)]
    for c in range(spec.in_channels):
        group = c // c_in
        for u in range(n_pad):
            terms = []
            for o in range(group * c_out, (group + 1) * c_out):
                for k in range(size):
                    v = u - dil * (size - 1 - k if spec.flip else k)
                    if 0 <= v < len(up[o]):
                        terms.append(e.w[o, c - group * c_in, k] * up[o][v])
            dpad[c][u] = sympy.Add(*terms)
    target = padded_sources(e.taps.axis).tolist()  # the input each padded position copies (-1: zero)
    dx = [[sympy.S.Zero] * e.input_length for _ in range(spec.in_channels)]
    for c in range(spec.in_channels):
        for u, t in enumerate(target):
            if t >= 0:
                dx[c][t] += dpad[c][u]
    o, c, k, _, u = _indices()
    d_up, w = sympy.IndexedBase("delta_up"), sympy.IndexedBase("w")
    j = size - 1 - k if spec.flip else k
    if spec.groups > 1:
        # input channel c belongs to group floor(c / (C_in/G)): only that group's outputs read
        # it, through the weight's within-group channel c - (C_in/G)*floor(c / (C_in/G))
        group = sympy.floor(c / c_in)
        channel, first, last = c - c_in * group, c_out * group, c_out * group + c_out - 1
    else:
        channel, first, last = c, sympy.S.Zero, sympy.Integer(c_out - 1)
    formula = sympy.Eq(
        sympy.Derivative(sympy.Symbol("L"), sympy.IndexedBase("xpad")[c, u]),
        sympy.Sum(w[o, channel, k] * d_up[o, u - dil * j], (k, 0, size - 1), (o, first, last)),
    )
    statement = (
        "the input gradient W^T delta is a transposed convolution: delta"
        + (f" with {s - 1} zero{'s' if s > 2 else ''} inserted between entries (delta_up)," if s > 1 else " (delta_up)")
        + " fully convolved with the kernel"
        f"{' (dilation ' + str(dil) + ')' if dil > 1 else ''}, the padding cropped"
        + ("" if spec.padding_mode == "zeros" else f" and folded back ({spec.padding_mode})")
    )
    explicit = tuple(sympy.flatten(g.dx.tolist()))
    closed = tuple(v for row in dx for v in row)
    return Identity("input gradient", statement, formula, explicit, closed, (spec.in_channels, e.input_length))
