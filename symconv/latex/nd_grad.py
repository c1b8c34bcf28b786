"""Backpropagation through a 2D or 3D layer, per axis: dL/db, dL/dw and dL/dx with their index rules.

The formulas are the closed forms of :mod:`symconv.grad.forms_nd` (per-axis index formulas that do not
read the taps), written in the document's notation; each is checked on every entry against the gradient
read off the taps (``symconv.gradients(e).identities``), and the printed entries are those explicit
gradients.
"""

from __future__ import annotations

from typing import Any

from symconv.grad.gradients import gradients
from symconv.latex.context import Context
from symconv.latex.listing import is_transposed
from symconv.latex.nd_text import Notation, role
from symconv.latex.printing import CHECK, tex
from symconv.latex.steps import Block, Claim, Section, Step


def backprop_nd(ctx: Context) -> Section:
    """The three gradients of the loss ``L`` given the upstream gradient ``delta = dL/dz``."""
    e = ctx.e
    section = Section("backprop", "Backpropagation")
    g = gradients(e)
    section.add(
        Block(
            "Let $L$ be a loss and $\\delta = \\partial L / \\partial z$ the gradient that reaches the layer's "
            "output, an array shaped like $z$. The chain rule through the linear layer gives three gradients, each "
            "read per axis with the same index rule as the forward pass (an entry of $\\delta$ or $x$ with a "
            "subscript outside its grid is $0$; a padded one is the input it copies)."
        )
    )
    for identity in g.identities:
        section.add(_identity_step(ctx, g, identity))
    return section


#: The group offsets, as the notation table defines them (a transposed layer's counts output channels).
GAMMA = "\\text{with } \\gamma_o = \\lfloor o / (C_{\\mathrm{out}}/G) \\rfloor \\, C_{\\mathrm{in}}/G"
GAMMA_TRANSPOSED = "\\text{with } \\gamma'_c = \\lfloor c / (C_{\\mathrm{in}}/G) \\rfloor \\, C_{\\mathrm{out}}/G"


def _formula(ctx: Context, name: str) -> list[tuple[str, str]]:
    """The general formula of one gradient in the document's notation: ``align*`` rows, the per-axis rules last."""
    e, n = ctx.e, Notation(ctx.e.ndim, ctx.base)
    spec = ctx.spec
    one = e.single_channel
    flip = bool(getattr(spec, "flip", False))
    transposed = is_transposed(spec)
    out_l, in_l = (n.inp, n.out) if transposed else (n.out, n.inp)  # the letters of this layer's outputs, inputs
    grouped = getattr(spec, "groups", 1) > 1
    # with groups, a weight's channel index counts within its group (the notation table): the input channel of
    # w_{o,c,...} is gamma_o + c; a transposed layer's output channel of w_{c,o,...} is gamma'_c + o
    out_channel = "\\gamma'_c + o" if grouped and transposed else "o"
    delta = f"\\delta_{{{','.join(([] if one else [out_channel]) + list(out_l))}}}"
    if name == "bias gradient":
        delta = f"\\delta_{{{','.join(([] if one else ['o']) + list(out_l))}}}"
        return [(f"\\frac{{\\partial L}}{{\\partial b{'' if one else '_o'}}}", f"\\sum_{{{','.join(out_l)}}} {delta}")]
    wsub = ",".join(([] if one else (["c", "o"] if transposed else ["o", "c"])) + list(n.ker))
    rules = [(n.inp[a], n.rule(a, flip and not transposed)) for a in range(e.ndim)]
    x_name, w_name = role(ctx, "x"), role(ctx, "w")
    x = f"{x_name}_{{{','.join(([] if one else ['c']) + list(in_l))}}}"
    dw = f"\\frac{{\\partial L}}{{\\partial {w_name}_{{{wsub}}}}}"
    dx = f"\\frac{{\\partial L}}{{\\partial {x}}}"
    groups_rows: list[tuple[str, str]] = []
    if grouped and transposed:
        groups_rows = [
            ("", "\\text{with } \\gamma'_c = \\lfloor c / (C_{\\mathrm{in}}/G) \\rfloor \\, C_{\\mathrm{out}}/G")
        ]
    elif grouped:
        groups_rows = [
            ("", "\\text{with } \\gamma_o = \\lfloor o / (C_{\\mathrm{out}}/G) \\rfloor \\, C_{\\mathrm{in}}/G")
        ]
    if name == "weight gradient":
        if grouped and not transposed:  # the input channel a weight of o's group reads
            x = x_name + "_{" + ",".join(["\\gamma_o + c", *in_l]) + "}"
        rhs = (
            f"\\sum_{{{','.join(n.out)}}} {x}\\, {delta}"
            if transposed
            else f"\\sum_{{{','.join(n.out)}}} {delta}\\, {x}"
        )
        return [(dw, rhs), *_where(rules, "where"), *groups_rows]
    if transposed:
        rhs = f"\\sum_{{{'o,' if not one else ''}{','.join(n.ker)}}} {w_name}_{{{wsub}}}\\, {delta}"
        return [(dx, rhs), *_where(rules, "where"), *groups_rows]
    pairs = ",\\,".join(f"({k}, {i})" for k, i in zip(n.ker, n.out))
    if grouped:  # the output channels of c's group, each through its weight for c within the group
        wsub = ",".join(["o", "c - \\gamma_o", *n.ker])
        outputs = "\\sum_{o:\\, \\gamma_o \\le c < \\gamma_o + C_{\\mathrm{in}}/G} "
    else:
        outputs = "" if one else "\\sum_o "
    rhs = outputs + f"\\sum_{{{pairs}}} {w_name}_{{{wsub}}}\\, {delta}"
    return [(dx, rhs), *_where(rules, "over the pairs with"), *groups_rows]


