"""The ``symconv`` command line: ``symconv explain`` (more commands take the same layer options)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sympy

from symconv._version import __version__
from symconv.base import order
from symconv.base.symbols import entries
from symconv.cli.check import add_check_command, run_check_command
from symconv.cli.explore import register as add_explore_command
from symconv.cli.latex import add_latex_commands, run_diagram_command, run_latex_command
from symconv.cli.options import add_layer_options, at_least_three, layer_from_args
from symconv.cli.proofs import register as add_proofs_command
from symconv.layers.modes import NumpyMode, convolve
from symconv.layers.protocol import Kind
from symconv.views import elision
from symconv.views.expansion import Expansion


def _matrix_block(e: Expansion, max_columns: int, max_width: int | None = None) -> str:
    """The matrix pretty-printed, or a line saying why not: more than ``max_columns`` rows or columns, or
    wider than ``max_width`` printed."""
    rows, cols = e.matrix_shape
    if cols > max_columns or rows > max_columns:
        return f"({rows} x {cols}: too large to print here; see `symconv latex`, or Expansion.matrix_row(r))"
    text = order.pretty(e.matrix, use_unicode=True, wrap_line=False)
    width = max(map(len, text.splitlines()), default=0)
    if max_width is not None and width > max_width:
        return (
            f"({rows} x {cols}: {width} characters wide, too wide to print here; see `symconv latex`, "
            "or Expansion.matrix_row(r))"
        )
    return text


def _transposed_size(spec: Any, a: int | None, n: int, n_out: int) -> str:
    """A transposed layer's output size on one axis (``a``; None in 1D: the input length is ``L``) with
    PyTorch's formula's numbers."""
    v = "n" if a is not None else "L"

    def value(name: str) -> Any:
        v = getattr(spec, name)
        return v if a is None else v[a]

    k, s, d = value("kernel_size"), value("stride"), value("dilation")
    if spec.padding == "same":
        return f"{v}*s = {n}*{s} = {n_out} (padding 'same': TensorFlow's rule)"
    p, op = value("padding"), value("output_padding")
    return f"({v}-1)*s - 2p + d*(K-1) + output_padding + 1 = ({n}-1)*{s} - 2*{p} + {d}*({k}-1) + {op} + 1 = {n_out}"


def _axes_lines(e: Expansion) -> list[str]:
    """Per axis: its size, padding, and output size with the formula's numbers."""
    spec: Any = e.spec
    names = ("H", "W") if e.ndim == 2 else ("D", "H", "W")
    lines = [f"Input shape {tuple(e.input_shape)}, output shape {tuple(e.output_shape)}; per axis:"]
    for a, ((left, right), n, n_out) in enumerate(zip(e.padding, e.input_shape, e.output_shape)):
        k, s, d = spec.kernel_size[a], spec.stride[a], spec.dilation[a]
        if spec.kind is Kind.TRANSPOSED:
            lines.append(f"  axis {a} ({names[a]}): size {n}, " + _transposed_size(spec, a, n, n_out))
            continue
        lines.append(
            f"  axis {a} ({names[a]}): size {n}, padding ({left}, {right}), "
            f"floor(({n} + {left} + {right} - {d}*({k}-1) - 1)/{s}) + 1 = {n_out}"
        )
    return lines


def blocks_lines(e: Expansion, max_grid: int = 24) -> list[str]:
    """The block structure of an N-D layer's matrix: the grid of distinct blocks and what repeats."""
    blocks = e.blocks()
    distinct = blocks.distinct()  # built once: every distinct block is a SymPy matrix
    (rows, cols), (wo, wi) = blocks.grid, blocks.block_shape
    out = [
        f"\nBlock structure: {rows} x {cols} blocks of {wo} x {wi}, block (a, b) = output row a = (o, "
        + ", ".join(f"i{j}" for j in range(e.ndim - 1))
        + ") against input row b = (c, "
        + ", ".join(f"t{j}" for j in range(e.ndim - 1))
        + f"); {len(blocks)} non-zero, {len(distinct)} distinct (letters name equal blocks, . is zero):"
    ]
    if rows <= max_grid and cols <= max_grid:
        out += ["  " + line for line in blocks.pattern().splitlines()]
    else:
        out.append("  (the grid is too large to print here: Expansion.blocks()[a, b] gives any block)")
    if len(distinct) <= 6 and wi <= 12 and wo <= 12:
        labels = blocks.labels()
        for block in distinct:
            name = next(labels[key] for key in blocks.nonzero() if blocks[key] == block)
            out.append(f"  {name} =")
            out += ["    " + line for line in order.pretty(sympy.Matrix(block), use_unicode=True).splitlines()]
    if blocks.circulant():
        out.append("  The blocks repeat along wrapped diagonals (circular padding, stride 1): block circulant.")
    elif blocks.repeats_along_diagonals():
        out.append("  The blocks repeat along diagonals (zero padding, stride 1): block Toeplitz.")
    else:
        out.append(
            "  The blocks do not repeat along diagonals: a stride above 1 or a folding padding "
            "(reflect, replicate, symmetric) changes them row to row."
        )
    return out


