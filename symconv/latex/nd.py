"""Derivations of 2D and 3D layers (Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d).

:func:`nd_derivation` builds the sections of :data:`ND_SECTIONS`, each step checked when it is built
against the taps (their matrix, their equations ``e.z``, their ``(row, column, weight)`` triples) by a
second route: the per-axis index rules and the per-axis integer matrices of :mod:`symconv.latex.nd_axes`.
Nothing is built with ``sympy.diff``, Jacobians or symbolic matrix products. Small grids (up to 3x3x3,
and up to ``max_size // ndim`` positions per axis) are printed whole; beyond, a window of the first
positions and the last, with the number left out said.

Examples:
    >>> import symconv
    >>> d = symconv.derivation(symconv.Conv2d(1, 1, 2, bias=False), (3, 3))
    >>> [s.key for s in d.sections]
    ['setting', 'equations', 'matrix', 'blocks', 'kronecker', 'backprop', 'separability']
    >>> print(d.section("equations").steps[0].math.splitlines()[0])
    z_{0,0} &= w_{0,0} x_{0,0} + w_{0,1} x_{0,1} + w_{1,0} x_{1,0} + w_{1,1} x_{1,1} \\\\
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy

from symconv.base.symbols import entries
from symconv.latex.context import Context, Options
from symconv.latex.document import Derivation
from symconv.latex.listing import is_transposed
from symconv.latex.nd_grad import backprop_nd
from symconv.latex.nd_structure import (
    PATTERN_COLUMNS,
    blocks_section,
    folded_section,
    kronecker_section,
    separability_section,
)
from symconv.latex.nd_text import Notation, fitted_matrix, grid, left_out, per_axis_limit, role
from symconv.latex.printing import CHECK, code, tex, text_matrix
from symconv.latex.steps import Block, Claim, Section, Step, aligned

#: The sections of a 2D or 3D derivation, in document order.
ND_SECTIONS: dict[str, Callable[[Context], Section]] = {}

#: Keys of the 1D sections and the 2D/3D section that plays their part.
ALIASES = {"index": "equations", "theorems": "separability"}


def nd_derivation(
    e: Any,
    options: Options,
    sections: Sequence[str | int] | None,
    why: bool,
    section_level: str,
) -> Derivation:
    """The derivation of an expansion with 2 or 3 spatial axes (called by :func:`symconv.latex.derivation`)."""
    if options.activation is not None:
        raise ValueError(
            f"'activation' is derived for layers with one spatial axis (got {options.activation!r} for a layer with "
            f"{e.ndim}); a 2D or 3D derivation stops at z and its gradients."
        )
    ctx = Context(e, options)
    keys = nd_section_keys(sections, e.spec.padding_mode != "zeros")
    built = [ND_SECTIONS[key](ctx) for key in keys]
    columns = max(min(ctx.max_size, e.matrix_shape[1]) + 1, PATTERN_COLUMNS + 1)  # the block pattern shows up to 16
    return Derivation(nd_title(e), e, built, columns, why=why, section_level=section_level)


def nd_title(e: Any) -> str:
    """The document's title: the layer as one would construct it, short (per-axis values that agree as one).

    Examples:
        >>> import symconv
        >>> print(nd_title(symconv.Conv2d(1, 1, 3, stride=2, padding=1).expand((5, 5))))
        The layer \\texttt{Conv2d(1, 1, 3, stride=2, padding=1)} made explicit
    """
    layer: Any = e.layer
    if hasattr(layer, "operation"):  # SciPy's N-D convolve/correlate, resolved to the layer of the setting
        call = scipy_call(layer).replace("_", r"\_").replace("'", "")
        return f"\\texttt{{{call}}} made explicit"
    spec = e.spec
    defaults = type(layer)(1, 1, 1)
    parts = [str(spec.in_channels), str(spec.out_channels), _short(layer.kernel_size)]
    for name in ("stride", "padding", "output_padding", "dilation", "groups", "bias", "padding_mode", "flip"):
        if hasattr(layer, name) and getattr(layer, name) != getattr(defaults, name):
            parts.append(f"{name}={_short(getattr(layer, name))}")
    text = f"{type(layer).__name__}({', '.join(parts)})".replace("_", r"\_")
    return f"The layer \\texttt{{{text}}} made explicit"


def scipy_call(layer: Any) -> str:
    """The SciPy call a mode layer stands for: ``scipy.signal.convolve2d(x, w, mode='full', boundary='symm')``.

    Examples:
        >>> import symconv
        >>> scipy_call(symconv.convolve((3, 3), "same", "scipy"))
        "scipy.signal.convolve(x, w, mode='same')"
    """
    boundary = getattr(layer, "boundary", None)
    name = f"{layer.operation}2d" if boundary is not None else layer.operation
    extra = f", boundary={boundary!r}" if boundary is not None else ""
    return f"scipy.signal.{name}(x, w, mode={layer.mode!r}{extra})"


def _short(value: Any) -> str:
    """``3`` for ``(3, 3)`` or ``((3, 3), (3, 3))``, ``(1, 2)`` for ``((1, 1), (2, 2))``; strings unquoted."""
    if isinstance(value, tuple):
        flat = [v[0] if isinstance(v, tuple) and len(set(v)) == 1 else v for v in value]
        if all(not isinstance(v, tuple) for v in flat):
            return str(flat[0]) if len(set(flat)) == 1 else "(" + ", ".join(str(v) for v in flat) + ")"
        return repr(value)
    return str(value)


def nd_section_keys(sections: Sequence[str | int] | None, folded: bool = True) -> list[str]:
    """Validate ``sections`` for a 2D/3D layer: keys of :data:`ND_SECTIONS` (or 1D keys: ``'index'`` is
    ``'equations'``, ``'theorems'`` is ``'separability'``) or 1-based numbers; keys in document order.

    Without padding folds (zero padding) the ``'folded'`` section is left out unless asked for.

    Examples:
        >>> nd_section_keys([2, "index", "backprop"])
        ['equations', 'backprop']
        >>> nd_section_keys(None, folded=False)[-3:]
        ['kronecker', 'backprop', 'separability']
    """
    order = list(ND_SECTIONS)
    if sections is None:
        return [k for k in order if folded or k != "folded"]
    if isinstance(sections, (str, int)):
        sections = [sections]
    keys = set()
    for item in sections:
        number = isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= len(order)
        key = order[item - 1] if number else ALIASES.get(item, item)  # type: ignore[arg-type,operator]
        if key == "activation":
            raise ValueError(
                "'sections' entry 'activation' is written for layers with one spatial axis; a 2D or 3D derivation "
                f"has the sections {order} (or 1-{len(order)})."
            )
        if key not in ND_SECTIONS:
            raise ValueError(f"'sections' entries must be among {order} or 1-{len(order)} (got {item!r}).")
        keys.add(str(key))
    return [k for k in order if k in keys]


# -- setting --------------------------------------------------------------------------------------------------


def setting_nd(ctx: Context) -> Section:
    """The parameters per axis, the symbols, and the output size per axis with its numbers."""
    section = Section("setting", "Setting")
    section.add(Block(_parameters(ctx)))
    section.add(_symbols_step(ctx))
    section.add(_size_step(ctx))
    return section


def _per_axis(value: Any, ndim: int) -> list[Any]:
    return list(value) if isinstance(value, (tuple, list)) else [value] * ndim


def _parameters(ctx: Context) -> str:
    e, n = ctx.e, Notation(ctx.e.ndim, ctx.base)
    spec: Any = ctx.spec
    transposed = is_transposed(spec)
    kernel, stride, dilation = (_per_axis(v, e.ndim) for v in (spec.kernel_size, spec.stride, spec.dilation))
    source = ""
    if hasattr(e.layer, "operation"):
        source = f"This is SciPy's {code(scipy_call(e.layer))}, resolved for this input shape to the layer below. "
    header = ["axis", "input $n$", "kernel $K$", "stride $s$", "dilation $d$", "padding $(p, p_r)$"]
    rows = [
        [f"${ax}$", e.input_shape[a], kernel[a], stride[a], dilation[a], f"$({e.padding[a][0]}, {e.padding[a][1]})$"]
        for a, ax in enumerate(n.axes)
    ]
    if transposed:
        header.append("output padding")
        for a, row in enumerate(rows):
            row.append(_per_axis(spec.output_padding, e.ndim)[a])
    header.append("output $n^{\\mathrm{out}}$")
    for a, row in enumerate(rows):
        row.append(e.output_shape[a])
    table = " \\\\\n".join(" & ".join(str(v) for v in row) for row in [header, *rows])
    name = type(spec).__name__
    what = (
        "a transposed convolution (the scatter of each input through the kernel)"
        if transposed
        else ("true convolution (the kernel flipped)" if getattr(spec, "flip", False) else "cross-correlation")
    )
    channels = (
        f"$C_{{\\mathrm{{in}}}} = {spec.in_channels}$ input and $C_{{\\mathrm{{out}}}} = {spec.out_channels}$ output "
        f"channels in $G = {spec.groups}$ group{'' if spec.groups == 1 else 's'}"
    )
    bias = "a bias per output channel" if spec.bias else "no bias"
    return (
        f"{source}The layer \\texttt{{{name}}} computes {what} over {e.ndim} spatial axes, {channels}, with {bias}, "
        f"padding mode {code(spec.padding_mode)} and subscripts from ${ctx.base}$. Per axis "
        f"(here $p$ is the padding before the first input, $p_r$ after the last):\n\n"
        f"\\begin{{center}}\n\\begin{{tabular}}{{{'c' * len(header)}}}\n{table}\n\\end{{tabular}}\n\\end{{center}}"
    )


def _symbols_step(ctx: Context) -> Step:
    e, n = ctx.e, Notation(ctx.e.ndim, ctx.base)
    spec = ctx.spec
    first, second = ("in", "out") if is_transposed(spec) else ("out", "in")
    shape = f"(C_{{\\mathrm{{{first}}}}}, C_{{\\mathrm{{{second}}}}}/G, {', '.join(f'K_{a}' for a in n.axes)})"
    xs, ws = entries(e.x), entries(e.w)
    first_x, last_x = tex(xs[0]), tex(xs[-1])
    first_w, last_w = tex(ws[0]), tex(ws[-1])
    lines = [
        ("x", f"({first_x}, \\dots, {last_x})" + f"\\quad \\text{{{len(xs)} inputs, shape }} {tuple(e.x.shape)}"),
        (
            "w",
            f"({first_w}, \\dots, {last_w})"
            + f"\\quad \\text{{{len(ws)} weights, shape }} {shape} = {spec.weight_shape}",
        ),
    ]
    if e.b is not None and not e.single_channel:
        lines.append(("b", ", ".join(tex(v) for v in list(e.b)[:3]) + (", \\dots" if len(e.b) > 3 else "")))
    return Step(
        "symbols",
        "The input, the weights and the bias are SymPy symbols (in C order, the last index fastest):",
        aligned(lines),
        f"Distinct symbols: {len(xs)} inputs and {len(ws)} weights. {CHECK}",
        (Claim(len(set(xs)), math.prod(e.x.shape)), Claim(len(set(ws)), math.prod(spec.weight_shape))),
    )


def _size_step(ctx: Context) -> Step:
    e, n = ctx.e, Notation(ctx.e.ndim, ctx.base)
    spec: Any = ctx.spec
    kernel, stride, dilation = (_per_axis(v, e.ndim) for v in (spec.kernel_size, spec.stride, spec.dilation))
    lines, checks = [], []
    transposed = is_transposed(spec)
    for a, ax in enumerate(n.axes):
        size, (pl, pr), k, s, d = e.input_shape[a], e.padding[a], kernel[a], stride[a], dilation[a]
        if transposed:
            q = _per_axis(spec.output_padding, e.ndim)[a]
            value = (size - 1) * s - pl - pr + d * (k - 1) + q + 1
            general = f"(n_{ax} - 1) s_{ax} - p_{ax} - p_{{r,{ax}}} + d_{ax} (K_{ax} - 1) + q_{ax} + 1"
            numbers = f"({size} - 1) \\cdot {s} - {pl} - {pr} + {d} \\cdot ({k} - 1) + {q} + 1"
        else:
            value = (size + pl + pr - d * (k - 1) - 1) // s + 1
            general = (
                f"\\left\\lfloor \\frac{{n_{ax} + p_{ax} + p_{{r,{ax}}} - d_{ax}(K_{ax} - 1) - 1}}{{s_{ax}}} "
                "\\right\\rfloor + 1"
            )
            numbers = (
                f"\\left\\lfloor \\frac{{{size} + {pl} + {pr} - {d} \\cdot ({k} - 1) - 1}}{{{s}}} \\right\\rfloor + 1"
            )
        lines.append((f"n^{{\\mathrm{{out}}}}_{ax}", f"{general} = {numbers} = {value}"))
        checks.append(Claim(value, e.output_shape[a]))
    checks.append(Claim(tuple(e.z.shape[1:]), tuple(e.output_shape)))
    per = "a weight reaches every $s$-th output" if transposed else "the dilated kernel fits in the padded input"
    rule = "with $q$ the output padding" if transposed else "every $s$-th position at which " + per
    return Step(
        "output size",
        f"The output size per axis, each axis on its own ({rule}):",
        aligned(lines),
        f"So $z$ has shape ${_times((spec.out_channels, *e.output_shape))}$. {CHECK}",
        tuple(checks),
    )


def _times(shape: Sequence[int]) -> str:
    return " \\times ".join(str(v) for v in shape)


# -- equations ------------------------------------------------------------------------------------------------


def equations_nd(ctx: Context) -> Section:
    """The general index formula, then the equations over the output grid (a window of it when big)."""
    section = Section("equations", "The layer as explicit equations")
    section.add(Block(_general(ctx)))
    section.add(_table_step(ctx))
    if ctx.numbers() is not None:
        section.add(_numbers_step(ctx))
    return section


def _subscripts(ctx: Context, channel: str, letters: Sequence[str]) -> str:
    return ",".join(([] if ctx.e.single_channel else [channel]) + list(letters))


def _general(ctx: Context) -> str:
    e, spec, n = ctx.e, ctx.spec, Notation(ctx.e.ndim, ctx.base)
    flip = bool(getattr(spec, "flip", False))
    b = ("b" if e.single_channel else "b_o") if spec.bias else ""
    mode = spec.padding_mode
    outside = {
        "zeros": "is $0$ (zero padding)",
        "reflect": "is the input reflected about its edge on that axis",
        "replicate": "is the nearest edge entry on that axis",
        "circular": "wraps around on that axis (modulo $n$)",
    }.get(mode, f"is folded back by the padding mode {code(mode)}")
    kernel_sums = " ".join(f"\\sum_{{{k}}}" for k in n.ker)
    if is_transposed(spec):
        z = f"{role(ctx, 'z')}_{{{_subscripts(ctx, 'o', n.inp)}}}"
        w = f"{role(ctx, 'w')}_{{{_subscripts(ctx, 'c,o', n.ker)}}}"
        x = f"{role(ctx, 'x')}_{{{_subscripts(ctx, 'c', n.out)}}}"
        where = " \\\\\n".join(f"{n.inp[a]} &= {n.rule(a, False)}" for a in range(e.ndim))
        sums = ("" if e.single_channel else "\\sum_c ") + kernel_sums
        head = f"{z} = {b + ' + ' if b else ''}{sums} \\sum_{{{','.join(n.out)}}} {w}\\, {x}"
        return (
            "Each input position scatters the kernel into the output: output "
            f"$({', '.join(n.inp)})$ collects every input $({', '.join(n.out)})$ and kernel index "
            f"$({', '.join(n.ker)})$ with, on every axis,\n"
            f"\\begin{{align*}}\n{where}:\n\\end{{align*}}\n\\[\n{head}.\n\\]\n"
            "This is the matching convolution's rule read backwards "
            "(its matrix is transposed in the matrix section)."
        )
    z = f"{role(ctx, 'z')}_{{{_subscripts(ctx, 'o', n.out)}}}"
    w = f"{role(ctx, 'w')}_{{{_subscripts(ctx, 'o,c', n.ker)}}}"
    reads = " \\\\\n".join(f"{n.inp[a]} &= {n.rule(a, flip)}" for a in range(e.ndim))
    channel = "" if e.single_channel else ("\\gamma_o + c," if spec.groups > 1 else "c,")
    sums = ("" if e.single_channel else "\\sum_c ") + kernel_sums
    group = ""
    if spec.groups > 1:
        group = (
            " Output channel $o$ reads the $C_{\\mathrm{in}}/G$ channels of its group, after "
            "$\\gamma_o$ channels of the groups before it."
        )
    return (
        f"Output $({', '.join(n.out)})$ reads, on every axis on its own, the input that the 1D rule gives "
        f"(stride $s$, dilation $d$, padding $p$ of that axis):{group}\n"
        f"\\[\n{z} = {b + ' + ' if b else ''}{sums} {w}\\, {role(ctx, 'x')}_{{{channel}{','.join(n.inp)}}},\n\\]\n"
        f"where, axis by axis,\n\\begin{{align*}}\n{reads},\n\\end{{align*}}\n"
        f"and an input with a subscript outside the input {outside}."
    )


def _shown(ctx: Context) -> list[tuple[int, ...] | None]:
    """The outputs ``(o, i, j, ...)`` the table shows, ``None`` where some are left out."""
    e = ctx.e
    limit = per_axis_limit(ctx.max_size, e.ndim)
    channels: list[tuple[int] | None] = [(c,) for c in range(ctx.spec.out_channels)]
    if len(channels) > 3:  # the first channel, a gap, the last: every channel's table has the same pattern
        channels = [(0,), None, (len(channels) - 1,)]
    out: list[tuple[int, ...] | None] = []
    for channel in channels:
        if channel is None:
            out.append(None)
            continue
        out += [None if p is None else (*channel, *p) for p in grid(tuple(e.output_shape), limit)]
    return out


def rule_expression(ctx: Context, position: tuple[int, ...], triples: Any) -> sympy.Expr:
    """The output at ``position`` built from the rule's triples (a second route to ``e.z``)."""
    e = ctx.e
    row = int(np.ravel_multi_index(position, (ctx.spec.out_channels, *e.output_shape)))
    rows, cols, weights = triples
    at = np.flatnonzero(rows == row)
    xs, ws = entries(e.x), entries(e.w)
    terms = [ws[int(weights[m])] * xs[int(cols[m])] for m in at]
    bias = [e.b[position[0]]] if e.b is not None else []
    return sympy.Add(*bias, *terms)


