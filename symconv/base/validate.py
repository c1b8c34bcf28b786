"""Argument checks shared by every spec: one place for the wording of errors.

Messages follow one pattern: the parameter in quotes, the rule, and the value given,
for example ``'stride' must be a positive int (got 0).``
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


MAX_SIZE = 2**60
"""The largest size or index symconv accepts: sums of a few such values stay within int64, in
which the taps do their index arithmetic (NumPy would overflow silently beyond it)."""


def as_int(name: str, value: Any, *, minimum: int) -> int:
    """Return ``value`` as an ``int`` from ``minimum`` to :data:`MAX_SIZE` or raise naming ``name``.

    Bools are rejected although they are ints in Python: ``stride=True`` is a bug.
    """
    rule = "a positive int" if minimum == 1 else f"an int >= {minimum}"
    if not is_int(value):
        raise TypeError(f"'{name}' must be {rule} (got {value!r} of type {type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"'{name}' must be {rule} (got {value!r}).")
    if value > MAX_SIZE:
        raise ValueError(
            f"'{name}' must be {rule} no larger than 2**60, within int64 index arithmetic (got {value!r})."
        )
    return int(value)


def as_index(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` index (NumPy ints too) or raise ``TypeError`` naming ``name``.

    Floats and bools are refused: ``1.5`` is no position, and ``True`` is a bug. The caller
    checks the range.
    """
    if not is_int(value):
        raise TypeError(f"'{name}' must be an int index (got {value!r} of type {type(value).__name__}).")
    return int(value)


def check_position(
    what: str, names: tuple[str, ...], values: tuple[Any, ...], bounds: tuple[int, ...]
) -> tuple[int, ...]:
    """Validate a position given as ints named ``names``, each in ``[0, bound)``; return it as ints.

    Examples:
        >>> check_position("output position", ("o", "i"), (0, 3), (1, 3))
        Traceback (most recent call last):
        ...
        ValueError: output position (o, i) must have 'o' in [0, 1) and 'i' in [0, 3) (got (0, 3)).
    """
    ints = tuple(as_index(n, v) for n, v in zip(names, values))
    if not all(0 <= v < b for v, b in zip(ints, bounds)):
        ranges = " and ".join(f"'{n}' in [0, {b})" for n, b in zip(names, bounds))
        raise ValueError(f"{what} ({', '.join(names)}) must have {ranges} (got {ints}).")
    return ints


def derives_from(obj: Any, package: str, class_name: str) -> bool:
    """Whether ``obj``'s class derives from the class ``class_name`` of the top-level ``package``, told by
    name, so that the package (PyTorch, Keras) need not be imported to ask.

    Examples:
        >>> derives_from(ValueError("x"), "builtins", "Exception"), derives_from(1, "torch", "Module")
        (True, False)
    """
    return any(cls.__name__ == class_name and cls.__module__.split(".")[0] == package for cls in type(obj).__mro__)


def as_size(name: str, value: Any, *, minimum: int = 1) -> int:
    """Accept an int or a 1-tuple ``(n,)``, as PyTorch's ``_single`` does."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            if name.endswith("]"):  # one axis of a layer with several: 'padding[0]'
                raise ValueError(f"'{name}' must be one int, the value for that axis (got {tuple(value)!r}).")
            raise ValueError(f"'{name}' must be an int or a 1-tuple for a 1D layer (got {tuple(value)!r}).")
        value = value[0]
    return as_int(name, value, minimum=minimum)


def as_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"'{name}' must be a bool (got {value!r} of type {type(value).__name__}).")
    return bool(value)


def one_of(name: str, value: Any, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"'{name}' must be one of {listed} (got {value!r}).")
    return value


def check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    """Both channel counts must be divisible by ``groups`` (PyTorch's rule)."""
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise ValueError(f"'{name}' must be divisible by 'groups' (got {name}={value}, groups={groups}).")
