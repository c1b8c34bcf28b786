"""Stacks of layers: each layer's equations in terms of the previous layer's outputs, the
composed expression, receptive fields through the stack, and backprop with every delta.

Stage ``l`` reads ``h^(l-1)`` (``h0 = x``) and writes ``h^(l)``, named ``h{l}``; convolution
parameters are ``w{l}``, ``b{l}``; dense parameters ``W{l}``, ``c{l}``. Each layer's rules
are local (in its own input symbols); composition substitutes the previous stage's
expressions. Convolution stages reuse the layer's expansion and gradients (from its taps).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import sympy
from sympy import ImmutableMatrix as Matrix

from symconv.base.symbols import entries, symbol_array
from symconv.base.validate import as_int, check_position, is_int
from symconv.base.values import exact
from symconv.base.verification import Check, Verification, same
from symconv.grad.gradients import gradients
from symconv.layers.activations import relu_slopes
from symconv.layers.conv import Conv1d
from symconv.layers.convnd import Conv2d, Conv3d
from symconv.layers.poolnd import AvgPool2d, AvgPool3d, MaxPool2d, MaxPool3d
from symconv.layers.protocol import Kind, TapsLayer
from symconv.layers.stages import Activation, AvgPool1d, Flatten, Linear, MaxPool1d
from symconv.layers.transposed import ConvTranspose1d
from symconv.layers.transposednd import ConvTranspose2d, ConvTranspose3d
from symconv.stack.terms import stack_terms
from symconv.views.expansion import MAX_TERMS

LAYERS = (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    Activation,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    Flatten,
    Linear,
)


@dataclass(frozen=True)
class Sequential:
    """A stack of layers, applied in order (``torch.nn.Sequential``).

    Examples:
        >>> from symconv import Conv1d
        >>> net = Sequential(Conv1d(1, 1, 2, bias=False), Activation("relu"), MaxPool1d(2))
        >>> s = net.expand(3)
        >>> s.stages[2].local
        Matrix([[Max(h2_0, h2_1)]])
        >>> s.output
        Matrix([[Max(0, w1_0*x_0 + w1_1*x_1, w1_0*x_1 + w1_1*x_2)]])
        >>> s.receptive_field(0, 0)
        [(0, 0), (0, 1), (0, 2)]

        In 2D (or 3D) the input shape is a tuple and positions are tuples:

        >>> from symconv import Conv2d, MaxPool2d
        >>> s = Sequential(Conv2d(1, 1, 2, bias=False), MaxPool2d(2)).expand((3, 3))
        >>> s.shapes
        [(1, 3, 3), (1, 2, 2), (1, 1, 1)]
        >>> len(s.receptive_field(0, (0, 0)))
        9
    """

    layers: tuple[Any, ...]
    kind: ClassVar[Kind] = Kind.STACK

    def __init__(self, *layers: Any) -> None:
        for j, layer in enumerate(layers):
            if not isinstance(layer, LAYERS):
                names = ", ".join(t.__name__ for t in LAYERS)
                raise TypeError(f"'layers[{j}]' of Sequential must be one of {names} (got {type(layer).__name__}).")
        if not layers:
            raise ValueError("'layers' of Sequential must hold at least one layer (got none).")
        object.__setattr__(self, "layers", tuple(layers))

    def expand(
        self, input_length: int | tuple[int, ...], in_channels: int | None = None, *, max_terms: int | None = None
    ) -> StackExpansion:
        """The stack on ``(in_channels, input_length)`` inputs (channels from the first conv by default).

        ``input_length`` is an int for 1D layers, a tuple of spatial sizes for 2D and 3D layers.

        Every stage is built whole, so the stack's size (:func:`~symconv.stack.terms.stack_terms`:
        the input symbols, then per stage its connections, biases and output symbols) is counted
        first, arithmetically; above ``max_terms`` (default ``symconv.views.expansion.MAX_TERMS``, ten
        million) nothing is built.

        Raises:
            TypeError, ValueError: ``input_length`` not a positive int or a tuple of them,
                ``in_channels`` not a positive int, or ``max_terms`` not an int at least 0.
            ValueError: The stack holds more than ``max_terms`` terms; the message gives the
                size and the lazy alternative (expanding one layer, ``layer.expand(L)``).
        """
        spatial = spatial_sizes(input_length)
        in_channels = self._in_channels(in_channels)
        limit = MAX_TERMS if max_terms is None else as_int("max_terms", max_terms, minimum=0)
        return StackExpansion(self, in_channels, spatial, limit)

    def terms(self, input_length: int | tuple[int, ...], in_channels: int | None = None) -> int:
        """The number of terms :meth:`expand` builds, counted without building any (see :mod:`symconv.stack.terms`).

        Examples:
            >>> from symconv import Conv1d
            >>> Sequential(Conv1d(1, 1, 2, bias=False), Activation("relu"), MaxPool1d(2)).terms(10**8)
            749999992
        """
        spatial = spatial_sizes(input_length)
        in_channels = self._in_channels(in_channels)
        return stack_terms(self.layers, in_channels, spatial)

    def _in_channels(self, in_channels: int | None) -> int:
        """``in_channels`` checked, or the first convolution's (1 without one)."""
        if in_channels is None:
            first = next((la for la in self.layers if isinstance(la, TapsLayer)), None)
            in_channels = first.in_channels if first is not None else 1
        return as_int("in_channels", in_channels, minimum=1)