def _where(rules: list[tuple[str, str]], lead: str) -> list[tuple[str, str]]:
    """One row per axis: ``where t = ...``, then ``u = ...`` under it."""
    first = f"\\text{{{lead} }} "
    under = f"\\phantom{{\\text{{{lead} }}}}"
    return [("", f"{under if a else first}{letter} = {rule}") for a, (letter, rule) in enumerate(rules)]


WORDS = {
    "bias gradient": "The bias gradient sums $\\delta$ over every output position of the channel:",
    "weight gradient": (
        "The weight gradient correlates $\\delta$ with the input each weight reads: on every axis the same index "
        "rule as the forward pass, so it is itself a convolution of the input with $\\delta$ as the kernel, "
        "strided and dilated per axis:"
    ),
    "input gradient": (
        "The input gradient, $\\mathbf{W}^{\\top}\\operatorname{vec}(\\delta)$, collects every output and kernel "
        "index that reads the input (on every axis, the rule solved for the output index; a folded pad adds its "
        "gradient to the input it copies): a transposed convolution of $\\delta$:"
    ),
}


def _identity_step(ctx: Context, g: Any, identity: Any) -> Step:
    formula = _formula(ctx, identity.name)
    role = {"bias gradient": "b", "weight gradient": "w", "input gradient": "x"}[identity.name]
    explicit = list(identity.explicit)
    shown = [0] if len(explicit) == 1 else [0, len(explicit) - 1]
    symbols = _symbols(ctx, role)
    lines = list(formula)
    for k in shown:
        lines.append((f"\\frac{{\\partial L}}{{\\partial {tex(symbols[k])}}}", tex(explicit[k], sum_width=250.0)))
    return Step(
        identity.name,
        WORDS[identity.name].rstrip(":") + " (the general formula, then the first and the last entry):",
        " \\\\\n".join(f"{lhs} &= {rhs}" if lhs else f"&\\qquad {rhs}" for lhs, rhs in lines),
        f"The formula, summed at each of the {len(explicit)} entries, equals the gradient read off the taps "
        f"(every entry, not only the shown ones). {CHECK}",
        (Claim(tuple(identity.explicit), tuple(identity.closed)),),
    )


def _symbols(ctx: Context, role: str) -> list[Any]:
    from symconv.base.symbols import entries

    e = ctx.e
    if role == "b":
        return [] if e.b is None else list(e.b)
    return entries(e.w if role == "w" else e.x)
