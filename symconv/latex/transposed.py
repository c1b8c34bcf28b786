"""The steps of a derivation that differ for a transposed convolution (``ConvTranspose1d``).

Its parameters and output length, the identity ``W = C^T`` with ``C`` the matrix of the
matching ``Conv1d`` (Dumoulin and Visin's view, T24), and the theorem that
``output_padding`` picks one of the ``s`` input lengths the convolution cannot tell apart.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

import sympy

from symconv.latex.context import Context
from symconv.latex.printing import CHECK, matrix_tex
from symconv.latex.steps import Claim, Step, claims
from symconv.layers.transposed import ConvTranspose1d


def parameters(ctx: Context) -> str:
    """The parameter table of a ``ConvTranspose1d``."""
    s = cast(ConvTranspose1d, ctx.spec)
    rows = [
        ("input channels $C_{\\mathrm{in}}$", s.in_channels),
        ("output channels $C_{\\mathrm{out}}$", s.out_channels),
        ("kernel size $K$", s.kernel_size),
        ("stride $s$", s.stride),
        ("dilation $d$", s.dilation),
        ("groups $G$", s.groups),
        ("padding $p$ (cropped from each end)", s.padding),
        ("output padding $a$", s.output_padding),
        ("bias", "yes" if s.bias else "no"),
        ("input length $L$", ctx.e.input_length),
        ("subscripts start at", ctx.base),
    ]
    body = " \\\\\n".join(f"{name} & {value}" for name, value in rows)
    return (
        "The layer is a transposed convolution: each input entry scatters a scaled copy of the kernel into the "
        "output, $s$ positions further for each step along the input. Its parameters, named as in "
        "\\texttt{torch.nn.ConvTranspose1d}:\n\n"
        f"\\begin{{center}}\n\\begin{{tabular}}{{ll}}\n{body}\n\\end{{tabular}}\n\\end{{center}}"
    )


def length_step(ctx: Context) -> Step:
    """``L_out = (L-1)s - 2p + d(K-1) + a + 1``, with the numbers put in."""
    s = cast(ConvTranspose1d, ctx.spec)
    e = ctx.e
    n, p, d, k, st, a = sympy.symbols("L p d K s a", integer=True)
    formula = (n - 1) * st - 2 * p + d * (k - 1) + a + 1
    values = {n: e.input_length, p: s.padding, d: s.dilation, k: s.kernel_size, st: s.stride, a: s.output_padding}
    numbers = (
        f"({e.input_length} - 1) \\cdot {s.stride} - 2 \\cdot {s.padding} + {s.dilation} \\cdot ({s.kernel_size} - 1)"
        f" + {s.output_padding} + 1"
    )
    lines = [("L_{\\mathrm{out}}", "(L - 1) s - 2 p + d (K - 1) + a + 1"), ("", numbers), ("", str(e.output_length))]
    return Step(
        "output length",
        "The output length: the full scatter covers $(L-1)s + d(K-1) + 1$ positions, $p$ are cropped from each "
        "end and $a$ added at the end:",
        " \\\\\n".join(f"{lhs} &= {rhs}" for lhs, rhs in lines),
        f"So $z$ has ${e.output_length}$ entries per output channel. {CHECK}",
        claims([(formula.subs(values), e.output_length), (e.z.shape[1], e.output_length)]),
    )


def transpose_step(ctx: Context) -> Step:
    """``W = C^T``: the matrix of this layer is the transpose of the matching convolution's.

    When ``output_padding >= stride`` (possible when the dilation exceeds the stride) the
    convolution has ``L + floor(a/s)`` outputs per channel; ``C`` keeps the first ``L`` of each.
    """
    e, spec = ctx.e, cast(ConvTranspose1d, ctx.spec)
    conv = spec.conv().expand(e.output_length, index_base=ctx.base, names=e.names)
    n, per = e.input_length, conv.output_length
    rows = [c * per + t for c in range(spec.in_channels) for t in range(n)]
    c_matrix = conv.matrix.extract(rows, list(range(conv.matrix.shape[1])))
    w_matrix = e.matrix
    groups = f", groups={spec.groups}" if spec.groups > 1 else ""
    call = (
        f"Conv1d({spec.out_channels}, {spec.in_channels}, {spec.kernel_size}, stride={spec.stride}, "
        f"padding={spec.padding}, dilation={spec.dilation}{groups})"
    )
    maps = f"${n}$ outputs" if per == n else f"${per}$ outputs per channel, of which $C$ keeps the first ${n}$,"
    return Step(
        "transpose of a convolution",
        f"The matching convolution \\texttt{{{call}}} maps ${e.output_length}$ inputs to {maps} with a "
        "matrix $C$ built from the same weights; this layer's matrix is its transpose, which is why the layer is "
        "called a transposed convolution:",
        f"C &= {matrix_tex(c_matrix, ctx.max_size)} \\\\\nW &= C^{{\\top}} = {matrix_tex(w_matrix, ctx.max_size)}",
        f"Both matrices are built from their own taps; $W$ and $C^{{\\top}}$ agree entry by entry. {CHECK}",
        (Claim(w_matrix, c_matrix.T),),
    )


def output_padding_theorem(ctx: Context) -> Step:
    """Output padding ``a < max(s, d)`` gives ``L_out(a)``, which the matching convolution maps to ``L + floor(a/s)``.

    So the round trip returns ``L`` exactly when ``a < s``; when the dilation exceeds the
    stride, PyTorch also accepts ``s <= a < d``, and those lengths map back to a longer input.
    Checked for every ``a`` (both formulas evaluated) and, for this layer's ``s, p, d, K``, as
    an identity in a symbolic ``L``.
    """
    e, spec = ctx.e, cast(ConvTranspose1d, ctx.spec)
    s, n = spec.stride, e.input_length
    top = max(s, spec.dilation)
    options = [a for a in range(top) if _length(spec, n, a) >= 1]
    lengths = [replace(spec, output_padding=a).output_length(n) for a in options]
    back = [spec.conv().output_length(m) for m in lengths]
    general = sympy.Symbol("L", integer=True, positive=True)
    checks = [Claim(_round_trip(spec, general, a), general + a // s) for a in options]
    checks += [Claim(m, n + a // s) for a, m in zip(options, back)]
    checks += [Claim(m, n, "=" if a < s else "!=") for a, m in zip(options, back)]
    return Step(
        "output padding",
        _statement(spec, n, [a for a in options if a >= s]),
        f"L_{{\\mathrm{{out}}}}(a) &= (L - 1) s - 2 p + d (K - 1) + a + 1 &&: {_pairs(options, lengths)} \\\\\n"
        f"\\mathrm{{Conv1d}}(L_{{\\mathrm{{out}}}}(a)) &= L + \\lfloor a/s \\rfloor &&: {_pairs(options, back)}",
        "Substituting $L_{\\mathrm{out}}(a)$ in the convolution's $\\lfloor (L' + 2p - d(K-1) - 1)/s \\rfloor + 1$ "
        "gives $\\lfloor ((L-1)s + a)/s \\rfloor + 1 = L + \\lfloor a/s \\rfloor$, and $\\lfloor a/s \\rfloor = 0$ "
        f"exactly when $a < s$. Checked for every $a$ with both formulas, and as an identity in $L$ for $s = {s}$, "
        f"$p = {spec.padding}$, $d = {spec.dilation}$, $K = {spec.kernel_size}$. {CHECK}",
        tuple(checks),
        kind="theorem",
    )


def _statement(spec: ConvTranspose1d, n: int, longer: list[int]) -> str:
    """The theorem's words: which output paddings map back to ``L``, and which (``s <= a < d``) do not."""
    s = spec.stride
    extra = (
        f"; for $s \\le a < d$ (here $a \\in \\{{{', '.join(map(str, longer))}\\}}$, possible because the "
        f"dilation $d = {spec.dilation}$ exceeds the stride) it gives a longer input: that round trip does not hold"
        if longer
        else ""
    )
    picks = (
        " With $s > 1$ the convolution maps $s$ input lengths to one output length, and $a$ picks the one the "
        "transposed convolution produces:"
        if s > 1
        else " At stride $1$ only $a = 0$ gives back $L$:"
    )
    return (
        f"PyTorch accepts an output padding $a$ = \\texttt{{output\\_padding}} below "
        f"$\\max(s, d) = {max(s, spec.dilation)}$ (this layer has $a = {spec.output_padding}$). The matching "
        f"convolution maps the output length $L_{{\\mathrm{{out}}}}(a)$ back to $L + \\lfloor a/s \\rfloor$: to "
        f"$L = {n}$ exactly when $a < s = {s}${extra}.{picks}"
    )


def _length(spec: ConvTranspose1d, n: Any, a: int) -> Any:
    """``L_out = (L-1)s - 2p + d(K-1) + a + 1`` (``n`` an int or a SymPy symbol)."""
    return (n - 1) * spec.stride - 2 * spec.padding + spec.dilation * (spec.kernel_size - 1) + a + 1


def _round_trip(spec: ConvTranspose1d, n: Any, a: int) -> Any:
    """The matching convolution's output length on ``L_out(a)``, by its own formula (symbolic in ``n``)."""
    extent = spec.dilation * (spec.kernel_size - 1)
    return sympy.floor((_length(spec, n, a) + 2 * spec.padding - extent - 1) / spec.stride) + 1


def _pairs(options: list[int], values: list[int]) -> str:
    return ", ".join(f"a = {a} \\mapsto {v}" for a, v in zip(options, values))