def _table_step(ctx: Context) -> Step:
    from symconv.latex.nd_axes import rule_triples

    e = ctx.e
    shown = _shown(ctx)
    triples = rule_triples(e)
    lines, checks = [], []
    for position in shown:
        if position is None:
            lines.append((r"\vdots\;", ""))
            continue
        rule = rule_expression(ctx, position, triples)
        checks.append(Claim(rule, e.z[position]))
        lines.append((tex(e.z_symbols[position]), tex(e.z[position])))
    shape = (ctx.spec.out_channels, *e.output_shape)
    missing = left_out(shape, shown)
    order = f"in C order of $({', '.join(['o', *_out_letters(ctx)])})$"
    words = f"Summing out the kernel indices gives one equation per output, {order}:"
    if missing:
        words = (
            f"Summing out the kernel indices gives one equation per output. The table shows {len(checks)} of the "
            f"{math.prod(shape)} outputs, {order} (the first and last positions of each axis"
            + (", the first and last output channel" if ctx.spec.out_channels > 3 else "")
            + f"); the {missing} left out follow the same rule:"
        )
    return Step(
        "equations",
        words,
        aligned(lines),
        f"Each shown equation is the index rule summed term by term, equal to the taps' equation "
        f"$z$ (read off the taps). {CHECK}",
        tuple(checks),
    )


