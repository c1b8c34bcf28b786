"""Derivations of stacks (:class:`~symconv.Sequential`): each layer's equations, the composition, backprop.

Every check takes a second route: a convolution stage against the layer's reference function,
an activation entry by entry, a pooling layer window by window, a dense layer as a matrix
product; the composition against stage-by-stage evaluation at integer points; receptive
fields against the free symbols of the composed outputs; every gradient against ``sympy.diff``
of the composed loss (at rational points off ties and kinks when the stack max-pools).
"""

from __future__ import annotations

import random
import re
from dataclasses import MISSING, fields
from typing import Any

import sympy

from symconv.base.symbols import entries
from symconv.latex.document import Derivation
from symconv.latex.listing import reference_outputs
from symconv.latex.printing import CHECK, code, kept, tex
from symconv.latex.steps import Block, Claim, Section, Step, VerificationError
from symconv.layers.activations import activation, derivative
from symconv.layers.protocol import Kind
from symconv.layers.stages import MaxPool1d
from symconv.stack.sequential import Sequential, StackExpansion, StackGradients, Stage

POINTS = 3


STAGE_SYMBOL = re.compile(r"^([A-Za-z]+)(\d+)_(.+)$")


def _show(value: Any) -> str:
    """``tex`` with stage symbols written with a superscript: ``h1_0`` as ``h^{(1)}_{0}``."""
    expr = sympy.sympify(value)
    names = {}
    for symbol in expr.free_symbols:
        match = STAGE_SYMBOL.match(symbol.name)
        if match:
            name, stage, index = match.groups()
            names[symbol] = sympy.Symbol(f"{name}^{{({stage})}}_{{{index}}}")
    return tex(expr.xreplace(names))


def _lines(pairs: list[tuple[Any, Any]], m: int) -> str:
    """``align*`` rows of ``lhs = rhs`` (LaTeX or SymPy on either side), elided above ``m`` rows."""
    rows = []
    for j in kept(len(pairs), m):
        if j is None:
            rows.append(r"\vdots\; &")
        else:
            lhs, rhs = pairs[j]
            rows.append(f"{lhs if isinstance(lhs, str) else _show(lhs)} &= {_show(rhs)}")
    return " \\\\\n".join(rows)


def _short(layer: Any) -> str:
    """``Conv1d(1, 1, 2, bias=False)``: required fields by position, the others only when not the default."""
    parts = []
    for f in fields(layer):
        value = getattr(layer, f.name)
        if f.default is MISSING and f.default_factory is MISSING:
            parts.append(repr(value))
        elif value != f.default:
            parts.append(f"{f.name}={value!r}")
    return f"{type(layer).__name__}({', '.join(parts)})"


def stack_derivation(net: Sequential, input_length: int, max_size: int = 8) -> Derivation:
    """The derivation of a stack on ``input_length`` inputs (channels from its first convolution)."""
    s = net.expand(input_length)
    sections = [_layers(s, max_size), _composition(s, max_size), _backprop(s, max_size)]
    names = " $\\to$ ".join(code(type(layer).__name__) for layer in net.layers)
    return Derivation(f"The stack {names} made explicit", s, sections, max_size + 1)


def _layers(s: StackExpansion, m: int) -> Section:
    section = Section("stack", "The stack, layer by layer")
    rows = [
        f"{stage.index} & {code(_short(stage.layer))} & ${stage.inputs.shape} \\to {stage.outputs.shape}$"
        for stage in s.stages
    ]
    section.add(
        Block(
            "Stage $l$ reads $h^{(l-1)}$ ($h^{(0)} = x$) and writes $h^{(l)}$, shapes (channels, length):\n\n"
            "\\begin{center}\n\\small\n\\begin{tabular}{rll}\n"
            + " \\\\\n".join(rows)
            + "\n\\end{tabular}\n\\end{center}"
        )
    )
    for stage in s.stages:
        pairs = list(zip(entries(stage.outputs), entries(stage.local)))
        section.add(
            Step(
                f"stage {stage.index}",
                f"Stage {stage.index}, {code(type(stage.layer).__name__)}, in terms of its own inputs:",
                _lines(pairs, m),
                f"{_route(stage)} {CHECK}",
                (Claim(entries(stage.local), entries(_second_route(stage))),),
            )
        )
    return section


