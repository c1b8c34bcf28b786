"""symconv: convolution layers made completely explicit, with SymPy.

The pipeline reads in one screen: a layer (:class:`Conv1d`, :class:`Conv2d`, ..., or a NumPy/SciPy
mode from :func:`convolve`/:func:`correlate`) is paired with an input size by ``layer.expand(L)``
(``expand((H, W))`` for 2D), which computes the taps (integer index triples of the layer's
geometry, kept compact) once; every view is derived from them: symbols, explicit equations, the
weight-tied sparse matrix, connectivity queries and counts, numeric evaluation and gradients. The
layout of the package is described in ``docs/architecture.md``.

The public names are the layers, the verbs and the errors (``__all__``). The record types the
verbs return (``Expansion``, ``Taps``, ``Gradients``, ...) are importable from their modules
(``docs/internals.md``). The checker, the LaTeX emitter and the figures load on first use.

Examples:
    >>> import symconv
    >>> e = symconv.Conv1d(1, 1, 3, bias=False).expand(4)
    >>> e.z
    Matrix([[w_0*x_0 + w_1*x_1 + w_2*x_2, w_0*x_1 + w_1*x_2 + w_2*x_3]])
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

import symconv.views.expansion  # noqa: F401  (registers the expander every layer's expand() calls)
from symconv._version import __version__ as __version__
from symconv.geometry.arithmetic import conv_input_lengths, conv_output_length, transposed_output_length
from symconv.layers.conv import Conv1d
from symconv.layers.convnd import Conv2d, Conv3d
from symconv.layers.modes import convolve, correlate
from symconv.layers.poolnd import AvgPool2d, AvgPool3d, MaxPool2d, MaxPool3d
from symconv.layers.stages import Activation, AvgPool1d, Flatten, Linear, MaxPool1d
from symconv.layers.transposed import ConvTranspose1d
from symconv.layers.transposednd import ConvTranspose2d, ConvTranspose3d
from symconv.views.expansion import set_explorer

if TYPE_CHECKING:
    from symconv.checker.check import MismatchError, assert_matches, check
    from symconv.checker.gradcheck import check_gradients
    from symconv.figures import connectivity_diagram, matrix_picture
    from symconv.figures.blocks2d import block_matrix_picture
    from symconv.figures.stack import receptive_field_diagram
    from symconv.figures.window import window_diagram
    from symconv.figures.zero_inserted import zero_inserted_diagram
    from symconv.frameworks import from_keras, from_torch, parameters_of
    from symconv.grad.gradients import gradients
    from symconv.latex import derivation
    from symconv.latex.compile import LatexError
    from symconv.latex.steps import VerificationError
    from symconv.proofs import ProofError, prove, theorems
    from symconv.stack.sequential import Sequential

#: Public names loaded on first use, and the module each lives in.
_LAZY = {
    "Sequential": "symconv.stack.sequential",
    "gradients": "symconv.grad.gradients",
    "check": "symconv.checker.check",
    "assert_matches": "symconv.checker.check",
    "MismatchError": "symconv.checker.check",
    "check_gradients": "symconv.checker.gradcheck",
    "derivation": "symconv.latex",
    "VerificationError": "symconv.latex.steps",
    "LatexError": "symconv.latex.compile",
    "connectivity_diagram": "symconv.figures",
    "matrix_picture": "symconv.figures",
    "window_diagram": "symconv.figures.window",
    "zero_inserted_diagram": "symconv.figures.zero_inserted",
    "block_matrix_picture": "symconv.figures.blocks2d",
    "receptive_field_diagram": "symconv.figures.stack",
    "from_torch": "symconv.frameworks",
    "from_keras": "symconv.frameworks",
    "parameters_of": "symconv.frameworks",
    "prove": "symconv.proofs",
    "theorems": "symconv.proofs",
    "ProofError": "symconv.proofs",
}

#: Names that left ``symconv``'s top level: still reachable there for one release, with a warning.
_MOVED = {
    "ACTIVATIONS": "symconv.layers.activations",
    "LOSSES": "symconv.grad.gradients",
    "PADDING_MODES": "symconv.geometry.padding",
    "PADDING_NAMES": "symconv.geometry.padding",
    "Check": "symconv.base.verification",
    "Verification": "symconv.base.verification",
    "CheckResult": "symconv.checker.result",
    "GradientCheckResult": "symconv.checker.gradcheck",
    "ConnectivityDiagram": "symconv.figures",
    "MatrixPicture": "symconv.figures",
    "Counts": "symconv.geometry.taps",
    "KernelMap": "symconv.geometry.kernel",
    "Tap": "symconv.geometry.taps",
    "Taps": "symconv.geometry.taps",
    "TransposedTaps": "symconv.geometry.transposed_taps",
    "Derivation": "symconv.latex.document",
    "Expansion": "symconv.views.expansion",
    "Substitution": "symconv.views.expansion",
    "Gradients": "symconv.grad.gradients",
    "Identity": "symconv.grad.forms",
    "NumpyMode": "symconv.layers.modes",
    "StackExpansion": "symconv.stack.sequential",
    "StackGradients": "symconv.stack.sequential",
}


def _explorer_html(expansion: Any) -> str | None:
    """``Expansion._repr_html_``: the explorer fragment (the explorer loads on first display)."""
    from symconv.explore.notebook import expansion_html

    return expansion_html(expansion)


def _explorer_widget(expansion: Any) -> Any:
    """``Expansion.explore()``: the live widget (needs anywidget: ``pip install symconv[widget]``)."""
    try:
        from symconv.explore.widget import expansion_widget
    except ModuleNotFoundError as exc:
        if exc.name not in ("anywidget", "traitlets", "ipywidgets"):
            raise
        raise ImportError(f"Expansion.explore() needs anywidget: pip install 'symconv[widget]' ({exc}).") from exc
    return expansion_widget(expansion)


set_explorer(html=_explorer_html, widget=_explorer_widget)


def __getattr__(name: str) -> Any:
    """Load a public name on first use; give a moved name with a ``DeprecationWarning`` naming its module."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _MOVED:
        module = _MOVED[name]
        warnings.warn(
            f"symconv.{name} is deprecated: import it from {module} (from {module} import {name}).",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'symconv' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, "__version__", "__doc__", "__file__", "__name__", "__path__"})


__all__ = [
    "Activation",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Flatten",
    "LatexError",
    "Linear",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MismatchError",
    "ProofError",
    "Sequential",
    "VerificationError",
    "assert_matches",
    "block_matrix_picture",
    "check",
    "check_gradients",
    "connectivity_diagram",
    "conv_input_lengths",
    "conv_output_length",
    "convolve",
    "correlate",
    "derivation",
    "from_keras",
    "from_torch",
    "gradients",
    "matrix_picture",
    "parameters_of",
    "prove",
    "receptive_field_diagram",
    "theorems",
    "transposed_output_length",
    "window_diagram",
    "zero_inserted_diagram",
]
