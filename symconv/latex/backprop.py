"""Section 6 of a derivation: backpropagation, each closed form shown equal to the explicit sum.

The gradients come from :func:`symconv.gradients` (explicit sums read off the taps, and the
closed forms built by a second route). Each step here checks the closed form against the
explicit gradient, and, for layers up to :data:`DIFF_LIMIT` taps, both against ``sympy.diff``
of the loss; the input gradient is also checked against ``W^T delta``.
"""

from __future__ import annotations

import re
from typing import Any

import sympy

from symconv.base.symbols import entries
from symconv.grad.gradients import gradients
from symconv.latex.context import Context
from symconv.latex.printing import CHECK, column_tex, equation_lines, matrix_tex, tex
from symconv.latex.steps import Claim, Section, Step, aligned
from symconv.layers.activations import activation, derivative

DIFF_LIMIT = 3000  # layers with at most this many taps are also checked against sympy.diff of the loss

ROLES = {"bias gradient": "b", "weight gradient": "w", "input gradient": "x"}

_AT = sympy.Symbol("_z_at")  # where f' is taken, replaced by each z


def backprop_section(ctx: Context) -> Section:
    """Section 6: ``delta`` through ``f``, then ``dL/db``, ``dL/dw`` and ``dL/dx = W^T delta``."""
    section = Section("backprop", "Backpropagation")
    section.add(_chain_step(ctx))
    g = gradients(ctx.e)
    for identity in g.identities:
        section.add(_identity_step(ctx, g, identity))
    return section


def _chain_step(ctx: Context) -> Step:
    e = ctx.e
    chosen = ctx.options.activation if ctx.options.activation is not None else "sigma"
    name, fn = activation(chosen)
    ga = gradients(e, activation=chosen)
    upstream = entries(e.output_symbols("g"))
    deltas = entries(e.output_symbols("delta"))
    slope = derivative(name, fn, _AT)  # f' once, then put at each z (for an unspecified f, one diff, not 992)
    shown = [slope.xreplace({_AT: z}) * u for z, u in zip(ctx.vec_z_symbols, upstream)]
    # entry i depends on z_i alone: one substitution each (a dict of every z made this quadratic)
    expanded = [s.subs(z, value) for s, z, value in zip(shown, ctx.vec_z_symbols, ctx.vec_z)]
    pairs = list(zip(deltas, shown))
    a, z = (tex(sympy.Symbol(e.names[role])) for role in ("a", "z"))
    return Step(
        "chain rule through f",
        f"Let $L$ be any loss computed from ${a} = f({z})$, and ${tex(upstream[0])}, \\dots$ its gradient "
        f"$\\partial L / \\partial {a}$. Each ${a}_i$ depends on ${z}_i$ alone, so the error signal "
        "$\\delta = \\partial L / \\partial z$ is elementwise:",
        aligned(equation_lines(pairs, ctx.max_size)),
        f"The chain rule{_taken(name)}{_note(name)}; it equals the layer's "
        f"$\\delta$ with $z$ expanded. From here on $\\delta$ is the upstream gradient, whatever the loss. {CHECK}",
        (Claim(expanded, list(ga.delta)),),
    )


def _taken(name: str) -> str:
    """How ``f'`` was taken: symbolic for an unspecified ``f``, exactly for a named one."""
    return ", $f'$ left symbolic" if name == "sigma" else f" with $f'$ taken exactly (\\texttt{{{name}}})"


def _note(name: str) -> str:
    if name == "relu":
        return (
            r", with $\mathbf{1}[z > 0]$ the step function ($1$ where $z > 0$, else $0$: also $0$ at $0$, as "
            "PyTorch's autograd takes it)"
        )
    return ""


def _identity_step(ctx: Context, g: Any, identity: Any) -> Step:
    e = ctx.e
    role = ROLES.get(identity.name, "x")
    symbols = entries(getattr(e, role))
    explicit = list(identity.explicit)
    checks = [Claim(explicit, list(identity.closed))]
    if len(e.taps) <= DIFF_LIMIT:
        loss = g.loss_expression
        checks.append(Claim(explicit, [sympy.diff(loss, s) for s in symbols]))
    lhs = [sympy.Symbol(f"\\frac{{\\partial L}}{{\\partial {tex(s)}}}") for s in symbols]
    lines = equation_lines(list(zip(lhs, explicit)), ctx.max_size)
    formula = shown_formula(identity.formula, ctx.spec, ctx.base)
    general = f"\\frac{{\\partial L}}{{\\partial {_formula_tex(formula.lhs.variables[0])}}}"
    lines.insert(0, (general, _formula_tex(formula.rhs)))
    if role == "x":
        w_t = e.matrix.T
        delta = list(g.delta)
        checks.append(Claim(explicit, ctx.matvec(w_t, delta)))
        lines.insert(1, (r"\operatorname{vec}\Big(\frac{\partial L}{\partial x}\Big)", _wt_delta(ctx, w_t, delta)))
    via = " and against \\texttt{sympy.diff} of the loss" if len(checks) > 1 else ""
    return Step(
        identity.name,
        f"{_sentence(identity.statement)} In general{_from(ctx.base)}, then entry by entry:",
        aligned(lines),
        f"The closed form is checked against the explicit sum read off the taps{via}"
        + (", and $W^{\\top}\\delta$ is multiplied out" if role == "x" else "")
        + f". {CHECK}",
        tuple(checks),
    )


