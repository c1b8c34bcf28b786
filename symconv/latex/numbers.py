"""The numbers a derivation works through: validated, computed with exactly, printed as given.

Each entry of ``x``, ``w`` and ``b`` must be a finite number: an ``int``, a ``float``, a
``fractions.Fraction``, a NumPy integer or float, or a SymPy number. The derivation computes
with its exact value and never guesses a constant (no ``nsimplify``):

* an int, a Fraction or a SymPy number is used as it is;
* a float is used as the rational number it stores, ``sympy.Rational(v)``:
  ``1.4142135623730951`` is exactly ``6369051672525773/4503599627370496``, not ``sqrt(2)``.

A float is printed by its shortest round-trip ``repr`` (the text Python prints for it), with
an exponent written as a power of ten: ``1e-20`` as ``1 \\cdot 10^{-20}``. When any given number
is a float, the results are printed the same way: a result that is itself a float is printed
by its ``repr`` after ``=``; one that is not (an exact sum of products of floats usually needs
more digits than a float holds) is printed rounded to the nearest float after ``\\approx``.
Without floats, results are printed exactly (``\\frac{88}{3}``).

Examples:
    >>> given("x", [1, 1.4142135623730951, 0.5]).shown
    ('1', '1.4142135623730951', '0.5')
    >>> result_tex(sympy.Rational(3, 2), floats=True), result_tex(sympy.Rational(1, 3), floats=True)
    (('=', '1.5'), ('\\\\approx', '0.3333333333333333'))
    >>> given("x", [1, float("nan")])
    Traceback (most recent call last):
    ...
    ValueError: 'x' entries must be finite numbers (got nan at position 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from symconv.latex.printing import tex

KINDS = "int, float, Fraction, or a NumPy or SymPy number"


@dataclass(frozen=True)
class Given:
    """Numbers given for one of ``x``, ``w``, ``b``, flat.

    Attributes:
        exact: The exact values computed with (SymPy numbers).
        shown: How each is printed (LaTeX), as given.
        floats: Whether any of them was a float.
    """

    exact: tuple[sympy.Expr, ...]
    shown: tuple[str, ...]
    floats: bool


def given(name: str, values: Sequence[Any]) -> Given:
    """Validate the flat ``values`` of ``name`` and convert them (see the module docstring).

    Raises:
        TypeError: An entry that is not a number (None, a string, a bool, a complex Python number...).
        ValueError: A NaN or an infinity.
    """
    exact, shown, floats = [], [], False
    for position, value in enumerate(values):
        number, text, is_float = _one(name, position, value)
        exact.append(number)
        shown.append(text)
        floats = floats or is_float
    return Given(tuple(exact), tuple(shown), floats)


def _one(name: str, position: int, value: Any) -> tuple[sympy.Expr, str, bool]:
    where = f"at position {position}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, Fraction, np.integer, np.floating, sympy.Basic)
    ):
        kind = type(value).__name__
        raise TypeError(f"'{name}' entries must be finite numbers ({KINDS}) (got {value!r} of type {kind} {where}).")
    if isinstance(value, (int, np.integer)):
        number = sympy.Integer(int(value))
        return number, tex(number), False
    if isinstance(value, Fraction):
        number = sympy.Rational(value.numerator, value.denominator)
        return number, tex(number), False
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ValueError(f"'{name}' entries must be finite numbers (got {value!r} {where}).")
        return sympy.Rational(float(value)), float_tex(float(value)), True
    if not value.is_number:
        raise TypeError(f"'{name}' entries must be finite numbers ({KINDS}) (got the expression {value} {where}).")
    if value.is_finite is not True:
        raise ValueError(f"'{name}' entries must be finite numbers (got {value} {where}).")
    if isinstance(value, sympy.Float):
        return sympy.Rational(value), tex(value), True
    return value, tex(value), False


def float_tex(value: float) -> str:
    """The shortest round-trip ``repr`` of ``value`` in LaTeX (an exponent as a power of ten).

    Examples:
        >>> float_tex(2.718281828459045), float_tex(1e-20), float_tex(-1.5e300)
        ('2.718281828459045', '1 \\\\cdot 10^{-20}', '-1.5 \\\\cdot 10^{300}')
    """
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa} \\cdot 10^{{{int(exponent)}}}"


def result_tex(value: Any, floats: bool) -> tuple[str, str]:
    """``(relation, LaTeX)`` for a computed value: exact, or, when floats were given, as a float.

    With ``floats``, a rational result is printed as the nearest float, after ``=`` when it is
    that float exactly and after ``\\approx`` when it is not; a symbolic part (a bias symbol)
    is printed as it is.
    """
    value = sympy.sympify(value)
    if not floats or value.is_Integer:
        return "=", tex(value)
    if not value.is_Rational:
        coeff, rest = value.as_coeff_Add()
        if rest == value or not coeff.is_Rational:
            return "=", tex(value)
        relation, text = result_tex(coeff, floats)
        return relation, tex(rest) + (f" - {text[1:]}" if text.startswith("-") else f" + {text}")
    nearest = float(value)
    if not math.isfinite(nearest):
        return "\\approx", tex(sympy.Float(value, 17))
    return ("=" if sympy.Rational(nearest) == value else "\\approx"), float_tex(nearest)


def results_tex(values: Sequence[Any], floats: bool) -> tuple[str, list[str]]:
    """``(relation, texts)`` for a list of results: ``\\approx`` if any of them is rounded."""
    pairs = [result_tex(v, floats) for v in values]
    relation = "\\approx" if any(r != "=" for r, _ in pairs) else "="
    return relation, [text for _, text in pairs]
