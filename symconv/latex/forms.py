"""Sections 3-5 of a derivation: the general index form, the weight-tied matrix, the nonlinearity."""

from __future__ import annotations

from typing import Any

import sympy

from symconv.latex.context import Context
from symconv.latex.listing import is_transposed
from symconv.latex.printing import CHECK, SUM_WIDTH, column_tex, equation_lines, kept, matrix_tex, tex, width_pt
from symconv.latex.steps import Block, Claim, Section, Step, aligned, claims
from symconv.layers.activations import activation

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

    def direct(self, o: int, i: int) -> sympy.Expr:
        """The instantiated formula at output ``(o, i)`` summed by plain index arithmetic (no ``Sum.doit``):
        the term ``w[o, c, k] x[gamma_o + c, s i + d k - p_l]`` for every ``(c, k)``, read from the padded input.

        It is the same formula as :meth:`instance`, evaluated in Python integers: linear in the taps, so every
        output of a big layer is checked this way, and the printed ones also through SymPy's ``Sum``.
        """
        ctx, spec = self.ctx, self.ctx.spec
        size, left = spec.kernel_size, ctx.e.padding[0]
        per = spec.in_channels // spec.groups
        first = self.gamma_value(o)
        terms = []
        for c in range(per):
            for k in range(size):
                wk = size - 1 - k if spec.flip else k
                weight = ctx.e.w[(0, 0, wk) if ctx.e.single_channel else (o, c, wk)]
                t = spec.stride * i + spec.dilation * k - left  # the input read; xpad starts p_l earlier
                terms.append(weight * ctx.xpad[first + c][t + left])
        total = sympy.Add(*terms)
        if ctx.e.b is not None:
            total += ctx.e.b[o]
        return total

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
    n_out = ctx.e.output_length
    pairs = [(o, i) for o in range(spec.out_channels) for i in range(n_out)]
    checks = [Claim(form.direct(o, i), ctx.e.z[o, i]) for o, i in pairs]
    shown = [divmod(r, n_out) for r in kept(len(pairs), ctx.max_size) if r is not None]
    checks += [Claim(form.instance(o, i), ctx.e.z[o, i]) for o, i in shown]
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
            f"{outside} Summing out $k$ at every output gives the explicit equations of the next section. {CHECK}",
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
    if ctx.options.figures:  # a big layer's figures are drawn elided, each saying what it leaves out
        section.add(Block(_figures(ctx)))
    return section


def _figures(ctx: Context) -> str:
    from symconv.figures import ConnectivityDiagram, MatrixPicture

    connect, picture = ConnectivityDiagram(ctx.e), MatrixPicture(ctx.e)
    edges, cells = _colour(connect), _colour(picture)
    big = " A big layer is drawn in part; each figure says what it leaves out." if connect.elided else ""
    return (
        "The connectivity diagram draws every tap as an edge from the input it reads to the output it feeds, "
        f"coloured {edges}; the matrix picture colours each entry of $W$ {cells}.{big}\n"
        f"\\begin{{figure}}[htbp]\n\\centering\n{connect.tikz()}\n"
        f"\\caption{{Connectivity: inputs below, outputs above, one edge per tap, coloured {edges}.}}"
        "\\label{fig:connectivity}\n\\end{figure}\n"
        f"\\begin{{figure}}[htbp]\n\\centering\n{picture.tikz()}\n"
        f"\\caption{{The weight-tied matrix $W$, each entry coloured {cells}.}}\\label{{fig:matrix}}\n"
        "\\end{figure}"
    )


def _colour(figure: Any) -> str:
    """What a figure's colours mean, as its legend says: the weight, or (past its palette) the output channel."""
    if "output channel" in figure.layout.legend_title:
        return "by output channel (too many weights for a colour each)"
    return "by weight, one colour each"


