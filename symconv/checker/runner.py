"""The code under check behind its calling convention, called on copies of the probe.

:class:`Runner` hands the code copies of the probe's arrays and reports which of them it
changed in place (the expected values are always computed from the originals). With
``convention='auto'``, code that raises on NumPy arrays is retried once with torch tensors,
and the report says which convention was used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from symconv.checker.adapters import UnusableResult, adapt, detect, native_layout, probe_dtype
from symconv.layers.modes import MODE_LAYERS
from symconv.views.expansion import Expansion

NAMES = ("x", "w", "b")


def changed_inputs(names: tuple[str, ...], originals: tuple[Any, ...], given: tuple[Any, ...]) -> tuple[str, ...]:
    """The names of the arrays in ``given`` that no longer equal their ``originals`` (NaN equal to NaN).

    Examples:
        >>> a = np.array([1.0, np.nan])
        >>> changed_inputs(("x", "w"), (a, a), (a.copy(), -a))
        ('w',)
    """
    return tuple(
        name
        for name, a, c in zip(names, originals, given)
        if a is not None and not (c.shape == a.shape and (np.array_equal(a, c) or np.array_equal(a, c, equal_nan=True)))
    )


# arrays of at least this many bytes are recorded as int8 when they can be, instead of copied
LARGE = 1 << 24


def _record(a: np.ndarray) -> np.ndarray | None:
    """An int8 copy of ``a`` when ``a`` is a large float array of integers in -128..127 (the integer
    probe), else None; a quarter of a float32 copy, and cheaper to make than one.

    Examples:
        >>> _record(np.full(1 << 22, 3.0, dtype=np.float32)).dtype, _record(np.full(1 << 22, 0.5, dtype=np.float32))
        (dtype('int8'), None)
    """
    if a.nbytes < LARGE or a.dtype.kind != "f":
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        small = a.astype(np.int8)
    return small if np.array_equal(small, a) else None


class Runner:
    """``fn`` behind its calling convention: call it on copies, see what it changed, retry ``'auto'`` with torch.

    Attributes:
        convention: The convention used (after a retry, ``'torch'``).
        dtype: The dtype the probes are drawn in (see :func:`symconv.checker.adapters.probe_dtype`).
        note: How the convention or the dtype was chosen, for the report.
    """

    def __init__(self, fn: Any, e: Expansion, convention: str, dtype: str, layout: str | None = None) -> None:
        self.fn, self.e = fn, e
        self.auto = convention == "auto"
        self.convention = detect(fn, e) if self.auto and callable(fn) else convention
        self.dtype, note = probe_dtype(self.convention, dtype)
        self.layout = layout or (native_layout(fn, self.convention) if self.convention != "single" else "")
        self.note = "; ".join(n for n in ("auto-detected" if self.auto else "", note) if n)
        self.call = adapt(fn, e, self.convention, self.dtype, layout)
        self.tried = False

    def __call__(self, arrays: tuple[Any, Any, Any]) -> tuple[np.ndarray, tuple[str, ...]]:
        """``fn`` on copies of ``arrays``: the result and the names of the inputs it changed in place."""
        try:
            return self._on_copies(arrays, self.call)
        except UnusableResult:
            raise
        except Exception as exc:
            if self.tried or not self.auto or self.convention != "numpy" or not _has_torch():
                raise
            return self._retry(arrays, exc)
        finally:
            self.tried = True

    def _retry(self, arrays: tuple[Any, Any, Any], exc: Exception) -> tuple[np.ndarray, tuple[str, ...]]:
        """The torch convention after ``exc`` on NumPy arrays; ``exc`` again if torch tensors fail too."""
        call = adapt(self.fn, self.e, "torch", self.dtype)
        try:
            out = self._on_copies(arrays, call)
        except UnusableResult:
            self._switch(call, exc)
            raise
        except Exception:
            raise exc from None
        self._switch(call, exc)
        return out

    def _switch(self, call: Callable[..., Any], exc: Exception) -> None:
        self.call, self.convention = call, "torch"
        self.note = f"auto: your code raised {type(exc).__name__} on NumPy arrays, so it was called with torch tensors"

    @staticmethod
    def _on_copies(arrays: tuple[Any, Any, Any], call: Callable[..., Any]) -> tuple[np.ndarray, tuple[str, ...]]:
        """``call`` on copies of ``arrays``, except a large array of small integers: the code gets that
        array itself, and an int8 record of it tells whether the code changed it (and restores it)."""
        records = tuple(None if a is None else _record(a) for a in arrays)
        # a recorded array is handed over as a view: the code may write through it (the record sees that),
        # but setting its shape or dtype changes the view only
        given = tuple(None if a is None else a.view() if r is not None else a.copy() for a, r in zip(arrays, records))
        restored: set[str] = set()
        try:
            got = call(*given)
        finally:  # also when the code raises: a retry, and the reference, must see the original probe
            for name, a, r in zip(NAMES, arrays, records):
                if r is not None and not np.array_equal(a, r):
                    np.copyto(a, r)
                    restored.add(name)
        copied = tuple(None if r is not None else a for a, r in zip(arrays, records))
        changed = set(changed_inputs(NAMES, copied, given)) | restored
        return got, tuple(name for name in NAMES if name in changed)

    def header(self, batch: int, seed: int) -> str:
        """The layer and the probe settings, for the report."""
        e = self.e
        mode = isinstance(e.layer, MODE_LAYERS)
        what = f"{e.layer!r} = {e.spec.describe()}" if mode else e.spec.describe()
        how = f"convention {self.convention!r}" + (f" ({self.note})" if self.note else "")
        if self.layout == "channels_last":
            how += "; layout channels_last: x (N, *spatial, C), w (*K, C_in/groups, C_out)"
        size = (
            f"input length {e.input_length} (padding {e.padding}, output length {e.output_length})"
            if e.ndim == 1
            else f"input shape {e.input_shape} (padding {e.padding}, output shape {e.output_shape})"
        )
        return (
            f"Layer: {what}\nProbes: batch {batch} of integers, then 1 sample of floats; {size}, dtype {self.dtype}, "
            f"seed {seed}; {how}"
        )


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:  # pragma: no cover - torch is a test dependency
        return False
    return True
