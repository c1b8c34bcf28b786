"""Derivations of stacks (:class:`~symconv.Sequential`) in 1D, 2D and 3D: each layer's equations, the
composition, the receptive field of an output through the stack, backprop.

Every check takes a second route (:mod:`symconv.latex.stack_routes`): a convolution or pooling stage
against its general indexed formula worked out by integer arithmetic per axis, an activation entry by
entry, a dense layer as a matrix product; the composition against stage-by-stage evaluation at integer
points; receptive fields against the per-axis window ``J i - P, ..., J i - P + R - 1`` and against the
free symbols of the composed outputs shown; each stage's backward rule against the transposed matrix, the
derivative or the windows; and all gradients together against ``sympy.diff`` of the composed loss (small
stacks) or forward-mode derivatives along random directions (any size). Every check is linear in the
taps except ``sympy.diff`` of the composed loss, so a big stack is derived in seconds and printed as a
small window of entries after the general formula.

Examples:
    >>> from symconv import Conv2d, MaxPool2d, Activation, Sequential
    >>> d = stack_derivation(Sequential(Conv2d(1, 2, 3, padding=1), Activation("relu"), MaxPool2d(2)), (4, 4))
    >>> [s.key for s in d.sections]
    ['stack', 'composition', 'backprop']
"""

from __future__ import annotations

import itertools
import math
import random
import re
from dataclasses import MISSING, fields
from typing import Any

import sympy

from symconv.base.order import term_key
from symconv.base.symbols import entries
from symconv.grad.gradients import gradients
from symconv.latex import stack_gradcheck as gradcheck
from symconv.latex import stack_routes as routes
from symconv.latex.document import Derivation
from symconv.latex.printing import CHECK, code, kept, runs_tex, tex, width_pt
from symconv.latex.steps import Block, Claim, Section, Step, VerificationError
from symconv.layers.activations import activation, derivative
from symconv.layers.protocol import Kind
from symconv.stack.sequential import Sequential, StackExpansion, StackGradients, Stage

POINTS = 3

#: Stacks of at most this many terms (:meth:`Sequential.terms`) have every gradient compared with
#: ``sympy.diff`` of the composed loss, entry by entry (quadratic: 46 s for a 4x4 Conv2d stack of 384
#: terms); bigger ones by forward-mode derivatives along random directions (linear).
DIFF_TERMS = 60

#: The widest a display line may be, in points (the text is about 480pt wide).
LINE = 400.0

STAGE_SYMBOL = re.compile(r"^([A-Za-z]+)(\d+)(?:_(.+))?$")

INDEX = {1: ["i"], 2: ["i_1", "i_2"], 3: ["i_1", "i_2", "i_3"]}
KERNEL = {1: ["k"], 2: ["k_1", "k_2"], 3: ["k_1", "k_2", "k_3"]}


def _name(symbol: Any) -> str | None:
    """The LaTeX of a stage symbol: ``h1_0,5`` as ``h^{(1)}_{0,5}``, ``delta3_0`` as ``\\delta^{(3)}_{0}``."""
    match = STAGE_SYMBOL.match(symbol.name)
    if not match:
        return None
    base, stage, index = match.groups()
    base = "\\delta" if base == "delta" else base
    return f"{base}^{{({stage})}}" + (f"_{{{index}}}" if index else "")


#: The printer measures a stage symbol by its plain name (``w_{1 0,2}``), about this much wider than it prints
#: (``w^{(1)}_{0,2}``: the stage stacked over the subscript).
PLAIN_RATIO = 1.3


def _width(latex: str) -> float:
    """:func:`~symconv.latex.printing.width_pt` of printed LaTeX, a stage superscript stacked over its subscript."""
    return width_pt(re.sub(r"\^\{\(\d+\)\}", "", latex))


def _show(value: Any, sum_width: float | None = None) -> str:
    """``tex`` in index order, with stage symbols written with a superscript (``h^{(1)}_{0}``); sums wider than
    ``sum_width`` points (as printed) are elided in their middle."""
    expr = sympy.sympify(value)
    staged = any(isinstance(v, sympy.Symbol) and _name(v) for v in expr.free_symbols)
    text = tex(expr) if sum_width is None else tex(expr, sum_width * (PLAIN_RATIO if staged else 1.0))
    renames = [(tex(v), named) for v in expr.free_symbols if isinstance(v, sympy.Symbol) and (named := _name(v))]
    for plain, named in sorted(renames, key=lambda pair: -len(pair[0])):
        text = text.replace(plain, named)
    return text