@dataclass(frozen=True)
class Sizes:
    """How much of a large layer ``symconv explain`` prints (``--max-size N`` sets all four to ``N``, and the width).

    ``rows``: equations, weights and activations before the elision line; ``terms``: terms per
    equation; ``pairs``: (output, input) pairs per weight; ``matrix``: the largest matrix printed whole.
    """

    rows: int = elision.MAX_ROWS
    terms: int = elision.MAX_SHOWN_TERMS
    pairs: int = elision.MAX_PAIRS
    matrix: int = 24
    #: with a width, fewer terms and pairs are shown where the lines would be wider, and a wider matrix is not printed
    width: int | None = None

    @classmethod
    def at_most(cls, n: int | None) -> Sizes:
        """The defaults, or ``n`` for every view and the lines fitted to :data:`WIDTH` columns."""
        return cls() if n is None else cls(n, n, n, n, WIDTH)


#: The width ``explain`` fits equations and tying groups to, eliding terms and pairs (never below :data:`FEWEST`).
WIDTH = 120
FEWEST = 3


def _fitted(render: Callable[[int], list[str]], most: int, width: int | None) -> list[str]:
    """``render(n)`` for the largest ``n <= most`` whose lines all fit ``width`` columns (at least
    :data:`FEWEST`): the same number of terms (or pairs) on every line, as many as fit."""
    n = most
    lines = render(n)
    while width is not None and n > FEWEST and max(map(len, lines), default=0) > width:
        n -= 1
        lines = render(n)
    return lines


def explain_text(
    e: Expansion,
    x: Sequence[Any] | None,
    w: Sequence[Any] | None,
    b: Sequence[Any] | None,
    sizes: Sizes | None = None,
) -> str:
    """The report printed by ``symconv explain`` (elided to ``sizes``, by default :class:`Sizes`'s)."""
    sizes = sizes or Sizes()
    if e.ndim > 1:
        return _explain_nd(e, x, w, b, sizes)
    spec: Any = e.spec
    left, right = e.padding
    out: list[str] = []
    if isinstance(e.layer, NumpyMode):
        out.append(f"Computes: {e.layer.describe()} on L = {e.input_length}, i.e. the layer")
    out.append(f"Layer: {spec.describe()}")
    if spec.kind is Kind.TRANSPOSED:
        out.append(
            f"Input length L = {e.input_length}, output length L_out = "
            + _transposed_size(spec, None, e.input_length, e.output_length)
        )
    else:
        out.append(
            f"Input length L = {e.input_length}, padding (left, right) = ({left}, {right}), output length "
            f"L_out = floor((L + {left} + {right} - {spec.dilation}*({spec.kernel_size}-1) - 1)/{spec.stride}) + 1 "
            f"= {e.output_length}"
        )
    out.append("\nOne equation per output (z is a vector: one entry per output position and channel):")
    out += _fitted(lambda terms: elision.equation_lines(e, sizes.rows, terms), sizes.terms, sizes.width)
    out.append("\nThe same layer as a weight-tied matrix, vec(z) = W vec(x) + b:")
    out.append(_matrix_block(e, sizes.matrix, sizes.width))
    out += _connectivity_lines(e, sizes)
    if x is not None and w is not None:
        out += _numbers_block(e, x, w, b)
    return "\n".join(out)