def _out_letters(ctx: Context) -> tuple[str, ...]:
    """The letters of the output positions: ``i, j`` for a convolution, ``t, u`` for a transposed one."""
    n = Notation(ctx.e.ndim, ctx.base)
    return n.inp if is_transposed(ctx.spec) else n.out


def _numbers_step(ctx: Context) -> Step:
    """The shown outputs with the caller's numbers: the rule's sums of products, checked against the taps."""
    from symconv.latex.nd_axes import rule_triples

    e = ctx.e
    numbers = ctx.numbers()
    assert numbers is not None
    x, w, b = numbers
    rows, cols, weights = rule_triples(e)
    xs, ws = x.ravel(), w.ravel()
    by_rule: list[Any] = [sympy.Integer(0)] * e.matrix_shape[0]
    for r, c, k in zip(rows.tolist(), cols.tolist(), weights.tolist()):
        by_rule[r] += ws[k] * xs[c]
    taps = e.evaluate(x, w, None)  # the taps' values without bias (as F.conv2d with bias=None)
    shape = (ctx.spec.out_channels, *e.output_shape)
    lines, checks = [], []
    for position in _shown(ctx):
        if position is None:
            lines.append((r"\vdots\;", ""))
            continue
        r = int(np.ravel_multi_index(position, shape))
        checks.append(Claim(by_rule[r], sympy.sympify(taps[position])))
        bias = e.b[position[0]] if b is None and e.b is not None else (b[position[0]] if b is not None else 0)
        lines.append((tex(e.z_symbols[position]), tex(sympy.sympify(by_rule[r]) + sympy.sympify(bias))))
    unbiased = " (plus the bias, left as a symbol)" if b is None and e.b is not None else ""
    flat_taps = [sympy.sympify(v) for v in np.asarray(taps).ravel().tolist()]
    checks.append(Claim(sum(1 for u, v in zip(by_rule, flat_taps) if sympy.sympify(u) != v), 0))
    words = f"With the given numbers put in, the shown outputs are{unbiased}:"
    if e.ndim == 2 and not unbiased:
        bias0 = 0 if b is None else b[0]
        grid_values = [
            [
                tex(sympy.sympify(by_rule[i * e.output_shape[1] + j]) + sympy.sympify(bias0))
                for j in range(e.output_shape[1])
            ]
            for i in range(e.output_shape[0])
        ]
        name = "z" if e.single_channel else f"z_{{{ctx.base},\\cdot,\\cdot}}"
        lines.append((name, text_matrix(grid_values, ctx.max_size)))
        words = (
            "With the given numbers put in, the shown outputs are as follows, and the output grid"
            + ("" if e.single_channel else " of the first channel")
            + " is the last line:"
        )
    return Step(
        "numbers",
        words,
        aligned(lines),
        f"Each value is the index rule's sum of products, equal to the layer evaluated on the taps (all "
        f"{len(flat_taps)} outputs compared). {CHECK}",
        tuple(checks),
    )