def spatial_sizes(value: Any) -> tuple[int, ...]:
    """A stack's spatial input size: an int (1D) or a tuple of ints, checked, as a tuple."""
    if isinstance(value, (tuple, list)):
        if not value:
            raise ValueError("'input_length' must be an int or a non-empty tuple of spatial sizes (got ()).")
        return tuple(as_int(f"input_length[{a}]", n, minimum=1) for a, n in enumerate(value))
    return (as_int("input_length", value, minimum=1),)


def _flags(shape: tuple[int, ...]) -> tuple[bool, ...]:
    """Which indices a stage's symbol names carry: the channel only with several, every spatial one."""
    return (shape[0] > 1, *(True,) * (len(shape) - 1))


def _symbols(name: str, shape: tuple[int, ...]) -> Matrix:
    """Symbols of ``shape = (C, *spatial)`` as a ``(C, prod(spatial))`` matrix, C order."""
    return Matrix(shape[0], math.prod(shape[1:]), entries(symbol_array(name, shape, _flags(shape), 0)))


@dataclass
class Stage:
    """One layer of an expanded stack: its input and output symbols, parameters, local equations.

    Symbols and equations are ``(C, N)`` matrices: a row per channel, the ``N`` spatial entries in
    C order; ``input_shape`` and ``output_shape`` are the ``(C, *spatial)`` they stand for.
    """

    index: int
    layer: Any
    inputs: Matrix
    outputs: Matrix
    params: dict[str, Matrix]
    local: Matrix
    expansion: Any = None
    input_shape: tuple[int, ...] = ()
    output_shape: tuple[int, ...] = ()