def _connectivity_lines(e: Expansion, sizes: Sizes) -> list[str]:
    """The tying groups, the counts and the activations: what ``explain`` prints alike in 1D and N-D."""
    counts = e.taps.counts()
    return [
        "\nWhich weight touches which input (each weight's tying group, as (output, input) pairs):",
        *_fitted(lambda pairs: elision.tying_lines(e, sizes.rows, pairs), sizes.pairs, sizes.width),
        f"\nCounts: {counts.taps} taps, {counts.parameters} parameters, {counts.nonzeros} non-zero matrix "
        f"entries; a dense layer of the same shape has {counts.dense_parameters} parameters.",
        "\nThe nonlinearity is then applied elementwise, h = f(z):",
        *elision.activation_lines(e, "sigma", sizes.rows),
    ]


def _explain_nd(
    e: Expansion, x: Sequence[Any] | None, w: Sequence[Any] | None, b: Sequence[Any] | None, sizes: Sizes
) -> str:
    """``symconv explain`` for a 2D or 3D layer: the axes, equations, block structure, tying, counts, numbers."""
    out = [f"Layer: {e.spec.describe()}", *_axes_lines(e)]
    out.append("\nOne equation per output (z has shape (C_out, *output_shape); indices (channel, *position)):")
    out += _fitted(lambda terms: elision.equation_lines(e, sizes.rows, terms), sizes.terms, sizes.width)
    rows, cols = e.matrix_shape
    out.append(f"\nThe same layer as a weight-tied {rows} x {cols} matrix, vec(z) = W vec(x) + b (C order):")
    out.append(_matrix_block(e, sizes.matrix, sizes.width))
    out += blocks_lines(e, sizes.matrix)
    out += _connectivity_lines(e, sizes)
    if x is not None and w is not None:
        spec = e.spec
        xa = np.array(x, dtype=object).reshape(spec.in_channels, *e.input_shape)
        wa = np.array(w, dtype=object).reshape(spec.weight_shape)
        ba = None if b is None else np.array(b, dtype=object)
        z = e.evaluate(xa, wa, ba)
        out.append(f"\nWith numbers x = {_fmt(xa)}, w = {_fmt(wa)}" + ("" if b is None else f", b = {_fmt(ba)}") + ":")
        what = _what(spec, "conv")
        out.append(f"  the layer, {what}: z = {_fmt(z)}")
    return "\n".join(out)


def stack_text(s: Any, max_rows: int = 6) -> str:
    """``symconv explain`` of a stack (``--torch "nn.Sequential(...)"``): the shapes, each stage's local
    equations (the first few), and the receptive field of the first output."""
    out = [f"Stack of {len(s.stages)} layers on an input of shape {s.input_shape} (channels, *spatial):"]
    for stage in s.stages:
        out.append(f"  layer {stage.index}: {stage.layer!r}\n    -> output shape {stage.output_shape}")
    for stage in s.stages:
        local = list(zip(entries(stage.outputs), entries(stage.local)))
        out.append(f"\nLayer {stage.index} ({type(stage.layer).__name__}), in its own input symbols:")
        for symbol, expr in local[:max_rows]:
            out.append(f"  {symbol} = {order.sstr(expr)}")
        if len(local) > max_rows:
            out.append(f"  ⋮  ({len(local) - max_rows} more: StackExpansion.stages[{stage.index - 1}].local)")
    last = s.stages[-1].output_shape
    first = (0,) * (len(last) - 1)
    field = s.receptive_field(0, first[0] if len(first) == 1 else first)
    shown = ", ".join(str(p) for p in field[:12]) + (", …" if len(field) > 12 else "")
    position = first[0] if len(first) == 1 else first
    out.append(f"\nOutput (0, {position}) depends on {len(field)} input entries (channel, *position): {shown}")
    return "\n".join(out)


