"""Sections 1-3 of a derivation: the setting, the explicit equations, the general index form.

Each builder takes a :class:`~symconv.latex.context.Context` and returns a
:class:`~symconv.latex.steps.Section` whose steps were checked by SymPy as they were built.
Every check compares two routes: the expansion (built from the taps) against the reference
function on the padded input, SymPy's ``Sum(...).doit()``, NumPy numbers or
``sympy.convolution``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sympy

from symconv.base.symbols import entries
from symconv.geometry.padding import PADDING_NAMES
from symconv.latex import transposed
from symconv.latex.context import Context, numeric
from symconv.latex.listing import is_transposed, listing_latex, named_source, reference_outputs
from symconv.latex.numbers import result_tex, results_tex
from symconv.latex.printing import CHECK, code, equation_lines, kept, matrix_tex, row_tex, tex, text_matrix, text_row
from symconv.latex.steps import Block, Claim, Section, Step, aligned, claims
from symconv.layers.modes import NumpyMode


def operation(flip: bool) -> str:
    return "true convolution (the kernel flipped)" if flip else "cross-correlation (no flip, as PyTorch's Conv1d)"


def setting(ctx: Context) -> Section:
    """Section 1: the symbols, the parameters, the padding and the output length."""
    section = Section("setting", "Setting")
    if is_transposed(ctx.spec):
        section.add(Block(transposed.parameters(ctx)))
        section.add(_symbols_step(ctx))
        section.add(transposed.length_step(ctx))
        return section
    section.add(Block(_parameters(ctx)))
    section.add(_symbols_step(ctx))
    section.add(_padded_step(ctx))
    section.add(_length_step(ctx))
    return section


def _parameters(ctx: Context) -> str:
    s, (left, right) = ctx.spec, ctx.e.padding
    named = getattr(ctx.e.layer, "padding", None)
    rule = PADDING_NAMES[named].replace("_", r"\_") if isinstance(named, str) else ""
    padding = f"{code(repr(named))}: {rule}" if isinstance(named, str) else f"${tuple(s.padding)}$"
    rows = [
        ("input channels $C_{\\mathrm{in}}$", s.in_channels),
        ("output channels $C_{\\mathrm{out}}$", s.out_channels),
        ("kernel size $K$", s.kernel_size),
        ("stride $s$", s.stride),
        ("dilation $d$", s.dilation),
        ("groups $G$", s.groups),
        ("padding", padding),
        ("resolved padding $(p_\\ell, p_r)$", f"$({left}, {right})$"),
        ("padding mode", f"\\texttt{{{s.padding_mode}}}"),
        ("bias", "yes" if s.bias else "no"),
        ("input length $L$", ctx.e.input_length),
        ("subscripts start at", ctx.base),
    ]
    body = " \\\\\n".join(f"{name} & {value}" for name, value in rows)
    what = operation(s.flip)
    layer = ctx.e.layer
    source = ""
    if isinstance(layer, NumpyMode):
        library = {"numpy": "NumPy", "scipy": "SciPy"}[layer.convention]
        call = code(f"{layer.operation}(x, w, mode={layer.mode!r})")
        source = f"This is {library}'s {call}, resolved for this input length to the layer below. "
    return (
        f"{source}The layer computes {what}. Its parameters, named as in \\texttt{{torch.nn.Conv1d}}:\n\n"
        f"\\begin{{center}}\n\\begin{{tabular}}{{lp{{0.55\\textwidth}}}}\n{body}\n\\end{{tabular}}\n\\end{{center}}"
    )


def _symbols_step(ctx: Context) -> Step:
    e, m = ctx.e, ctx.max_size
    lines = [("x", matrix_tex(sympy.Matrix(e.x.tolist()), m) if not e.single_channel else row_tex(ctx.flat_x, m))]
    if e.single_channel:
        lines.append(("w", row_tex(ctx.flat_w, m)))
    else:
        for a in kept(ctx.spec.weight_shape[0], min(m, 4)):  # a few output channels' kernels, the rest alike
            if a is None:
                lines.append((r"\vdots\;", ""))
                continue
            lines.append((f"w_{{{ctx.sub(a)},\\cdot,\\cdot}}", matrix_tex(sympy.Matrix(e.w[a].tolist()), min(m, 6))))
    if e.b is not None and not e.single_channel:
        lines.append(("b", row_tex(list(e.b), m)))
    n_in, n_w = ctx.spec.in_channels * e.input_length, len(ctx.flat_w)
    checks = [Claim(len(set(ctx.flat_x)), n_in), Claim(len(set(ctx.flat_w)), n_w)]
    shape = "one row per input channel" if not e.single_channel else "one channel"
    if e.b is not None and e.single_channel:
        shape += f", bias ${tex(e.b[0])}$"
    first, second = ("in", "out") if is_transposed(ctx.spec) else ("out", "in")
    layout = f"C_{{\\mathrm{{{first}}}}}, C_{{\\mathrm{{{second}}}}}/G"
    return Step(
        "symbols",
        f"The input, the weights and the bias are SymPy symbols ({shape}; weights of shape "
        f"$({layout}, K) = {ctx.spec.weight_shape}$):",
        aligned(lines),
        f"Distinct symbols: {n_in} inputs and {n_w} weights. {CHECK}",
        tuple(checks),
    )


def padded_row(values: list[Any], left: int, right: int, max_size: int) -> str:
    """A padded input row, elided part by part: each padding run and the input itself (as :func:`kept` elides
    a row), so that wide padding cannot push the line past the margin.

    Examples:
        >>> x = sympy.symbols("x_0:10")
        >>> print(padded_row([0] * 20 + list(x) + [0] * 20, 20, 20, 5))
        \\left(0, \\cdots, 0, x_{0}, x_{1}, x_{2}, \\cdots, x_{9}, 0, \\cdots, 0\\right)
    """
    n = len(values) - left - right

    def run(start: int, length: int, size: int) -> list[int | None]:
        return [None if j is None else start + j for j in kept(length, size)]

    shown = run(0, left, 3) + run(left, n, max_size) + run(left + n, right, 3)
    return r"\left(" + ", ".join(r"\cdots" if j is None else tex(values[j]) for j in shown) + r"\right)"


def _padded_step(ctx: Context) -> Step:
    e, (left, right) = ctx.e, ctx.e.padding
    mode = ctx.spec.padding_mode
    rows = [r"\mathrm{xpad}" + ("" if e.single_channel else f"_{{{ctx.sub(c)}}}") for c in range(len(ctx.xpad))]
    shown = kept(len(rows), min(ctx.max_size, 4))
    lines = [
        (r"\vdots\;", "") if c is None else (rows[c], padded_row(ctx.xpad[c], left, right, ctx.max_size)) for c in shown
    ]
    fill = {
        "zeros": "zeros",
        "reflect": "the input reflected about its first and last entries",
        "replicate": "copies of the first and last entries",
        "circular": "the input wrapped around",
        "symmetric": "the input mirrored, its first and last entries repeated",
        "wrap": "the input repeated periodically",
    }[mode]
    return Step(
        "padded input",
        _padding_words(left, right, fill, code(f"padding_mode={mode!r}")),
        aligned(lines),
        f"Its length is $L + p_\\ell + p_r = {e.input_length + left + right}$. {CHECK}",
        tuple(Claim(len(row), e.input_length + left + right) for row in ctx.xpad),
    )


def _positions(n: int) -> str:
    return f"${n}$ position" + ("" if n == 1 else "s")


def _padding_words(left: int, right: int, fill: str, mode: str) -> str:
    """The padded input in words: ``2 positions on the left and 1 on the right, filled with ...``.

    Examples:
        >>> print(_padding_words(0, 0, "zeros", "mode"))
        There is no padding: the padded input is the input itself.
        >>> print(_padding_words(1, 2, "zeros", "mode"))
        The padded input adds $1$ position on the left and $2$ on the right, filled with zeros (mode):
    """
    if left == right == 0:
        return "There is no padding: the padded input is the input itself."
    return (
        f"The padded input adds {_positions(left)} on the left and ${right}$ on the right, filled with {fill} ({mode}):"
    )


def _length_step(ctx: Context) -> Step:
    s, e, (left, right) = ctx.spec, ctx.e, ctx.e.padding
    n, pl, pr, d, k, st = sympy.symbols("L p_l p_r d K s", integer=True)
    formula = sympy.floor((n + pl + pr - d * (k - 1) - 1) / st) + 1
    values = {n: e.input_length, pl: left, pr: right, d: s.dilation, k: s.kernel_size, st: s.stride}
    numerator = e.input_length + left + right - s.dilation * (s.kernel_size - 1) - 1
    general = r"\left\lfloor \frac{L + p_\ell + p_r - d(K-1) - 1}{s} \right\rfloor + 1"
    numbers = (
        f"\\left\\lfloor \\frac{{{e.input_length} + {left} + {right} - {s.dilation}\\cdot({s.kernel_size}-1) - 1}}"
        f"{{{s.stride}}} \\right\\rfloor + 1 = \\left\\lfloor \\frac{{{numerator}}}{{{s.stride}}} \\right\\rfloor + 1"
    )
    lines = [("L_{\\mathrm{out}}", general), ("", numbers), ("", str(e.output_length))]
    return Step(
        "output length",
        "The output length: the number of positions at which the dilated kernel fits in the padded input, "
        "every $s$-th one:",
        aligned(lines),
        f"So $z$ is a vector of ${e.output_length}$ entries per output channel. {CHECK}",
        claims([(formula.subs(values), e.output_length), (e.z.shape[1], e.output_length)]),
    )


def equations(ctx: Context) -> Section:
    """Section 2: one equation per output, the listing, the flip identity and the numbers."""
    section = Section("equations", "The layer as explicit equations")
    e = ctx.e
    pairs = list(zip(ctx.vec_z_symbols, ctx.vec_z))
    section.add(
        Step(
            "equations",
            f"Each output is {'the bias plus ' if ctx.spec.bias else ''}a weighted sum of {_what(ctx)}. "
            "One equation per output:",
            aligned(equation_lines(pairs, ctx.max_size)),
            f"The layer's defining formula, run as a Python function on the symbols of the {_read(ctx)}"
            f"{' (the listing below)' if ctx.options.listing else ''}, gives the same {len(pairs)} expressions. "
            + CHECK,
            (Claim(e.z, reference_outputs(e)),),
        )
    )
    if ctx.options.listing:
        section.add(Block(_listing(ctx)))
    section.add(transposed.transpose_step(ctx) if is_transposed(ctx.spec) else _flip_step(ctx))
    if ctx.numbers() is not None:
        for step in _number_steps(ctx):
            section.add(step)
    return section


def _what(ctx: Context) -> str:
    if is_transposed(ctx.spec):
        return "the inputs whose scattered kernel reaches it: a transposed convolution"
    return f"the inputs under the kernel: {operation(ctx.spec.flip)}"


def _read(ctx: Context) -> str:
    return "input" if is_transposed(ctx.spec) else "padded input"


def _indexing(ctx: Context) -> str:
    if is_transposed(ctx.spec):
        return "output \\texttt{u} collects the taps with $s i + d k - p = u$; indices from 0"
    return "\\texttt{xpad} is the padded input, indexed from 0"


def _listing(ctx: Context) -> str:
    source = named_source(ctx.spec, ctx.e.names)
    return (
        "\\begin{listing}[The defining code]\nThe layer as one Python function "
        f"({_indexing(ctx)}):\n"
        f"\\begin{{verbatim}}\n{source}\\end{{verbatim}}\n"
        f"rendered by latexify-py:\n\\[\n{listing_latex(ctx.spec, ctx.e.names)}\n\\]\n\\end{{listing}}"
    )


KERNEL_NAMES = ("v", "u", "kappa", "nu", "omega", "rho", "tau", "mu", "eta")  # more than there are roles


def _flip_step(ctx: Context) -> Step:
    e, spec = ctx.e, ctx.spec
    kernel = next(name for name in KERNEL_NAMES if name not in e.names.values())
    names = {**e.names, "w": kernel}
    other = replace(spec, flip=not spec.flip).expand(e.input_length, index_base=ctx.base, names=names)
    size = spec.kernel_size
    v = entries(other.w)
    flipped = {v[j]: ctx.flat_w[(j // size) * size + size - 1 - j % size] for j in range(len(v))}
    swapped = other.z.xreplace(flipped)
    pairs = list(zip(entries(other.z_symbols), other.z))
    v_name, w_name, x_name = (tex(sympy.Symbol(name)) for name in (kernel, e.names["w"], e.names["x"]))
    mirror = "K+1-k" if ctx.base else "K-1-k"  # the kernel position k read backwards, in the index base
    v_tex = (
        row_tex([flipped[s] for s in v], ctx.max_size)
        if e.single_channel
        else f"({w_name}_{{o,c,{size - 1 + 2 * ctx.base}-k}})_{{o,c,k}}"
    )
    first, second = (
        ("cross-correlation", "true convolution") if not spec.flip else ("true convolution", "cross-correlation")
    )
    return Step(
        "flip identity",
        f"The same layer written as {second} with a kernel ${v_name}$: "
        f"$\\mathrm{{xcorr}}({x_name}, {w_name}) = \\mathrm{{conv}}({x_name}, \\mathrm{{flip}}({w_name}))$. "
        f"As {second}:",
        aligned(equation_lines(pairs, ctx.max_size))
        + f" \\\\\n\\text{{and with }} {v_name} &= \\mathrm{{flip}}({w_name}) = {v_tex}"
        + f" \\text{{ these are the {first} equations above.}}",
        f"Substituting ${v_name}_k = {w_name}_{{{mirror}}}$ in every equation gives exactly the expressions of "
        f"the layer. {CHECK}",
        (Claim(swapped, e.z),),
    )


def _number_steps(ctx: Context) -> list[Step]:
    e = ctx.e
    numbers, shown = ctx.numbers(), ctx.numbers(shown=True)
    assert numbers is not None and shown is not None
    x, w, b = numbers
    sub = e.subs(x=x, w=w, b=b)
    values = e.evaluate(numeric(x), numeric(w), numeric(b))
    bias = [sympy.S.Zero] * len(ctx.vec_z) if b is not None or e.b is None else list(e.bias_vector)
    direct = [sympy.sympify(v) + extra for v, extra in zip(values.ravel().tolist(), bias)]
    rows = [_worked(ctx, r, shown, tex(s), value) for r, (s, value) in enumerate(zip(ctx.vec_z_symbols, sub.z))]
    kept_rows = [rows[i] if i is not None else r"\vdots\; &" for i in kept(len(rows), ctx.max_size)]
    x_name, w_name, b_name = (tex(sympy.Symbol(e.names[role])) for role in ("x", "w", "b"))
    words = f"With numbers, ${x_name} = {_vector(shown[0])}$, ${w_name} = {_vector(shown[1])}$"
    words += "" if b is None else f", ${b_name} = {_vector(shown[2])}$"
    rounded = " (computed exactly from the floats as given; $\\approx$ marks a result rounded to a float)"
    steps = [
        Step(
            "numbers",
            words + ":",
            " \\\\\n".join(kept_rows),
            f"Substituting into the equations agrees with the numeric evaluation from the taps"
            f"{rounded if ctx.floats else ''}. {CHECK}",
            (Claim(list(sub.z), direct),),
        )
    ]
    if _plain(ctx):
        steps.append(_contrast_step(ctx, x, w))
    return steps


def _plain(ctx: Context) -> bool:
    s = ctx.spec
    return (
        not is_transposed(s)
        and ctx.e.single_channel
        and s.stride == 1
        and s.dilation == 1
        and s.padding_mode == "zeros"
    )


def _contrast_step(ctx: Context, x: Any, w: Any) -> Step:
    from symconv.layers.modes import convolve

    e, spec = ctx.e, ctx.spec
    xs, ws = numeric(x).ravel().tolist(), numeric(w).ravel().tolist()
    mine = e.evaluate(xs, ws).tolist()
    other = replace(spec, bias=False, flip=not spec.flip).expand(e.input_length).evaluate(xs, ws).tolist()
    flipped = replace(spec, bias=False, flip=not spec.flip).expand(e.input_length).evaluate(xs, ws[::-1]).tolist()
    full = convolve(spec.kernel_size, "full").expand(e.input_length).evaluate(xs, ws).tolist()
    reference = sympy.convolution(xs, ws)
    label = "true convolution" if not spec.flip else "cross-correlation"
    x_name, w_name, b_name = (tex(sympy.Symbol(e.names[role])) for role in ("x", "w", "b"))
    call = code(f"np.convolve({e.names['x']}, {e.names['w']})")
    lines = [
        (rf"\text{{this layer (without }} {b_name})", mine),
        (rf"\text{{{label} with the same }} {w_name}", other),
        (rf"\text{{{label} with }} \mathrm{{flip}}({w_name})", flipped),
        (rf"\text{{full convolution }} {x_name} * {w_name}", full),
    ]
    rows = []
    for lhs, values in lines:
        relation, texts = results_tex(values, ctx.floats)
        rows.append(f"{lhs} &{relation} {text_row(texts, 99)}")
    return Step(
        "contrast",
        "The same numbers through the other conventions: the flip matters, and the full convolution "
        f"({call}) keeps every overlap instead of cropping the edges:",
        " \\\\\n".join(rows),
        f"The flipped kernel reproduces this layer exactly; the full convolution agrees with "
        f"\\texttt{{sympy.convolution}}. {CHECK}",
        claims([(flipped, mine), (full, list(reference))]),
    )


def _worked(ctx: Context, row: int, shown: Any, lhs: str, value: Any) -> str:
    """The row ``z_0 &= 5 \\cdot 1 + 6 \\cdot 2 + 7 \\cdot 3 = 38``: the numbers as given, then the value."""
    e, (x, w, b) = ctx.e, shown
    o, i = divmod(row, e.output_length)
    terms = [f"{_factor(w[t.weight])} \\cdot {_factor(x[t.input])}" for t in e.taps.feeding(o, i)]
    if e.b is not None:
        terms.append(b[o] if b is not None else tex(e.b[o]))
    relation, result = result_tex(value, ctx.floats)
    if len(terms) > 6:
        return f"{lhs} &{relation} {result}"
    written = terms[0] if terms else "0"
    for term in terms[1:]:
        written += f" - {term[1:].lstrip()}" if term.startswith("-") else f" + {term}"
    return f"{lhs} &= {written} {relation} {result}"


def _factor(text: str) -> str:
    """A number's LaTeX as a factor of a product: in parentheses when negative or a sum."""
    if text.startswith("-") or " + " in text or " - " in text:
        return f"\\left({text}\\right)"
    return text


def _vector(a: Any) -> str:
    """An array of LaTeX texts: a matrix (one row per channel) or a row vector."""
    if a.ndim == 2 and a.shape[0] > 1:
        return text_matrix(a.tolist(), 8)
    return text_row(a.ravel().tolist(), 12)
