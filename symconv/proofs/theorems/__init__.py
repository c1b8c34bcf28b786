"""The library of theorems, by name; each is built on first access.

Examples:
    >>> from symconv.proofs.theorems import theorems
    >>> list(theorems)[:3]
    ['output_length', 'bounds', 'flip']
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from symconv.proofs.proof import Theorem

#: name -> (module, factory), in the booklet's order.
_FACTORIES = {
    "output_length": ("lengths", "theorem"),
    "bounds": ("matrix", "bounds_theorem"),
    "flip": ("flip", "theorem"),
    "matrix_entry": ("matrix", "entry_theorem"),
    "adjoint": ("adjoint", "theorem"),
    "gradients": ("gradients", "theorem"),
    "stacks": ("stacks", "theorem"),
    "equivariance": ("equivariance", "theorem"),
    "polynomial": ("poly", "theorem"),
    "kronecker": ("nd", "theorem"),
}


class TheoremMap(Mapping[str, "Theorem"]):
    """A read-only mapping from name to :class:`~symconv.proofs.proof.Theorem`, built lazily."""

    def __init__(self) -> None:
        self._built: dict[str, Theorem] = {}

    def __getitem__(self, name: str) -> Theorem:
        if name not in _FACTORIES:
            raise KeyError(f"no theorem named {name!r}; the theorems are {', '.join(_FACTORIES)}")
        if name not in self._built:
            module, factory = _FACTORIES[name]
            self._built[name] = getattr(importlib.import_module(f"symconv.proofs.theorems.{module}"), factory)()
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_FACTORIES)

    def __len__(self) -> int:
        return len(_FACTORIES)

    def __repr__(self) -> str:
        return f"<theorems: {', '.join(_FACTORIES)}>"


theorems = TheoremMap()