def _route(stage: Stage) -> str:
    layer = stage.layer
    if layer.kind is Kind.POOLING:
        return (
            "The maximum over each window."
            if isinstance(layer, MaxPool1d)
            else "The mean over each window, with PyTorch's divisor."
        )
    return {
        Kind.CONVOLUTION: "The layer's reference function gives the same expressions.",
        Kind.TRANSPOSED: "The layer's reference function gives the same expressions.",
        Kind.ACTIVATION: "The nonlinearity applied to each entry on its own.",
        Kind.FLATTEN: "The entries read channel after channel.",
        Kind.DENSE: "The matrix product $h W^{\\top} + c$.",
    }.get(layer.kind, "Recomputed.")


def _second_route(stage: Stage) -> Any:
    layer, h = stage.layer, stage.inputs
    if stage.expansion is not None:
        e = stage.expansion
        return reference_outputs(e).xreplace(dict(zip(entries(e.x), entries(h))))
    if layer.kind is Kind.ACTIVATION:
        fn = activation(layer.f)[1]
        return [fn(v) for v in entries(h)]
    if layer.kind is Kind.POOLING:
        wins = layer.windows(h.shape[1])
        if isinstance(layer, MaxPool1d):
            return [sympy.Max(*[h[c, t] for t in win]) for c in range(h.shape[0]) for win in wins]
        divs = layer.divisors(h.shape[1])
        return [sum(h[c, t] for t in win) / dv for c in range(h.shape[0]) for win, dv in zip(wins, divs)]
    if layer.kind is Kind.FLATTEN:
        return entries(h)
    w, out = stage.params["w"], []
    for c in range(h.shape[0]):
        for j in range(w.shape[0]):
            bias = stage.params["b"][j] if "b" in stage.params else 0
            out.append(bias + sum(w[j, f] * h[c, f] for f in range(w.shape[1])))
    return out


def _point(symbols: set[Any], seed: int) -> dict[Any, Any]:
    rng = random.Random(seed)
    ordered = sorted(symbols, key=str)
    values = rng.sample(range(-10 * len(ordered) - 10, 10 * len(ordered) + 10), len(ordered))
    return dict(zip(ordered, values))


def _composition(s: StackExpansion, m: int) -> Section:
    section = Section("composition", "The composition")
    out = s.output
    hidden = {v for stage in s.stages for v in entries(stage.outputs)}
    free = set().union(*[v.free_symbols for stage in s.stages for v in entries(stage.local)]) - hidden
    checks = []
    for seed in range(POINTS):
        point = _point(free, seed)
        numbers = dict(point)
        for stage in s.stages:
            numbers.update(zip(entries(stage.outputs), [v.xreplace(numbers) for v in entries(stage.local)]))
        checks.append(
            Claim([v.xreplace(numbers) for v in entries(s.output_symbols)], [v.xreplace(point) for v in entries(out)])
        )
    pairs = list(zip(entries(s.output_symbols), entries(out)))
    section.add(
        Step(
            "composed output",
            "Substituting each stage into the next gives the output in terms of the input and every parameter:",
            _lines(pairs, m),
            f"Evaluated stage by stage at {POINTS} integer points, it gives the same numbers. {CHECK}",
            tuple(checks),
        )
    )
    section.add(_receptive(s, m))
    return section


def _receptive(s: StackExpansion, m: int) -> Step:
    shape = s.output_symbols.shape
    xs = entries(s.x)
    lines, checks = [], []
    for r in range(shape[0] * shape[1]):
        c, i = divmod(r, shape[1])
        field = s.receptive_field(c, i)
        symbols = [s.x[ct] for ct in field]
        used = sorted((v for v in xs if v in s.output[c, i].free_symbols), key=xs.index)
        checks.append(Claim(symbols, used))
        lines.append((s.output_symbols[c, i], symbols))
    shown = []
    for j in kept(len(lines), m):
        if j is None:
            shown.append((r"\vdots", ""))
        else:
            out, symbols = lines[j]
            shown.append((_show(out), r"\{" + ", ".join(tex(v) for v in symbols) + r"\}"))
    return Step(
        "receptive fields",
        "The inputs each output depends on (its receptive field through the stack):",
        " \\\\\n".join(f"{a} &: {b}" if b else f"{a} &" for a, b in shown),
        f"Read off the layers' connectivity, and equal to the input symbols in each composed output. {CHECK}",
        tuple(checks),
    )


