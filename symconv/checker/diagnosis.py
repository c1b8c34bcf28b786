"""What a wrong result really computes: the matching variants, the pattern of wrong outputs,
and the symbolic equation of an output with the probe's numbers put in."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from symconv.base.order import term_key
from symconv.base.symbols import symbol
from symconv.checker.variants import Variant, variants
from symconv.checker.variants_nd import variants_nd
from symconv.layers.protocol import Kind
from symconv.views.expansion import Expansion, product, total


def diagnose(
    e: Expansion, arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None], got: np.ndarray, tol: np.ndarray
) -> tuple[tuple[Variant, ...], str]:
    """The variants that ``got`` matches on ``arrays``, and a note on the closest one if none does.

    ``tol`` is the tolerance of the expected output, ``(N, C_out, 1)``; a variant with another
    output shape is compared with its largest value.
    """
    matches: list[Variant] = []
    best: tuple[float, str] = (0.5, "")
    if got.ndim != 2 + e.ndim:  # every variant has the layer's (N, C_out, *output_shape) form
        return (), ""
    head = ((arrays[0][:1], arrays[1], arrays[2]), got[:1], tol[:1] if tol.ndim == got.ndim else tol)
    found = variants(e.layer, e.input_length) if e.ndim == 1 else variants_nd(e.layer, e.input_shape)
    for variant in found:
        # screened on the first sample, confirmed on all: most variants are out after half the work
        wrong, size = _wrong(variant, *head) if got.shape[0] > 1 else (0, 1)
        if wrong == 0:
            wrong, size = _wrong(variant, arrays, got, tol)
        if wrong == 0:
            matches.append(variant)
        elif wrong / size < best[0]:
            share = f"{wrong / size:.0%} of the outputs" if wrong / size >= 0.01 else f"{wrong} of {size} outputs"
            best = (wrong / size, f"closest: {variant.name}, which still differs at {share}")
    if e.ndim == 1:
        matches += _length_slips(e, arrays, got, tol)
    return tuple(matches), best[1]


def _length_slips(
    e: Expansion, arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None], got: np.ndarray, tol: np.ndarray
) -> list[Variant]:
    """An output one element short (or long) that is otherwise right: the output length off by one."""
    want = e.taps.apply(*arrays)
    n = want.shape[-1]
    if got.ndim != 3 or got.shape[:2] != want.shape[:2] or abs(got.shape[-1] - n) != 1:
        return []
    short = got.shape[-1] == n - 1
    found = []
    for end in ("last", "first"):
        cut = slice(0, -1) if end == "last" else slice(1, None)  # without the element at that end
        mine, theirs = (got, want[..., cut]) if short else (got[..., cut], want)
        if np.all(np.abs(mine - theirs) <= tol):
            found.append(_slip(short, end, n))
    return found


def _slip(short: bool, end: str, n: int) -> Variant:
    """The variant found by :func:`_length_slips` (named for the report; its extra value is not compared)."""
    if short:
        text = f"the layer's output without its {end} element ({n - 1} outputs where {n} were meant)"
        return Variant(f"output one short ({end} missing)", text, lambda x, w, b: None)
    text = (
        f"the layer's output with one extra element {'after the last' if end == 'last' else 'before the first'} "
        f"({n + 1} outputs where {n} were meant; the other {n} are right)"
    )
    return Variant(f"output one long (extra {'last' if end == 'last' else 'first'})", text, lambda x, w, b: None)


def _wrong(
    variant: Variant, arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None], got: np.ndarray, tol: np.ndarray
) -> tuple[int, int]:
    """How many outputs of ``variant`` differ from ``got``, and of how many (all, when it does not apply)."""
    out = variant.compute(*arrays)
    if out is None or out.shape != got.shape:
        return max(1, got.size), max(1, got.size)
    limit = tol if out.shape[:2] == tol.shape[:2] else tol.max(initial=0.0)
    return int(np.count_nonzero(~(np.abs(out - got) <= limit))), got.size


# Lower precisions a float64 (or float32) probe's errors may betray, by machine epsilon.
PRECISIONS = (("float32", 2.0**-23), ("float16", 2.0**-10), ("bfloat16", 2.0**-7))
SLACK = 4  # a label, not a verdict: room for FFT-based code at the lower precision


def precision_loss(
    e: Expansion, arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None], err: np.ndarray, eps: float
) -> str:
    """A diagnosis when every error is of the size of a lower precision's rounding, else ``''``.

    Code that computes in float32 (or rounds its inputs to float32) and returns float64 has
    errors of float32's size: within a few times the direct-summation bound of
    :func:`symconv.checker.probes.tolerance` at float32's epsilon (without its FFT term, which grows
    with the length and would excuse a real bug at a low precision).
    """
    from symconv.checker.probes import local_tolerance

    if not np.isfinite(err).all():
        return ""
    for name, lower in PRECISIONS:
        if lower <= eps:
            continue
        allowed = SLACK * local_tolerance(e, *arrays, lower)
        if (err <= allowed).all():
            return (
                f"precision loss: every error (largest {float(err.max()):.3g}) is of the size of {name} rounding "
                f"(up to {float(allowed.max()):.3g} here): your code computes in {name} somewhere, or rounds "
                f"its inputs to {name}, and returns a more precise dtype"
            )
    return ""


def pattern(e: Expansion, bad: np.ndarray, diff: np.ndarray) -> str:
    """Where the wrong outputs are: samples, channels, positions (per axis beyond 1D), and what that suggests."""
    axes = tuple(range(bad.ndim))
    samples = np.flatnonzero(bad.any(axis=axes[1:]))
    channels = np.flatnonzero(bad.any(axis=(0, *axes[2:])))
    parts = [f"samples {_ranges(samples)}", f"channels {_ranges(channels)}"]
    positions = None
    if e.ndim == 1:
        positions = np.flatnonzero(bad.any(axis=(0, 1)))
        parts.append(f"positions {_ranges(positions)}")
    else:
        for a in range(e.ndim):
            along = np.flatnonzero(bad.any(axis=tuple(j for j in axes if j != 2 + a)))
            parts.append(f"axis {a} positions {_ranges(along)}")
    hints = _hints(e, bad, diff, samples, positions)
    return (
        f"{bad.sum()} of {bad.size} outputs, in " + "; ".join(parts) + ("" if not hints else f" ({'; '.join(hints)})")
    )


def _hints(
    e: Expansion, bad: np.ndarray, diff: np.ndarray, samples: np.ndarray, positions: np.ndarray | None
) -> list[str]:
    """What the places of the wrong outputs suggest (the padding hint needs one axis's kernel maps)."""
    hints = []
    spatial = tuple(range(2, bad.ndim))
    if positions is not None:
        lo = max((m.lo for m in e.taps.maps), default=0)
        hi = min((m.hi for m in e.taps.maps), default=e.output_length)
        plain = e.spec.kind is not Kind.TRANSPOSED  # a transposed layer's maps index its inputs
        if plain and positions.size and all(p < lo or p >= hi for p in positions.tolist()):
            hints.append("only outputs whose window overlaps the padding differ: look at the padding")
    per_channel = (0, *spatial)
    if bad.all() and np.isfinite(diff).all() and np.allclose(diff.max(axis=per_channel), diff.min(axis=per_channel)):
        hints.append("a constant offset per output channel: look at the bias")
    if samples.size and samples[0] > 0:
        hints.append("the first sample is right: look at the batch handling")
    return hints


def _ranges(values: np.ndarray) -> str:
    """``[0, 1, 2, 5]`` as ``'0-2, 5'``."""
    if values.size == 0:
        return "none"
    cuts = np.flatnonzero(np.diff(values) != 1) + 1
    runs = np.split(values, cuts)
    return ", ".join(f"{r[0]}" if r.size == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def equation_at(
    e: Expansion, arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None], n: int, o: int, i: int | tuple[int, ...]
) -> tuple[sympy.Eq, str]:
    """The symbolic equation of output ``(o, *i)`` (built from its taps only) and the sum with the probe's numbers."""
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
        numbers.append(_factor(b[o]) if b is not None else "0")
    paired = sorted(zip(terms, numbers), key=lambda pair: term_key(pair[0]))  # the order the sum prints in
    terms, numbers = [t for t, _ in paired], [n for _, n in paired]
    shown = " + ".join(numbers[:12]) + (" + ..." if len(numbers) > 12 else "")
    position = tuple(i) if isinstance(i, tuple) else (i,)
    lhs = symbol(names["z"], (o, *position) if multi else position, base)
    return sympy.Eq(lhs, total(terms), evaluate=False), shown or "0"


def format_number(value: Any) -> str:
    """A number as the report prints it: integers without a decimal point, other floats with 17 digits."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else f"{v:.17g}"


def _factor(value: Any) -> str:
    text = format_number(value)
    return f"({text})" if text.startswith("-") else text