# -- matrix ---------------------------------------------------------------------------------------------------


class _RowView:
    """Rows of the taps' matrix, built one at a time, indexable as ``m[r, c]`` (for elided printing)."""

    def __init__(self, e: Any) -> None:
        self.e, self.shape = e, e.matrix_shape
        self._rows: dict[int, Any] = {}

    def __getitem__(self, key: tuple[int, int]) -> Any:
        r, c = key
        if r not in self._rows:
            self._rows[r] = self.e.matrix_row(r)
        return self._rows[r][0, c]


def matrix_nd(ctx: Context) -> Section:
    """``vec(z) = W vec(x) + b`` with the C-order ``vec`` stated, the matrix shown (elided when big)."""
    e, n = ctx.e, Notation(ctx.e.ndim, ctx.base)
    section = Section("matrix", "The layer as one matrix")
    out_letters, in_letters = (n.inp, n.out) if is_transposed(ctx.spec) else (n.out, n.inp)
    section.add(Block(_vec_text(ctx, out_letters, in_letters)))
    rows, cols = e.matrix_shape
    shown_rows = [r for r in range(rows) if r < ctx.max_size - 2 or r == rows - 1][: ctx.max_size]
    z_flat, xs = entries(e.z), entries(e.x)
    b_flat = list(e.bias_vector)
    checks = []
    for r in shown_rows:
        row = e.matrix_row(r)
        product = sympy.Add(*(value * xs[c] for (_, c), value in row.todok().items()))
        checks.append(Claim(sympy.expand(product + b_flat[r]), z_flat[r]))
    positions = [np.unravel_index(r, (ctx.spec.out_channels, *e.output_shape)) for r in shown_rows]
    checks += [Claim(z_flat[r], e.z[tuple(int(v) for v in p)]) for r, p in zip(shown_rows, positions)]
    view = _RowView(e)
    matrix = fitted_matrix(lambda r, c: view[r, c], e.matrix_shape, ctx.max_size, 400.0)
    nnz = e.taps.nonzeros() if hasattr(e.taps, "nonzeros") else len(e.taps)
    section.add(
        Step(
            "matrix",
            f"The matrix $\\mathbf{{W}}$ has {rows} rows (outputs) and {cols} columns (inputs), {nnz} of its "
            f"{rows * cols} entries non-zero"
            + (", shown with the middle rows and columns left out" if max(rows, cols) > ctx.max_size else "")
            + ":",
            aligned([("\\mathbf{W}", matrix)]),
            f"Row $r$ of $\\mathbf{{W}}$ times $\\operatorname{{vec}}(x)$, plus the bias, is the equation of output "
            f"$r$ in C order, for the {len(shown_rows)} rows shown. {CHECK}",
            tuple(checks),
        )
    )
    if is_transposed(ctx.spec):
        section.add(_transpose_step(ctx))
    if ctx.options.figures:
        section.add(Block(_figures(ctx)))
    return section


