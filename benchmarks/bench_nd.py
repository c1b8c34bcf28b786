"""2D benchmarks (issue 11): the equations and matrix of ``Conv2d(1, 1, 3)``; evaluate of ``Conv2d(16, 16, 3)``.

Symbolic part: every repeat starts from a fresh expansion (caches cleared untimed). The baseline
is the route a user would write by hand: NumPy's ``sliding_window_view`` of an object array of
SymPy symbols, times the kernel, summed (the symbol arrays are made untimed). A "term" is one tap.

Numeric part: ``evaluate`` of ``Conv2d(16, 16, 3, padding=1)`` on float64 ``(1, 16, n, n)`` against
``torch.nn.functional.conv2d`` on the same data, interleaved.

Gradients: ``dL/dw``, ``dL/dx``, ``dL/db`` of ``Conv2d(1, 1, 3)`` at 32x32 (generic loss
``sum delta*z``), built whole from a fresh expansion, against the ``sympy.diff`` route (the same
loss differentiated by every weight, the bias and every input); both routes agree at 8x8.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy
import torch
import torch.nn.functional as F
from run import Context, Row
from sympy.core.cache import clear_cache

import symconv
from symconv.base.symbols import symbol_array
from symconv.views.expansion import _expand

TITLE = "equations and matrix of Conv2d(1, 1, 3); evaluate of Conv2d(16, 16, 3, padding=1); 2D gradients"
ORDER = 5


def _fresh() -> None:
    _expand.cache_clear()
    clear_cache()


def _by_hand(x: np.ndarray, w: np.ndarray) -> list[sympy.Expr]:
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape)
    return list((windows * w).sum(axis=(-2, -1)).ravel())


def symbolic(ctx: Context) -> list[Row]:
    sizes = (6, 8) if ctx.quick else (64, 128, 256)
    hand_sizes = sizes[:1] if ctx.quick else (32, 64)
    layer = symconv.Conv2d(1, 1, 3)
    rows: list[Row] = []
    per_term: dict[int, float] = {}
    for n in sizes:

        def build(n: int = n) -> None:
            e = layer.expand((n, n))
            e.equations.whole  # noqa: B018
            e.matrix  # noqa: B018

        seconds = ctx.time(build, setup=_fresh, repeats=3)
        terms = 9 * (n - 2) ** 2
        per_term[n] = seconds / terms
        rows.append(Row(f"equations+matrix, {n}x{n}", seconds, f"{1e6 * seconds / terms:.3g} us/term"))
    for n in hand_sizes:
        x = np.array(symbol_array("x", (n, n), (True, True), 0).tolist(), dtype=object)
        w = np.array(symbol_array("w", (3, 3), (True, True), 0).tolist(), dtype=object)
        ours = ctx.time(lambda n=n: layer.expand((n, n), names={"x": "u"}).equations.whole, setup=_fresh, repeats=3)
        hand = ctx.time(lambda x=x, w=w: _by_hand(x, w), repeats=3)
        ratio = hand / ours if ours > 0 else float("inf")
        rows.append(
            Row(
                f"equations: symconv vs sliding_window_view by hand, {n}x{n}",
                ours,
                f"by hand {hand:.3g} s; symconv {ratio:.2g}x faster",
                "faster than by hand",
                None if ctx.quick else ratio > 1,  # tiny sizes time fixed costs, not the route
            )
        )
    first, last = sizes[0], sizes[-1]
    growth = per_term[last] / per_term[first]
    rows.append(
        Row(
            f"time/term, {last}x{last} vs {first}x{first}",
            None,
            f"{growth:.2f}x",
            "linear: within 2x",
            growth <= 2 or ctx.quick,
        )
    )
    return rows


def numeric(ctx: Context) -> list[Row]:
    n, channels = (16, 2) if ctx.quick else (512, 16)
    layer = symconv.Conv2d(channels, channels, 3, padding=1)
    e = layer.expand((n, n))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, channels, n, n))
    w = rng.standard_normal(layer.weight_shape)
    xt, wt = torch.tensor(x), torch.tensor(w)
    times = ctx.time_together(
        {"torch": lambda: F.conv2d(xt, wt, padding=1), "symconv": lambda: e.evaluate(x, w)}, repeats=3
    )
    ratio = times["symconv"] / times["torch"] if times["torch"] > 0 else float("inf")
    same = np.allclose(e.evaluate(x, w), F.conv2d(xt, wt, padding=1).numpy(), rtol=1e-12, atol=1e-12)
    return [
        Row(f"torch F.conv2d float64 (1, {channels}, {n}, {n})", times["torch"], "baseline"),
        Row(
            f"evaluate float64 (1, {channels}, {n}, {n})",
            times["symconv"],
            f"{ratio:.2f}x torch's time; equal: {same}",
            "within 3x of torch",
            same if ctx.quick else (ratio <= 3 and same),
        ),
    ]


def _gradients_ours(n: int) -> list[Any]:
    g = symconv.gradients(symconv.Conv2d(1, 1, 3).expand((n, n)))
    return [g.dw.whole, g.dx.whole, g.db.whole]  # the views are lazy: build them whole


def _gradients_diff(n: int) -> list[Any]:
    e = symconv.Conv2d(1, 1, 3).expand((n, n))
    delta = sympy.flatten(e.output_symbols("delta").tolist())
    loss = sympy.Add(*[d * z for d, z in zip(delta, sympy.flatten(e.z.tolist()))])
    return [[sympy.diff(loss, s) for s in sympy.flatten(arr.tolist())] for arr in (e.w, e.x, e.b)]


def gradients(ctx: Context) -> list[Row]:
    n = 8 if ctx.quick else 32
    _fresh()
    ours = [v for arr in _gradients_ours(8) for v in sympy.flatten(arr.tolist())]
    theirs = [v for part in _gradients_diff(8) for v in part]
    agree = len(ours) == len(theirs) and all(sympy.expand(a - b) == 0 for a, b in zip(ours, theirs))
    mine = ctx.time(lambda: _gradients_ours(n), setup=_fresh, repeats=3)
    diff = ctx.time(lambda: _gradients_diff(n), setup=_fresh, repeats=1)
    speedup = diff / mine if mine > 0 else float("inf")
    return [
        Row("same 2D gradients from both routes, 8x8", note="yes" if agree else "NO", ok=agree),
        Row(f"sympy.diff route, Conv2d(1, 1, 3) at {n}x{n}", diff, "baseline"),
        Row(
            f"symconv gradients (dw, dx, db), {n}x{n}",
            mine,
            f"{speedup:.0f}x faster than sympy.diff",
            ">= 50x",
            None if ctx.quick else speedup >= 50,
        ),
    ]


def run(ctx: Context) -> list[Row]:
    return symbolic(ctx) + numeric(ctx) + gradients(ctx)
