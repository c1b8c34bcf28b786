"""The layer's reference Python function, run on symbols and rendered by latexify-py.

The function is the defining formula of the layer written as one ``sum`` over a generator
(latexify-py renders sums and comprehensions; a loop body raises its
``LatexifyNotSupportedError``). Its source is generated for the spec (channels, bias, flip)
and registered with :mod:`linecache` so that latexify can read it. Run on the symbolic
padded input it must give the layer's equations: that is one of the derivation's checks.
latexify-py is imported only when a listing is asked for.
"""

from __future__ import annotations

import linecache
import zlib
from collections.abc import Callable
from typing import Any

import sympy

from symconv.layers.protocol import Kind
from symconv.views.build import padded_input
from symconv.views.expansion import Expansion

_FILENAME = "<symconv reference {}>"


def reference_source(spec: Any) -> str:
    """The source of ``z(...)``, the defining formula of ``spec`` (a :class:`~symconv.Conv1d`).

    Examples:
        >>> from symconv import Conv1d
        >>> print(reference_source(Conv1d(1, 1, 3)))
        def z(xpad, w, b, i, K, s, d):
            return b + sum(w[k] * xpad[s * i + d * k] for k in range(K))
    """
    if is_transposed(spec):
        return _transposed_source(spec)
    k = "K - 1 - k" if spec.flip else "k"
    if spec.in_channels == 1 and spec.out_channels == 1:
        args, bias, term, loops = "xpad, w, {b}i, K, s, d", "b + ", f"w[{k}] * xpad[s * i + d * k]", "for k in range(K)"
    else:
        args, bias = "xpad, w, {b}o, i, g, C, K, s, d", "b[o] + "
        term, loops = f"w[o][c][{k}] * xpad[g + c][s * i + d * k]", "for c in range(C) for k in range(K)"
    args = args.format(b="b, " if spec.bias else "")
    body = f"{bias if spec.bias else ''}sum({term} {loops})"
    if len(body) > 72:
        body = f"{bias if spec.bias else ''}sum(\n        {term}\n        {loops}\n    )"
    return f"def z({args}):\n    return {body}\n"


#: Identifiers a caller's name may not take in the generated code (besides those the code itself uses).
_CODE_NAMES = frozenset({"z", "xpad", "i", "o", "u", "g", "q", "c", "k", "C", "K", "L", "s", "d", "p", "sum", "range"})


def named_source(spec: Any, names: Any = None) -> str:
    """:func:`reference_source` with the input, weight and bias named as the caller named them (``names``,
    as an expansion's ``names``), so that the listing reads in the document's notation; a name that is one of
    the code's own identifiers (or not an identifier) leaves that role's default.

    Examples:
        >>> from symconv import Conv1d
        >>> print(named_source(Conv1d(1, 1, 3), {"x": "u", "w": "q", "b": "beta"}))
        def z(xpad, q, beta, i, K, s, d):
            return beta + sum(q[k] * xpad[s * i + d * k] for k in range(K))
    """
    import re

    source = reference_source(spec)
    taken = set(re.findall(r"[A-Za-z_]\w*", source)) | _CODE_NAMES - {"q", "u"}
    for role in ("w", "b", "x"):
        new = (names or {}).get(role, role)
        if new == role or not new.isidentifier() or new in taken:
            continue
        source = re.sub(rf"\b{role}\b", new, source)
    return source


def is_transposed(spec: Any) -> bool:
    """Whether ``spec`` is a transposed convolution (``ConvTranspose1d``)."""
    return bool(spec.kind is Kind.TRANSPOSED)


def _transposed_source(spec: Any) -> str:
    """``z[o][u]``: every ``x[c][i] * w[c][q][k]`` with ``s*i + d*k - p == u`` (a gather form of the scatter)."""
    bias = ("b + " if spec.in_channels == spec.out_channels == 1 else "b[o] + ") if spec.bias else ""
    if spec.in_channels == 1 and spec.out_channels == 1:
        args, term, loops = "x, w, {b}u, L, K, s, d, p", "x[i] * w[k]", "for i in range(L) for k in range(K)"
    else:
        args, term = "x, w, {b}o, u, g, q, C, L, K, s, d, p", "x[g + c][i] * w[g + c][q][k]"
        loops = "for c in range(C) for i in range(L) for k in range(K)"
    args = args.format(b="b, " if spec.bias else "")
    body = f"{term}\n        {loops}\n        if s * i + d * k - p == u"
    return f"def z({args}):\n    return {bias}sum(\n        {body}\n    )\n"


def reference_function(spec: Any, names: Any = None) -> Callable[..., Any]:
    """The compiled reference function, its source registered for :mod:`inspect` (and latexify); with
    ``names``, its parameters named as :func:`named_source` names them."""
    source = named_source(spec, names)
    filename = _FILENAME.format(zlib.crc32(source.encode()))
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["z"]  # type: ignore[no-any-return]


def reference_outputs(e: Expansion) -> sympy.ImmutableMatrix:
    """Every output computed by the reference function on the symbols (shape ``(C_out, L_out)``).

    For a convolution the function reads the symbolic padded input; for a transposed
    convolution it reads the input itself.
    """
    spec, fn = e.spec, reference_function(e.spec)
    transposed = is_transposed(spec)
    xs = [list(e.x[c, :]) for c in range(spec.in_channels)] if transposed else padded_input(e)
    c_out = spec.out_channels
    c_in, per = spec.in_channels // spec.groups, c_out // spec.groups
    shape = spec.weight_shape
    w = [[list(e.w[a, c, :]) for c in range(shape[1])] for a in range(shape[0])]
    bias = () if e.b is None else (list(e.b),)
    geometry = (
        (e.input_length, spec.kernel_size, spec.stride, spec.dilation, spec.padding)
        if transposed
        else (spec.kernel_size, spec.stride, spec.dilation)
    )
    rows = []
    for o in range(c_out):
        first, q = (o // per) * c_in, o % per
        for i in range(e.output_length):
            if e.single_channel:
                args: tuple[Any, ...] = (xs[0], w[0][0], *[v[0] for v in bias], i)
            elif transposed:
                args = (xs, w, *bias, o, i, first, q, c_in)
            else:
                args = (xs, w, *bias, o, i, first, c_in)
            rows.append(sympy.expand(fn(*args, *geometry)))
    return sympy.ImmutableMatrix(c_out, e.output_length, rows)


def listing_latex(spec: Any, names: Any = None) -> str:
    """latexify-py's rendering of the reference function (one display line).

    Raises:
        ImportError: If latexify-py is not installed (it is installed with symconv on Python < 3.14).
    """
    try:
        import latexify
    except ImportError as exc:
        raise ImportError(
            "the algorithm listing needs latexify-py, which is not installed (it supports Python < 3.14); "
            "install it with `pip install latexify-py`, or leave out the listing with listing=False."
        ) from exc
    return str(latexify.get_latex(reference_function(spec, names), use_math_symbols=True))
