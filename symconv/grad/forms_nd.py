"""Closed forms of the gradients of a 2D or 3D convolution, by per-axis index formulas independent of the taps.

With output positions ``i = (i_0, ..., i_{N-1})`` and kernel positions ``k = (k_0, ...)``:

* ``dL/db[o] = sum_i delta[o, i]``;
* ``dL/dw[o, c, k] = sum_i delta[o, i] * xpad[gamma_o + c, s_0*i_0 + d_0*j_0, ..., s_{N-1}*i_{N-1} + d_{N-1}*j_{N-1}]``
  (``j_a = k_a``, or ``K_a-1-k_a`` for true convolution): the cross-correlation of the padded
  input with ``delta``, strided and dilated on every axis;
* ``dL/dx = W^T vec(delta)``: ``delta`` with ``s_a - 1`` zeros inserted along each axis
  (``delta_up``), convolved fully with the dilated kernel over every axis, the padding cropped
  and, for reflect, replicate, circular and symmetric padding, each padded position's gradient
  added to the input it copies (the fold is per axis, so a padded position ``u`` copies input
  ``(src_0(u_0), ..., src_{N-1}(u_{N-1}))``).

The padded input and the folds come from the geometry's per-axis padded sources; nothing here
reads the taps, so each form is a second route to the same numbers, which ``verify`` compares.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy

from symconv.geometry.kernel import padded_sources
from symconv.grad.forms import GradientParts, Identity


def closed_forms_nd(g: GradientParts) -> tuple[Identity, ...]:
    """The bias, weight and input gradient closed forms of a 2D or 3D convolution layer."""
    e = g.expansion
    shape_out = (e.spec.out_channels, *e.output_shape)
    delta = np.array([g.delta.at(index) for index in np.ndindex(shape_out)], dtype=object).reshape(shape_out)
    sources = [padded_sources(axis) for axis in e.taps.geometry.axes]
    forms = [_weight_form(g, delta, sources), _input_form(g, delta, sources)]
    if g.db is not None:
        forms.insert(0, _bias_form(g, delta))
    return tuple(forms)


def _symbols(n: int) -> tuple[tuple[sympy.Symbol, ...], tuple[sympy.Symbol, ...], tuple[sympy.Symbol, ...]]:
    """Index symbols per axis: outputs ``i_a``, kernel ``k_a``, padded inputs ``u_a``."""
    make = lambda name: sympy.symbols(f"{name}0:{n}", integer=True, nonnegative=True)  # noqa: E731
    return make("i"), make("k"), make("u")


def _bias_form(g: GradientParts, delta: np.ndarray) -> Identity:
    e = g.expansion
    o = sympy.Symbol("o", integer=True, nonnegative=True)
    i, _, _ = _symbols(e.ndim)
    d, b = sympy.IndexedBase("delta"), sympy.IndexedBase("b")
    limits = [(ia, 0, n - 1) for ia, n in zip(i, e.output_shape)]
    formula = sympy.Eq(sympy.Derivative(sympy.Symbol("L"), b[o]), sympy.Sum(d[(o, *i)], *limits))
    closed = tuple(sympy.Add(*delta[o_].ravel()) for o_ in range(delta.shape[0]))
    statement = "the bias gradient of channel o is the sum of delta over all its output positions"
    return Identity("bias gradient", statement, formula, tuple(g.db), closed, (delta.shape[0],))  # type: ignore[arg-type]


def _padded_input(g: GradientParts, sources: list[np.ndarray]) -> np.ndarray:
    """``xpad[c, u_0, ...]``: the input padded on every axis by its mode (0 where any axis reads a zero pad)."""
    e = g.expansion
    shape = (e.spec.in_channels, *(len(src) for src in sources))
    out = np.empty(shape, dtype=object)
    for c, *u in np.ndindex(shape):
        t = tuple(int(src[ua]) for src, ua in zip(sources, u))
        out[(c, *u)] = sympy.S.Zero if min(t) < 0 else e.x.at((c, *t))
    return out


def _weight_form(g: GradientParts, delta: np.ndarray, sources: list[np.ndarray]) -> Identity:
    e = g.expansion
    spec: Any = e.spec  # a Conv2d or Conv3d: every parameter per axis
    strides, dilations, kernel = spec.stride, spec.dilation, spec.kernel_size
    c_in, c_out = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    xpad = _padded_input(g, sources)
    closed = []
    for o, cw, *k in np.ndindex(spec.weight_shape):
        j = [kk - 1 - ka if spec.flip else ka for ka, kk in zip(k, kernel)]
        c = (o // c_out) * c_in + cw
        terms = []
        for i in np.ndindex(*e.output_shape):
            u = tuple(s * ia + d * ja for s, d, ia, ja in zip(strides, dilations, i, j))
            terms.append(delta[(o, *i)] * xpad[(c, *u)])
        closed.append(sympy.Add(*terms))
    o, c = sympy.symbols("o c", integer=True, nonnegative=True)
    i, ks, _ = _symbols(e.ndim)
    d, w, xp = sympy.IndexedBase("delta"), sympy.IndexedBase("w"), sympy.IndexedBase("xpad")
    js = [kk - 1 - ka if spec.flip else ka for ka, kk in zip(ks, kernel)]
    channel = c + c_in * sympy.floor(o / c_out) if spec.groups > 1 else c
    reads = [s * ia + dd * ja for s, dd, ia, ja in zip(strides, dilations, i, js)]
    limits = [(ia, 0, n - 1) for ia, n in zip(i, e.output_shape)]
    formula = sympy.Eq(
        sympy.Derivative(sympy.Symbol("L"), w[(o, c, *ks)]), sympy.Sum(d[(o, *i)] * xp[(channel, *reads)], *limits)
    )
    statement = (
        f"the weight gradient is the cross-correlation of the padded input with delta over every axis "
        f"(stride {tuple(strides)}, dilation {tuple(dilations)}{', kernel flipped' if spec.flip else ''})"
    )
    explicit = tuple(sympy.flatten(g.dw.tolist()))
    return Identity("weight gradient", statement, formula, explicit, tuple(closed), spec.weight_shape)


def _input_form(g: GradientParts, delta: np.ndarray, sources: list[np.ndarray]) -> Identity:
    e = g.expansion
    spec: Any = e.spec  # a Conv2d or Conv3d: every parameter per axis
    strides, dilations, kernel = spec.stride, spec.dilation, spec.kernel_size
    c_in, c_out = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    up_shape = tuple(s * (n - 1) + 1 for s, n in zip(strides, e.output_shape))
    up = np.full((spec.out_channels, *up_shape), sympy.S.Zero, dtype=object)
    up[(slice(None), *(slice(None, None, s) for s in strides))] = delta
    padded = tuple(len(src) for src in sources)
    dx = np.full((spec.in_channels, *e.input_shape), sympy.S.Zero, dtype=object)
    kernels = list(np.ndindex(*kernel))
    for c in range(spec.in_channels):
        group = c // c_in
        for u in np.ndindex(*padded):
            terms = []
            for o in range(group * c_out, (group + 1) * c_out):
                for k in kernels:
                    v = tuple(
                        ua - d * (kk - 1 - ka if spec.flip else ka) for ua, d, ka, kk in zip(u, dilations, k, kernel)
                    )
                    if all(0 <= va < n for va, n in zip(v, up_shape)):
                        terms.append(e.w.at((o, c - group * c_in, *k)) * up[(o, *v)])
            t = tuple(int(src[ua]) for src, ua in zip(sources, u))
            if terms and min(t) >= 0:
                dx[(c, *t)] += sympy.Add(*terms)
    c_sym, o = sympy.symbols("c o", integer=True, nonnegative=True)
    _, ks, us = _symbols(e.ndim)
    d_up, w = sympy.IndexedBase("delta_up"), sympy.IndexedBase("w")
    js = [kk - 1 - ka if spec.flip else ka for ka, kk in zip(ks, kernel)]
    if spec.groups > 1:
        group_sym = sympy.floor(c_sym / c_in)
        channel, first, last = c_sym - c_in * group_sym, c_out * group_sym, c_out * group_sym + c_out - 1
    else:
        channel, first, last = c_sym, sympy.S.Zero, sympy.Integer(c_out - 1)
    reads = [ua - dd * ja for ua, dd, ja in zip(us, dilations, js)]
    limits = [*((ka, 0, kk - 1) for ka, kk in zip(ks, kernel)), (o, first, last)]
    formula = sympy.Eq(
        sympy.Derivative(sympy.Symbol("L"), sympy.IndexedBase("xpad")[(c_sym, *us)]),
        sympy.Sum(w[(o, channel, *ks)] * d_up[(o, *reads)], *limits),
    )
    zeros = ", ".join(str(s - 1) for s in strides)
    statement = (
        f"the input gradient W^T delta is a transposed convolution over every axis: delta with ({zeros}) zeros "
        f"inserted between entries per axis (delta_up), fully convolved with the kernel"
        f"{' (dilation ' + str(tuple(dilations)) + ')' if math.prod(dilations) > 1 else ''}, the padding cropped"
        + ("" if spec.padding_mode == "zeros" else f" and folded back per axis ({spec.padding_mode})")
    )
    explicit = tuple(sympy.flatten(g.dx.tolist()))
    return Identity(
        "input gradient", statement, formula, explicit, tuple(dx.ravel()), (spec.in_channels, *e.input_shape)
    )


def transposed_forms_nd(g: GradientParts) -> tuple[Identity, ...]:
    """Closed forms for a 2D or 3D transposed convolution: its input gradient is a convolution of delta.

    ``dL/dx[c, i] = sum_{o, k} w[c, o, k] * deltapad[beta_c + o, s*i + d*k]`` and
    ``dL/dw[c, o, k] = sum_i x[c, i] * deltapad[beta_c + o, s*i + d*k]``, every index per axis,
    with ``deltapad`` the upstream gradient zero-padded by ``p_a`` on each side of axis ``a``.
    """
    e = g.expansion
    layer: Any = e.layer  # a ConvTranspose2d or ConvTranspose3d
    pads, strides, dilations, kernel = layer.padding, layer.stride, layer.dilation, layer.kernel_size
    c_in, c_out = layer.in_channels // layer.groups, layer.out_channels // layer.groups
    shape_out = (layer.out_channels, *e.output_shape)
    delta = np.array([g.delta.at(index) for index in np.ndindex(shape_out)], dtype=object).reshape(shape_out)
    dpad = np.pad(delta, ((0, 0), *((p, p) for p in pads)), constant_values=sympy.S.Zero)

    def read(o: int, i: tuple[int, ...], k: tuple[int, ...]) -> sympy.Expr:
        u = tuple(s * ia + d * ka for s, d, ia, ka in zip(strides, dilations, i, k))
        inside = all(0 <= ua < n for ua, n in zip(u, dpad.shape[1:]))
        return dpad[(o, *u)] if inside else sympy.S.Zero

    kernels = list(np.ndindex(*kernel))
    dx = []
    for c, *position in np.ndindex(layer.in_channels, *e.input_shape):
        group = c // c_in
        outs = range(group * c_out, (group + 1) * c_out)
        dx.append(
            sympy.Add(
                *[e.w.at((c, o - group * c_out, *k)) * read(o, tuple(position), k) for o in outs for k in kernels]
            )
        )
    dw = []
    for c, ow, *k in np.ndindex(layer.weight_shape):
        o = (c // c_in) * c_out + ow
        dw.append(sympy.Add(*[e.x.at((c, *t)) * read(o, t, tuple(k)) for t in np.ndindex(*e.input_shape)]))
    o_sym, c_sym = sympy.symbols("o c", integer=True, nonnegative=True)
    i, ks, _ = _symbols(e.ndim)
    dp, w, x = sympy.IndexedBase("deltapad"), sympy.IndexedBase("w"), sympy.IndexedBase("x")
    out = o_sym + c_out * sympy.floor(c_sym / c_in) if layer.groups > 1 else o_sym
    reads = [s * ia + d * ka for s, d, ia, ka in zip(strides, dilations, i, ks)]
    dx_formula = sympy.Eq(
        sympy.Derivative(sympy.Symbol("L"), x[(c_sym, *i)]),
        sympy.Sum(w[(c_sym, o_sym, *ks)] * dp[(out, *reads)], *((ka, 0, kk - 1) for ka, kk in zip(ks, kernel)),
                  (o_sym, 0, c_out - 1)),
    )  # fmt: skip
    dw_formula = sympy.Eq(
        sympy.Derivative(sympy.Symbol("L"), w[(c_sym, o_sym, *ks)]),
        sympy.Sum(x[(c_sym, *i)] * dp[(out, *reads)], *((ia, 0, n - 1) for ia, n in zip(i, e.input_shape))),
    )
    forms = [
        Identity(
            "weight gradient",
            "the weight gradient correlates delta (padded by p on every axis) with the input, strided and dilated",
            dw_formula,
            tuple(sympy.flatten(g.dw.tolist())),
            tuple(dw),
            layer.weight_shape,
        ),
        Identity(
            "input gradient",
            "the input gradient of a transposed convolution is the convolution (cross-correlation) of delta "
            "with the same kernel, stride, padding and dilation, over every axis",
            dx_formula,
            tuple(sympy.flatten(g.dx.tolist())),
            tuple(dx),
            (layer.in_channels, *e.input_shape),
        ),
    ]
    if g.db is not None:
        forms.insert(0, _bias_form(g, delta))
    return tuple(forms)