def _rows(lhs: str, expr: Any, sep: str = "=") -> list[str]:
    """``align*`` rows ``lhs = expr`` that stay within :data:`LINE`: a long sum elided in its middle (with the
    count of terms left out), a wide ``max`` broken after each argument, a sum of a few wide terms after
    each term, any part still too wide elided inside (:func:`_fit`). ``expr`` may be LaTeX already."""
    if isinstance(expr, str):
        return [f"{lhs} &{sep} {expr}"]
    room = LINE - _lhs_width(lhs) - 30
    for share in (1.0, 0.85, 0.7):  # the printer's widths are estimates: ask it for less
        full = _show(expr, room * share)
        if _width(full) <= room:
            return [f"{lhs} &{sep} {full}"]
    expr = sympy.sympify(expr)
    if isinstance(expr, (sympy.Max, sympy.Min)):
        name = r"\max" if isinstance(expr, sympy.Max) else r"\min"
        parts = [_fit(a, LINE - 90) for a in _ordered_args(expr)]
        if len(parts) > 5:
            parts = [*parts[:3], f"\\overset{{\\text{{{len(parts) - 4} more}}}}{{\\dots}}", parts[-1]]
        return _pack(f"{lhs} &{sep} {name}\\bigl(", parts, ",", "\\bigr)")
    if expr.is_Add:
        terms = [_fit(term, LINE - 90) for term in _ordered_terms(expr)]
        if len(terms) > 4:
            terms = [*terms[:2], f"\\overset{{\\text{{{len(terms) - 3} terms}}}}{{\\cdots}}", terms[-1]]
        return _pack(f"{lhs} &{sep} ", terms, " +", "")
    return [f"{lhs} &{sep} {_fit(expr, room)}"]


def _lhs_width(lhs: str) -> float:
    """The width of a left side: a fraction ``dL/dv`` is as wide as ``v`` and a little (the printer's estimate
    counts the fraction's two lines one after the other).

    Examples:
        >>> _lhs_width(r"\\frac{\\partial L}{\\partial x_{0,2}}") < 40
        True
    """
    head = "\\frac{\\partial L}{\\partial "
    if lhs.startswith(head) and lhs.endswith("}"):
        return _width(lhs[len(head) : -1]) + 12
    return _width(lhs)


def _ordered_args(expr: Any) -> list[Any]:
    """A max's arguments, numbers first, then in SymPy's order."""
    return sorted(expr.args, key=lambda a: (not a.is_number, sympy.default_sort_key(a)))


def _ordered_terms(expr: Any) -> list[Any]:
    """A sum's terms in index order (the order the printer uses)."""
    return sorted(sympy.Add.make_args(expr), key=term_key)


def _fit(expr: Any, room: float) -> str:
    """``expr`` in at most about ``room`` points: long sums elided, a wide ``max`` shown by its first and last
    arguments with the count left out, a product's widest factor fitted in what its other factors leave.

    Examples:
        >>> xs = sympy.symbols("x_0:40")
        >>> print(_fit(sympy.Max(0, sum(xs[:20]), sum(xs[20:])), 200))  # doctest: +ELLIPSIS
        \\max\\left(0, x_{0} + ... + x_{19}, x_{20} + ... + x_{39}\\right)
    """
    text = _show(expr, room)
    if _width(text) <= room or expr.is_Atom:
        return text
    if isinstance(expr, (sympy.Max, sympy.Min)):
        name = r"\max" if isinstance(expr, sympy.Max) else r"\min"
        args = _ordered_args(expr)
        picked = args if len(args) <= 3 else [args[0], args[-1]]
        wide = [a for a in picked if not a.is_number] or picked
        shown = [_show(a) if a.is_number else _fit(a, (room - 60) / len(wide)) for a in picked]
        if len(args) > 3:
            shown.insert(1, f"\\overset{{\\text{{{len(args) - 2} more}}}}{{\\dots}}")
        return f"{name}\\left({', '.join(shown)}\\right)"
    if expr.is_Mul:
        factors = sorted(expr.args, key=lambda f: _width(_show(f)))
        small = " ".join(_show(f) for f in factors[:-1])
        big = _fit(factors[-1], room - _width(small) - 20)
        return f"{small} \\left({big}\\right)" if factors[-1].is_Add else f"{small} {big}"
    if expr.is_Add:
        for share in (0.85, 0.7, 0.55):  # the printer's widths are estimates: ask it for less
            text = _show(expr, room * share)
            if _width(text) <= room:
                return text
        terms = [_fit(term, room / 3) for term in _ordered_terms(expr)]
        if len(terms) > 2:
            terms = [terms[0], f"\\overset{{\\text{{{len(terms) - 2} terms}}}}{{\\cdots}}", terms[-1]]
        return " + ".join(terms)
    return text


def _pack(head: str, parts: list[str], joint: str, tail: str) -> list[str]:
    """``parts`` joined by ``joint``, as few rows as fit :data:`LINE`, continued rows indented."""
    rows, line = [], head
    for j, part in enumerate(parts):
        piece = part + (joint if j < len(parts) - 1 else tail)
        if line not in (head, "&\\qquad ") and _width(line + piece) > LINE:
            rows.append(line)
            line = "&\\qquad "
        line += piece + " "
    return [*rows, line]


def _lines(pairs: list[tuple[Any, Any]], m: int) -> str:
    """``align*`` rows of ``lhs = rhs`` (LaTeX or SymPy on either side), elided above ``m`` pairs."""
    rows: list[str] = []
    for j in kept(len(pairs), m):
        if j is None:
            rows.append(f"\\vdots\\; & \\quad\\text{{({len(pairs) - m + 1} more)}}")
        else:
            lhs, rhs = pairs[j]
            rows += _rows(lhs if isinstance(lhs, str) else _show(lhs), rhs)
    return " \\\\\n".join(rows)