class StackExpansion:
    """A :class:`Sequential` made explicit at one input shape."""

    def __init__(
        self, net: Sequential, in_channels: int, input_length: int | tuple[int, ...], max_terms: int = MAX_TERMS
    ) -> None:
        spatial = spatial_sizes(input_length)
        _refuse_above(net, in_channels, spatial, max_terms)
        self.net, self.max_terms = net, max_terms
        #: the input's ``(C, *spatial)``
        self.input_shape = (in_channels, *spatial)
        self.x = _symbols("x", self.input_shape)
        self.stages: list[Stage] = []
        h, shape = self.x, self.input_shape
        for j, layer in enumerate(net.layers, start=1):
            stage = self._stage(j, layer, h, shape)
            self.stages.append(stage)
            h, shape = stage.outputs, stage.output_shape

    def _stage(self, j: int, layer: Any, h: Matrix, shape: tuple[int, ...]) -> Stage:
        if isinstance(layer, TapsLayer):
            if shape[0] != layer.in_channels:
                raise ValueError(f"layer {j} expects {layer.in_channels} channels but the stack gives {shape[0]}.")
            names = {"x": "u", "w": f"w{j}", "b": f"b{j}", "z": f"h{j}"}
            size = shape[1] if len(shape) == 2 else shape[1:]
            e = layer.expand(size, names=names, max_terms=self.max_terms)
            out_shape = (layer.out_channels, *e.output_shape)
            rows, cols = out_shape[0], math.prod(out_shape[1:])
            local = Matrix(rows, cols, entries(e.z)).xreplace(dict(zip(entries(e.x), entries(h))))
            params = {"w": e.w} if e.b is None else {"w": e.w, "b": e.b}
            outputs = Matrix(rows, cols, entries(e.z_symbols))
            return Stage(j, layer, h, outputs, params, local, e, shape, out_shape)
        params = layer.parameters(str(j)) if layer.kind is Kind.DENSE else {}
        out_shape = tuple(layer.output_shape(shape))
        outputs = _symbols(f"h{j}", out_shape)
        return Stage(j, layer, h, outputs, params, layer.forward(h, params, shape), None, shape, out_shape)

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """The ``(C, *spatial)`` of the input and of every stage's output."""
        return [self.input_shape, *(stage.output_shape for stage in self.stages)]

    @property
    def output_symbols(self) -> Matrix:
        return self.stages[-1].outputs

    @cached_property
    def composed(self) -> list[Matrix]:
        """Every stage's output in terms of ``x`` and the parameters (the composed expressions)."""
        out: list[Matrix] = []
        values: dict[Any, Any] = {}
        for stage in self.stages:
            expr = stage.local.xreplace(values)
            values.update(zip(entries(stage.outputs), entries(expr)))
            out.append(expr)
        return out

    @property
    def output(self) -> Matrix:
        """The stack's output as one expression per entry, in ``x`` and every parameter."""
        return self.composed[-1]

    @cached_property
    def _dependency(self) -> np.ndarray:
        dep = np.eye(len(entries(self.x)), dtype=bool)
        for stage in self.stages:
            index = {s: j for j, s in enumerate(entries(stage.inputs))}
            local = np.zeros((len(entries(stage.local)), len(index)), dtype=bool)
            for r, expr in enumerate(entries(stage.local)):
                for s in expr.free_symbols & index.keys():
                    local[r, index[s]] = True
            dep = (local.astype(np.int64) @ dep.astype(np.int64)) > 0
        return dep

    def receptive_field(self, channel: int, position: int | tuple[int, ...]) -> list[tuple[int, ...]]:
        """The inputs ``(c, *t)`` that output ``(channel, position)`` of the stack depends on.

        ``position`` is an int for a stack with one spatial axis, a tuple of indices otherwise.
        """
        shape = self.stages[-1].output_shape
        if len(shape) == 2:  # one spatial axis: an int index, as in 1D everywhere
            index = check_position("output position", ("channel", "position"), (channel, position), shape)
        else:
            if not isinstance(position, (tuple, list)) or len(position) != len(shape) - 1:
                raise ValueError(
                    f"'position' must be a tuple of {len(shape) - 1} indices for this stack's output {shape[1:]} "
                    f"(got {position!r})."
                )
            names = ("channel", *(f"position[{a}]" for a in range(len(shape) - 1)))
            index = check_position("output position", names, (channel, *position), shape)
        row = self._dependency[int(np.ravel_multi_index(index, shape))]
        return [tuple(int(v) for v in np.unravel_index(int(j), self.input_shape)) for j in np.flatnonzero(row)]

    def gradients(self, loss: Any = None) -> StackGradients:
        """Backprop through the stack (generic upstream symbols ``g_j``, ``'sum'``, or ``'mse'``)."""
        return StackGradients(self, loss)

    def evaluate(self, x: Any, params: Any = None) -> np.ndarray:
        """Exact numbers of the stack's output, stage by stage from the local equations.

        Args:
            x: The input, ``(C, *spatial)`` or batched ``(N, C, *spatial)``; numbers (exact for ints
                and rationals).
            params: One entry per layer: ``{"w": array, "b": array or None}`` for a convolution or a
                ``Linear``, ``{}`` or ``None`` for a layer without weights (the list
                :func:`symconv.frameworks.torch_modules.parameters_of` gives for a ``Sequential``).

        Returns:
            An object array of the output's shape (with the batch axis if ``x`` has one).

        Raises:
            ValueError: ``x`` of the wrong shape, ``params`` of the wrong length, or a weight of the
                wrong shape (named with its layer).
        """
        values = self._parameter_values(params)
        data = np.asarray(x, dtype=object)
        shape = self.input_shape
        batched = data.ndim == len(shape) + 1
        if data.shape != shape and not (batched and data.shape[1:] == shape):
            raise ValueError(f"'x' must have shape {shape} or (N, *{shape}) for this stack (got {data.shape}).")
        samples = data if batched else data[None]
        out = [self._forward(sample, values) for sample in samples]
        result = np.array(out, dtype=object).reshape(len(out), *self.stages[-1].output_shape)
        return result if batched else result[0]

    def _parameter_values(self, params: Any) -> dict[Any, Any]:
        params = [None] * len(self.stages) if params is None else list(params)
        if len(params) != len(self.stages):
            raise ValueError(f"'params' must have one entry per layer, {len(self.stages)} (got {len(params)}).")
        values: dict[Any, Any] = {}
        for stage, given in zip(self.stages, params):
            given = given or {}
            if not isinstance(given, Mapping):
                raise TypeError(
                    f"'params[{stage.index - 1}]' must be a dict with 'w' and 'b' (got {type(given).__name__})."
                )
            where, kind = f"params[{stage.index - 1}]", type(stage.layer).__name__
            for name, symbols in stage.params.items():
                array = given.get(name)
                if array is None:
                    raise ValueError(f"'{where}' needs {name!r} for layer {stage.index} ({kind}).")
                flat = np.asarray(array, dtype=object).ravel()
                wanted = entries(symbols)
                if len(flat) != len(wanted):
                    raise ValueError(
                        f"'{where}[{name!r}]' must hold {len(wanted)} numbers for layer {stage.index} "
                        f"({kind}; got shape {np.shape(array)})."
                    )
                values.update(zip(wanted, (exact(where, v) for v in flat)))
        return values

    def _forward(self, sample: np.ndarray, values: dict[Any, Any]) -> list[Any]:
        numbers = dict(values)
        numbers.update(zip(entries(self.x), (exact("x", v) for v in sample.ravel())))
        out: list[Any] = []
        for stage in self.stages:
            out = [e.xreplace(numbers) for e in entries(stage.local)]
            numbers.update(zip(entries(stage.outputs), out))
        return out


