"""Isolated views (Goodfellow et al., figs. 9.2-9.5): the taps of one input, one output or one weight.

:func:`focus` validates the choice and reads its taps from the layer's taps (``fed_by``,
``feeding``, ``tying_group``); the connectivity diagram then highlights their edges and nodes
and fades the rest. Positions are 0-based, channel first.

Examples:
    >>> from symconv import Conv1d
    >>> e = Conv1d(1, 1, 3, stride=2).expand(9)
    >>> f = focus(e, from_input=4)
    >>> f.kind, f.index, sorted(t.output for t in f.taps)
    ('input', (0, 4), [(0, 1), (0, 2)])
    >>> sorted(t.input for t in focus(e, weight=2).taps)
    [(0, 2), (0, 4), (0, 6), (0, 8)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from symconv.geometry.taps import Tap
from symconv.views.expansion import Expansion

Position = tuple[int, ...]


@dataclass(frozen=True)
class Focus:
    """One isolated view: ``kind`` ``'input'``, ``'output'`` or ``'weight'``, its ``index``, and its taps."""

    kind: str
    index: Position
    taps: tuple[Tap, ...]

    def describe(self) -> str:
        """What the view shows, in words (0-based)."""
        where = ", ".join(map(str, self.index))
        return {
            "input": f"the outputs input ({where}) feeds",
            "output": f"the inputs output ({where}) reads",
            "weight": f"every tap of the shared weight w[{where}]",
        }[self.kind]


def _ints(name: str, value: Any, length: int, shape: tuple[int, ...], names: str) -> Position:
    """``value`` as ``length`` ints inside ``shape`` (an int alone: the last index, the others 0 if their size is 1)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if any(size != 1 for size in shape[:-1]):
            raise ValueError(
                f"'{name}' must be a tuple {names} when a leading index can be non-zero (sizes {shape}; got {value!r})."
            )
        value = (*(0 for _ in shape[:-1]), int(value))
    if not isinstance(value, (tuple, list)) or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in value
    ):
        raise TypeError(f"'{name}' must be an int or a tuple of ints {names} (got {value!r}).")
    if len(value) != length:
        raise ValueError(f"'{name}' must have {length} indices {names} (got {tuple(value)!r}).")
    index = tuple(int(v) for v in value)
    bounds = " and ".join(f"0 <= {n} < {s}" for n, s in zip(names.strip("()").split(", "), shape))
    if any(not 0 <= v < s for v, s in zip(index, shape)):
        raise ValueError(f"'{name}' must be {names} with {bounds}, 0-based (got {index!r}).")
    return index


def focus(e: Expansion, from_input: Any = None, from_output: Any = None, weight: Any = None) -> Focus | None:
    """The isolated view chosen by at most one of the three arguments (``None``: no view), validated.

    Args:
        e: A one-axis expansion.
        from_input: ``(c, t)`` (or ``t`` with one input channel): the outputs this input feeds.
        from_output: ``(o, i)`` (or ``i`` with one output channel): the inputs this output reads.
        weight: ``(o, c', k)`` as the weight tensor is indexed (``(c, o', k)`` for a transposed layer),
            or its flat index: every edge of this shared weight.

    Raises:
        ValueError: Two views at once, or an index out of range (naming the parameter and the range).
        TypeError: An index that is not ints.
    """
    given = {
        n: v for n, v in (("from_input", from_input), ("from_output", from_output), ("weight", weight)) if v is not None
    }
    if len(given) > 1:
        raise ValueError(
            f"give at most one of 'from_input', 'from_output', 'weight' (got {' and '.join(repr(n) for n in given)})."
        )
    taps = e.taps
    if from_input is not None:
        c, t = _ints("from_input", from_input, 2, (e.spec.in_channels, e.input_length), "(c, t)")
        return Focus("input", (c, t), tuple(taps.fed_by(c, t)))
    if from_output is not None:
        o, i = _ints("from_output", from_output, 2, (e.spec.out_channels, e.output_length), "(o, i)")
        return Focus("output", (o, i), tuple(taps.feeding(o, i)))
    if weight is not None:
        shape = tuple(int(s) for s in taps.weight_shape)
        if isinstance(weight, (int, np.integer)) and not isinstance(weight, bool):
            total = int(np.prod(shape))
            if not 0 <= int(weight) < total:
                raise ValueError(f"'weight' as a flat index must be in [0, {total}) (got {int(weight)}).")
            weight = tuple(int(v) for v in np.unravel_index(int(weight), shape))
        names = "(c, o', k)" if shape[0] == e.spec.in_channels and _transposed(e) else "(o, c', k)"
        index = _ints("weight", weight, 3, shape, names)
        pairs = taps.tying_group(index[0], index[1], index[2])
        return Focus("weight", index, tuple(Tap(out, inp, index) for out, inp in pairs))
    return None


def _transposed(e: Expansion) -> bool:
    from symconv.layers.protocol import Kind

    return bool(e.spec.kind is Kind.TRANSPOSED)


__all__ = ["Focus", "focus"]
