"""What the code under check returned, made into a float array, or refused with a reason.

The checker compares arrays of real numbers at least as precise as the probe: ``dtype=`` is
both the dtype of the probes and the least precision expected back. Anything else (text,
None, ragged lists, complex or integer values, lower precision, dtypes NumPy lacks such as
``torch.bfloat16``) is refused here with :class:`UnusableResult`, whose message becomes the
report's finding: never a traceback from inside symconv.

Examples:
    >>> as_result([[1, 2.5]], "float64").dtype
    dtype('float64')
    >>> as_result(np.zeros(3, np.float32), "float64")
    Traceback (most recent call last):
    ...
    symconv.checker.results.UnusableResult: your code returned float32 results for float64 inputs: less precision ...
"""

from __future__ import annotations

from typing import Any

import numpy as np


class UnusableResult(Exception):
    """The code's result cannot be compared with the layer; the message says why, for the report."""


def as_result(out: Any, dtype: str) -> np.ndarray:
    """``out`` as a float array of at least ``dtype``'s precision (object arrays of exact numbers become float64).

    Raises:
        UnusableResult: ``out`` is not an array of real numbers in at least ``dtype``'s precision.
    """
    out = _from_framework(out, dtype)
    if out is None:
        raise UnusableResult("your code returned None, not an array of numbers (a missing return?).")
    if isinstance(out, (str, bytes)):
        raise UnusableResult(f"your code returned text ({type(out).__name__} {_short(out)}), not an array of numbers.")
    try:
        array = np.asarray(out)
    except (ValueError, TypeError) as exc:
        raise UnusableResult(
            f"your code returned a {type(out).__name__} that is not an array of numbers ({exc})."
        ) from None
    return _checked(array, np.dtype(dtype))


def _from_framework(out: Any, dtype: str) -> Any:
    """A torch tensor as a NumPy array; a dtype NumPy lacks (``torch.bfloat16``) is refused by name."""
    if not hasattr(out, "detach"):
        return out
    tensor = out.detach().cpu()
    try:
        return tensor.numpy()
    except TypeError:
        raise UnusableResult(
            f"your code returned {tensor.dtype} results for {dtype} inputs: less precision than it was given."
        ) from None


def _checked(array: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    kind = array.dtype.kind
    if kind == "f":
        if np.finfo(array.dtype).eps > np.finfo(dtype).eps:
            raise UnusableResult(
                f"your code returned {array.dtype} results for {dtype} inputs: less precision than it was given "
                f"(dtype={dtype.name!r} is both the dtype of the probes and the dtype expected back)."
            )
        return array if array.dtype.itemsize <= 8 else array.astype(np.float64)
    if kind == "O":
        return _exact_numbers(array)
    what = {
        "c": f"complex ({array.dtype}) results; the layer is real (an inverse FFT without .real?)",
        "i": f"integer ({array.dtype}) results for {dtype} inputs",
        "u": f"integer ({array.dtype}) results for {dtype} inputs",
        "b": f"True/False values, not {dtype} numbers",
        "U": f"an array of text ({_short(array.ravel()[:1].tolist())}...), not numbers",
        "S": f"an array of bytes ({_short(array.ravel()[:1].tolist())}...), not numbers",
    }.get(kind, f"values of dtype {array.dtype}, not {dtype} numbers")
    raise UnusableResult(f"your code returned {what}.")


def _exact_numbers(array: np.ndarray) -> np.ndarray:
    """Object arrays of exact numbers (``Fraction``, SymPy numbers, Python ints) as float64."""
    bad = [v for v in array.ravel() if not _is_real(v)]
    if not bad:
        return array.astype(np.float64)
    first = bad[0]
    raise UnusableResult(
        f"your code returned values that are not real numbers (such as {_short(first)} of type {type(first).__name__})."
    )


def _is_real(value: Any) -> bool:
    if value is None or isinstance(value, (str, bytes, complex)):
        return False  # float(None) fails, but NumPy would turn None into NaN
    try:
        float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
