"""2D benchmarks (issue 11): the equations and matrix of ``Conv2d(1, 1, 3)``; evaluate of ``Conv2d(16, 16, 3)``.

Symbolic part: every repeat starts from a fresh expansion (caches cleared untimed). The baseline
is the route a user would write by hand: NumPy's ``sliding_window_view`` of an object array of
SymPy symbols, times the kernel, summed (the symbol arrays are made untimed). A "term" is one tap.

Numeric part: ``evaluate`` of ``Conv2d(16, 16, 3, padding=1)`` on float64 ``(1, 16, n, n)`` against
``torch.nn.functional.conv2d`` on the same data, interleaved.
"""

from __future__ import annotations

import numpy as np
import sympy
import torch
import torch.nn.functional as F
from run import Context, Row
from sympy.core.cache import clear_cache

import symconv
from symconv.base.symbols import symbol_array
from symconv.views.expansion import _expand

TITLE = "equations and matrix of Conv2d(1, 1, 3); evaluate of Conv2d(16, 16, 3, padding=1)"
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


def run(ctx: Context) -> list[Row]:
    return symbolic(ctx) + numeric(ctx)
