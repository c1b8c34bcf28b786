"""Core benchmarks (issue 2): building taps, equations and matrix; numeric evaluation.

Symbolic part, ``Conv1d(1, 1, 5)``: every repeat starts from a fresh expansion (symconv's
``lru_cache`` and SymPy's cache cleared untimed), so the figures include making the taps and
the symbols. Baselines measured in the same run:

- the naive SymPy route: equations built with Python sums of products, then
  ``sympy.Matrix(eqs).jacobian(x)`` (the route DESIGN.md rules out);
- ``scipy.signal.correlate(x, w, 'valid', method='direct')`` on object arrays of the same
  SymPy symbols, which builds the same expressions (the symbol arrays are made untimed).

A "term" is one tap, one product ``w_k * x_t``: ``5 * L_out`` of them.

Numeric part: ``evaluate`` of ``Conv1d(16, 16, 9)`` against ``torch.nn.functional.conv1d``
(CPU, float64, the same data, both libraries with their default thread counts).
"""

from __future__ import annotations

import numpy as np
import scipy.signal
import sympy
import torch
import torch.nn.functional as F
from run import Context, Row
from sympy.core.cache import clear_cache

import symconv
from symconv.views.expansion import _expand

TITLE = "taps, equations, matrix of Conv1d(1, 1, 5); evaluate of Conv1d(16, 16, 9)"
ORDER = 0

KERNEL = 5


def _fresh() -> None:
    _expand.cache_clear()
    clear_cache()


def _naive(length: int) -> sympy.Matrix:
    """Equations with Python sums of products, then the Jacobian: the slow route."""
    x = [sympy.Symbol(f"x_{t}") for t in range(length)]
    w = [sympy.Symbol(f"w_{k}") for k in range(KERNEL)]
    b = sympy.Symbol("b")
    eqs = [b + sum(w[k] * x[i + k] for k in range(KERNEL)) for i in range(length - KERNEL + 1)]
    return sympy.Matrix(eqs).jacobian(x)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def symbolic(ctx: Context) -> list[Row]:
    sizes = (8, 12, 16, 24) if ctx.quick else (256, 1024, 4096, 16384)
    naive_sizes = sizes[:2]
    layer = symconv.Conv1d(1, 1, KERNEL)
    rows: list[Row] = []
    per_term: dict[int, float] = {}
    both: dict[int, float] = {}
    for length in sizes:
        terms = len(layer.expand(length).taps)

        def taps(length: int = length) -> None:
            layer.expand(length).taps.triples()

        def equations(length: int = length) -> None:
            layer.expand(length).equations.whole  # noqa: B018  (the view is lazy: build it whole)

        def matrix(length: int = length) -> None:
            layer.expand(length).matrix  # noqa: B018

        def equations_and_matrix(length: int = length) -> None:
            e = layer.expand(length)
            e.equations.whole  # noqa: B018
            e.matrix  # noqa: B018

        for name, fn in (("taps (triples)", taps), ("equations", equations), ("matrix", matrix)):
            seconds = ctx.time(fn, setup=_fresh)
            rows.append(Row(f"{name}, L={length}", seconds, f"{seconds / terms * 1e6:.3g} us/term"))
        seconds = both[length] = ctx.time(equations_and_matrix, setup=_fresh)
        per_term[length] = seconds / terms
        _fresh()
        e = layer.expand(length)
        xo = np.array(list(e.x._array), dtype=object)
        wo = np.array(list(e.w._array), dtype=object)
        scipy_s = ctx.time(
            lambda xo=xo, wo=wo: scipy.signal.correlate(xo, wo, "valid", method="direct"), setup=clear_cache
        )
        rows.append(Row(f"scipy.signal.correlate object, L={length}", scipy_s, f"{scipy_s / terms * 1e6:.3g} us/term"))
        ratio = _ratio(seconds, scipy_s)
        rows.append(
            Row(
                f"equations+matrix, L={length}",
                seconds,
                f"{seconds / terms * 1e6:.3g} us/term; {ratio:.2f}x scipy's time",
                "faster than scipy",
                ratio < 1,
            )
        )
        if length in naive_sizes:
            naive_s = ctx.time(lambda length=length: _naive(length), setup=_fresh, repeats=3, budget=10.0)
            runs = ctx.last_count
            rows.append(
                Row(f"naive sum + jacobian, L={length}", naive_s, f"{naive_s / terms * 1e6:.3g} us/term (n={runs})")
            )
            if length == naive_sizes[-1]:
                speedup = _ratio(naive_s, seconds)
                rows.append(
                    Row(
                        f"speed-up of equations+matrix vs naive, L={length}",
                        None,
                        f"{speedup:.0f}x",
                        ">= 100x",
                        speedup >= 100,
                    )
                )
    mid, top = sizes[1], sizes[-1]
    scaling = _ratio(per_term[top], per_term[mid])
    rows.append(
        Row(
            f"time/term of equations+matrix, L={top} vs L={mid}",
            None,
            f"{scaling:.2f}x",
            "within 2x",
            scaling <= 2,
        )
    )
    return rows


def numeric(ctx: Context) -> list[Row]:
    channels, size = 16, 9
    length = 256 if ctx.quick else 65536
    rng = np.random.default_rng(0)
    layer = symconv.Conv1d(channels, channels, size)
    e = layer.expand(length)
    x = rng.standard_normal((1, channels, length))
    w = rng.standard_normal((channels, channels, size))
    b = rng.standard_normal(channels)
    xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    ours = e.evaluate(x, w, b)
    theirs = F.conv1d(xt, wt, bt).numpy()
    if not np.allclose(ours, theirs, rtol=1e-10, atol=1e-10):
        raise AssertionError("evaluate disagrees with torch.nn.functional.conv1d")
    macs = len(e.taps)
    with torch.inference_mode():
        medians = ctx.time_together(
            {"ours": lambda: e.evaluate(x, w, b), "torch": lambda: F.conv1d(xt, wt, bt)},
            repeats=max(ctx.repeats, 9),
        )
    ours_s, torch_s = medians["ours"], medians["torch"]
    ratio = _ratio(ours_s, torch_s)
    shape = f"(1, {channels}, {length})"
    rows = [
        Row(
            f"torch F.conv1d float64 {shape}",
            torch_s,
            f"{torch_s / macs * 1e9:.3g} ns/MAC, {torch.get_num_threads()} threads",
        ),
        Row(
            f"evaluate float64 {shape}",
            ours_s,
            f"{ours_s / macs * 1e9:.3g} ns/MAC; {ratio:.2f}x torch's time",
            "within 3x of torch",
            ratio <= 3,
        ),
    ]
    for dtype, small in (("int64", 64 if ctx.quick else 8192), ("object", 16 if ctx.quick else 512)):
        es = layer.expand(small)
        xi = rng.integers(-100, 100, (1, channels, small))
        wi = rng.integers(-100, 100, (channels, channels, size))
        if dtype == "object":
            xi, wi = xi.astype(object), wi.astype(object)
        seconds = ctx.time(lambda es=es, xi=xi, wi=wi: es.evaluate(xi, wi))
        rows.append(
            Row(f"evaluate {dtype} (1, {channels}, {small})", seconds, f"{seconds / len(es.taps) * 1e9:.3g} ns/MAC")
        )
    return rows


def run(ctx: Context) -> list[Row]:
    return symbolic(ctx) + numeric(ctx)