def _matrix_step(ctx: Context) -> Step:
    e, m = ctx.e, ctx.max_size
    w_matrix = e.matrix
    product = [a + b for a, b in zip(ctx.matvec(w_matrix, ctx.flat_x), e.bias_vector)]
    checks = [Claim(product, ctx.vec_z)]
    rows, cols = w_matrix.shape
    if rows * cols <= JACOBIAN_LIMIT:
        checks.append(Claim(sympy.Matrix(ctx.vec_z).jacobian(ctx.flat_x), w_matrix))
    rhs = f"{matrix_tex(w_matrix, m, width=300.0)} {column_tex(ctx.flat_x, m)}"
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
    rebuilt: dict[tuple[int, int], list[Any]] = {}  # entry -> the weights added into it, in linear time
    printed = kept(len(ctx.flat_w), ctx.max_size)
    lines: dict[int | None, tuple[str, str]] = {None: (r"\vdots", "")}
    ntaps = 0
    shape = ctx.spec.weight_shape
    for flat, symbol in enumerate(ctx.flat_w):
        o, cw, k = flat // (shape[1] * shape[2]), (flat // shape[2]) % shape[1], flat % shape[2]
        group = taps.tying_group(o, cw, k)
        ntaps += len(group)
        for (oo, i), (c, t) in group:
            rebuilt.setdefault((oo * e.output_length + i, c * e.input_length + t), []).append(symbol)
        if flat in printed:
            lines[flat] = (tex(symbol), _entries(ctx, group))
    shown = [lines[i] for i in printed]
    nonzero = w_matrix.todok()
    keys = sorted(set(rebuilt) | set(nonzero))
    by_groups = [sympy.Add(*rebuilt.get(key, [])) for key in keys]
    in_matrix = [nonzero.get(key, sympy.S.Zero) for key in keys]
    sums = [(r, c) for (r, c), v in sorted(nonzero.items()) if isinstance(v, sympy.Add)]
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
        (Claim(by_groups, in_matrix), Claim(ntaps, len(taps))),
    )


def _entries(ctx: Context, group: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> str:
    """A tying group as ``{(z_0, x_0), (z_1, x_2), \\dots, (z_13, x_26)}``: at most ``max_size`` pairs, and no
    more than fit the line (:data:`~symconv.latex.printing.SUM_WIDTH`); the dots stand for the pairs between."""
    e = ctx.e

    def pair(j: int) -> str:
        out, inp = group[j]
        return f"({tex(e.z_symbols[out])}, {tex(e.x[inp])})"

    if not group:
        return r"\emptyset"
    last = pair(len(group) - 1)
    budget = SUM_WIDTH - width_pt(last) - 20.0
    shown: list[str] = []
    for j in kept(len(group), ctx.max_size)[:-1]:
        text = r"\dots" if j is None else pair(j)
        if j is not None and shown and sum(width_pt(t) + 6.0 for t in shown) + width_pt(text) > budget:
            shown.append(r"\dots")
            break
        shown.append(text)
        if j is None:
            break
    if len(group) > 1:
        shown.append(last)
    return r"\{" + ", ".join(shown) + r"\}"


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
    """Section 5: ``a = f(z)``, elementwise."""
    section = Section("activation", "The nonlinearity, elementwise")
    name, fn = activation(ctx.options.activation)
    h = ctx.e.activate(ctx.options.activation)
    names = ctx.e.names
    act = names["a"]  # the activation output, a = f(z), as in the notation table (its name is checked unique)
    hs = [sympy.Symbol(act + str(s)[len(names["z"]) :]) for s in ctx.vec_z_symbols]
    pairs = list(zip(hs, list(h)))
    z = tex(sympy.Symbol(names["z"]))
    f_tex = tex(fn(sympy.Symbol(names["z"])))
    section.add(
        Step(
            "activation",
            f"${z}$ is a vector, one entry per output; {_which(name, z, f_tex)} "
            f"is applied to each entry on its own, ${tex(sympy.Symbol(act))} = f({z})$:",
            aligned(equation_lines(pairs, ctx.max_size)),
            f"Applying $f$ entry by entry to the equations gives the layer's activations. {CHECK}",
            (Claim(list(h), [fn(v) for v in ctx.vec_z]),),
        )
    )
    return section


def _which(name: str, z: str, f_tex: str) -> str:
    """The nonlinearity in words: ``any nonlinearity $f$`` when it is left unspecified (``sigma``), else its
    formula and name."""
    if name == "sigma":
        return "any nonlinearity $f$ (left unspecified)"
    return f"the nonlinearity $f({z}) = {f_tex}$ (\\texttt{{{name}}})"