class StackGradients:
    """Every intermediate delta and every parameter gradient of a stack, and their proof.

    ``deltas[l]`` is ``dL/dh^(l)`` (``deltas[0]`` is ``dL/dx``), in the local symbols.
    """

    def __init__(self, stack: StackExpansion, loss: Any = None) -> None:
        if not (loss is None or (isinstance(loss, str) and loss in ("sum", "mse"))):
            raise ValueError(f"'loss' must be None, 'sum' or 'mse' for a stack (got {loss!r}).")
        self.stack, self.loss = stack, loss
        out = stack.output_symbols

        def shaped_like_output(name: str) -> Matrix:
            return _symbols(name, stack.stages[-1].output_shape)

        #: the targets ``y`` of ``'mse'``, shaped like the output; None for other losses
        self.targets = shaped_like_output("y") if loss == "mse" else None
        if loss is None:
            self.upstream = shaped_like_output("g")
        elif loss == "sum":
            self.upstream = Matrix.ones(*out.shape)
        else:
            self.upstream = (2 * (out - self.targets) / len(out)).as_immutable()
        self.deltas: list[Matrix] = [self.upstream]
        self.params: dict[tuple[int, str], Any] = {}
        delta = self.upstream
        for stage in reversed(stack.stages):
            delta = self._back(stage, delta)
            self.deltas.insert(0, delta)

    def _back(self, stage: Stage, delta: Matrix) -> Matrix:
        if stage.expansion is not None:
            g = gradients(stage.expansion)
            e = stage.expansion
            values = dict(zip(entries(e.output_symbols("delta")), entries(delta)))
            values.update(zip(entries(e.x), entries(stage.inputs)))
            self.params[(stage.index, "w")] = g.dw.xreplace(values)
            if g.db is not None:
                self.params[(stage.index, "b")] = g.db.xreplace(values)
            return Matrix(*stage.inputs.shape, entries(g.dx)).xreplace(values)
        back, grads = stage.layer.backward(stage.inputs, delta, stage.params, stage.input_shape)
        for name, value in grads.items():
            self.params[(stage.index, name)] = value
        return back

    @cached_property
    def loss_expression(self) -> sympy.Expr:
        out = entries(self.stack.output)
        if self.loss is None:
            return sympy.Add(*[g * o for g, o in zip(entries(self.upstream), out)])
        if self.loss == "sum":
            return sympy.Add(*out)
        return sympy.Add(*[(o - t) ** 2 for o, t in zip(out, entries(self.targets))]) / len(out)

    def _values(self) -> dict[Any, Any]:
        values: dict[Any, Any] = {}
        for stage, expr in zip(self.stack.stages, self.stack.composed):
            values.update(zip(entries(stage.outputs), entries(expr)))
        return values

    def composed_gradients(self) -> dict[tuple[int, str], list[Any]]:
        """Every parameter gradient (and ``(0, 'x')``) in terms of ``x`` and the parameters.

        ReLU slopes are put in canonical form (:func:`~symconv.layers.activations.relu_slopes`): two
        ReLUs in a row give ``Heaviside(u, 0)``, not ``Heaviside(Max(0, u), 0)*Heaviside(u, 0)``.
        """
        values = self._values()
        out = {key: [relu_slopes(v.xreplace(values)) for v in entries(g)] for key, g in self.params.items()}
        out[(0, "x")] = [relu_slopes(v.xreplace(values)) for v in entries(self.deltas[0])]
        return out

    def _symbols(self) -> dict[tuple[int, str], list[Any]]:
        out = {(s.index, k): entries(v) for s in self.stack.stages for k, v in s.params.items()}
        out[(0, "x")] = entries(self.stack.x)
        return out

    def verify(self, points: int = 3, seed: int = 0) -> Verification:
        """Compare every gradient with ``sympy.diff`` of the composed loss.

        A proof (symbolic equality) for stacks without max pooling. With max pooling the
        gradient is a ``Piecewise`` that equals SymPy's derivative wherever the window has no
        tie, so it is checked at ``points`` random rational points off ties and kinks.
        """
        points = as_int("points", points, minimum=1)
        if not is_int(seed):
            raise TypeError(f"'seed' must be an int (got {seed!r} of type {type(seed).__name__}).")
        seed = int(seed)
        loss, grads, symbols = self.loss_expression, self.composed_gradients(), self._symbols()
        has_max = any(getattr(s.layer, "takes_max", False) for s in self.stack.stages)
        checks = []
        for key, values in grads.items():
            name = f"dL/d{key[1]}{'' if key[0] == 0 else key[0]} = sympy.diff"
            expected = [sympy.diff(loss, s) for s in symbols[key]]
            checks.append(
                _pointwise(name, values, expected, loss.free_symbols, points, seed)
                if has_max
                else Check.entrywise(name, values, expected)
            )
        return Verification(tuple(checks))

    def evaluate(self, values: dict[Any, Any]) -> dict[tuple[int, str], list[Any]]:
        """Exact numbers for every gradient, given numbers for every free symbol (``x``, parameters, ``g``/``y``).

        Computed stage by stage from the local rules, so nothing is composed. Keys are SymPy
        symbols or their names; values are numbers or SymPy expressions (a string raises
        ``TypeError``: it is never parsed).
        """
        if not isinstance(values, Mapping):
            raise TypeError(f"'values' must be a mapping from symbols to numbers (got {type(values).__name__}).")
        numbers = {_symbol_key(k): exact("values", v) for k, v in values.items()}
        for key, value in numbers.items():
            if value.has(sympy.nan, sympy.oo, -sympy.oo, sympy.zoo):
                raise ValueError(f"'values' must be finite numbers for exact gradients (got {value} for {key}).")
        for stage in self.stack.stages:
            numbers.update(zip(entries(stage.outputs), [e.xreplace(numbers) for e in entries(stage.local)]))
        out = {key: [v.xreplace(numbers) for v in entries(g)] for key, g in self.params.items()}
        out[(0, "x")] = [v.xreplace(numbers) for v in entries(self.deltas[0])]
        return out