def _numbers_block(e: Expansion, x: Sequence[Any], w: Sequence[Any], b: Sequence[Any] | None) -> list[str]:
    spec = e.spec
    xa = np.array(x, dtype=object).reshape(spec.in_channels, e.input_length)
    wa = np.array(w, dtype=object).reshape(spec.weight_shape)
    ba = None if b is None else np.array(b, dtype=object)
    out_all = e.evaluate(xa, wa, ba)
    xs, ws, z = (xa[0], wa.ravel(), out_all[0]) if e.single_channel else (xa, wa, out_all)
    out = [f"\nWith numbers x = {_fmt(xs)}, w = {_fmt(ws)}" + ("" if b is None else f", b = {_fmt(ba)}") + ":"]
    if isinstance(e.layer, NumpyMode):
        library = "np" if e.layer.convention == "numpy" else "scipy.signal"
        out.append(f"  {library}.{e.layer.operation}(x, w, mode={e.layer.mode!r}) = {_fmt(z)}")
        return out
    out.append(f"  the layer, {_what(spec, 'Conv1d')}: z = {_fmt(z)}")
    if spec.kind is not Kind.TRANSPOSED and e.single_channel and spec.stride == 1 and spec.dilation == 1:
        other = replace(spec, bias=False, flip=not spec.flip)  # the same padding and padding mode
        z2 = other.expand(e.input_length).evaluate(xa[0], wa.ravel())
        what2 = "true convolution, kernel flipped" if other.flip else "cross-correlation, no flip"
        out.append(f"  the same padding as {what2}: {_fmt(z2)}")
        full = convolve(spec.kernel_size, "full").expand(e.input_length).evaluate(xa[0], wa.ravel())
        out.append(f"  the full convolution (np.convolve(x, w), no cropping): {_fmt(full)}")
    return out


def _what(spec: Any, name: str) -> str:
    """What the layer computes, for the numbers line."""
    if spec.kind is Kind.TRANSPOSED:
        return f"transposed convolution (what PyTorch's {type(spec).__name__} computes)"
    return "true convolution" if spec.flip else f"cross-correlation (what PyTorch's {name} computes)"


def _fmt(a: Any) -> str:
    return str(np.asarray(a).tolist()).replace("'", "")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symconv",
        description=(
            "Make a 1D, 2D or 3D convolution layer explicit: one equation per output, the weight-tied matrix, "
            "which weight touches which input. With no options, `symconv explain` answers the question "
            "symconv started from: x = [1, 2, 3, 4], w = [5, 6, 7]."
        ),
    )
    parser.add_argument("--version", action="version", version=f"symconv {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    explain = sub.add_parser(
        "explain",
        help="print the equations, the matrix and the connectivity of a layer",
        description=(
            "Print the equations, the matrix and the connectivity of a Conv1d layer, or of a Conv2d/Conv3d "
            "with --input-shape (and its matrix's block structure); with --transposed of a ConvTranspose1d/2d/3d; "
            "with --mode of np.convolve/np.correlate; with --layers (or --torch) of a stack, layer by layer."
        ),
    )
    add_layer_options(explain)
    explain.add_argument_group("output").add_argument(
        "--max-size",
        type=at_least_three,
        default=None,
        metavar="N",
        help=(
            "elide large layers: print at most N equations, weights and activations, N terms per equation, "
            f"N pairs per weight (fewer where a line would pass {WIDTH} columns), and the matrix only if it is "
            f"at most N x N and {WIDTH} columns wide (default: 16 rows, 12 terms, 8 pairs, 24 x 24)"
        ),
    )
    add_check_command(sub)
    add_explore_command(sub)
    add_proofs_command(sub)
    add_latex_commands(sub)
    return parser


def command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The subcommand's own parser (its usage line heads the command's error messages)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]  # type: ignore[no-any-return]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``symconv``; usage errors exit with status 2 and a one-line message, never a traceback."""
    top = build_parser()
    args = top.parse_args(argv)
    parser = command_parser(top, args.command)
    if args.command in ("explore", "proofs"):
        return int(args.run(args, parser))
    if args.command == "check":
        return run_check_command(args, parser)
    if args.command in ("latex", "diagram"):
        return (run_latex_command if args.command == "latex" else run_diagram_command)(args, parser)
    try:
        layer, e = layer_from_args(args)
        sizes = Sizes.at_most(args.max_size)
        if layer.kind is Kind.STACK:
            text = stack_text(e) if args.max_size is None else stack_text(e, args.max_size)
        else:
            text = explain_text(e, args.x, args.w, args.b, sizes)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    print(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
