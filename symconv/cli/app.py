"""The ``symconv`` command line: ``symconv explain`` (more commands take the same layer options)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import sympy

from symconv._version import __version__
from symconv.cli.check import add_check_command, run_check_command
from symconv.cli.latex import add_latex_commands, run_diagram_command, run_latex_command
from symconv.cli.options import add_layer_options, layer_from_args
from symconv.layers.modes import convolve
from symconv.views import elision
from symconv.views.expansion import Expansion


def _matrix_block(e: Expansion, max_columns: int) -> str:
    rows, cols = e.matrix_shape
    if cols > max_columns or rows > max_columns:
        return f"({rows} x {cols}: too large to print here; see `symconv latex`, or Expansion.matrix_row(r))"
    return sympy.pretty(e.matrix, use_unicode=True)


def explain_text(e: Expansion, x: Sequence[Any] | None, w: Sequence[Any] | None, b: Sequence[Any] | None) -> str:
    """The report printed by ``symconv explain``."""
    spec, (left, right) = e.spec, e.padding
    out: list[str] = []
    out.append(f"Layer: {spec.describe()}")
    out.append(
        f"Input length L = {e.input_length}, padding (left, right) = ({left}, {right}), output length "
        f"L_out = floor((L + {left} + {right} - {spec.dilation}*({spec.kernel_size}-1) - 1)/{spec.stride}) + 1 "
        f"= {e.output_length}"
    )
    out.append("\nOne equation per output (z is a vector: one entry per output position and channel):")
    out += elision.equation_lines(e)
    out.append("\nThe same layer as a weight-tied matrix, vec(z) = W vec(x) + b:")
    out.append(_matrix_block(e, 24))
    out.append("\nWhich weight touches which input (each weight's tying group, as (output, input) pairs):")
    out += elision.tying_lines(e)
    counts = e.taps.counts()
    out.append(
        f"\nCounts: {counts.taps} taps, {counts.parameters} parameters, {counts.nonzeros} non-zero matrix "
        f"entries; a dense layer of the same shape has {counts.dense_parameters} parameters."
    )
    out.append("\nThe nonlinearity is then applied elementwise, h = f(z):")
    out += elision.activation_lines(e, "sigma")
    if x is not None and w is not None:
        out += _numbers_block(e, x, w, b)
    return "\n".join(out)


def _numbers_block(e: Expansion, x: Sequence[Any], w: Sequence[Any], b: Sequence[Any] | None) -> list[str]:
    spec = e.spec
    xa = np.array(x, dtype=object).reshape(spec.in_channels, e.input_length)
    wa = np.array(w, dtype=object).reshape(spec.weight_shape)
    ba = None if b is None else np.array(b, dtype=object)
    out_all = e.evaluate(xa, wa, ba)
    xs, ws, z = (xa[0], wa.ravel(), out_all[0]) if e.single_channel else (xa, wa, out_all)
    out = [f"\nWith numbers x = {_fmt(xs)}, w = {_fmt(ws)}" + ("" if b is None else f", b = {_fmt(ba)}") + ":"]
    what = "true convolution" if spec.flip else "cross-correlation (what PyTorch's Conv1d computes)"
    out.append(f"  the layer, {what}: z = {_fmt(z)}")
    if e.single_channel and spec.stride == 1 and spec.dilation == 1:
        other = replace(spec, bias=False, flip=not spec.flip)  # the same padding and padding mode
        z2 = other.expand(e.input_length).evaluate(xa[0], wa.ravel())
        what2 = "true convolution, kernel flipped" if other.flip else "cross-correlation, no flip"
        out.append(f"  the same padding as {what2}: {_fmt(z2)}")
        full = convolve(spec.kernel_size, "full").expand(e.input_length).evaluate(xa[0], wa.ravel())
        out.append(f"  the full convolution (np.convolve(x, w), no cropping): {_fmt(full)}")
    return out


def _fmt(a: Any) -> str:
    return str(np.asarray(a).tolist()).replace("'", "")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symconv",
        description=(
            "Make a 1D convolution layer explicit: one equation per output, the weight-tied matrix, "
            "which weight touches which input. With no options, `symconv explain` answers the question "
            "symconv started from: x = [1, 2, 3, 4], w = [5, 6, 7]."
        ),
    )
    parser.add_argument("--version", action="version", version=f"symconv {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    explain = sub.add_parser(
        "explain",
        help="print the equations, the matrix and the connectivity of a layer",
        description="Print the equations, the matrix and the connectivity of a Conv1d layer.",
    )
    add_layer_options(explain)
    add_check_command(sub)
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
    if args.command == "check":
        return run_check_command(args, parser)
    if args.command in ("latex", "diagram"):
        return (run_latex_command if args.command == "latex" else run_diagram_command)(args, parser)
    try:
        _, e = layer_from_args(args)
        text = explain_text(e, args.x, args.w, args.b)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    print(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