def _short(layer: Any) -> str:
    """``Conv2d(1, 2, 3, padding=1)``: required fields by position, the others only when they differ from the
    defaults, a value equal on every axis written once.

    Examples:
        >>> from symconv import Conv2d, MaxPool1d
        >>> _short(Conv2d(1, 2, 3, padding=1)), _short(MaxPool1d(2))
        ('Conv2d(1, 2, 3, padding=1)', 'MaxPool1d(2)')
    """
    required = [getattr(layer, f.name) for f in fields(layer) if f.default is MISSING and f.default_factory is MISSING]
    try:
        default = type(layer)(*required)
    except (TypeError, ValueError):
        default = None
    parts = [repr(_once(v)) for v in required]
    for f in fields(layer):
        if (f.default is MISSING and f.default_factory is MISSING) or f.name == "conv_class":
            continue
        value = getattr(layer, f.name)
        if value != getattr(default, f.name, f.default):
            parts.append(f"{f.name}={_once(value)!r}")
    return f"{type(layer).__name__}({', '.join(parts)})"


def _once(value: Any) -> Any:
    """A per-axis value equal on every axis as that value (``(3, 3)`` as 3, ``((1, 1), (1, 1))`` as 1)."""
    while isinstance(value, tuple) and value and all(v == value[0] for v in value):
        value = value[0]
    return value


def stack_derivation(net: Sequential, input_shape: int | tuple[int, ...] | None, max_size: int = 8) -> Derivation:
    """The derivation of a stack on inputs of spatial size ``input_shape`` (an int in 1D, a tuple in 2D and
    3D; channels from its first convolution), every step checked by a second route.

    Entries are printed for a window of ``max_size`` outputs of each view (the first ones in C order, then
    the last), after the general formula they instantiate.
    """
    if input_shape is None:
        raise ValueError(
            "'input_length' is required when 'layer' is a stack: an int, or a tuple in 2D and 3D (got None)."
        )
    s = net.expand(input_shape)
    sections = [_layers(s, max_size), _composition(s, max_size), _backprop(s, max_size)]
    names = " $\\to$ ".join(code(type(layer).__name__) for layer in net.layers)
    return Derivation(f"The stack {names} made explicit", s, sections, max_size + 1)


# -- layer by layer --------------------------------------------------------------------------------------


def _axes_words(ndim: int) -> str:
    return {1: "(channel, position)", 2: "(channel, row, column)"}.get(ndim, "(channel, then one index per axis)")


def _layers(s: StackExpansion, m: int) -> Section:
    section = Section("stack", "The stack, layer by layer")
    ndim = len(s.input_shape) - 1
    rows = [
        f"{stage.index} & {code(_short(stage.layer))} & ${_shape(stage.input_shape)} \\to {_shape(stage.output_shape)}$"
        for stage in s.stages
    ]
    section.add(
        Block(
            f"Stage $l$ reads $h^{{(l-1)}}$ ($h^{{(0)}} = x$) and writes $h^{{(l)}}$. Shapes are "
            f"{_axes_words(ndim)}; an entry's subscripts are its indices, 0-based, the channel left out where "
            "there is one channel, and entries are listed in C order (the last index fastest).\n\n"
            "\\begin{center}\n\\small\n\\begin{tabular}{rp{0.55\\textwidth}l}\n"
            + " \\\\\n".join(rows)
            + "\n\\end{tabular}\n\\end{center}"
        )
    )
    for stage in s.stages:
        section.add(_stage_step(stage, m))
    return section


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _stage_step(stage: Stage, m: int) -> Step:
    pairs = list(zip(entries(stage.outputs), entries(stage.local)))
    formula, note = _general(stage)
    shown = f"{min(len(pairs), m)} of its {len(pairs)} entries" if len(pairs) > m else f"its {len(pairs)} entries"
    words = f"Stage {stage.index}, {code(type(stage.layer).__name__)}, in terms of its own inputs"
    words += f": the general formula{note}, then {shown}:" if formula else f", {shown}:"
    math_ = (formula + " \\\\[4pt]\n" if formula else "") + _lines(pairs, m)
    return Step(
        f"stage {stage.index}",
        words,
        math_,
        f"{_route(stage)} {CHECK}",
        (Claim(entries(stage.local), _second_route(stage)),),
    )


def _route(stage: Stage) -> str:
    layer = stage.layer
    if stage.expansion is not None and layer.kind is Kind.CONVOLUTION:
        return "Every entry, rebuilt from the general formula by integer arithmetic per axis, is the same."
    return {
        Kind.POOLING: "Every entry, rebuilt from the general formula by integer arithmetic per axis, is the same.",
        Kind.TRANSPOSED: "The weight-tied matrix times the input, plus the bias, gives the same entries.",
        Kind.ACTIVATION: "The nonlinearity applied to each entry on its own gives the same.",
        Kind.FLATTEN: "The entries read channel after channel.",
        Kind.DENSE: "The matrix product $h W^{\\top} + c$ gives the same.",
    }.get(layer.kind, "Recomputed.")


