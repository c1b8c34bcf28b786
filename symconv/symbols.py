"""Symbol names: the one module that names every SymPy symbol symconv makes.

Single channel: ``x_0 … x_{L-1}``, ``w_0 … w_{K-1}``, ``b``; several channels:
``x_{c,t}``, ``w_{o,c,k}``, ``b_o``. With ``index_base=1`` the subscripts count from one
(textbook style); array positions stay 0-based. Symbols are plain ``sympy.Symbol``: they
print with ``sympy.latex``, work with ``lambdify`` and pickle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sympy

#: Roles and their default names: input, weight, bias, pre-activation, activation output,
#: ``dL/dz`` (``delta``), ``dL/da`` (``g``, the upstream gradient through an activation) and
#: loss targets (``y``).
DEFAULT_NAMES: dict[str, str] = {
    "x": "x",
    "w": "w",
    "b": "b",
    "z": "z",
    "a": "a",
    "delta": "delta",
    "g": "g",
    "y": "y",
}


def check_names(names: Mapping[str, str] | None) -> dict[str, str]:
    """Merge user names over the defaults; names must be distinct identifiers."""
    merged = dict(DEFAULT_NAMES)
    for key, value in (names or {}).items():
        if key not in DEFAULT_NAMES:
            raise ValueError(f"'names' keys must be among {sorted(DEFAULT_NAMES)} (got {key!r}).")
        if not isinstance(value, str) or not value.isidentifier():
            raise ValueError(f"'names[{key!r}]' must be an identifier such as 'a' (got {value!r}).")
        merged[key] = value
    seen: dict[str, str] = {}
    for key, value in merged.items():
        if value in seen:
            raise ValueError(
                f"'names' must give different symbols different names: {seen[value]!r} and {key!r} "
                f"would both be {value!r}; rename one of them, e.g. names={{{key!r}: ...}}."
            )
        seen[value] = key
    return merged


def symbol(name: str, index: Sequence[int], base: int) -> sympy.Symbol:
    """``symbol('x', (2, 5), 1)`` is ``x_{3,6}``; an empty index gives the bare name."""
    if not index:
        return sympy.Symbol(name)
    return sympy.Symbol(f"{name}_{','.join(str(i + base) for i in index)}")


def symbol_array(name: str, shape: tuple[int, ...], keep: Sequence[bool], base: int) -> sympy.Array:
    """An ``ImmutableDenseNDimArray`` of symbols, subscripted only on the axes where ``keep`` is true.

    Examples:
        >>> symbol_array("x", (1, 3), (False, True), 0)
        [[x_0, x_1, x_2]]
        >>> symbol_array("w", (2, 1, 2), (True, True, True), 1)
        [[[w_1,1,1, w_1,1,2]], [[w_2,1,1, w_2,1,2]]]
    """
    flat = []
    for position in _positions(shape):
        flat.append(symbol(name, [p for p, k in zip(position, keep) if k], base))
    return sympy.ImmutableDenseNDimArray(flat, shape)


def _positions(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [()]
    for size in shape:
        out = [(*p, i) for p in out for i in range(size)]
    return out


def entries(array: Any) -> list[Any]:
    """The entries of a SymPy array or matrix (or a plain sequence) in C order; ``[]`` for None.

    Examples:
        >>> entries(symbol_array("w", (2, 1, 2), (True, True, True), 0))
        [w_0,0,0, w_0,0,1, w_1,0,0, w_1,0,1]
    """
    if array is None:
        return []
    if isinstance(array, sympy.ImmutableDenseNDimArray):
        return list(array._array)  # type: ignore[attr-defined]  # tolist() would parse every index
    return list(sympy.flatten(array.tolist())) if hasattr(array, "tolist") else list(array)