#: The page's text block (cm): figures wider or taller are scaled down to fit it.
TEXT_WIDTH_CM, TEXT_HEIGHT_CM = 17.0, 21.0


def fitted(figure: Any) -> str:
    """A figure's ``tikzpicture``, scaled down (``\\resizebox``) when it is wider or taller than the page's text."""
    picture = figure.tikz()
    if figure.width_cm <= TEXT_WIDTH_CM and figure.height_cm <= TEXT_HEIGHT_CM:
        return str(picture)
    if figure.width_cm / TEXT_WIDTH_CM >= figure.height_cm / TEXT_HEIGHT_CM:
        return f"\\resizebox{{\\linewidth}}{{!}}{{%\n{picture}}}"
    return f"\\resizebox{{!}}{{{TEXT_HEIGHT_CM:g}cm}}{{%\n{picture}}}"


def _figures(ctx: Context) -> str:
    """A 2D layer's pictures: its matrix with the blocks visible, and the kernel over the padded input (a
    transposed layer: as a convolution over its zero-inserted input); a 3D layer's are not drawn, and the text
    says so."""
    if ctx.e.ndim != 2:
        return (
            "No figure is drawn for a layer with three spatial axes; "
            "\\texttt{symconv.window\\_diagram} draws any 2D slice of it (the same layer on an input of depth 1)."
        )
    from symconv.figures.blocks2d import block_matrix_picture

    blocks = block_matrix_picture(ctx.e)
    second: Any
    if is_transposed(ctx.spec):
        from symconv.figures.zero_inserted2d import zero_inserted_grid

        second, what = (
            zero_inserted_grid(ctx.e.layer, ctx.e.input_shape),
            ("the layer as a stride-1 convolution with the flipped kernel over its zero-inserted, padded input"),
        )
    else:
        from symconv.figures.window import window_diagram

        second, what = window_diagram(ctx.e), "the kernel over the padded input at a few outputs"
    return (
        f"Figure~\\ref{{fig:blocks}} draws $\\mathbf{{W}}$ with its blocks, and Figure~\\ref{{fig:window}} {what}.\n"
        f"\\begin{{figure}}[htbp]\n\\centering\n{fitted(blocks)}\n"
        "\\caption{The matrix $\\mathbf{W}$ in blocks, each entry coloured by the weight it holds.}"
        "\\label{fig:blocks}\n\\end{figure}\n"
        f"\\begin{{figure}}[htbp]\n\\centering\n{fitted(second)}\n"
        f"\\caption{{{what[0].upper() + what[1:]}.}}\\label{{fig:window}}\n\\end{{figure}}"
    )


