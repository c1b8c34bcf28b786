"""Sections 3-5 of a derivation: the general index form, the weight-tied matrix, the nonlinearity."""

from __future__ import annotations

from typing import Any

import sympy

from symconv.latex.context import Context
from symconv.latex.listing import is_transposed
from symconv.latex.printing import CHECK, column_tex, equation_lines, kept, matrix_tex, tex
from symconv.latex.steps import Block, Claim, Section, Step, aligned, claims
from symconv.layers.activations import activation

FIGURE_LIMIT = 400  # layers with more taps get no figures in the document (they would be unreadable)
JACOBIAN_LIMIT = 600  # matrices with at most this many entries are also checked against the Jacobian


class IndexForm:
    """``z_i = b + sum_k w_k x_{s i + d k - p}`` as SymPy ``Sum`` objects, general and instantiated."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        names = ctx.e.names
        self.x, self.w, self.z = (sympy.IndexedBase(names[n]) for n in ("x", "w", "z"))
        self.b = sympy.IndexedBase(names["b"]) if not ctx.e.single_channel else sympy.Symbol(names["b"])
        self.o, self.i, self.c, self.k = sympy.symbols("o i c k", integer=True)
        self.gamma = sympy.IndexedBase("gamma")
        self.s, self.d, self.p, self.K, self.C = sympy.symbols(r"s d p_\ell K C", integer=True, positive=True)

    def formula(self, numbers: bool) -> tuple[sympy.Expr, sympy.Expr]:
        """``(lhs, rhs)``: with symbols for ``s, d, p, K, C``, or with the layer's numbers put in."""
        spec, base = self.ctx.spec, self.ctx.base
        s, d, p, size, c_in = (self.s, self.d, self.p, self.K, self.C)
        if numbers:
            s, d, p, size, c_in = spec.stride, spec.dilation, self.ctx.e.padding[0], spec.kernel_size, None
            c_in = spec.in_channels // spec.groups
        i0, k0 = self.i - base, self.k - base
        wk = (size - 1 - k0 if spec.flip else k0) + base
        t = s * i0 + d * k0 - p + base
        if self.ctx.e.single_channel:
            term = self.w[wk] * self.x[t]
            rhs: sympy.Expr = sympy.Sum(term, (self.k, base, size - 1 + base))
            lhs: sympy.Expr = self.z[self.i]
            return lhs, (self.b + rhs if spec.bias else rhs)
        channel = (self.gamma[self.o] if spec.groups > 1 else 0) + self.c
        term = self.w[self.o, self.c, wk] * self.x[channel, t]
        rhs = sympy.Sum(term, (self.c, base, c_in - 1 + base), (self.k, base, size - 1 + base))
        return self.z[self.o, self.i], (self.b[self.o] + rhs if spec.bias else rhs)

    def gamma_value(self, o: int) -> int:
        """First input channel of output channel ``o``'s group, in the index base (minus the base, as added by c)."""
        spec = self.ctx.spec
        return (o // (spec.out_channels // spec.groups)) * (spec.in_channels // spec.groups)

    def instance(self, o: int, i: int) -> sympy.Expr:
        """The instantiated formula at output ``(o, i)`` (0-based), summed out and mapped to the layer's symbols."""
        base = self.ctx.base
        _, rhs = self.formula(numbers=True)
        placed = rhs.subs({self.o: o + base, self.i: i + base})
        summed = placed.subs(self.gamma[o + base], self.gamma_value(o)).doit()
        return summed.xreplace(self._symbols(summed))

    def _symbols(self, expr: sympy.Expr) -> dict[Any, Any]:
        ctx, base, left = self.ctx, self.ctx.base, self.ctx.e.padding[0]
        out: dict[Any, Any] = {}
        for atom in expr.atoms(sympy.Indexed):
            idx = [int(j) - base for j in atom.indices]
            if atom.base == self.x:
                c, t = (0, idx[0]) if ctx.e.single_channel else idx
                out[atom] = ctx.xpad[c][t + left]
            elif atom.base == self.w:
                out[atom] = ctx.e.w[(0, 0, idx[0]) if ctx.e.single_channel else tuple(idx)]
            elif atom.base == self.b:
                out[atom] = ctx.e.b[idx[0]]  # type: ignore[index]
        if ctx.e.single_channel and ctx.e.b is not None:
            out[self.b] = ctx.e.b[0]
        return out


def index_form(ctx: Context) -> Section:
    """Section 3: the general formula for any length, and its instantiation for this layer."""
    section = Section("index", "The general index form")
    form = IndexForm(ctx)
    lhs, general = form.formula(numbers=False)
    _, rhs = form.formula(numbers=True)
    spec, base = ctx.spec, ctx.base
    gamma = ""
    if spec.groups > 1:
        o = "o" if base == 0 else f"(o - {base})"
        gamma = (
            rf" Output channel $o$ sees only its group: $\gamma_o = \lfloor {o}/(C_{{\mathrm{{out}}}}/G) \rfloor \, "
            r"C_{\mathrm{in}}/G$ input channels come before its group."
        )
    section.add(
        Block(
            f"For any input length, output position $i$ reads the inputs {_read_rule(base)}, one per kernel "
            f"position $k = {base}, \\dots, K{' - 1' if base == 0 else ''}$:{gamma}\n"
            f"\\[\n{tex(lhs)} = {tex(general)}\n\\]"
        )
    )
    pairs = [(o, i) for o in range(spec.out_channels) for i in range(ctx.e.output_length)]
    checks = [Claim(form.instance(o, i), ctx.e.z[o, i]) for o, i in pairs]
    outside = _outside(ctx)
    section.add(
        Step(
            "instantiation",
            f"With $s = {spec.stride}$, $d = {spec.dilation}$, $p_\\ell = {ctx.e.padding[0]}$, $K = {spec.kernel_size}$"
            + (
                f", $C = C_{{\\mathrm{{in}}}}/G = {spec.in_channels // spec.groups}$"
                if not ctx.e.single_channel
                else ""
            )
            + f", for $i = {base}, \\dots, {ctx.e.output_length - 1 + base}$:",
            aligned([(tex(lhs), tex(rhs))]),
            f"{outside} Summing out $k$ at every output gives the explicit equations of the previous section. {CHECK}",
            tuple(checks),
        )
    )
    return section


def _read_rule(base: int) -> str:
    """The input an output reads, in subscripts from ``base``: ``s i + d k - p_l`` from 0,
    ``s (i - 1) + d (k - 1) - p_l + 1`` from 1.

    Examples:
        >>> print(_read_rule(0), _read_rule(1))
        $s i + d k - p_\\ell$ $s (i - 1) + d (k - 1) - p_\\ell + 1$
    """
    if base == 0:
        return "$s i + d k - p_\\ell$"
    return f"$s (i - {base}) + d (k - {base}) - p_\\ell + {base}$"


def _outside(ctx: Context) -> str:
    lo, hi = ctx.base, ctx.e.input_length - 1 + ctx.base
    rule = {
        "zeros": "is $0$",
        "reflect": "is the input reflected about its end",
        "replicate": "is the nearest end entry",
        "circular": "wraps around (subscripts modulo $L$)",
        "symmetric": "is the input mirrored about its end, the end entry repeated",
        "wrap": "wraps around periodically (subscripts modulo $L$)",
    }[ctx.spec.padding_mode]
    return f"Here an input with subscript outside ${lo}, \\dots, {hi}$ {rule}, as in the padded input."


def matrix_form(ctx: Context) -> Section:
    """Section 4: ``vec(z) = W vec(x) + b``, the tying groups and the counts."""
    section = Section("matrix", "The weight-tied matrix")
    section.add(_matrix_step(ctx))
    section.add(_tying_step(ctx))
    section.add(_counts_step(ctx))
    if ctx.options.figures and len(ctx.e.taps) <= FIGURE_LIMIT:
        section.add(Block(_figures(ctx)))
    return section


def _figures(ctx: Context) -> str:
    from symconv.figures import ConnectivityDiagram, MatrixPicture

    connect = ConnectivityDiagram(ctx.e).tikz()
    picture = MatrixPicture(ctx.e).tikz()
    return (
        "The connectivity diagram draws every tap as an edge from the input it reads to the output it feeds, "
        "coloured by its weight; the matrix picture colours each entry of $W$ by the weight it holds.\n"
        f"\\begin{{figure}}[htbp]\n\\centering\n{connect}\n"
        "\\caption{Connectivity: inputs below, outputs above, one edge per tap, coloured and labelled by weight.}"
        "\\label{fig:connectivity}\n\\end{figure}\n"
        f"\\begin{{figure}}[htbp]\n\\centering\n{picture}\n"
        "\\caption{The weight-tied matrix $W$: one colour per weight.}\\label{fig:matrix}\n\\end{figure}"
    )


def _matrix_step(ctx: Context) -> Step:
    e, m = ctx.e, ctx.max_size
    w_matrix = e.matrix
    product = [a + b for a, b in zip(ctx.matvec(w_matrix, ctx.flat_x), e.bias_vector)]
    checks = [Claim(product, ctx.vec_z)]
    rows, cols = w_matrix.shape
    if rows * cols <= JACOBIAN_LIMIT:
        checks.append(Claim(sympy.Matrix(ctx.vec_z).jacobian(ctx.flat_x), w_matrix))
    rhs = f"{matrix_tex(w_matrix, m)} {column_tex(ctx.flat_x, m)}"
    if e.b is not None:
        rhs += f" + {column_tex(list(e.bias_vector), m)}"
    lines = [(r"\operatorname{vec}(z) = " + column_tex(ctx.vec_z_symbols, m), rhs)]
    jac = " and is the Jacobian $\\partial z / \\partial x$" if len(checks) > 1 else ""
    return Step(
        "matrix form",
        f"Stacking the outputs channel after channel, $\\operatorname{{vec}}(z) = W \\operatorname{{vec}}(x) + b$ "
        f"with a ${rows} \\times {cols}$ matrix $W$ (row $o L_{{\\mathrm{{out}}}} + i$ for output $(o, i)$, "
        f"column $c L + t$ for input $(c, t)$) whose entries are weights, not free parameters:",
        aligned(lines),
        f"Multiplying out gives every equation of the layer{jac}. {CHECK}",
        tuple(checks),
    )


def _tying_step(ctx: Context) -> Step:
    e, taps = ctx.e, ctx.e.taps
    w_matrix = e.matrix
    rebuilt = sympy.zeros(*w_matrix.shape)
    lines, ntaps = [], 0
    shape = ctx.spec.weight_shape
    for flat, symbol in enumerate(ctx.flat_w):
        o, cw, k = flat // (shape[1] * shape[2]), (flat // shape[2]) % shape[1], flat % shape[2]
        group = taps.tying_group(o, cw, k)
        ntaps += len(group)
        for (oo, i), (c, t) in group:
            rebuilt[oo * e.output_length + i, c * e.input_length + t] += symbol
        lines.append((tex(symbol), _entries(ctx, group)))
    shown = [lines[i] if i is not None else (r"\vdots", "") for i in kept(len(lines), ctx.max_size)]
    sums = [(r, c) for (r, c), v in sorted(w_matrix.todok().items()) if isinstance(v, sympy.Add)]
    folded = ""
    if sums:
        where = ", ".join(f"$W_{{{r + ctx.base},{c + ctx.base}}} = {tex(w_matrix[r, c])}$" for r, c in sums[:6])
        more = ", \\dots" if len(sums) > 6 else ""
        folded = (
            f" Under \\texttt{{{ctx.spec.padding_mode}}} padding some entries hold a sum of weights: {where}{more}."
        )
    return Step(
        "tying groups",
        "Each weight appears in many entries of $W$ (its tying group, as (output, input) pairs):",
        " \\\\\n".join(f"{a} &: {b}" for a, b in shown),
        f"Adding each weight into the entries of its group rebuilds $W$ exactly.{folded} {CHECK}",
        (Claim(rebuilt, w_matrix), Claim(ntaps, len(taps))),
    )


def _entries(ctx: Context, group: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> str:
    e = ctx.e
    shown = []
    for j in kept(len(group), ctx.max_size):
        if j is None:
            shown.append(r"\dots")
            continue
        out, inp = group[j]
        shown.append(f"({tex(e.z_symbols[out])}, {tex(e.x[inp])})")
    return r"\{" + ", ".join(shown) + r"\}" if shown else r"\emptyset"


def _counts_step(ctx: Context) -> Step:
    spec, e = ctx.spec, ctx.e
    c_out, c_per, size = spec.weight_shape
    rows, cols = e.matrix.shape
    bias = spec.out_channels if spec.bias else 0
    params = c_out * c_per * size + bias
    dense = rows * cols + (rows if spec.bias else 0)
    nonzeros = len(e.matrix.todok())
    counts = e.taps.counts()
    b_tex = " + C_{\\mathrm{out}}" if spec.bias else ""
    first = r"C_{\mathrm{in}} \cdot \tfrac{C_{\mathrm{out}}}{G}" if is_transposed(spec) else None
    lines = [
        (
            r"\#\text{parameters}",
            (first or r"C_{\mathrm{out}} \cdot \tfrac{C_{\mathrm{in}}}{G}") + rf" \cdot K{b_tex} = "
            rf"{c_out} \cdot {c_per} \cdot {size}" + (f" + {bias}" if bias else "") + f" = {params}",
        ),
        (
            r"\#\text{dense}",
            r"(C_{\mathrm{out}} L_{\mathrm{out}})(C_{\mathrm{in}} L)"
            + (r" + C_{\mathrm{out}} L_{\mathrm{out}}" if spec.bias else "")
            + f" = {rows} \\cdot {cols}"
            + (f" + {rows}" if spec.bias else "")
            + f" = {dense}",
        ),
        (r"\#\text{non-zeros of } W", f"{nonzeros} \\text{{ of }} {rows * cols} \\text{{ entries}}"),
    ]
    return Step(
        "counts",
        "The layer has far fewer parameters than a dense layer with the same input and output sizes, "
        "and its matrix is sparse:",
        aligned(lines),
        f"Counted from the spec, from the matrix and from the taps. {CHECK}",
        claims([(params, spec.num_parameters), (dense, counts.dense_parameters), (nonzeros, counts.nonzeros)]),
    )


def nonlinearity(ctx: Context) -> Section:
    """Section 5: ``h = f(z)``, elementwise."""
    section = Section("activation", "The nonlinearity, elementwise")
    name, fn = activation(ctx.options.activation)
    h = ctx.e.activate(ctx.options.activation)
    names = ctx.e.names
    act = "h" if "h" not in names.values() else names["a"]  # never one of the caller's other symbols
    hs = [sympy.Symbol(act + str(s)[len(names["z"]) :]) for s in ctx.vec_z_symbols]
    pairs = list(zip(hs, list(h)))
    z = tex(sympy.Symbol(names["z"]))
    f_tex = tex(fn(sympy.Symbol(names["z"])))
    section.add(
        Step(
            "activation",
            f"${z}$ is a vector, one entry per output; the nonlinearity ${z} \\mapsto {f_tex}$ (\\texttt{{{name}}}) "
            f"is applied to each entry on its own, ${tex(sympy.Symbol(act))} = f({z})$:",
            aligned(equation_lines(pairs, ctx.max_size)),
            f"Applying $f$ entry by entry to the equations gives the layer's activations. {CHECK}",
            (Claim(list(h), [fn(v) for v in ctx.vec_z]),),
        )
    )
    return section
