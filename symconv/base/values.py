"""Numbers given by the user: arrays for ``evaluate`` and exact SymPy values for ``subs``.

Accepted: bools (as 0 and 1), ints, floats, complex numbers, ``Fraction``, NumPy numbers of
those kinds, and SymPy expressions. Everything else is refused with a ``TypeError`` that
names the parameter: strings above all, since turning a string into a SymPy value means
``sympify``, which runs it through ``eval``; but also bytes, dates, timedeltas, ``None`` and
arbitrary objects, which NumPy's object arithmetic would otherwise combine into nonsense
(``['a'] * 5`` convolved with ``[1, 2]`` gives ``'aaa'``). NaN and infinities are numbers:
they propagate as they do in PyTorch.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import sympy

_KINDS = "biufc"
"""NumPy dtype kinds of numbers: bool, signed, unsigned, float, complex."""

_SCALARS = (bool, int, float, complex, Fraction, np.bool_, np.number, sympy.Expr)
_NOT_SCALARS = (sympy.MatrixBase, sympy.MatrixExpr)


def _describe(value: Any) -> str:
    return f"{value!r} of type {type(value).__name__}"


def is_number(value: Any) -> bool:
    """Whether ``value`` is a scalar symconv computes with (see the module docstring).

    Examples:
        >>> [is_number(v) for v in (1, 0.5, Fraction(1, 3), sympy.Rational(1, 2), "1", None)]
        [True, True, True, True, False, False]
    """
    return isinstance(value, _SCALARS) and not isinstance(value, _NOT_SCALARS)


def as_numbers(name: str, value: Any) -> np.ndarray:
    """``np.asarray(value)``, refused unless every entry is a number.

    Raises:
        TypeError: An entry that is not a number (named with the parameter), or a value NumPy
            cannot make an array of.
        ValueError: A ragged nested sequence.
    """
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nesting
        raise ValueError(f"'{name}' must be a rectangular array of numbers (got {value!r}).") from None
    if array.dtype.kind in _KINDS:
        return array
    if array.dtype.kind == "O":
        for entry in array.flat:
            if not is_number(entry):
                raise TypeError(_refusal(name, entry))
        return array
    first = array.flat[0] if array.size else value
    raise TypeError(_refusal(name, first, array.dtype))


def _refusal(name: str, entry: Any, dtype: Any = None) -> str:
    what = f"an array of dtype {dtype} such as {_describe(entry)}" if dtype is not None else _describe(entry)
    return (
        f"'{name}' must hold numbers (bool, int, float, complex, Fraction, NumPy or SymPy numbers) "
        f"or SymPy expressions (got {what})."
    )


def exact(name: str, value: Any) -> sympy.Expr:
    """``value`` as an exact SymPy value: never through a string.

    Examples:
        >>> exact("x", Fraction(1, 3)), exact("x", True), exact("x", np.int8(-2))
        (1/3, 1, -2)
        >>> exact("x", "__import__('os')")
        Traceback (most recent call last):
        ...
        TypeError: 'x' must hold numbers (...) or SymPy expressions (got "__import__('os')" of type str).
    """
    if isinstance(value, (bool, np.bool_)):
        return sympy.Integer(int(value))
    if isinstance(value, sympy.Expr):
        return value
    if not is_number(value):
        raise TypeError(_refusal(name, value))
    converted = sympy.sympify(value, strict=True)  # numbers only: strict never parses a string
    if not isinstance(converted, sympy.Expr):
        raise TypeError(_refusal(name, value))
    return converted


def exact_values(name: str, array: np.ndarray) -> list[sympy.Expr]:
    """The entries of a (validated) array, flat in C order, each through :func:`exact`."""
    return [exact(name, v) for v in array.ravel().tolist()]
