"""Optional dependencies, each installed with the extra named after its use.

========================  ===============  ============================================
extra                     installs         used by
========================  ===============  ============================================
``symconv[figures]``      matplotlib       SVG and PNG figures (TikZ needs nothing)
``symconv[proofs]``       z3-solver        integer side conditions SymPy cannot prove
``symconv[widget]``       anywidget        the interactive explorer in Jupyter
``symconv[all]``          all of these
========================  ===============  ============================================

A feature imports its dependency through :func:`require` when it is used, never at
``import symconv`` (which stays fast), so a missing one surfaces as one ``ImportError`` that
names the extra to install. The frameworks that ``symconv check`` reads (PyTorch, JAX) are the
user's own and belong to no extra.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: extra -> (the module a feature imports, the distribution that provides it)
EXTRAS: dict[str, tuple[str, str]] = {
    "figures": ("matplotlib", "matplotlib"),
    "proofs": ("z3", "z3-solver"),
    "widget": ("anywidget", "anywidget"),
}


def missing_extra_message(extra: str, feature: str, alternative: str = "") -> str:
    """The message of the ``ImportError`` raised when ``extra`` is not installed.

    Examples:
        >>> print(missing_extra_message("proofs", "symconv proofs"))
        z3-solver is needed for symconv proofs but is not installed: pip install 'symconv[proofs]'.
    """
    if extra not in EXTRAS:
        raise ValueError(f"'extra' must be one of {', '.join(EXTRAS)} (got {extra!r}).")
    _, distribution = EXTRAS[extra]
    hint = f" ({alternative})" if alternative else ""
    return f"{distribution} is needed for {feature} but is not installed: pip install 'symconv[{extra}]'{hint}."


def require(extra: str, feature: str, alternative: str = "") -> ModuleType:
    """Import the module that ``extra`` provides, for ``feature``.

    Args:
        extra: One of :data:`EXTRAS`: ``"figures"``, ``"proofs"`` or ``"widget"``.
        feature: What needs it, as the message names it: "SVG and PNG figures".
        alternative: What works without it, added to the message in parentheses.

    Returns:
        The imported top-level module (``matplotlib``, ``z3`` or ``anywidget``).

    Raises:
        ImportError: When the module cannot be imported; the message names the extra, and the
            original error is chained as its cause.
        ValueError: If ``extra`` is not one of :data:`EXTRAS`.

    Examples:
        >>> require("figures", "SVG and PNG figures").__name__
        'matplotlib'
    """
    message = missing_extra_message(extra, feature, alternative)
    module, _ = EXTRAS[extra]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(message, name=module) from exc
