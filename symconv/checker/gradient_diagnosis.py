"""What wrong gradients compute instead, judged from all of them at once.

A single wrong gradient is compared with the known mistakes (taken from the first sample
only, reversed along the kernel, the input gradient of the unflipped layer, a constant
factor). Several at once are first read together, so that the diagnosis is consistent with
which gradients are off: a mean over the batch where a sum was meant scales ``dw`` and
``db`` by ``1/N`` but cannot touch ``dx`` (which has no batch sum), and a scaled loss or
upstream gradient scales all three by the same factor.

Examples:
    >>> factor_text(0.5), factor_text(-1.0), factor_text(0.123456)
    ('1/2', '-1', '0.123456')
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np

from symconv.grad.gradients import gradients
from symconv.layers.protocol import Kind
from symconv.views.expansion import Expansion


def diagnose_gradients(
    e: Expansion,
    arrays: list[Any],
    want: dict[str, Any],
    got: dict[str, Any],
    tols: dict[str, float],
    wrong: tuple[str, ...],
) -> tuple[str, ...]:
    """One sentence per wrong gradient (or one for several wrong together), consistent across them."""
    n = arrays[0].shape[0]
    present = tuple(name for name in ("dx", "dw", "db") if want.get(name) is not None)
    factors = {name: _factor(want, got, name, tols[name]) for name in wrong}
    shared = {factors[name] for name in wrong}
    if len(wrong) > 1 and len(shared) == 1 and None not in shared:
        return (_together(wrong, present, factors[wrong[0]], n),)  # type: ignore[arg-type]
    return tuple(_alone(e, name, arrays, want, got, tols[name], factors[name], n, wrong) for name in wrong)


def _together(wrong: tuple[str, ...], present: tuple[str, ...], factor: float, n: int) -> str:
    names = " and ".join([", ".join(wrong[:-1]), wrong[-1]]) if len(wrong) > 2 else " and ".join(wrong)
    text = f"your {names} are all {factor_text(factor)} times the right values"
    if set(wrong) == set(present):
        why = "the upstream gradient (delta) or the loss is scaled by that factor"
        if np.isclose(factor, 1 / n):
            why = f"the loss is averaged over the batch of {n} (delta divided by {n}) where a sum was meant"
        return f"{text}: {why}"
    if set(wrong) == {"dw", "db"} and np.isclose(factor, 1 / n):
        return "your dw and db are averaged over the batch instead of summed (dx, with no sum over the batch, is right)"
    return text


def _alone(
    e: Expansion,
    name: str,
    arrays: list[Any],
    want: dict[str, Any],
    got: dict[str, Any],
    tol: float,
    factor: float | None,
    n: int,
    wrong: tuple[str, ...],
) -> str:
    mine = got.get(name)
    if mine is None:
        return f"{name} is missing"
    mine = np.asarray(mine, dtype=np.float64)
    odd = int(np.count_nonzero(~np.isfinite(mine)))
    if odd:
        return f"your {name} has {odd} of {mine.size} entries NaN or infinite"
    for text, candidate in _candidates(e, name, arrays, want).items():
        if candidate is not None and candidate.shape == mine.shape and np.all(np.abs(candidate - mine) <= tol):
            return f"your {name} is {text}"
    if factor is None:
        return f"your {name} matches no known variant"
    right = [g for g in ("dx", "dw", "db") if g not in wrong and want.get(g) is not None]
    text = f"your {name} is {factor_text(factor)} times the right value"
    if factor == -1.0:
        text = f"your {name} has the opposite sign"
    if name in ("dw", "db") and np.isclose(factor, 1 / n):
        return f"your {name} is averaged over the batch instead of summed"
    if right:
        return text + (
            f" ({' and '.join(right)} {'is' if len(right) == 1 else 'are'} right, so neither the loss nor the "
            f"upstream gradient is scaled: a factor inside the computation of {name})"
        )
    return text


def _candidates(e: Expansion, name: str, arrays: list[Any], want: dict[str, Any]) -> dict[str, np.ndarray | None]:
    x, w, b, delta = arrays
    ref = np.asarray(want[name], dtype=np.float64)
    first = None
    if name != "dx" and x.shape[0] > 1:
        first = np.asarray(gradients(e).evaluate(x[:1], w, b, delta=delta[:1])[name], dtype=np.float64)
    return {
        "taken from the first sample only": first,
        "reversed along the kernel axis (convolution where correlation was meant)": (
            np.flip(ref, axis=tuple(range(2, ref.ndim))) if name == "dw" else None
        ),
        "the gradient of the flipped layer (kernel not flipped in the backward pass)": _flipped(e, name, arrays),
    }


def _factor(want: dict[str, Any], got: dict[str, Any], name: str, tol: float) -> float | None:
    """The constant ``c`` with ``got[name] = c * want[name]`` within ``tol``, if there is one (and ``c != 1``)."""
    mine, ref = got.get(name), want.get(name)
    if mine is None or ref is None:
        return None
    mine, ref = np.asarray(mine, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    norm = float(np.sum(ref * ref))
    if mine.shape != ref.shape or norm == 0.0 or not np.isfinite(mine).all():
        return None
    c = float(np.sum(mine * ref)) / norm
    fraction = Fraction(c).limit_denominator(64)
    if abs(float(fraction) - c) <= 1e-9 * max(1.0, abs(c)):
        c = float(fraction)
    ok = np.all(np.abs(mine - c * ref) <= tol * (1 + abs(c)))
    return c if ok and not np.isclose(c, 1.0) else None


def factor_text(c: float) -> str:
    """A factor as a small fraction when it is one, else with 6 significant digits."""
    fraction = Fraction(c).limit_denominator(64)
    if abs(float(fraction) - c) <= 1e-9 * max(1.0, abs(c)):
        return str(fraction)
    return f"{c:.6g}"


def _flipped(e: Expansion, name: str, arrays: list[Any]) -> np.ndarray | None:
    """The input gradient of the same layer with the kernel flipped (convolutions only, not transposed)."""
    if name != "dx" or e.spec.kind is Kind.TRANSPOSED:
        return None
    spec: Any = dataclasses.replace(e.spec, padding=e.padding, flip=not e.spec.flip)
    x, w, b, delta = arrays
    size = e.input_length if e.ndim == 1 else e.input_shape
    return np.asarray(gradients(spec.expand(size)).evaluate(x, w, b, delta=delta)["dx"], dtype=np.float64)