def _transpose_step(ctx: Context) -> Step:
    """A transposed layer's matrix is the transpose of its matching convolution's (same weights, same places)."""
    from symconv.latex.nd_axes import mismatches, tap_labels

    e = ctx.e
    spec: Any = e.spec
    conv = spec.conv(e.output_shape)
    ce = conv.expand(e.output_shape, index_base=ctx.base, names=e.names)
    ours = tap_labels(e).tocoo()
    rows, cols = np.divmod(ours.col, e.matrix_shape[1])
    swapped = type(ours)((ours.data, (ours.row, cols * e.matrix_shape[0] + rows)), shape=ours.shape).tocsr()
    theirs = tap_labels(ce)
    name = type(conv).__name__
    params = code(
        f"{name}({conv.in_channels}, {conv.out_channels}, {conv.kernel_size}, stride={conv.stride}, "
        f"padding={tuple(p[0] for p in conv.padding)}, dilation={conv.dilation})"
    )
    return Step(
        "transpose",
        f"$\\mathbf{{W}}$ is the transpose of the matrix $\\mathbf{{C}}$ of the matching convolution {params} on "
        f"the ${_times(e.output_shape)}$ output grid (its output grid is this layer's input, "
        f"${_times(ce.output_shape)}$), with the same weight array in the same places:",
        aligned([("\\mathbf{W}", "\\mathbf{C}^{\\top}")]),
        f"Compared tap by tap: every weight sits at $(r, c)$ of $\\mathbf{{W}}$ exactly where it sits at $(c, r)$ "
        f"of $\\mathbf{{C}}$. {CHECK}",
        (Claim(mismatches(swapped, theirs), 0), Claim(tuple(ce.output_shape), tuple(e.input_shape))),
    )


