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

from symconv.activations import activation as resolve_activation
from symconv.activations import derivative
from symconv.expansion import Expansion, grouped_sums, total
from symconv.gradient_forms import Identity, closed_forms
from symconv.symbols import entries
from symconv.verification import Check, Verification, same

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
        identities: The closed forms, each a named, printable :class:`~symconv.gradient_forms.Identity`.
    """

    def __init__(self, expansion: Expansion, activation: Any = None, loss: Any = None) -> None:
        if not isinstance(expansion, Expansion):
            hint = " (a layer spec: pass layer.expand(input_length))" if hasattr(expansion, "expand") else ""
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
        out = self.output
        if self.loss == "mse":
            y = sympy.ImmutableMatrix(*shape, entries(e.output_symbols("y")))
            return (2 * (out - y) / (shape[0] * shape[1])).as_immutable()
        names = entries(self.output_symbols)
        values = dict(zip(names, out))
        return sympy.ImmutableMatrix(*shape, [sympy.diff(self.loss, s).xreplace(values) for s in names])

    @cached_property
    def delta(self) -> sympy.ImmutableMatrix:
        """``dL/dz = f'(z) * dL/da`` elementwise (or the upstream gradient itself without activation)."""
        if self.activation is None:
            return self.upstream
        name, f = self.activation
        fprime = [derivative(name, f, zi) for zi in self.expansion.z]
        return sympy.ImmutableMatrix(*self.upstream.shape, [d * u for d, u in zip(fprime, self.upstream)])

    @cached_property
    def loss_expression(self) -> sympy.Expr:
        """The scalar loss in terms of ``x``, ``w``, ``b`` (for a generic loss, ``sum(upstream * output)``
        with the upstream symbols held constant, whose gradient is the chain rule's)."""
        out = list(self.output)
        if self.loss is None:
            return sympy.Add(*[u * o for u, o in zip(self.upstream, out)])
        if self.loss == "sum":
            return sympy.Add(*out)
        if self.loss == "mse":
            y = entries(self.expansion.output_symbols("y"))
            return sympy.Add(*[(o - t) ** 2 for o, t in zip(out, y)]) / len(out)
        return self.loss.xreplace(dict(zip(entries(self.output_symbols), out)))

    # -- explicit gradients, read off the taps --------------------------------------------------
    @cached_property
    def dw(self) -> sympy.Array:
        rows, cols, weights = self.expansion.taps.triples()
        x, d = entries(self.expansion.x), list(self.delta)
        sums = grouped_sums(weights, int(np.prod(self.expansion.spec.weight_shape)), rows, cols, d, x)
        return sympy.ImmutableDenseNDimArray(sums, self.expansion.spec.weight_shape)

    @cached_property
    def dx(self) -> sympy.Array:
        e = self.expansion
        rows, cols, weights = e.taps.triples()
        sums = grouped_sums(cols, e.spec.in_channels * e.input_length, weights, rows, entries(e.w), list(self.delta))
        return sympy.ImmutableDenseNDimArray(sums, (e.spec.in_channels, e.input_length))

    @cached_property
    def db(self) -> sympy.Array | None:
        if self.expansion.b is None:
            return None
        d = self.delta
        return sympy.ImmutableDenseNDimArray([_sum(list(d.row(o))) for o in range(d.rows)], (d.rows,))

    # -- closed forms and the proof -------------------------------------------------------------
    @cached_property
    def identities(self) -> tuple[Identity, ...]:
        """The closed forms (bias, weight, input gradient), each with its explicit counterpart."""
        return closed_forms(self)

    def verify(self, identities: Sequence[Identity] | None = None) -> Verification:
        """Prove every closed form and every explicit gradient against ``sympy.diff``.

        Args:
            identities: The closed forms to check (default :attr:`identities`).

        Returns:
            A :class:`~symconv.verification.Verification`: each check proven, or the first
            entry that differs. ReLU's derivative at 0 is taken as 0 (PyTorch's convention)
            where ``sympy.diff`` gives ``Heaviside(0) = 1/2``: the two are compared away from 0.
        """
        checks = [ident.check() for ident in (self.identities if identities is None else identities)]
        loss = self.loss_expression
        e = self.expansion
        for role, symbols, grads in (("w", e.w, self.dw), ("b", e.b, self.db), ("x", e.x, self.dx)):
            if symbols is None or grads is None:
                continue
            pairs = [(s, sympy.diff(loss, s)) for s in entries(symbols)]
            checks.append(Check.entrywise(f"dL/d{role} = sympy.diff(L, {role})", entries(grads), [d for _, d in pairs]))
        w_t_delta = e.matrix.T * sympy.Matrix(list(self.delta))
        checks.append(Check.entrywise("dL/dx = W^T vec(delta)", entries(self.dx), list(w_t_delta)))
        return Verification(tuple(checks))

    # -- numbers ---------------------------------------------------------------------------------
    def evaluate(self, x: Any, w: Any, b: Any = None, delta: Any = None, target: Any = None) -> dict[str, Any]:
        """Numeric gradients from the closed forms, vectorised like the forward pass.

        Args:
            x, w, b: As for :meth:`~symconv.expansion.Expansion.evaluate`.
            delta: The upstream gradient ``dL/d(output)`` (``dL/dz``, or ``dL/da`` with an
                activation), shaped like the output; required for a generic loss.
            target: The targets ``y`` for ``loss='mse'``, shaped like the output.

        Returns:
            ``{"dx", "dw", "db", "delta"}``: ``dx`` shaped like ``x``; ``dw`` and ``db`` summed
            over the batch (``db`` is None without bias); ``delta`` is ``dL/dz``.
        """
        from symconv.gradient_numbers import numeric_gradients

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