def _refuse_above(net: Sequential, in_channels: int, spatial: tuple[int, ...], max_terms: int) -> None:
    """Refuse to build a stack of more than ``max_terms`` terms, before building anything.

    Raises:
        ValueError: Giving the size, the limit and the lazy alternative.
    """
    terms = stack_terms(net.layers, in_channels, spatial)
    if terms > max_terms:
        size = spatial[0] if len(spatial) == 1 else spatial
        raise ValueError(
            f"the stack of {len(net.layers)} layers on (C, L) = ({in_channels}, {size}) has {terms} terms, "
            f"above max_terms={max_terms}: it is not built whole. Expand one layer lazily instead "
            f"(net.layers[j].expand(L_j) builds single entries such as equations[r] at any size), "
            f"or raise the limit with expand(L, max_terms=...)."
        )


def _symbol_key(key: Any) -> sympy.Symbol:
    """A key of :meth:`StackGradients.evaluate`: a symbol, or a name made a symbol without parsing."""
    if isinstance(key, sympy.Symbol):
        return key
    if isinstance(key, str):
        return sympy.Symbol(key)
    raise TypeError(f"'values' keys must be SymPy symbols or their names (got {key!r} of type {type(key).__name__}).")


def _pointwise(name: str, values: list[Any], expected: list[Any], free: set[Any], points: int, seed: int) -> Check:
    """Compare at random rational points off every kink: where a ReLU input is 0 or a max window
    ties, ``sympy.diff`` says ``Heaviside(0) = 1/2`` and the stated conventions say otherwise."""
    rng = random.Random(seed)
    symbols = sorted(free, key=str)
    kinks = {h.args[0] for e in expected if isinstance(e, sympy.Basic) for h in e.atoms(sympy.Heaviside)}
    for p in range(points):
        point = _off_kinks(rng, symbols, kinks)
        for j, (a, b) in enumerate(zip(values, expected)):
            left = a.xreplace(point)
            right = b.xreplace(point).doit()
            if not _equal_numbers(left, right):
                return Check(name, False, f"entry {j} differs at point {p}: {left} != {right}")
    return Check(
        name, True, f"{len(values)} entries at {points} rational points off ties and kinks (exact, or to 60 digits)"
    )


