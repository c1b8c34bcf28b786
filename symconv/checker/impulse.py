"""The one-hot probe: what index rule the code really uses, read off its response to single ones.

When no known variant explains a failure, :func:`read_rule` calls the code once more, on three
samples that are each zero but for a single 1 (at three neighbouring interior positions of input
channel 0), with the integer probe's weights (distinct within every kernel row) and no bias. Each
value the code puts in output channel 0 then names the weight that made it, so every output gives
a triple (input ``t``, output ``i``, weight index ``k``). Per axis, the triples are fitted exactly by a
gather ``t = s*i + d*k + c`` (a convolution) or a scatter ``i = s*t + d*k + c`` (a transposed one),
and the code's rule is stated next to the layer's, read the same way from the layer's taps.

Examples:
    >>> describe_rule(((1, 1, -1),), "gather")
    't = i + k - 1'
    >>> describe_rule(((2, 1, 0), (1, -1, 2)), "gather")
    't0 = 2*i0 + k0, t1 = i1 - k1 + 2'
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from symconv.views.expansion import Expansion

# samples x values the one-hot probe may hand the code (about 32 MB of float64)
BUDGET = 1 << 22

Triple = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]  # (input t, output i, weight index k)
Rule = tuple[tuple[int, int, int], ...]  # per axis (s, d, c)


def one_hot(e: Expansion, w: np.ndarray, dtype: str) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Samples of zeros, each with a single 1 in input channel 0, at the interior positions of a small
    grid (4 per axis in 1D and 2D, 3 in 3D, around the centre), and those positions."""
    shape = (e.input_length,) if e.ndim == 1 else tuple(e.input_shape)
    per_axis = 4 if e.ndim < 3 else 3
    ranges = []
    for n in shape:
        first = max(0, min(n - per_axis, n // 2 - per_axis // 2))
        ranges.append(range(first, min(n, first + per_axis)))
    spots = list(itertools.product(*ranges))
    x = np.zeros((len(spots), e.spec.in_channels, *shape), dtype=dtype)
    for j, t in enumerate(spots):
        x[(j, 0, *t)] = 1
    return x, spots


def folded(response: np.ndarray, w: np.ndarray) -> set[tuple[int, ...]]:
    """The ``(sample, *output)`` positions of output channel 0 whose value is no single weight ``w[0, 0, k]``:
    in the layer's own response, the outputs where its padding folds two taps onto the one-hot input."""
    kernel = set(w[0, 0].ravel().tolist())
    plane = response[:, 0]
    return {tuple(int(v) for v in at) for at in np.argwhere(plane != 0) if plane[tuple(at)] not in kernel}


def triples(
    response: np.ndarray, w: np.ndarray, spots: list[tuple[int, ...]], skip: set[tuple[int, ...]] | None = None
) -> list[Triple] | None:
    """``(t, i, k)`` for every non-zero of output channel 0 (but the positions in ``skip``), or None when
    a value is no single weight ``w[0, 0, k]`` (two taps on one input, a scaled or mixed value)."""
    kernel = w[0, 0]
    found: list[Triple] = []
    for j, t in enumerate(spots):
        plane = response[j, 0]
        for i in map(tuple, np.argwhere(plane != 0)):
            if skip and (j, *i) in skip:
                continue
            hits = np.argwhere(kernel == plane[i])
            if len(hits) != 1:
                return None
            found.append((t, tuple(int(v) for v in i), tuple(int(v) for v in hits[0])))
    return found


def fit(found: list[Triple], form: str, kernel_shape: tuple[int, ...] | None = None) -> Rule | None:
    """Per axis ``(s, d, c)`` with ``t = s*i + d*k + c`` (``form='gather'``) or ``i = s*t + d*k + c``
    (``'scatter'``) exact on every triple, or None: no such rule, or more than one (the triples do
    not pin it down). An axis of kernel size 1 (in ``kernel_shape``) gets ``d = 0``."""
    if not found:
        return None
    rule = []
    for axis in range(len(found[0][0])):
        t = np.array([f[0][axis] for f in found], dtype=float)
        i = np.array([f[1][axis] for f in found], dtype=float)
        k = np.array([f[2][axis] for f in found], dtype=float)
        lhs, rhs = (i, t) if form == "gather" else (t, i)
        fixed = len(set(k.tolist())) == 1
        if fixed and (kernel_shape is None or kernel_shape[axis] > 1):  # d is not determined
            return None
        design = np.stack([lhs, np.ones_like(k)] if fixed else [lhs, k, np.ones_like(k)], axis=1)
        if np.linalg.matrix_rank(design) < design.shape[1]:
            return None
        solution, *_ = np.linalg.lstsq(design, rhs, rcond=None)
        values = [int(np.rint(v)) for v in solution]
        s, d, c = (values[0], 0, values[1]) if fixed else values
        if s == 0 or not np.array_equal(design @ np.array(values, dtype=float), rhs):
            return None
        rule.append((s, d, c))
    return tuple(rule)


def describe_rule(rule: Rule, form: str) -> str:
    """``t = s*i + d*k + c`` per axis (axis numbers in 2D and 3D)."""
    parts = []
    for axis, (s, d, c) in enumerate(rule):
        n = "" if len(rule) == 1 else str(axis)
        left, first = (f"t{n}", f"i{n}") if form == "gather" else (f"i{n}", f"t{n}")
        terms = [_term(s, first), _term(d, f"k{n}")]
        text = " + ".join(term for term in terms if term).replace("+ -", "- ")
        text = text + (f" + {c}" if c > 0 else f" - {-c}" if c < 0 else "")
        parts.append(f"{left} = {text or '0'}")
    return ", ".join(parts)


def _term(coefficient: int, name: str) -> str:
    if coefficient in (0, 1, -1):
        return {0: "", 1: name, -1: f"-{name}"}[coefficient]
    return f"{coefficient}*{name}"


def read_rule(call: Callable[[tuple[Any, Any, Any]], np.ndarray], e: Expansion, w: np.ndarray, dtype: str) -> str:
    """One sentence on the index rule the code uses on a one-hot input, next to the layer's; "" when
    the code cannot be read this way (it raises, or its outputs are not single weights)."""
    shape = (e.input_length,) if e.ndim == 1 else tuple(e.input_shape)
    if e.spec.in_channels * math.prod(shape) * 3 > BUDGET:
        return ""  # a probe this large is not worth three more full-size calls: the report stands as it is
    x, spots = one_hot(e, w, dtype)
    if len(spots) * x[0].size > BUDGET:  # keep three spots, one step apart on every axis
        keep = sorted({0, len(spots) // 2, len(spots) - 1})
        x, spots = x[keep], [spots[j] for j in keep]
    b = np.zeros(e.spec.out_channels, dtype=dtype) if e.spec.bias else None
    try:
        got = np.asarray(call((x, w, b)), dtype=np.float64)
    except Exception:  # the code failing here is no finding of its own: it was reported already
        return ""
    want = e.taps.apply(x.astype(np.float64), w.astype(np.float64), None)
    if got.ndim != want.ndim or got.shape[0] != len(spots) or got.shape[1] < 1:
        return ""  # not the layer's (N, C_out, ...) form: the shape was reported already
    # where the layer's own padding folds two taps onto a one-hot input, neither response is read
    skip = folded(want, w)
    theirs, ours = triples(got, w, spots, skip), triples(want, w, spots, skip)
    if ours is None or not ours:
        return ""
    where = ", ".join(f"t = {t[0] if len(t) == 1 else t}" for t in spots)
    head = f"One-hot probe (input channel 0 set to 1 at {where}, in turn; output channel 0 read):"
    if theirs is None:
        return f"{head} your code's outputs are not single weights w[0, 0, k], so it is not a plain gather of x by w"
    if ours is not None and sorted(theirs) == sorted(ours):
        return f"{head} your code reads these inputs with these weights as the layer does; the error is elsewhere"
    kernel = tuple(w.shape[2:])
    code, layer = _first_fit(theirs, kernel), _first_fit(ours, kernel) if ours is not None else None
    if code is None:
        return (
            f"{head} no single affine rule t = s*i + d*k + c (or i = s*t + d*k + c) fits, or the "
            f"{len(theirs)} taps it read do not pin one down"
        )
    text = f"{head} in your code {_verb(code[1])} {describe_rule(*code)}"
    missing = _missing(theirs, code, kernel, tuple(got.shape[2:]), spots, skip)
    if missing:
        i, k = missing[0]
        text += (
            f", but it leaves out {len(missing)} of the taps that rule gives here (for example output "
            f"i = {i[0] if len(i) == 1 else i} with weight k = {k[0] if len(k) == 1 else k})"
        )
    return text + (f"; in the layer {_verb(layer[1])} {describe_rule(*layer)}" if layer else "")


def _missing(
    found: list[Triple],
    fitted: tuple[Rule, str],
    kernel: tuple[int, ...],
    out_shape: tuple[int, ...],
    spots: list[tuple[int, ...]],
    skip: set[tuple[int, ...]],
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The (output, weight index) pairs the fitted rule gives for the one-hot inputs that the code did
    not read (within its output's shape, outside ``skip``): a rule that fits only some taps is said to."""
    rule, form = fitted
    seen = set(found)
    gone: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for j, t in enumerate(spots):
        for k in itertools.product(*map(range, kernel)):
            i: list[int] = []
            for (s, d, c), ta, ka, n in zip(rule, t, k, out_shape):
                if form == "gather":  # t = s*i + d*k + c
                    q, r = divmod(ta - d * ka - c, s)
                    if r:
                        break
                else:  # i = s*t + d*k + c
                    q = s * ta + d * ka + c
                if not 0 <= q < n:
                    break
                i.append(q)
            else:
                if (t, tuple(i), k) not in seen and (j, *i) not in skip:
                    gone.append((tuple(i), k))
    return gone


def _first_fit(found: list[Triple], kernel_shape: tuple[int, ...]) -> tuple[Rule, str] | None:
    for form in ("gather", "scatter"):
        rule = fit(found, form, kernel_shape)
        if rule is not None:
            return rule, form
    return None


def _verb(form: str) -> str:
    return "z[i] reads x[t] times w[k] where" if form == "gather" else "x[t] times w[k] adds to z[i] where"
