"""The ``symconv`` command line: ``symconv explain`` (more commands take the same layer options)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import sympy

from symconv._version import __version__
from symconv.geometry.padding import PADDING_MODES, PADDING_NAMES
from symconv.layers.conv import Conv1d
from symconv.layers.modes import convolve
from symconv.views import elision
from symconv.views.expansion import Expansion

MOTIVATING_X, MOTIVATING_W = "1,2,3,4", "5,6,7"


def _padding(text: str) -> Any:
    if text in PADDING_NAMES:
        return text
    parts = text.split(",")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        names = ", ".join(PADDING_NAMES)
        raise argparse.ArgumentTypeError(f"expected an int, 'left,right' or one of {names}; got {text!r}") from None
    return values[0] if len(values) == 1 else tuple(values)


MAX_EXPONENT = 1000  # 1e1000 is exact but larger exponents would build huge integers


def _numbers(text: str) -> list[sympy.Rational]:
    """Comma-separated exact numbers: integers, decimals (``1.5``, ``2e-3``) and fractions (``3/2``)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    for part in parts:
        exponent = re.search(r"[eE]\s*([+-]?\d+)\s*$", part)
        if exponent and abs(int(exponent.group(1))) > MAX_EXPONENT:
            raise argparse.ArgumentTypeError(f"exponents must be at most {MAX_EXPONENT} in size; got {part!r}")
    try:
        return [sympy.Rational(p) for p in parts]
    except ZeroDivisionError:
        raise argparse.ArgumentTypeError(f"a fraction has a zero denominator; got {text!r}") from None
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers such as 1,2,3/2; got {text!r}") from None


def positive(text: str) -> int:
    """A positive int option (sizes, channels, stride, dilation, groups)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive int (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive int (got {value})")
    return value


def add_layer_options(parser: argparse.ArgumentParser, *, numbers: bool = True) -> None:
    """The options that describe a layer, named after ``torch.nn.Conv1d``'s parameters.

    Args:
        parser: The (sub)command's parser.
        numbers: Also offer ``--index-base`` and the numbers ``--x``, ``--w``, ``--b`` (commands
            that print the layer use them; ``check`` does not).
    """
    g = parser.add_argument_group("layer (the parameters of torch.nn.Conv1d)")
    g.add_argument("--in-channels", type=positive, default=1, metavar="C", help="input channels (default 1)")
    g.add_argument("--out-channels", type=positive, default=1, metavar="C", help="output channels (default 1)")
    kernel_default = "default 3, or len(--w)" if numbers else "default 3"
    g.add_argument("--kernel-size", type=positive, default=None, metavar="K", help=f"kernel length ({kernel_default})")
    g.add_argument("--stride", type=positive, default=1, metavar="S", help="step between outputs (default 1)")
    g.add_argument(
        "--padding",
        type=_padding,
        default=0,
        metavar="P",
        help=f"an int, 'left,right', or one of: {', '.join(PADDING_NAMES)} (default 0)",
    )
    g.add_argument("--dilation", type=positive, default=1, metavar="D", help="spacing between kernel taps (default 1)")
    g.add_argument("--groups", type=positive, default=1, metavar="G", help="channel groups (default 1)")
    g.add_argument("--padding-mode", choices=PADDING_MODES, default="zeros", help="how the padding is filled")
    g.add_argument("--no-bias", action="store_true", help="leave out the bias b")
    g.add_argument("--flip", action="store_true", help="true convolution (kernel flipped) instead of cross-correlation")
    length_default = "default 4, or len(--x)" if numbers else "default: long enough for every edge case"
    g.add_argument("--input-length", type=positive, default=None, metavar="L", help=f"input length ({length_default})")
    if not numbers:
        return
    g.add_argument("--index-base", type=int, choices=(0, 1), default=0, help="subscripts from 0 (default) or 1")
    n = parser.add_argument_group("numbers (optional, comma-separated, exact: 1,2,3/2)")
    n.add_argument("--x", type=_numbers, metavar="X", help="input, channel after channel")
    n.add_argument("--w", type=_numbers, metavar="W", help="weights in the order of shape (C_out, C_in/groups, K)")
    n.add_argument("--b", type=_numbers, metavar="B", help="one bias per output channel")


def layer_from_args(args: argparse.Namespace) -> tuple[Conv1d, Expansion]:
    """Build the layer and its expansion from parsed options (errors become usage errors).

    Commands without the numbers options (``check``) get ``x = w = b = None`` and index base 0.
    """
    x, w, b = (getattr(args, name, None) for name in ("x", "w", "b"))
    if _is_default(args):
        x, w = args.x, args.w = _numbers(MOTIVATING_X), _numbers(MOTIVATING_W)
    c_in = args.in_channels
    if x and args.input_length is None and len(x) % c_in:
        raise ValueError(f"'--x' must hold a multiple of in_channels = {c_in} numbers (got {len(x)}).")
    if args.no_bias and b is not None:
        raise ValueError("'--b' gives a bias, but '--no-bias' leaves it out: use one or the other.")
    length = args.input_length if args.input_length is not None else (len(x) // c_in if x else 4)
    layer = Conv1d(
        c_in,
        args.out_channels,
        _kernel_size(args, w),
        stride=args.stride,
        padding=args.padding,
        dilation=args.dilation,
        groups=args.groups,
        bias=not args.no_bias,
        padding_mode=args.padding_mode,
        flip=args.flip,
    )
    e = layer.expand(length, index_base=getattr(args, "index_base", 0))
    _check_count("--x", x, c_in * e.input_length, f"in_channels*input_length = {c_in}*{e.input_length}")
    _check_count("--w", w, int(np.prod(layer.weight_shape)), f"one per weight of shape {layer.weight_shape}")
    _check_count("--b", b, args.out_channels, "one per output channel")
    return layer, e


def _kernel_size(args: argparse.Namespace, w: Sequence[Any] | None) -> int:
    """``--kernel-size``, else the length of ``--w`` per (output, input) channel pair, else 3."""
    if args.kernel_size is not None:
        return int(args.kernel_size)
    if not w or args.in_channels % args.groups:
        return 3  # without --w, or with groups that do not divide the channels (the layer says so)
    per = args.out_channels * (args.in_channels // args.groups)
    if len(w) % per:
        raise ValueError(
            f"'--w' must hold a multiple of out_channels*in_channels/groups = {per} numbers to give the kernel "
            f"size (got {len(w)}); or set --kernel-size."
        )
    return len(w) // per


def _check_count(option: str, values: Sequence[Any] | None, expected: int, rule: str) -> None:
    if values is not None and len(values) != expected:
        raise ValueError(f"'{option}' must hold {expected} numbers, {rule} (got {len(values)}).")


def _is_default(args: argparse.Namespace) -> bool:
    """Whether every layer and numbers option is left at its default (then the motivating numbers are used)."""
    if not hasattr(args, "x"):
        return False
    defaults = build_parser().parse_args(["explain"])
    keys = [k for k in vars(defaults) if k != "command"]
    return all(getattr(args, k) == getattr(defaults, k) for k in keys)


def _matrix_block(e: Expansion, max_columns: int) -> str:
    rows, cols = e._matrix_shape
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
    from symconv.cli.check import add_check_command

    add_check_command(sub)
    from symconv.cli.latex import add_latex_commands

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
        from symconv.cli.check import run_check_command

        return run_check_command(args, parser)
    if args.command in ("latex", "diagram"):
        from symconv.cli.latex import run_diagram_command, run_latex_command

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