def _equal_numbers(left: Any, right: Any, digits: int = 60) -> bool:
    """Two numbers from a substitution: exactly when both are rational, else to ``digits`` significant
    digits (values such as ``tanh(5)`` make ``simplify`` take minutes where ``evalf`` takes microseconds)."""
    left, right = sympy.sympify(left), sympy.sympify(right)
    if left.is_Rational and right.is_Rational:
        return bool(left == right)
    if not (left.is_number and right.is_number):
        return same(left, right)
    gap = abs((left - right).evalf(digits))
    return bool(gap <= sympy.Float(10) ** (5 - digits) * (1 + abs(left.evalf(digits))))


def _off_kinks(rng: random.Random, symbols: list[Any], kinks: set[Any], tries: int = 50) -> dict[Any, Any]:
    """Distinct random rationals in ``[-1, 1]`` for ``symbols`` at which no kink argument is 0.

    SymPy numbers, since ``xreplace`` of a bare symbol returns the value as given; small, so that
    a saturating activation (``tanh(5075)`` against ``tanh(6087)``) stays decidable.
    """
    span = 10 * len(symbols) + 10
    for _ in range(tries):
        draws = rng.sample(range(-span, span + 1), len(symbols))
        point = {s: sympy.Rational(v, span) for s, v in zip(symbols, draws)}
        if all(k.xreplace(point) != 0 for k in kinks):
            return point
    raise ValueError(f"no rational point off the kinks found in {tries} tries; the gradients cannot be checked here.")
