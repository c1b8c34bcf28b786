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

import numpy as np
import sympy

from symconv.padding import fold

_FILENAME = "<symconv reference {}>"


def reference_source(spec: Any) -> str:
    """The source of ``z(...)``, the defining formula of ``spec`` (a :class:`~symconv.Conv1d`).

    Examples:
        >>> from symconv import Conv1d
        >>> print(reference_source(Conv1d(1, 1, 3)))
        def z(xpad, w, b, i, K, s, d):
            return b + sum(w[k] * xpad[s * i + d * k] for k in range(K))
    """
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


def reference_function(spec: Any) -> Callable[..., Any]:
    """The compiled reference function, its source registered for :mod:`inspect` (and latexify)."""
    source = reference_source(spec)
    filename = _FILENAME.format(zlib.crc32(source.encode()))
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["z"]  # type: ignore[no-any-return]


def padded_input(e: Any) -> list[list[Any]]:
    """The padded input ``xpad[c][j]`` as symbols (``0`` on zero pads), per :func:`symconv.padding.fold`."""
    left, right = e.padding
    positions = np.arange(-left, e.input_length + right)
    source = fold(e.spec.padding_mode, positions, e.input_length).tolist()
    return [[sympy.S.Zero if t < 0 else e.x[c, t] for t in source] for c in range(e.spec.in_channels)]


def reference_outputs(e: Any) -> sympy.ImmutableMatrix:
    """Every output computed by the reference function on the symbolic padded input (shape ``(C_out, L_out)``)."""
    spec, fn = e.spec, reference_function(e.spec)
    xpad, (c_out, c_in, size) = padded_input(e), spec.weight_shape
    w = [[list(e.w[o, c, :]) for c in range(c_in)] for o in range(c_out)]
    b = list(e.b) if e.b is not None else None
    bias = () if b is None else (b,)
    rows = []
    for o in range(c_out):
        first = (o // (c_out // spec.groups)) * c_in
        for i in range(e.output_length):
            if e.single_channel:
                args: tuple[Any, ...] = (xpad[0], w[0][0], *[v[0] for v in bias], i)
            else:
                args = (xpad, w, *bias, o, i, first, c_in)
            rows.append(sympy.expand(fn(*args, size, spec.stride, spec.dilation)))
    return sympy.ImmutableMatrix(c_out, e.output_length, rows)


def listing_latex(spec: Any) -> str:
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
    return str(latexify.get_latex(reference_function(spec), use_math_symbols=True))
