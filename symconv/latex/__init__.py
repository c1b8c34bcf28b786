"""LaTeX derivations of a layer, every equality checked by SymPy before it is printed.

:func:`derivation` reads like the pipeline: expand the layer, build each requested section
(each step verified as it is built: a false step raises :class:`VerificationError`), and
assemble them into a :class:`Derivation` that prints a complete document or a fragment.

Examples:
    >>> import symconv
    >>> d = symconv.derivation(symconv.Conv1d(1, 1, 3), 4, x=[1, 2, 3, 4], w=[5, 6, 7])
    >>> [s.key for s in d.sections][:5]
    ['setting', 'index', 'equations', 'matrix', 'activation']
    >>> print(d.section("equations").steps[0].math)
    z_{0} &= b + w_{0} x_{0} + w_{1} x_{1} + w_{2} x_{2} \\\\
    z_{1} &= b + w_{0} x_{1} + w_{1} x_{2} + w_{2} x_{3}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

from symconv.base.validate import as_bool, as_int
from symconv.latex.backprop import backprop_section
from symconv.latex.compile import LatexError, compile_pdf
from symconv.latex.context import Context, Options
from symconv.latex.document import SECTION_LEVELS, Derivation
from symconv.latex.forms import index_form, matrix_form, nonlinearity
from symconv.latex.general import general_section
from symconv.latex.listing import is_transposed
from symconv.latex.numbers import Given, given
from symconv.latex.sections import equations, setting
from symconv.latex.stack import stack_derivation
from symconv.latex.steps import Block, Claim, Section, Step, VerificationError
from symconv.latex.theorems import theorem_section
from symconv.layers.modes import NumpyMode
from symconv.layers.protocol import Kind
from symconv.views.expansion import Expansion, as_expansion

Builder = Callable[[Context], Section]

#: The sections in document order: the general index formula comes before the explicit equations it gives.
SECTIONS: dict[str, Builder] = {
    "setting": setting,
    "index": index_form,
    "equations": equations,
    "matrix": matrix_form,
    "activation": nonlinearity,
    "backprop": backprop_section,
    "theorems": theorem_section,
}

#: Layers with more taps are not derived: every step is checked by SymPy over the whole layer
#: (a minute at about a thousand taps), and the document would print a few rows of each view.
MAX_TAPS = 25_000


def derivation(
    layer: Any,
    input_length: int | None = None,
    *,
    sections: Sequence[str | int] | None = None,
    index_base: int = 0,
    names: Mapping[str, str] | None = None,
    max_size: int = 8,
    activation: Any = None,
    x: Sequence[Any] | None = None,
    w: Sequence[Any] | None = None,
    b: Sequence[Any] | None = None,
    listing: bool = True,
    figures: bool = True,
    why: bool = True,
    section_level: str = "section",
    proofs: bool = False,
) -> Derivation:
    """A textbook-style derivation of ``layer`` on ``input_length`` inputs, verified step by step.

    The general index formula comes first, then a window of explicit entries (``max_size``), long sums
    elided with the number of terms left out; every step is checked over the whole layer when it is built.

    Args:
        layer: A :class:`~symconv.Conv1d`, ``ConvTranspose1d``, a NumPy/SciPy mode, a ``Conv2d``/``Conv3d``/
            ``ConvTranspose2d``/``ConvTranspose3d`` (sections of :data:`symconv.latex.nd.ND_SECTIONS`: the size
            per axis, the equations over the output grid, ``vec`` in C order, the block structure, the Kronecker
            form, folded entries, backprop per axis, separability), a :class:`~symconv.Sequential` stack (1D
            to 3D), or an :class:`~symconv.views.expansion.Expansion` (then leave ``input_length`` out).
        input_length: ``L``, or the input shape ``(H, W)`` / ``(D, H, W)`` of a 2D or 3D layer.
        sections: Keys of :data:`SECTIONS` or their numbers (1-based, in document order:
            setting, index, equations, matrix, activation, backprop, theorems); all by default.
        index_base: 0 or 1, for the subscripts.
        names: Symbol names (keys ``'x'``, ``'w'``, ``'b'``, ``'z'``).
        max_size: Matrices and lists longer than this are elided with dots (at least 3).
        activation: The nonlinearity (a name, a SymPy function or None for ``sigma``).
        x, w, b: Optional numbers to work through (flat, in the order of the symbol arrays): ints,
            floats, Fractions, NumPy or SymPy numbers. Floats are computed with exactly as given
            (their stored binary value) and printed by their shortest repr, never as a guessed
            constant (see :mod:`symconv.latex.numbers`).
        listing: Include the reference function rendered by latexify-py.
        figures: Include the TikZ figures.
        why: Print the reason under each step ("Why. ..."); with False the steps are verified all the
            same, and theorems keep their proofs.
        section_level: ``'section'`` or ``'subsection'``: the sectioning command of the document's
            parts (``'subsection'`` to paste a fragment under a section of one's own).
        proofs: Add a last section with the theorems of :data:`symconv.theorems` that prove the
            checked identities for every size (about a second each; needs z3-solver, else the section
            says which extra to install). The checks at this size stay, labelled as checks.

    Raises:
        VerificationError: If a step fails its check (a bug: nothing unverified is printed).
        ValueError: Bad options, naming the parameter, the rule and the value (also a NaN or an
            infinity in ``x``, ``w`` or ``b``).
        TypeError: An entry of ``x``, ``w`` or ``b`` that is not a number (None, a string, ...).
    """
    size = as_int("max_size", max_size, minimum=3)
    why = as_bool("why", why)
    if section_level not in SECTION_LEVELS:
        raise ValueError(f"'section_level' must be one of {SECTION_LEVELS} (got {section_level!r}).")
    if getattr(layer, "kind", None) is Kind.STACK:
        chosen = {"sections": sections, "names": names, "activation": activation, "x": x, "w": w, "b": b}
        for key, value in chosen.items():
            if value is not None:
                raise ValueError(f"'{key}' cannot be chosen for a stack (got {value!r}); it has its own three.")
        if index_base != 0:
            raise ValueError(f"'index_base' must be 0 for a stack (got {index_base!r}).")
        built_stack = stack_derivation(layer, input_length, size)
        built_stack.why, built_stack.section_level = why, section_level
        return built_stack
    if (x is None) != (w is None) or (b is not None and x is None):
        given_names = [name for name, value in (("x", x), ("w", w), ("b", b)) if value is not None]
        raise ValueError(f"'x' and 'w' are both needed to work through numbers (got only {given_names}).")
    flags = as_bool("listing", listing), as_bool("figures", figures)
    options = Options(size, activation, _given("x", x), _given("w", w), _given("b", b), *flags)
    expanded = as_expansion(layer, input_length, index_base=index_base, names=names)
    if expanded.ndim > 1:
        from symconv.latex.nd import nd_derivation

        if as_bool("proofs", proofs):
            raise ValueError(
                "'proofs' is written for layers with one spatial axis (got proofs=True for a 2D/3D layer)."
            )
        e = _derivable(expanded)
        return nd_derivation(e, options, sections, why, section_level)
    e = _derivable(expanded.one_axis("a derivation"))
    ctx = Context(e, options)
    built = [SECTIONS[key](ctx) for key in section_keys(sections, is_transposed(e.spec))]
    if as_bool("proofs", proofs):
        built.append(general_section(ctx))
    title = f"The layer \\texttt{{{_title(e)}}} made explicit"
    return Derivation(title, e, built, size + 1, why=why, section_level=section_level)


def _derivable(e: Expansion) -> Expansion:
    """``e`` if it has at most :data:`MAX_TAPS` taps, else a ``ValueError`` naming the limit and the alternatives."""
    if is_transposed(e.spec) and e.spec.padding == "same":
        raise ValueError(
            f"a derivation of {e.layer!r} is not written for padding='same' (TensorFlow's crop); derive the "
            f"layer with its resolved crop instead: padding {e.padding} (left, right), or view it with "
            "layer.expand(L) (equations, matrix, connectivity)."
        )
    taps = len(e.taps)
    if taps > MAX_TAPS:
        raise ValueError(
            f"a derivation of {e.layer!r} on {_size(e)} would check all of its {taps} taps with SymPy, "
            f"above the limit of {MAX_TAPS} (symconv.latex.MAX_TAPS); derive a shorter input or fewer channels "
            "(the derivation shows a few rows of each view, and their pattern is the same at every length), "
            "or build single equations with layer.expand(L).equations[r]."
        )
    return e


def _size(e: Expansion) -> str:
    """The input size as the caller gave it: ``L=64``, or ``input shape (6, 20)``."""
    return f"L={e.input_length}" if e.ndim == 1 else f"input shape {tuple(e.input_shape)}"


def section_keys(sections: Sequence[str | int] | None, transposed: bool = False) -> list[str]:
    """Validate ``sections`` (keys of :data:`SECTIONS` or their 1-based numbers); return keys in document order.

    The general index form (``'index'``) is written for convolutions; a transposed
    convolution leaves it out (and refuses it when asked for).

    Examples:
        >>> section_keys([7, "matrix", 1])
        ['setting', 'matrix', 'theorems']
    """
    order = list(SECTIONS)
    if sections is None:
        return [key for key in order if not (transposed and key == "index")]
    if isinstance(sections, (str, int)):
        sections = [sections]
    keys = []
    for item in sections:
        number = isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= len(order)
        key = order[item - 1] if number else item  # type: ignore[operator]
        if key not in SECTIONS:
            raise ValueError(f"'sections' entries must be among {order} or 1-{len(order)} (got {item!r}).")
        if transposed and key == "index":
            raise ValueError(
                "'sections' entry 'index' (the general index form) is written for Conv1d, not for a "
                "transposed convolution; its equations and matrix are in 'equations' and 'matrix'."
            )
        keys.append(str(key))
    return [key for key in order if key in keys]


def _length(input_length: int | None) -> int:
    if input_length is None:
        raise ValueError("'input_length' is required when 'layer' is a spec (got None).")
    return as_int("input_length", input_length, minimum=1)


def _given(name: str, values: Sequence[Any] | None) -> Given | None:
    """The numbers given for ``name``, flattened, validated and made exact (:mod:`symconv.latex.numbers`)."""
    if values is None:
        return None
    import numpy as np

    return given(name, np.asarray(values, dtype=object).ravel().tolist())


def _title(e: Expansion) -> str:
    """A short name: ``Conv1d(1, 1, 3, stride=2)`` (non-default parameters only), or the NumPy call."""
    layer: Any = e.layer
    if isinstance(layer, NumpyMode):
        return repr(layer).replace("_", r"\_").replace("'", "")
    defaults = type(layer)(1, 1, 1)
    extra = [
        f"{f.name}={getattr(layer, f.name)!r}"
        for f in fields(layer)[3:]
        if getattr(layer, f.name) != getattr(defaults, f.name)
    ]
    args = ", ".join([str(layer.in_channels), str(layer.out_channels), str(layer.kernel_size), *extra])
    return f"{type(layer).__name__}({args})".replace("_", r"\_").replace("'", "")


__all__ = [
    "MAX_TAPS",
    "SECTIONS",
    "Block",
    "Claim",
    "Derivation",
    "LatexError",
    "Section",
    "Step",
    "VerificationError",
    "compile_pdf",
    "derivation",
]