def _from(base: int) -> str:
    return "" if base == 0 else f" (subscripts from {base}, as everywhere in this document)"


def shown_formula(formula: sympy.Eq, spec: Any, base: int) -> sympy.Eq:
    """A gradient's general formula as the document writes it: the group's first input channel
    ``floor(o / (C_out/G)) C_in/G`` named ``gamma_o`` (as in the index form), and every subscript from ``base``:
    each index symbol ``j`` is replaced by ``j - base`` (it now counts from ``base``), the ranges of the sums
    move up by ``base``, and ``base`` is added to every subscript.

    Examples:
        >>> import symconv
        >>> g = symconv.gradients(symconv.Conv1d(1, 1, 3, stride=2).expand(6))
        >>> shown_formula(g.identities[1].formula, g.expansion.spec, 1).rhs
        Sum(delta[i]*xpad[2*i + k - 2], (i, 1, 2))
    """
    o = next((v for v in formula.free_symbols if isinstance(v, sympy.Symbol) and v.name == "o"), None)
    groups = getattr(spec, "groups", 1)
    if o is not None and groups > 1:
        first = (spec.in_channels // groups) * sympy.floor(o / (spec.out_channels // groups))
        formula = formula.xreplace({first: sympy.Indexed(sympy.IndexedBase("gamma"), o)})
    if spec.in_channels == spec.out_channels == 1:
        formula = _one_channel(formula)
    if base == 0:
        return formula
    indices = {v for atom in formula.atoms(sympy.Indexed) for v in atom.free_symbols if isinstance(v, sympy.Symbol)}
    indices -= {atom.base.label for atom in formula.atoms(sympy.Indexed)}
    bound = {limit[0] for total in formula.atoms(sympy.Sum) for limit in total.limits}
    moved = formula.xreplace({j: j - base for j in indices - bound})
    moved = moved.replace(
        lambda e: isinstance(e, sympy.Sum),
        lambda e: sympy.Sum(
            e.function.xreplace({j: j - base for j, _, _ in e.limits}),
            *[(j, lo + base, hi + base) for j, lo, hi in e.limits],
        ),
    )
    return moved.replace(
        lambda e: isinstance(e, sympy.Indexed),  # gamma_o too: it is an offset, subscripted by o
        lambda e: e.base[tuple(sympy.expand(j + base) for j in e.indices)],
    )


def _one_channel(formula: sympy.Eq) -> sympy.Eq:
    """A one-channel layer's formula in its own notation: ``w_k``, ``delta_i``, ``xpad_t``, ``b`` (the channel
    subscripts ``o = c = 0`` dropped, and the sums over them)."""
    channel = {v for v in formula.free_symbols if isinstance(v, sympy.Symbol) and v.name in ("o", "c")}

    def drop(total: sympy.Sum) -> sympy.Expr:
        fixed = {limit[0]: limit[1] for limit in total.limits if limit[0].name in ("o", "c")}
        keep = [limit for limit in total.limits if limit[0] not in fixed]
        inner = total.function.xreplace(fixed)
        return sympy.Sum(inner, *keep) if keep else inner

    formula = formula.replace(lambda e: isinstance(e, sympy.Sum), drop).xreplace(dict.fromkeys(channel, 0))

    def shorter(atom: sympy.Indexed) -> sympy.Expr:
        indices = list(atom.indices)
        while indices and indices[0] == 0 and (len(indices) > 1 or str(atom.base) == "b"):
            indices.pop(0)
        return atom.base[tuple(indices)] if indices else sympy.Symbol(str(atom.base))

    return formula.replace(lambda e: isinstance(e, sympy.Indexed), shorter)


def _wt_delta(ctx: Context, w_t: Any, delta: list[Any]) -> str:
    product = f"{matrix_tex(w_t, ctx.max_size, width=280.0)} {column_tex(delta, ctx.max_size)}"
    return f"W^{{\\top}} \\operatorname{{vec}}(\\delta) = {product}"


def _sentence(statement: str) -> str:
    """The identity's statement as LaTeX text: ``delta`` and friends in math mode.

    Examples:
        >>> print(_sentence("the input gradient W^T delta is delta_up convolved"))
        The input gradient $W^{\\top}\\delta$ is $\\delta_{\\mathrm{up}}$ convolved.
    """
    words = {"W^T delta": r"W^{\top}\delta", "delta_up": r"\delta_{\mathrm{up}}", "deltapad": r"\delta_{\mathrm{pad}}"}
    words["delta"] = r"\delta"
    pattern = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    text = re.sub(rf"\b(?:{pattern})(?![A-Za-z_])", lambda m: f"${words[m.group(0)]}$", statement)
    text = text.replace("channel o ", "channel $o$ ")
    return text[0].upper() + text[1:] + "."


def _formula_tex(value: Any) -> str:
    """``tex`` with the helper arrays of the closed forms named upright."""
    out = tex(value)
    for name, shown in (
        ("{xpad}", r"{\mathrm{xpad}}"),
        (r"{\delta_{up}}", r"{\delta_{\mathrm{up}}}"),
        ("{deltapad}", r"{\delta_{\mathrm{pad}}}"),
    ):
        out = out.replace(name, shown)
    return out
