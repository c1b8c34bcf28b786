"""Gradient benchmarks (issue 3): ``dL/dw``, ``dL/dx``, ``dL/db`` of ``Conv1d(1, 1, 5)``, generic loss.

symconv's route: ``symconv.gradients(layer.expand(L))`` then ``g.dw``, ``g.dx``, ``g.db``, on
a fresh expansion every repeat (symconv's ``lru_cache`` and SymPy's cache cleared untimed), so
the figure includes making the taps, the symbols and ``delta``.

Baseline, measured in the same run: the ``sympy.diff`` route. From a fresh expansion, the
loss ``L = sum_i delta_i * z_i`` (``z`` the layer's explicit outputs, ``delta`` symbols), then
``sympy.diff(L, s)`` for every weight, the bias and every input (the route DESIGN.md rules
out for views; ``verify()`` uses it on small layers only). It is quadratic: each derivative
walks the whole loss. At L=1024 a single run takes minutes, so it is timed once.

A "term" is one tap, one product ``w_k * x_t``: ``5 * L_out`` of them. Both routes' results
are compared once, at L=64, so the speed-up is between equal answers.
"""

from __future__ import annotations

from typing import Any

import sympy
from run import Context, Row
from sympy.core.cache import clear_cache

import symconv
from symconv.views.expansion import _expand

TITLE = "dL/dw, dL/dx, dL/db of Conv1d(1, 1, 5), generic loss: symconv vs sympy.diff"
ORDER = 30

KERNEL = 5
SPEEDUP_TARGET = 50.0
LINEAR_SLACK = 2.0  # per-term time at the largest size within this factor of the smallest


def _fresh() -> None:
    _expand.cache_clear()
    clear_cache()


def symconv_route(length: int) -> tuple[Any, Any, Any]:
    g = symconv.gradients(symconv.Conv1d(1, 1, KERNEL).expand(length))
    return g.dw.whole, g.dx.whole, g.db.whole  # the views are lazy: build them whole


def diff_route(length: int) -> tuple[list[Any], list[Any], list[Any]]:
    e = symconv.Conv1d(1, 1, KERNEL).expand(length)
    delta = sympy.flatten(e.output_symbols("delta").tolist())
    loss = sympy.Add(*[d * z for d, z in zip(delta, e.z)])
    grads = {
        role: [sympy.diff(loss, s) for s in sympy.flatten(arr.tolist())]
        for role, arr in (("w", e.w), ("b", e.b), ("x", e.x))
    }
    return grads["w"], grads["x"], grads["b"]


def _agree(length: int) -> bool:
    _fresh()
    dw, dx, db = symconv_route(length)
    rw, rx, rb = diff_route(length)
    ours = sympy.flatten(dw.tolist()) + sympy.flatten(dx.tolist()) + sympy.flatten(db.tolist())
    return all(sympy.expand(a - b) == 0 for a, b in zip(ours, rw + rx + rb)) and len(ours) == len(rw + rx + rb)


def run(ctx: Context) -> list[Row]:
    sizes = (8, 16, 32) if ctx.quick else (256, 1024, 4096)
    diff_sizes = sizes[:2]
    rows: list[Row] = []
    ours: dict[int, float] = {}
    theirs: dict[int, float] = {}
    terms = {n: len(symconv.Conv1d(1, 1, KERNEL).expand(n).taps) for n in sizes}
    check_size = 8 if ctx.quick else 64
    agree = _agree(check_size)
    rows.append(Row(f"same gradients from both routes, L={check_size}", note="yes" if agree else "NO", ok=agree))
    for n in sizes:
        ours[n] = ctx.time(lambda n=n: symconv_route(n), setup=_fresh)
        rows.append(Row(f"symconv gradients (dw, dx, db), L={n}", ours[n], f"{ours[n] / terms[n] * 1e6:.3g} us/term"))
    for n in diff_sizes:
        theirs[n] = ctx.time(lambda n=n: diff_route(n), setup=_fresh, repeats=1 if n >= 1024 else None)
        rows.append(
            Row(
                f"sympy.diff route, L={n}",
                theirs[n],
                f"{theirs[n] / terms[n] * 1e6:.3g} us/term; {theirs[n] / ours[n]:.0f}x symconv's time",
            )
        )
    at = diff_sizes[-1]
    speedup = theirs[at] / ours[at]
    rows.append(
        Row(
            f"speed-up over sympy.diff, L={at}",
            note=f"{speedup:.0f}x",
            target=f">= {SPEEDUP_TARGET:.0f}x",
            ok=None if ctx.quick else speedup >= SPEEDUP_TARGET,
        )
    )
    small, large = sizes[0], sizes[-1]
    growth = (ours[large] / terms[large]) / (ours[small] / terms[small])
    rows.append(
        Row(
            f"scaling L={small} -> {large} ({large // small}x the size)",
            note=f"{ours[large] / ours[small]:.1f}x the time; per-term time x{growth:.2f}",
            target=f"linear: per-term time within {LINEAR_SLACK:.0f}x",
            ok=None if ctx.quick else growth <= LINEAR_SLACK,
        )
    )
    diff_growth = (theirs[diff_sizes[1]] / terms[diff_sizes[1]]) / (theirs[diff_sizes[0]] / terms[diff_sizes[0]])
    rows.append(
        Row(
            f"sympy.diff scaling L={diff_sizes[0]} -> {diff_sizes[1]}",
            note=f"{theirs[diff_sizes[1]] / theirs[diff_sizes[0]]:.1f}x the time; per-term time x{diff_growth:.2f}",
        )
    )
    return rows
