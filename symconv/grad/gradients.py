"""Backprop through one layer, symbolically: explicit gradients, closed forms, and a proof.

The explicit gradients are read off the taps, each tap contributing one term: tap
``(r, c, k)`` adds ``delta[r]*x[c]`` to ``dL/dw[k]`` and ``w[k]*delta[r]`` to ``dL/dx[c]``.
The closed forms are built by a second, independent route (index formulas on the padded
input and the upsampled ``delta``) and :meth:`Gradients.verify` proves both against
``sympy.diff`` of the expanded loss, the only place symconv differentiates a layer.
The local derivatives of the activation and of a user-given loss (scalar functions of one
output each) are the only other derivatives taken.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from symconv.base.symbols import entries
from symconv.base.verification import Check, Verification, same
from symconv.grad.forms import Identity, closed_forms
from symconv.grad.forms_nd import closed_forms_nd, transposed_forms_nd
from symconv.grad.numbers import numeric_gradients
from symconv.grad.transposed_forms import transposed_forms
from symconv.layers.activations import activation as resolve_activation
from symconv.layers.activations import derivative
from symconv.layers.protocol import Kind, TapsLayer
from symconv.views import build as views
from symconv.views.build import grouped_sums, total
from symconv.views.expansion import Expansion
from symconv.views.lazy import LazyArray, LazyMatrix, unravel

LOSSES = ("sum", "mse")


def gradients(expansion: Expansion, activation: Any = None, loss: Any = None) -> Gradients:
    """The gradients of a layer's loss with respect to ``w``, ``b`` and ``x``.

    Args:
        expansion: The layer at one input length (``layer.expand(L)``).
        activation: ``None`` (the loss reads ``z``), a name (``'relu'``, ``'tanh'``,
            ``'sigmoid'``, ``'softplus'``, ``'identity'``, ``'sigma'``) or a callable; the loss
            then reads ``a = f(z)``.
        loss: ``None`` for a generic loss (upstream symbols ``delta_{o,i} = dL/dz``, or
            ``g_{o,i} = dL/da`` with an activation), ``'sum'``, ``'mse'`` (mean of squared
            errors against targets ``y_{o,i}``, as ``torch.nn.MSELoss``), or a SymPy expression
            in the output symbols (``expansion.output_symbols('z')``, or ``'a'`` with an activation).

    Examples:
        >>> from symconv import Conv1d
        >>> g = gradients(Conv1d(1, 1, 2).expand(3))
        >>> g.dw
        [[[delta_0*x_0 + delta_1*x_1, delta_0*x_1 + delta_1*x_2]]]
        >>> g.dx
        [[delta_0*w_0, delta_0*w_1 + delta_1*w_0, delta_1*w_1]]
        >>> g.verify().ok
        True
    """
    return Gradients(expansion, activation, loss)


class Gradients:
    """Gradients of one layer (build with :func:`gradients`).

    Attributes:
        delta: ``dL/dz``, shape ``(C_out, L_out)``.
        upstream: ``dL/d(output)``: ``dL/dz`` without an activation, ``dL/da`` with one.
        dw, db, dx: ``dL/dw``, ``dL/db`` (None without bias), ``dL/dx``, shaped like ``w``, ``b``, ``x``.
        identities: The closed forms, each a named, printable :class:`~symconv.grad.forms.Identity`.
    """

    def __init__(self, expansion: Expansion, activation: Any = None, loss: Any = None) -> None:
        if not isinstance(expansion, Expansion):
            hint = " (a layer spec: pass layer.expand(input_length))" if isinstance(expansion, TapsLayer) else ""
            raise TypeError(
                f"'expansion' must be an Expansion, the layer at one input length{hint} "
                f"(got {expansion!r} of type {type(expansion).__name__})."
            )
        self.expansion = expansion
        self.activation: tuple[str, Callable[[Any], Any]] | None = (
            None if activation is None else resolve_activation(activation)
        )
        if not (loss is None or (isinstance(loss, str) and loss in LOSSES) or isinstance(loss, sympy.Expr)):
            raise ValueError(f"'loss' must be None, 'sum', 'mse' or a SymPy expression (got {loss!r}).")
        self.loss: Any = loss

    def __repr__(self) -> str:
        act = "" if self.activation is None else f", activation={self.activation[0]!r}"
        loss = "" if self.loss is None else f", loss={self.loss!r}"
        return f"<Gradients of {self.expansion.layer!r} on L={self.expansion.input_length}{act}{loss}>"

    # -- the chain rule down to delta --------------------------------------------------------
    @cached_property
    def output(self) -> sympy.ImmutableMatrix:
        """What the loss reads: ``z``, or ``a = f(z)`` with an activation."""
        e = self.expansion
        return e.z if self.activation is None else e.activate(self.activation[1])

    @cached_property
    def output_symbols(self) -> sympy.Array:
        return self.expansion.output_symbols("z" if self.activation is None else "a")

    @cached_property
    def upstream(self) -> sympy.ImmutableMatrix:
        """``dL/d(output)``: symbols for a generic loss, derived for a concrete one."""
        e = self.expansion
        shape = (e.spec.out_channels, e.output_length)
        if self.loss is None:  # the forward pass is not needed: only its shape
            return sympy.ImmutableMatrix(*shape, entries(e.output_symbols("delta" if self.activation is None else "g")))
        if self.loss == "sum":
            return sympy.ImmutableMatrix.ones(*shape)
        out = sympy.ImmutableMatrix(*shape, entries(self.output))  # flat per channel, whatever the axes
        if self.loss == "mse":
            y = sympy.ImmutableMatrix(*shape, entries(e.output_symbols("y")))
            return (2 * (out - y) / (shape[0] * shape[1])).as_immutable()
        names = entries(self.output_symbols)
        values = dict(zip(names, out))
        return sympy.ImmutableMatrix(*shape, [sympy.diff(self.loss, s).xreplace(values) for s in names])

    @cached_property
    def delta(self) -> LazyMatrix | LazyArray:
        """``dL/dz = f'(z) * dL/da`` elementwise (or the upstream gradient itself without activation).

        Shaped like ``z``: a matrix ``(C_out, L_out)`` for one spatial axis, an array beyond.
        """
        e = self.expansion
        shape = (e.spec.out_channels, *e.output_shape)
        reads_z = self.activation is not None or (self.loss is not None and self.loss != "sum")
        terms = e.spec.out_channels * e.output_length + (e.z.source.terms if reads_z else 0)
        made = views.source(e, "delta", shape, self._delta_at, self._delta_bulk, terms, "g.delta[o, i]")
        return LazyMatrix.of(made) if e.ndim == 1 else LazyArray.of(made)

    def _delta_bulk(self) -> list[Any]:
        upstream = list(self.upstream)
        if self.activation is None:
            return upstream
        name, f = self.activation
        return [derivative(name, f, zi) * u for zi, u in zip(views.flat(self.expansion.z), upstream)]

    def _delta_at(self, index: tuple[int, ...]) -> Any:
        """One entry of :attr:`delta`, built on its own (the same object as in the whole view)."""
        e = self.expansion
        if isinstance(self.loss, sympy.Expr):  # a loss of every output at once: only the whole view
            return self.delta.whole[index]
        if self.loss is None:
            up = e.output_symbols("delta" if self.activation is None else "g").at(index)
        elif self.loss == "sum":
            up = sympy.S.One
        else:  # mse
            out = e.z.at(index) if self.activation is None else self.activation[1](e.z.at(index))
            n = e.spec.out_channels * e.output_length
            up = 2 * (out - e.output_symbols("y").at(index)) / n
        if self.activation is None:
            return up
        name, f = self.activation
        return derivative(name, f, e.z.at(index)) * up

    @cached_property
    def loss_expression(self) -> sympy.Expr:
        """The scalar loss in terms of ``x``, ``w``, ``b`` (for a generic loss, ``sum(upstream * output)``
        with the upstream symbols held constant, whose gradient is the chain rule's)."""
        out = entries(self.output)
        if self.loss is None:
            return sympy.Add(*[u * o for u, o in zip(self.upstream, out)])
        if self.loss == "sum":
            return sympy.Add(*out)
        if self.loss == "mse":
            y = entries(self.expansion.output_symbols("y"))
            return sympy.Add(*[(o - t) ** 2 for o, t in zip(out, y)]) / len(out)
        return self.loss.xreplace(dict(zip(entries(self.output_symbols), out)))

    # -- explicit gradients, read off the taps (lazy: g.dw[o, c, k] is built on its own) -------
    def _gradient(self, role: str, shape: tuple[int, ...], entry: Any, bulk: Any, taps: bool, hint: str) -> LazyArray:
        terms = self.delta.source.terms + (len(self.expansion.taps) if taps else 0)
        return LazyArray.of(views.source(self.expansion, role, shape, entry, bulk, terms, hint))

    @cached_property
    def dw(self) -> LazyArray:
        """``dL/dw``, shaped like ``w``: each entry a sum over the weight's tying group."""
        e = self.expansion

        def entry(index: tuple[int, ...]) -> Any:
            o, cw, *k = index
            group = e.taps.tying_group(o, cw, k[0] if e.ndim == 1 else tuple(k))
            return views.sum_of_products([(self.delta.at(out), e.x.at(inp)) for out, inp in group])

        def bulk() -> list[Any]:
            rows, cols, weights = e.taps.triples()
            n = int(np.prod(e.spec.weight_shape))
            return grouped_sums(weights, n, rows, cols, views.flat(self.delta), views.flat(e.x))

        return self._gradient("dw", e.spec.weight_shape, entry, bulk, True, "g.dw[o, c, k]")

    @cached_property
    def dx(self) -> LazyArray:
        """``dL/dx = W^T vec(delta)``, shaped like ``x``: each entry a sum over the taps out of that input."""
        e = self.expansion

        def entry(index: tuple[int, ...]) -> Any:
            c, *t = index
            taps = e.taps.fed_by(c, t[0] if e.ndim == 1 else tuple(t))
            return views.sum_of_products([(e.w.at(tap.weight), self.delta.at(tap.output)) for tap in taps])

        def bulk() -> list[Any]:
            rows, cols, weights = e.taps.triples()
            n = e.spec.in_channels * e.input_length
            return grouped_sums(cols, n, weights, rows, views.flat(e.w), views.flat(self.delta))

        return self._gradient("dx", (e.spec.in_channels, *e.input_shape), entry, bulk, True, "g.dx[c, t]")

    @cached_property
    def db(self) -> LazyArray | None:
        """``dL/db``, one entry per output channel: the sum of its row of ``delta``, or None without bias."""
        e = self.expansion
        if e.b is None:
            return None
        n = e.output_length

        def entry(index: tuple[int, ...]) -> Any:
            return _sum([self.delta.at((index[0], *unravel(i, e.output_shape))) for i in range(n)])

        def bulk() -> list[Any]:
            d = views.flat(self.delta)
            return [_sum(d[o * n : (o + 1) * n]) for o in range(e.spec.out_channels)]

        return self._gradient("db", (e.spec.out_channels,), entry, bulk, False, "g.db[o]")

    # -- closed forms and the proof -------------------------------------------------------------
    @cached_property
    def identities(self) -> tuple[Identity, ...]:
        """The closed forms (bias, weight, input gradient), each with its explicit counterpart.

        Per-axis index formulas in 2D and 3D (:mod:`symconv.grad.forms_nd`).
        """
        e = self.expansion
        views.check(e, "the closed forms", self.dw.source.terms, "g.dw[o, c, k], g.dx[c, t], g.db[o]")
        if e.spec.kind is Kind.TRANSPOSED:
            return transposed_forms(self) if e.ndim == 1 else transposed_forms_nd(self)
        return closed_forms(self) if e.ndim == 1 else closed_forms_nd(self)

    def verify(self, identities: Sequence[Identity] | None = None) -> Verification:
        """Prove every closed form and every explicit gradient against ``sympy.diff``.

        Args:
            identities: The closed forms to check (default :attr:`identities`).

        Returns:
            A :class:`~symconv.base.verification.Verification`: each check proven, or the first
            entry that differs. ReLU's derivative at 0 is taken as 0 (PyTorch's convention)
            where ``sympy.diff`` gives ``Heaviside(0) = 1/2``: the two are compared away from 0.
        """
        chosen = self.identities if identities is None else identities
        if not isinstance(chosen, (list, tuple)):
            raise TypeError(f"'identities' must be a list or tuple of Identity objects (got {type(chosen).__name__}).")
        for ident in chosen:
            if not isinstance(ident, Identity):
                kind = type(ident).__name__
                raise TypeError(f"'identities' must hold Identity objects (got {ident!r} of type {kind}).")
        checks = [ident.check() for ident in chosen]
        loss = self.loss_expression
        e = self.expansion
        for role, symbols, grads in (("w", e.w, self.dw), ("b", e.b, self.db), ("x", e.x, self.dx)):
            if symbols is None or grads is None:
                continue
            pairs = [(s, sympy.diff(loss, s)) for s in entries(symbols)]
            checks.append(Check.entrywise(f"dL/d{role} = sympy.diff(L, {role})", entries(grads), [d for _, d in pairs]))
        w_t_delta = e.matrix.T * sympy.Matrix(entries(self.delta))
        checks.append(Check.entrywise("dL/dx = W^T vec(delta)", entries(self.dx), list(w_t_delta)))
        return Verification(tuple(checks))

    # -- numbers ---------------------------------------------------------------------------------
    def evaluate(self, x: Any, w: Any, b: Any = None, delta: Any = None, target: Any = None) -> dict[str, Any]:
        """Numeric gradients from the closed forms, vectorised like the forward pass.

        Args:
            x, w, b: As for :meth:`~symconv.views.expansion.Expansion.evaluate`.
            delta: The upstream gradient ``dL/d(output)`` (``dL/dz``, or ``dL/da`` with an
                activation), shaped like the output; required for a generic loss.
            target: The targets ``y`` for ``loss='mse'``, shaped like the output.

        Returns:
            ``{"dx", "dw", "db", "delta"}``: ``dx`` shaped like ``x``; ``dw`` and ``db`` summed
            over the batch (``db`` is None without bias); ``delta`` is ``dL/dz``.
        """
        return numeric_gradients(self, x, w, b, delta, target)


def _is_symbol(v: Any) -> bool:
    return isinstance(v, sympy.Symbol)


def _sum(terms: list[Any]) -> Any:
    if all(_is_symbol(t) or (isinstance(t, sympy.Mul) and len(t.args) == 2) for t in terms) and len(set(terms)) == len(
        terms
    ):
        return total(terms)
    return sympy.Add(*terms)


__all__ = ["LOSSES", "Gradients", "gradients", "same"]
