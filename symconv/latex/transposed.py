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
from symconv.latex.printing import matrix_tex
from symconv.latex.steps import Claim, Step, claims

CHECK = r"\hfill$\checkmark$"


def parameters(ctx: Context) -> str:
    """The parameter table of a ``ConvTranspose1d``."""
    s: Any = ctx.spec
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
        "\\texttt{torch.nn.ConvTranspose1d} (weights of shape $(C_{\\mathrm{in}}, C_{\\mathrm{out}}/G, K)$):\n\n"
        f"\\begin{{center}}\n\\begin{{tabular}}{{ll}}\n{body}\n\\end{{tabular}}\n\\end{{center}}"
    )


def length_step(ctx: Context) -> Step:
    """``L_out = (L-1)s - 2p + d(K-1) + a + 1``, with the numbers put in."""
    s: Any = ctx.spec
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
    """``W = C^T``: the matrix of this layer is the transpose of the matching convolution's."""
    e, spec = ctx.e, cast(Any, ctx.spec)
    conv = spec.conv().expand(e.output_length, index_base=ctx.base)
    c_matrix = conv.matrix[: e.input_length * spec.in_channels, :]
    w_matrix = e.matrix
    return Step(
        "transpose of a convolution",
        f"The matching convolution \\texttt{{Conv1d({spec.out_channels}, {spec.in_channels}, {spec.kernel_size}, "
        f"stride={spec.stride}, padding={spec.padding}, dilation={spec.dilation})}} maps ${e.output_length}$ inputs "
        f"to ${e.input_length}$ outputs with a matrix $C$ built from the same weights; this layer's matrix is its "
        "transpose, which is why the layer is called a transposed convolution:",
        f"C &= {matrix_tex(c_matrix, ctx.max_size)} \\\\\nW &= C^{{\\top}} = {matrix_tex(w_matrix, ctx.max_size)}",
        f"Both matrices are built from their own taps; $W$ and $C^{{\\top}}$ agree entry by entry. {CHECK}",
        (Claim(w_matrix, c_matrix.T),),
    )


def output_padding_theorem(ctx: Context) -> Step:
    """Every output padding ``a < max(s, d)`` gives a length the matching convolution maps back to ``L``."""
    e, spec = ctx.e, cast(Any, ctx.spec)
    options = [a for a in range(max(spec.stride, spec.dilation)) if a < max(spec.stride, spec.dilation)]
    lengths = [replace(spec, output_padding=a).output_length(e.input_length) for a in options]
    conv = spec.conv()
    back = [conv.output_length(m) for m in lengths]
    shown = ", ".join(f"a = {a}: {m}" for a, m in zip(options, lengths))
    return Step(
        "output padding",
        f"The convolution with stride $s = {spec.stride}$ maps several input lengths to the same output length, so "
        f"its transpose must be told which one to produce; that is $a$ = \\texttt{{output\\_padding}}. Every choice "
        f"gives a length that the matching convolution maps back to $L = {e.input_length}$:",
        f"L_{{\\mathrm{{out}}}}(a) &: {shown} \\\\\n\\mathrm{{Conv1d}}(L_{{\\mathrm{{out}}}}(a)) &= {e.input_length}",
        "Each length is computed with the transposed formula and mapped back with the convolution's "
        f"$\\lfloor (L' + 2p - d(K-1) - 1)/s \\rfloor + 1$. {CHECK}",
        claims([(back, [e.input_length] * len(back))]),
        kind="theorem",
    )
