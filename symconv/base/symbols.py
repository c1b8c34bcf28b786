"""Symbol names: the one module that names every SymPy symbol symconv makes.

Single channel: ``x_0 … x_{L-1}``, ``w_0 … w_{K-1}``, ``b``; several channels:
``x_{c,t}``, ``w_{o,c,k}``, ``b_o``. With ``index_base=1`` the subscripts count from one
(textbook style); array positions stay 0-based. Symbols are plain ``sympy.Symbol``: they
print with ``sympy.latex``, work with ``lambdify`` and pickle.
"""

from __future__ import annotations

import keyword
import re
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
    """Merge user names over the defaults; every symbol of every role must keep its own name.

    A role's symbols are its bare name (the bias of a single-channel layer) or the name with a
    subscript, ``x_0`` or ``w_0,1,2``. So names must be distinct identifiers (not Python
    keywords, for ``lambdify``), and none may be a subscripted symbol of another role:
    ``names={'b': 'x_0'}`` would make the bias the input ``x_0``.

    Raises:
        TypeError: ``names`` is not a mapping.
        ValueError: An unknown role, a name that is not an identifier, or two roles sharing a symbol.

    Examples:
        >>> check_names({"x": "u"})["x"]
        'u'
        >>> check_names({"b": "z_0"})
        Traceback (most recent call last):
        ...
        ValueError: 'names' must keep ... names['b'] = 'z_0' has the form of a symbol of role 'z' ...
    """
    if names is not None and not isinstance(names, Mapping):
        raise TypeError(
            f"'names' must be a mapping from roles to names such as {{'x': 'u'}} "
            f"(got {names!r} of type {type(names).__name__})."
        )
    merged = dict(DEFAULT_NAMES)
    for key, value in (names or {}).items():
        if key not in DEFAULT_NAMES:
            raise ValueError(f"'names' keys must be among {sorted(DEFAULT_NAMES)} (got {key!r}).")
        if not isinstance(value, str) or not value.isidentifier() or keyword.iskeyword(value):
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
    _check_subscripts(merged)
    return merged


def _check_subscripts(merged: dict[str, str]) -> None:
    """No role's name may be a subscripted symbol (``name_3`` or ``name_0,1``) of another role."""
    for key, value in merged.items():
        for other, base in merged.items():
            if other != key and re.fullmatch(re.escape(base) + r"_\d+(,\d+)*", value):
                raise ValueError(
                    f"'names' must keep the symbols of different roles apart: names[{key!r}] = {value!r} has the "
                    f"form of a symbol of role {other!r} ({base!r} with a subscript); choose another name for {key!r}."
                )


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