def _backprop(s: StackExpansion, m: int) -> Section:
    section = Section("backprop", "Backpropagation through the stack")
    g = s.gradients()
    names = ["x"] + [f"h^{{({stage.index})}}" for stage in s.stages]
    for j in reversed(range(len(g.deltas) - 1)):
        section.add(_delta_step(s, g, j, names[j], m))
    section.add(_verify_step(g))
    return section


def _delta_step(s: StackExpansion, g: StackGradients, j: int, name: str, m: int) -> Step:
    stage = s.stages[j]
    pairs: list[tuple[Any, Any]] = [(_partial(v), d) for v, d in zip(entries(stage.inputs), entries(g.deltas[j]))]
    for (index, key), value in g.params.items():
        if index == stage.index:
            pairs += [(_partial(v), d) for v, d in zip(entries(stage.params[key]), entries(value))]
    lines = _lines(pairs, m)
    expected = _back_route(stage, g.deltas[j + 1])
    checks = () if expected is None else (Claim(entries(g.deltas[j]), expected),)
    why = (
        "The same gradient by a second route (" + _back_words(stage) + ")"
        if checks
        else "Each entry passes the upstream gradient to the window's maximum (first one on ties, as PyTorch)"
    )
    return Step(
        f"back through stage {stage.index}",
        f"Back through stage {stage.index} ({code(type(stage.layer).__name__)}): the gradient with respect to "
        f"${name}$, in terms of the upstream gradient, and of the stage's parameters:",
        lines,
        f"{why}; every composed gradient is checked against \\texttt{{sympy.diff}} in the last step. {CHECK}",
        checks,
    )


def _partial(symbol: Any) -> str:
    return f"\\frac{{\\partial L}}{{\\partial {_show(symbol)}}}"


def _back_words(stage: Stage) -> str:
    return {
        Kind.ACTIVATION: "$f'(h) \\odot \\delta$, entry by entry",
        Kind.POOLING: "each window's share of $\\delta$",
        Kind.FLATTEN: "the entries unflattened",
        Kind.DENSE: "$\\delta W$ multiplied out",
    }.get(stage.layer.kind, "$W^{\\top}\\delta$ with the stage's weight-tied matrix")


def _back_route(stage: Stage, delta: Any) -> list[Any] | None:
    """``dL/d(input)`` of one stage from ``delta = dL/d(output)`` by a second route (None for max pooling)."""
    layer, h = stage.layer, stage.inputs
    if stage.expansion is not None:
        e = stage.expansion
        out: list[Any] = [0] * len(entries(h))
        for (r, c), value in e.matrix.todok().items():
            out[c] += value * entries(delta)[r]
        return [sympy.expand(v) for v in out]
    if layer.kind is Kind.ACTIVATION:
        fn_name, fn = activation(layer.f)
        return [derivative(fn_name, fn, v) * d for v, d in zip(entries(h), entries(delta))]
    if layer.kind is Kind.POOLING and not isinstance(layer, MaxPool1d):
        wins, divs = layer.windows(h.shape[1]), layer.divisors(h.shape[1])
        grid = [[sympy.S.Zero] * h.shape[1] for _ in range(h.shape[0])]
        for c in range(h.shape[0]):
            for i, (win, dv) in enumerate(zip(wins, divs)):
                for t in win:
                    grid[c][t] += delta[c, i] / dv
        return [v for row in grid for v in row]
    if layer.kind is Kind.FLATTEN:
        return entries(delta)
    if layer.kind is Kind.DENSE:
        w = stage.params["w"]
        return [
            sum(delta[c, j] * w[j, f] for j in range(w.shape[0])) for c in range(h.shape[0]) for f in range(w.shape[1])
        ]
    return None


def _verify_step(g: StackGradients) -> Step:
    result = g.verify(points=POINTS)
    failed = [f"{check.name}: {check.detail}" for check in result.checks if not check.proven]
    if failed:
        raise VerificationError(f"step 'every gradient' failed verification: {'; '.join(failed)}.")
    lines = [(code(check.name).replace("^", r"\^{}"), check.detail.replace("_", r"\_")) for check in result.checks]
    items = "\n".join(f"\\item {a}: {b}" for a, b in lines)
    return Step(
        "every gradient",
        "Composing every local rule, each gradient is compared with SymPy's derivative of the composed loss:\n"
        f"\\begin{{itemize}}\n{items}\n\\end{{itemize}}",
        "",
        f"All proven (exactly, or at rational points off ties and kinks for max pooling). {CHECK}",
        tuple(Claim(check.proven, True) for check in result.checks),
    )
