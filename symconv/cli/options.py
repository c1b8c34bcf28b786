"""The options that describe a layer on the command line, shared by every ``symconv`` command."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy

from symconv.geometry.padding import PADDING_MODES, PADDING_NAMES
from symconv.layers.conv import Conv1d
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
    parser = argparse.ArgumentParser()
    add_layer_options(parser)  # the options of `symconv explain`, at their defaults
    defaults = parser.parse_args([])
    keys = list(vars(defaults))
    return all(getattr(args, k) == getattr(defaults, k) for k in keys)