def _vec_text(ctx: Context, out_letters: Sequence[str], in_letters: Sequence[str]) -> str:
    e = ctx.e
    n = Notation(e.ndim, ctx.base)

    def flat(channel: str, letters: Sequence[str], sizes: Sequence[int]) -> str:
        parts = [channel, *letters]
        dims = [f"{math.prod(sizes)}", *[str(math.prod(sizes[a + 1 :])) for a in range(len(sizes))]]
        shifted = [n.shifted(p) for p in parts]
        terms = [f"{dims[a]}\\,{shifted[a]}" if dims[a] != "1" else shifted[a] for a in range(len(parts))]
        return " + ".join(terms) + ("" if ctx.base == 0 else f" + {ctx.base}")

    z_row = flat("o", out_letters, e.output_shape)
    x_col = flat("c", in_letters, e.input_shape)
    return (
        "Stack the outputs and the inputs in C order (the last index fastest, as NumPy's \\texttt{ravel} and "
        "PyTorch's \\texttt{flatten}): output $(o, " + ", ".join(out_letters) + f")$ is row ${z_row}$ of "
        "$\\operatorname{vec}(z)$ and input $(c, " + ", ".join(in_letters) + f")$ is entry ${x_col}$ of "
        "$\\operatorname{vec}(x)$. Then\n\\[\n\\operatorname{vec}(z) = \\mathbf{W} \\operatorname{vec}(x) + b,\n\\]\n"
        "with $b$ the bias of each row's output channel."
    )


ND_SECTIONS.update(
    {
        "setting": setting_nd,
        "equations": equations_nd,
        "matrix": matrix_nd,
        "blocks": blocks_section,
        "kronecker": kronecker_section,
        "folded": folded_section,
        "backprop": backprop_nd,
        "separability": separability_section,
    }
)