def _second_route(stage: Stage) -> list[Any]:
    layer, h = stage.layer, stage.inputs
    if stage.expansion is not None:
        if layer.kind is Kind.CONVOLUTION:
            return routes.conv_equations(stage)
        e = stage.expansion
        out: list[Any] = [
            e.b[r // math.prod(stage.output_shape[1:])] if e.b is not None else 0 for r in range(e.matrix.shape[0])
        ]
        for (r, c), value in e.matrix.todok().items():
            out[r] += value * entries(h)[c]
        return out
    if layer.kind is Kind.ACTIVATION:
        fn = activation(layer.f)[1]
        return [fn(v) for v in entries(h)]
    if layer.kind is Kind.POOLING:
        return routes.pool_equations(stage)
    if layer.kind is Kind.FLATTEN:
        return entries(h)
    w, out = stage.params["w"], []
    for c in range(h.shape[0]):
        for j in range(w.shape[0]):
            bias = stage.params["b"][j] if "b" in stage.params else 0
            out.append(bias + sum(w[j, f] * h[c, f] for f in range(w.shape[1])))
    return out


def _indexed(base: str, indices: list[str], count: int) -> str:
    """``base`` subscripted with the last ``count`` of ``indices`` (symbols drop a single channel's index)."""
    kept_ = indices[len(indices) - count :] if count else []
    return base + (f"_{{{','.join(kept_)}}}" if kept_ else "")


def _count(symbol: Any) -> int:
    """How many subscripts a symbol carries (``w1_0,0,1`` has 3)."""
    match = STAGE_SYMBOL.match(symbol.name)
    rest = match.group(3) if match else symbol.name.partition("_")[2]
    return len(rest.split(",")) if rest else 0


def _stage_name(stage: Stage, role: str) -> str:
    """``x`` or ``h^{(l-1)}`` for the input, ``h^{(l)}`` for the output."""
    if role == "in":
        return "x" if stage.index == 1 else f"h^{{({stage.index - 1})}}"
    return f"h^{{({stage.index})}}"


def _read(s: int, d: int, p: int, i: str, k: str | None) -> str:
    """The index ``s i + d k - p`` with the numbers of this axis (``2 i_1 + k_1 - 1``)."""
    text = i if s == 1 else f"{s} {i}"
    if k is not None:
        text += f" + {k}" if d == 1 else f" + {d} {k}"
    return text + (f" - {p}" if p > 0 else "")


def _general(stage: Stage) -> tuple[str, str]:
    """The stage's general indexed formula as an ``align*`` row, and a note on its padding ('' if none)."""
    layer, ndim = stage.layer, len(stage.input_shape) - 1
    if ndim not in INDEX:
        return "", ""
    i_s, k_s = INDEX[ndim], KERNEL[ndim]
    first_in, first_out = entries(stage.inputs)[0], entries(stage.outputs)[0]
    n_in, n_out = _count(first_in), _count(first_out)
    if layer.kind is Kind.ACTIVATION:
        lhs = _indexed(_stage_name(stage, "out"), ["c", *i_s], n_out)
        arg = sympy.Symbol(_indexed(_stage_name(stage, "in"), ["c", *i_s], n_in))
        return f"{lhs} &= {tex(activation(layer.f)[1](arg))}", ""
    if layer.kind is Kind.CONVOLUTION and stage.expansion is not None:
        return _conv_general(stage, i_s, k_s, n_in, n_out)
    if layer.kind is Kind.POOLING:
        return _pool_general(stage, i_s, k_s, n_in, n_out)
    return "", ""


def _conv_general(stage: Stage, i_s: list[str], k_s: list[str], n_in: int, n_out: int) -> tuple[str, str]:
    layer, ndim = stage.layer, len(i_s)
    axes = routes.conv_axes(layer, ndim)
    cg = layer.in_channels // layer.groups
    w_count = _count(entries(stage.params["w"])[0])
    ks = [f"{ax[0] - 1} - {k}" for ax, k in zip(axes, k_s)] if layer.flip else k_s
    w_c, channel = _channel_indices(layer)
    reads = [_read(s, d, pl, i, k) for (_, s, d, pl, _), i, k in zip(axes, i_s, k_s)]
    lhs = _indexed(_stage_name(stage, "out"), ["o", *i_s], n_out)
    term = (
        _indexed(f"w^{{({stage.index})}}", ["o", w_c, *ks], w_count)
        + " "
        + _indexed(_stage_name(stage, "in"), [channel, *reads], n_in)
    )
    sums = (f"\\sum_{{c=0}}^{{{cg - 1}}}" if cg > 1 else "") + "".join(
        f"\\sum_{{{k}=0}}^{{{ax[0] - 1}}}" for ax, k in zip(axes, k_s)
    )
    bias = ""
    if "b" in stage.params:
        bias = _indexed(f"b^{{({stage.index})}}", ["o"], _count(entries(stage.params["b"])[0])) + " + "
    mode = layer.padding_mode
    pads = any(ax[3] or ax[4] for ax in axes)
    note = ""
    if pads:
        note = (
            " (a term whose index falls outside the input is a zero pad, left out)"
            if mode == "zeros"
            else f" (an index outside the input is read through the {code(mode)} fold)"
        )
    if layer.groups > 1:
        note += f", where ${_group_start(layer)}$ is the first input channel of $o$'s group"
    return f"{lhs} &= {bias}{sums} {term}", note


def _channel_indices(layer: Any) -> tuple[str, str]:
    """The channel subscripts of a convolution's general formula: the weight's (``c``, or 0 with one input
    channel per group) and the input's (``c``, ``g_o + c`` with groups, or ``g_o``, or 0)."""
    cg = layer.in_channels // layer.groups
    if layer.groups == 1:
        return ("c", "c") if cg > 1 else ("0", "0")
    return ("c", "g_o + c") if cg > 1 else ("0", "g_o")


def _group_start(layer: Any) -> str:
    """``g_o = C_g floor(o / O_g)``, simplified (``g_o = o`` for a depthwise layer)."""
    cg, og = layer.in_channels // layer.groups, layer.out_channels // layer.groups
    group = "o" if og == 1 else f"\\lfloor o / {og} \\rfloor"
    return f"g_o = {group}" if cg == 1 else f"g_o = {cg} {group}"


def _pool_general(stage: Stage, i_s: list[str], k_s: list[str], n_in: int, n_out: int) -> tuple[str, str]:
    layer, spatial = stage.layer, stage.input_shape[1:]
    axes = routes.pool_axes(layer, spatial)
    reads = [_read(s, d, pl, i, k) for (_, s, d, pl, _), i, k in zip(axes, i_s, k_s)]
    lhs = _indexed(_stage_name(stage, "out"), ["c", *i_s], n_out)
    arg = _indexed(_stage_name(stage, "in"), ["c", *reads], n_in)
    ranges = ",\\ ".join(f"0 \\le {k} < {ax[0]}" for ax, k in zip(axes, k_s))
    note = " (positions outside the input are left out)" if any(ax[3] or ax[4] for ax in axes) else ""
    if layer.takes_max:
        return f"{lhs} &= \\max_{{{ranges}}} {arg}", note
    override = getattr(layer, "divisor_override", None)
    if override:
        div = f"$= {override}$, as {code('divisor_override')} sets it"
    elif layer.count_include_pad:
        div = "the window's size inside the padded input (PyTorch's divisor)"
    else:
        div = "the number of the window's positions inside the input (PyTorch's divisor)"
    i_list = ",".join(i_s)
    return (
        f"{lhs} &= \\frac{{1}}{{D_{{{i_list}}}}} \\sum_{{{ranges}}} {arg}",
        f"{note}, with $D_{{{i_list}}}$ {div}",
    )


# -- composition and receptive fields ---------------------------------------------------------------------


def _point(symbols: set[Any], seed: int) -> dict[Any, Any]:
    rng = random.Random(seed)
    ordered = sorted(symbols, key=str)
    values = rng.sample(range(-10 * len(ordered) - 10, 10 * len(ordered) + 10), len(ordered))
    return dict(zip(ordered, (sympy.Integer(v) for v in values)))


def _composition(s: StackExpansion, m: int) -> Section:
    section = Section("composition", "The composition")
    outputs = entries(s.output_symbols)
    few = min(m, 4)  # a composed entry may take several lines
    rows = [j for j in kept(len(outputs), few) if j is not None]
    composed = routes.compose(s, rows)
    hidden = {v for stage in s.stages for v in entries(stage.outputs)}
    free = set().union(*[v.free_symbols for stage in s.stages for v in entries(stage.local)]) - hidden
    checks = []
    for seed in range(POINTS):
        point = _point(free, seed)
        staged = gradcheck.stage_values(s, point)
        checks.append(Claim([staged[outputs[r]] for r in rows], [v.xreplace(point) for v in composed]))
    pairs = list(zip(outputs, composed))
    shown = kept(len(outputs), few)
    elided = [(outputs[j], pairs[rows.index(j)][1]) if j is not None else None for j in shown]
    section.add(
        Step(
            "composed output",
            "Substituting each stage into the next gives the output in terms of the input and every parameter"
            + (f" ({len(rows)} of its {len(outputs)} entries)" if len(rows) < len(outputs) else "")
            + ":",
            _elided_lines(elided, len(outputs)),
            f"Every stage evaluated in turn at {POINTS} integer points gives the same numbers. {CHECK}",
            tuple(checks),
        )
    )
    section.add(_receptive(s, m, rows, composed))
    return section


def _elided_lines(pairs: list[tuple[Any, Any] | None], total: int) -> str:
    rows: list[str] = []
    for pair in pairs:
        if pair is None:
            rows.append(f"\\vdots\\; & \\quad\\text{{({total - len(pairs) + 1} more)}}")
        else:
            rows += _rows(_show(pair[0]), pair[1])
    return " \\\\\n".join(rows)


def _receptive(s: StackExpansion, m: int, rows: list[int], composed: list[Any]) -> Step:
    shape = s.stages[-1].output_shape
    ndim = len(shape) - 1
    positions = list(itertools.product(*(range(n) for n in shape)))
    fields_ = [s.receptive_field(p[0], p[1] if ndim == 1 else tuple(p[1:])) for p in positions]
    xs = entries(s.x)
    checks = []
    for r, expr in zip(rows, composed):
        symbols = [s.x[ct[0], _flat(ct[1:], s.input_shape[1:])] for ct in fields_[r]]
        used = sorted((v for v in xs if v in expr.free_symbols), key=xs.index)
        checks.append(Claim(symbols, used))
    axes = routes.receptive_axes(s)
    words = "The inputs each output depends on, its receptive field through the stack"
    formula = ""
    if axes is not None:
        checks += _window_claims(s, axes, positions, fields_)
        formula = _window_formula(s, axes) + " \\\\[4pt]\n"
        words += (
            ". Along each axis, output $i$ of the stack reads inputs among $J i - P, \\dots, J i - P + R - 1$ "
            "(those inside the input), with $J$, $R$ and $P$ built layer by layer from $J_0 = R_0 = 1$, $P_0 = 0$ "
            "($s_l$, $d_l$, $K_l$, $p_l$: layer $l$'s stride, dilation, kernel size and left padding; an "
            "activation leaves them unchanged)"
        )
    shown = []
    for j in kept(len(positions), m):
        if j is None:
            shown.append(f"\\vdots\\; & \\quad\\text{{({len(positions) - m + 1} more)}}")
        else:
            out = _show(s.output_symbols[positions[j][0], _flat(positions[j][1:], shape[1:])])
            shown.append(f"{out} &: {_field_tex(fields_[j], s.input_shape)}")
    reason = "Read off the layers' connectivity; for the outputs shown, the input symbols of the composed output"
    if axes is not None:
        reason += (
            "; for every output, inside its window, and all of it where no layer's taps leave a gap "
            "($d_l J_{l-1} \\le R_{l-1}$) and the window reads no padding"
        )
    return Step(
        "receptive fields",
        words + ":",
        formula + " \\\\\n".join(shown),
        f"{reason}. {CHECK}",
        tuple(checks),
    )


def _flat(position: tuple[int, ...], spatial: tuple[int, ...]) -> int:
    flat = 0
    for t, n in zip(position, spatial):
        flat = flat * n + t
    return flat


def _window_formula(s: StackExpansion, axes: list[routes.ReceptiveAxis]) -> str:
    parts = []
    for a, axis in enumerate(axes):
        label = "" if len(axes) == 1 else f"\\text{{axis {a + 1}: }}"
        parts.append(f"{label}J = {axis.jump},\\ R = {axis.size},\\ P = {axis.offset}")
    rule = "&J_l = s_l J_{l-1},\\quad R_l = R_{l-1} + d_l (K_l - 1) J_{l-1},\\quad P_l = P_{l-1} + p_l J_{l-1}"
    return rule + " \\\\\n&" + ",\\qquad ".join(parts)


def _window_claims(
    s: StackExpansion, axes: list[routes.ReceptiveAxis], positions: list[tuple[int, ...]], fields_: list[Any]
) -> list[Claim]:
    """For every output: its field's positions lie in the window; equal to it when contiguous and inside."""
    spatial = s.input_shape[1:]
    inside, equal = [], []
    for position, field in zip(positions, fields_):
        window = set(itertools.product(*(ax.window(i, n) for ax, i, n in zip(axes, position[1:], spatial))))
        points = {ct[1:] for ct in field}
        inside.append(points <= window)
        if all(ax.contiguous and ax.inside(i, n) for ax, i, n in zip(axes, position[1:], spatial)):
            equal.append(points == window)
    return [Claim(all(inside), True), Claim(all(equal), True)]


def _field_tex(field: list[tuple[int, ...]], input_shape: tuple[int, ...]) -> str:
    """A receptive field: its symbols when few, else ``x_{c,t_1,t_2}`` over index sets."""
    channels = input_shape[0] > 1
    ndim = len(input_shape) - 1
    if len(field) <= 5:
        names = [f"x_{{{','.join(str(v) for v in (ct if channels else ct[1:]))}}}" for ct in field]
        return "\\{" + ", ".join(names) + "\\}"
    coords = [sorted({ct[a] for ct in field}) for a in range(len(input_shape))]
    if set(field) != set(itertools.product(*coords)):
        return f"\\text{{{len(field)} inputs}}"
    letters = ["c", *(["t"] if ndim == 1 else [f"t_{a + 1}" for a in range(ndim)])]
    pairs = list(zip(letters, coords))[0 if channels else 1 :]
    sets = ",\\ ".join(f"{name} \\in \\{{{runs_tex(values)}\\}}" for name, values in pairs)
    return f"\\{{x_{{{','.join(name for name, _ in pairs)}}} : {sets}\\}}"


# -- backprop ---------------------------------------------------------------------------------------------


def _backprop(s: StackExpansion, m: int) -> Section:
    section = Section("backprop", "Backpropagation through the stack")
    section.add(
        Block(
            "Write $\\delta^{(l)} = \\partial L / \\partial h^{(l)}$ for the gradient of the loss $L$ with respect "
            "to stage $l$'s output, shaped like it; at the top it is the upstream gradient. Going down, each "
            "stage turns $\\delta^{(l)}$ into $\\delta^{(l-1)}$ by its own local rule, and gives the gradients "
            "of its parameters."
        )
    )
    deltas = [_deltas(stage) for stage in s.stages]
    rules = [_local_rule(stage, delta) for stage, delta in zip(s.stages, deltas)]
    for j in reversed(range(len(s.stages))):
        section.add(_delta_step(s.stages[j], deltas[j], rules[j], m))
    section.add(_verify_step(s, rules, [entries(d) for d in deltas]))
    return section


def _deltas(stage: Stage) -> sympy.ImmutableMatrix:
    """Symbols ``delta{l}_...`` for ``dL/dh^(l)``, named like the stage's outputs."""
    names = [sympy.Symbol("delta" + v.name[1:]) for v in entries(stage.outputs)]
    return sympy.ImmutableMatrix(*stage.outputs.shape, names)


def _local_rule(stage: Stage, delta: Any) -> tuple[list[Any], dict[str, list[Any]]]:
    """``dL/d(input)`` and the parameter gradients of one stage, in terms of ``delta = dL/d(output)``."""
    if stage.expansion is not None:
        e = stage.expansion
        grads = gradients(e)
        values = dict(zip(entries(e.output_symbols("delta")), entries(delta)))
        values.update(zip(entries(e.x), entries(stage.inputs)))
        params = {"w": [v.xreplace(values) for v in entries(grads.dw)]}
        if grads.db is not None:
            params["b"] = [v.xreplace(values) for v in entries(grads.db)]
        return [v.xreplace(values) for v in entries(grads.dx)], params
    back, grads_ = stage.layer.backward(stage.inputs, delta, stage.params, stage.input_shape)
    return entries(back), {k: entries(v) for k, v in grads_.items()}


def _delta_step(stage: Stage, delta: Any, rule: tuple[list[Any], dict[str, list[Any]]], m: int) -> Step:
    back, params = rule
    j = stage.index - 1
    into = "x" if j == 0 else f"h^{{({j})}}"
    shown: list[Any] = _argmax_rule(stage, delta) if _wide_windows(stage) else back
    pairs: list[tuple[Any, Any]] = [(_partial(v), d) for v, d in zip(entries(stage.inputs), shown)]
    general = _conv_back_general(stage)
    lines = general.get("x", "") + _lines(pairs, m)
    if shown is not back:
        why_words = (
            f", where $W^{{({stage.index})}}_{{c,i}}$ is the window of output $(c, i)$ and "
            "$\\mathbf{1}[h = \\max W]$ is 1 for the window's first maximum in C order (PyTorch's choice on ties), "
            "else 0"
        )
    else:
        why_words = ""
    for key, values in params.items():
        param_pairs = [(_partial(v), d) for v, d in zip(entries(stage.params[key]), values)]
        lines += " \\\\[4pt]\n" + general.get(key, "") + _lines(param_pairs, m)
    expected = _back_route(stage, delta)
    checks: tuple[Claim, ...] = () if expected is None else (Claim(back, expected),)
    if general:
        rebuilt = routes.conv_parameter_gradients(stage, delta)
        checks += (Claim([v for key in params for v in params[key]], [v for key in params for v in rebuilt[key]]),)
    why = (
        "The same rule by a second route ("
        + _back_words(stage)
        + ")"
        + (
            "; the parameters' gradients rebuilt from their general formulas by integer arithmetic per axis"
            if general
            else ""
        )
        if checks
        else "Each entry passes the upstream gradient to its window's maximum (the first one on ties, as PyTorch)"
    )
    return Step(
        f"back through stage {stage.index}",
        f"Back through stage {stage.index} ({code(type(stage.layer).__name__)}): $\\partial L / \\partial {into}$ "
        f"in terms of $\\delta^{{({stage.index})}}$"
        + (", then the gradients of the stage's parameters" if params else "")
        + why_words
        + ":",
        lines,
        f"{why}; all the rules composed are checked in the last step. {CHECK}",
        checks,
    )


def _conv_back_general(stage: Stage) -> dict[str, str]:
    """A convolution stage's backward rules in general form (``align*`` rows ending in a line break), keyed
    ``'x'`` (the input's gradient), ``'w'`` and ``'b'``; empty for other stages and beyond 3D."""
    layer, ndim = stage.layer, len(stage.input_shape) - 1
    if layer.kind is not Kind.CONVOLUTION or stage.expansion is None or ndim not in INDEX:
        return {}
    i_s, k_s = INDEX[ndim], KERNEL[ndim]
    n_in, n_out = _count(entries(stage.inputs)[0]), _count(entries(stage.outputs)[0])
    axes = routes.conv_axes(layer, ndim)
    w_count = _count(entries(stage.params["w"])[0])
    ks = [f"{ax[0] - 1} - {k}" for ax, k in zip(axes, k_s)] if layer.flip else k_s
    w_c, channel = _channel_indices(layer)
    t_s = ["t"] if ndim == 1 else [f"t_{a + 1}" for a in range(ndim)]
    reads = [_read(s, d, pl, i, k) for (_, s, d, pl, _), i, k in zip(axes, i_s, k_s)]
    delta = _indexed(f"\\delta^{{({stage.index})}}", ["o", *i_s], n_out)
    weight = _indexed(f"w^{{({stage.index})}}", ["o", w_c, *ks], w_count)
    x_in = _indexed(_stage_name(stage, "in"), [channel, *reads], n_in)
    over_i = "\\sum_{" + ",".join(i_s) + "}"
    constraint = ",\\ ".join(f"{r} = {t}" for r, t in zip(reads, t_s))
    x_lhs = _indexed(_stage_name(stage, "in"), ["c", *t_s], n_in)
    cg = layer.in_channels // layer.groups
    over_o, w_back = "\\sum_{o}", weight
    if layer.groups > 1:  # the outputs of c's group, and c's place in it
        over_o = "\\sum_{o:\\, g_o = c}" if cg == 1 else f"\\sum_{{o:\\, g_o \\le c < g_o + {cg}}}"
        w_back = _indexed(f"w^{{({stage.index})}}", ["o", "0" if cg == 1 else "c - g_o", *ks], w_count)
    out = {"w": f"\\frac{{\\partial L}}{{\\partial {weight}}} &= {over_i} {delta}\\, {x_in} \\\\[4pt]\n"}
    if layer.padding_mode == "zeros":  # folded pads add further terms, left to the entries
        out["x"] = (
            f"\\frac{{\\partial L}}{{\\partial {x_lhs}}} &= {over_o} \\sum_{{{constraint}}} {w_back}\\, {delta}"
            " \\\\[4pt]\n"
        )
    if "b" in stage.params:
        bias = _indexed(f"b^{{({stage.index})}}", ["o"], _count(entries(stage.params["b"])[0]))
        out["b"] = f"\\frac{{\\partial L}}{{\\partial {bias}}} &= {over_i} {delta} \\\\[4pt]\n"
    return out


def _wide_windows(stage: Stage) -> bool:
    """Whether a max pooling stage has windows of more than two entries (its ``Piecewise`` conditions would
    not fit a line)."""
    if not getattr(stage.layer, "takes_max", False):
        return False
    return any(len(win) > 2 for win, _ in routes.pool_windows(stage.layer, stage.input_shape[1:]))


def _argmax_rule(stage: Stage, delta: Any) -> list[str]:
    """Max pooling's backward rule as LaTeX: ``delta_{c,i} 1[h_{c,t} = max W_{c,i}]`` summed over the windows
    holding ``t``."""
    h, outputs = stage.inputs, entries(stage.outputs)
    wins = routes.pool_windows(stage.layer, stage.input_shape[1:])
    terms: list[list[str]] = [[] for _ in entries(h)]
    for c in range(h.shape[0]):
        for i, (win, _) in enumerate(wins):
            label = outputs[c * len(wins) + i].name.partition("_")[2]
            window = f"W^{{({stage.index})}}_{{{label}}}"
            for t in win:
                terms[c * h.shape[1] + t].append(
                    f"{_show(delta[c, i])}\\, \\mathbf{{1}}\\bigl[{_show(h[c, t])} = \\max {window}\\bigr]"
                )
    return [" + ".join(parts) if parts else "0" for parts in terms]


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
    flat = entries(delta)
    if stage.expansion is not None:
        terms: list[list[Any]] = [[] for _ in entries(h)]
        for (r, c), value in stage.expansion.matrix.todok().items():
            terms[c] += sympy.Add.make_args(sympy.expand(value * flat[r]))
        return [sympy.Add(*column) for column in terms]
    if layer.kind is Kind.ACTIVATION:
        fn_name, fn = activation(layer.f)
        return [derivative(fn_name, fn, v) * d for v, d in zip(entries(h), flat)]
    if layer.kind is Kind.POOLING and not layer.takes_max:
        n = h.shape[1]
        grid: list[Any] = [sympy.S.Zero] * (h.shape[0] * n)
        wins = routes.pool_windows(layer, stage.input_shape[1:])
        for c in range(h.shape[0]):
            for i, (win, div) in enumerate(wins):
                for t in win:
                    grid[c * n + t] += delta[c, i] / div
        return grid
    if layer.kind is Kind.FLATTEN:
        return flat
    if layer.kind is Kind.DENSE:
        w = stage.params["w"]
        return [
            sum(delta[c, j] * w[j, f] for j in range(w.shape[0])) for c in range(h.shape[0]) for f in range(w.shape[1])
        ]
    return None


def _verify_step(s: StackExpansion, rules: list[Any], deltas: list[list[Any]]) -> Step:
    if s.net.terms(s.input_shape[1:], s.input_shape[0]) <= DIFF_TERMS:
        return _diff_step(s.gradients())
    pairs = gradcheck.directional_checks(s, rules, deltas, POINTS)
    free = len(entries(s.x)) + sum(len(entries(v)) for stage in s.stages for v in stage.params.values())
    top = f"\\delta^{{({len(s.stages)})}}"
    return Step(
        "every gradient",
        f"All the rules together: take the loss $L = \\sum_j {top}_j h^{{({len(s.stages)})}}_j$ for a fixed "
        f"${top}$, a point $\\theta$ (the input and every parameter, {free} numbers) and a direction $v$. "
        "Backpropagation gives $\\langle \\nabla L(\\theta), v \\rangle$; forward-mode differentiation of the "
        "stages' own equations, $\\frac{d}{d\\varepsilon} L(\\theta + \\varepsilon v)$ at $\\varepsilon = 0$, "
        "must give the same number:",
        " \\\\\n".join(
            f"\\text{{point {p + 1}:}}\\quad \\langle \\nabla L, v \\rangle &= {_number(b)} = "
            f"\\tfrac{{d}}{{d\\varepsilon}} L(\\theta + \\varepsilon v)"
            for p, (_, b) in enumerate(pairs)
        ),
        f"At {POINTS} random rational points, for random integer directions and a random rational "
        f"${top}$ (forward mode: exact dual numbers through sums, products and maxima). A wrong entry of "
        f"any gradient would change $\\langle \\nabla L, v \\rangle$ for almost every direction. {CHECK}",
        tuple(Claim(gradcheck.close(a, b), True) for a, b in pairs),
        sampled=True,
    )


def _number(value: Any) -> str:
    """A number for the text: a fraction with its decimal value when long."""
    value = sympy.sympify(value)
    text = tex(value)
    if len(text) > 40:
        return f"{sympy.N(value, 12)}\\ldots"
    return text


def _diff_step(g: StackGradients) -> Step:
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
