"""What a wrong result really computes: the matching variants, the pattern of wrong outputs,
and the symbolic equation of an output with the probe's numbers put in."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from symconv.expansion import Expansion, product, total
from symconv.symbols import symbol
from symconv.variants import Variant, variants


def diagnose(
    e: Expansion, arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None], got: np.ndarray, tol: np.ndarray
) -> tuple[tuple[Variant, ...], str]:
    """The variants that ``got`` matches on ``arrays``, and a note on the closest one if none does."""
    matches: list[Variant] = []
    best: tuple[float, str] = (1.0, "")
    for variant in variants(e.layer, e.input_length):
        out = variant.compute(*arrays)
        if out is None or out.shape != got.shape:
            continue
        wrong = float(np.mean(~(np.abs(out - got) <= tol[None, :, None])))
        if wrong == 0.0:
            matches.append(variant)
        elif wrong < best[0]:
            best = (wrong, f"closest: {variant.name}, which still differs at {wrong:.0%} of the outputs")
    return tuple(matches), best[1] if best[0] < 0.5 else ""


def pattern(e: Expansion, bad: np.ndarray, diff: np.ndarray) -> str:
    """Where the wrong outputs are: samples, channels, positions, and what that suggests."""
    samples = np.flatnonzero(bad.any(axis=(1, 2)))
    channels = np.flatnonzero(bad.any(axis=(0, 2)))
    positions = np.flatnonzero(bad.any(axis=(0, 1)))
    parts = [f"samples {_ranges(samples)}", f"channels {_ranges(channels)}", f"positions {_ranges(positions)}"]
    lo = max((m.lo for m in e.taps.maps), default=0)
    hi = min((m.hi for m in e.taps.maps), default=e.output_length)
    hints = []
    if positions.size and all(p < lo or p >= hi for p in positions.tolist()):
        hints.append("only outputs whose window overlaps the padding differ: look at the padding")
    offsets = np.where(bad, diff, np.nan)
    if bad.all() and np.allclose(np.nanmax(offsets, axis=(0, 2)), np.nanmin(offsets, axis=(0, 2))):
        hints.append("a constant offset per output channel: look at the bias")
    if samples.size and samples[0] > 0:
        hints.append("the first sample is right: look at the batch handling")
    return (
        f"{bad.sum()} of {bad.size} outputs, in " + "; ".join(parts) + ("" if not hints else f" ({'; '.join(hints)})")
    )


def _ranges(values: np.ndarray) -> str:
    """``[0, 1, 2, 5]`` as ``'0-2, 5'``."""
    if values.size == 0:
        return "none"
    cuts = np.flatnonzero(np.diff(values) != 1) + 1
    runs = np.split(values, cuts)
    return ", ".join(f"{r[0]}" if r.size == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def equation_at(
    e: Expansion, arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None], n: int, o: int, i: int
) -> tuple[sympy.Eq, str]:
    """The symbolic equation of output ``(o, i)`` (built from its taps only) and the sum with the probe's numbers."""
    x, w, b = arrays
    multi, base, names = not e.single_channel, e.index_base, e.names
    taps = e.taps.feeding(o, i)
    terms = [
        product(
            symbol(names["w"], t.weight if multi else t.weight[2:], base),
            symbol(names["x"], t.input if multi else t.input[1:], base),
        )
        for t in taps
    ]
    numbers = [f"{_factor(w[t.weight])}*{_factor(x[(n, *t.input)])}" for t in taps]
    if e.spec.bias:
        terms.append(symbol(names["b"], (o,) if multi else (), base))
        numbers.append(format_number(b[o]) if b is not None else "0")
    shown = " + ".join(numbers[:12]) + (" + ..." if len(numbers) > 12 else "")
    lhs = symbol(names["z"], (o, i) if multi else (i,), base)
    return sympy.Eq(lhs, total(terms), evaluate=False), shown or "0"


def format_number(value: Any) -> str:
    """A number as the report prints it: integers without a decimal point, other floats with 17 digits."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else f"{v:.17g}"


def _factor(value: Any) -> str:
    text = format_number(value)
    return f"({text})" if text.startswith("-") else text
