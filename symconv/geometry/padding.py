"""Padding: names resolved to an explicit ``(left, right)`` pair, and the padding fold.

Every padding convention symconv knows ends up here as two integers. The fold maps a
position of the padded input back to a real input index (or to nothing, for zeros).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symconv.base.validate import as_int

#: Padding names and the rule each stands for (see ``docs/explanation.md``).
PADDING_NAMES: dict[str, str] = {
    "valid": "(0, 0)",
    "same": "total d*(K-1), left total//2, extra zero on the right (PyTorch; stride 1 only)",
    "causal": "(d*(K-1), 0)",
    "full": "(d*(K-1), d*(K-1))",
    "tf_same": "out = ceil(L/s), total max(0, (out-1)*s + d*(K-1) + 1 - L), left total//2",
    "jax_same_lower": "as 'tf_same' with the extra zero on the left",
}

#: PyTorch's four; NumPy's ``'symmetric'`` (SciPy's ``boundary='symm'``): the mirror that
#: repeats the edge entry (``x[-1-j] = x[j]``), for pads of any size; and NumPy's ``'wrap'``
#: (SciPy's ``boundary='wrap'``): periodic, as ``'circular'``, for pads of any size (PyTorch's
#: ``'circular'`` wraps around at most once).
PADDING_MODES: tuple[str, ...] = ("zeros", "reflect", "replicate", "circular", "symmetric", "wrap")

Padding = str | tuple[int, int]


def normalize_padding(value: Any) -> Padding:
    """Return a padding name or a ``(left, right)`` pair of non-negative ints.

    Accepts an int ``p`` (meaning ``(p, p)``), a 1-tuple ``(p,)`` as PyTorch does, a pair,
    or one of :data:`PADDING_NAMES` (exact spelling, lower case).
    """
    if isinstance(value, str):
        if value not in PADDING_NAMES:
            names = ", ".join(repr(n) for n in PADDING_NAMES)
            raise ValueError(f"'padding' must be an int, a (left, right) pair or one of {names} (got {value!r}).")
        return value
    if isinstance(value, (tuple, list)):
        if len(value) not in (1, 2):
            raise ValueError(
                f"'padding' must be an int, a 1-tuple (p,) or a (left, right) pair (got {tuple(value)!r})."
            )
        try:
            pair = [as_int("padding", v, minimum=0) for v in value]
        except (TypeError, ValueError) as exc:
            what = "a 1-tuple (p,)" if len(value) == 1 else "a (left, right) pair"
            raise type(exc)(f"'padding' given as {what} must hold ints >= 0 (got {tuple(value)!r}).") from None
        return (pair[0], pair[-1])
    if not isinstance(value, (int, np.integer)):
        names = ", ".join(repr(n) for n in PADDING_NAMES)
        raise TypeError(
            f"'padding' must be an int >= 0, a 1-tuple (p,), a (left, right) pair or one of {names} "
            f"(got {value!r} of type {type(value).__name__})."
        )
    p = as_int("padding", value, minimum=0)
    return (p, p)


def resolve_padding(
    padding: Padding, *, kernel_size: int, stride: int, dilation: int, input_length: int
) -> tuple[int, int]:
    """Resolve a normalised padding to an explicit ``(left, right)`` pair.

    Examples:
        >>> resolve_padding("same", kernel_size=4, stride=1, dilation=1, input_length=7)
        (1, 2)
        >>> resolve_padding("tf_same", kernel_size=6, stride=5, dilation=1, input_length=13)
        (1, 2)
    """
    if isinstance(padding, tuple):
        return padding
    extent = dilation * (kernel_size - 1)
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        return (extent // 2, extent - extent // 2)
    if padding == "causal":
        return (extent, 0)
    if padding == "full":
        return (extent, extent)
    out = -(-input_length // stride)
    total = max(0, (out - 1) * stride + extent + 1 - input_length)
    if padding == "tf_same":
        return (total // 2, total - total // 2)
    return (total - total // 2, total // 2)  # jax_same_lower


def check_padding_fits(mode: str, pad: tuple[int, int], input_length: int) -> None:
    """Raise if ``mode`` cannot pad ``input_length`` inputs by ``pad`` (PyTorch's limits)."""
    if mode == "reflect" and max(pad) >= input_length:
        raise ValueError(
            f"padding_mode='reflect' needs each padding side < input_length "
            f"(got padding {pad} for input_length {input_length})."
        )
    if mode == "circular" and max(pad) > input_length:
        raise ValueError(
            f"padding_mode='circular' needs each padding side <= input_length, since it cannot "
            f"wrap around more than once (got padding {pad} for input_length {input_length})."
        )


def fold(mode: str, index: np.ndarray, input_length: int) -> np.ndarray:
    """Map input indices that may lie in the padding to real input indices.

    ``index`` is relative to the unpadded input (``-left .. L-1+right``). Returns the real
    index, or ``-1`` where the position is a zero pad.

    Examples:
        >>> fold("reflect", np.array([-2, -1, 5, 6]), 5).tolist()
        [2, 1, 3, 2]
        >>> fold("circular", np.array([-1, 5]), 5).tolist()
        [4, 0]
        >>> fold("symmetric", np.array([-3, -2, -1, 2, 3, 4, 5]), 2).tolist()
        [1, 1, 0, 1, 0, 0, 1]
        >>> fold("wrap", np.array([-7, -1, 5, 9]), 3).tolist()
        [2, 2, 2, 0]
    """
    n = input_length
    if mode == "zeros":
        return np.where((index >= 0) & (index < n), index, -1)
    if mode == "reflect":
        return np.where(index < 0, -index, np.where(index >= n, 2 * (n - 1) - index, index))
    if mode == "replicate":
        return np.clip(index, 0, n - 1)
    if mode == "symmetric":  # mirror with the edge repeated, period 2n: any pad size, as np.pad
        m = np.mod(index, 2 * n)
        return np.where(m < n, m, 2 * n - 1 - m)
    return np.mod(index, n)  # circular, wrap
