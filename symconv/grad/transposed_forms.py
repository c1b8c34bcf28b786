"""Closed forms of a transposed convolution's gradients: its input gradient is a convolution of delta."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from symconv.grad.forms import GradientParts, Identity, bias_form


def transposed_forms(g: GradientParts) -> tuple[Identity, ...]:
    """Closed forms for a transposed convolution: its input gradient is a convolution of delta.

    ``dL/dx[c, i] = sum_{o, k} w[c, o, k] * deltapad[beta_c + o, s*i + d*k]`` and
    ``dL/dw[c, o, k] = sum_i x[c, i] * deltapad[beta_c + o, s*i + d*k]``, with ``o`` counted within
    ``c``'s group, ``beta_c = (C_out/G)*floor(c/(C_in/G))`` its first output channel, and
    ``deltapad`` the upstream gradient zero-padded by ``p`` on each side.
    """
    e, spec = g.expansion, g.expansion.layer
    p, s, d, size = spec.padding, spec.stride, spec.dilation, spec.kernel_size
    c_in, c_out = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    zero = sympy.S.Zero
    dpad = [[zero] * p + list(g.delta.row(o)) + [zero] * p for o in range(spec.out_channels)]
    dx, dw = [], []
    for c, i in np.ndindex(spec.in_channels, e.input_length):
        group = c // c_in
        outs = range(group * c_out, (group + 1) * c_out)
        dx.append(
            sympy.Add(*[e.w[c, o - group * c_out, k] * _at(dpad[o], s * i + d * k) for o in outs for k in range(size)])
        )
    for c, ow, k in np.ndindex(spec.weight_shape):
        o = (c // c_in) * c_out + ow
        dw.append(sympy.Add(*[e.x[c, i] * _at(dpad[o], s * i + d * k) for i in range(e.input_length)]))
    oo, cc, kk, ii, _ = sympy.symbols("o c k i u", integer=True, nonnegative=True)
    dp, w, x = sympy.IndexedBase("deltapad"), sympy.IndexedBase("w"), sympy.IndexedBase("x")
    # w[c, o', k] counts the output channel o' within input channel c's group, which starts at
    # output channel c_out*floor(c/c_in): delta is read at that channel plus o'
    out = oo + c_out * sympy.floor(cc / c_in) if spec.groups > 1 else oo
    dx_formula = sympy.Eq(
        sympy.Derivative(sympy.Symbol("L"), x[cc, ii]),
        sympy.Sum(w[cc, oo, kk] * dp[out, s * ii + d * kk], (kk, 0, size - 1), (oo, 0, c_out - 1)),
    )
    dw_formula = sympy.Eq(
        sympy.Derivative(sympy.Symbol("L"), w[cc, oo, kk]),
        sympy.Sum(x[cc, ii] * dp[out, s * ii + d * kk], (ii, 0, e.input_length - 1)),
    )
    forms = [
        Identity(
            "weight gradient",
            "the weight gradient correlates delta (padded by p) with the input, strided and dilated",
            dw_formula,
            tuple(sympy.flatten(g.dw.tolist())),
            tuple(dw),
            spec.weight_shape,
        ),
        Identity(
            "input gradient",
            "the input gradient of a transposed convolution is the convolution (cross-correlation) of delta "
            "with the same kernel, stride, padding and dilation",
            dx_formula,
            tuple(sympy.flatten(g.dx.tolist())),
            tuple(dx),
            (spec.in_channels, e.input_length),
        ),
    ]
    if g.db is not None:
        forms.insert(0, bias_form(g, [list(g.delta.row(o)) for o in range(g.delta.rows)]))
    return tuple(forms)


def _at(row: list[Any], j: int) -> Any:
    return row[j] if 0 <= j < len(row) else sympy.S.Zero
