"""``symconv check path/to/module.py:function [layer options]``: the command line of :mod:`symconv.check`.

Prints the report and exits 0 when the code matches the layer, 1 on a mismatch (2 on bad
usage, as argparse does).
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from symconv.checker.adapters import CONVENTIONS
from symconv.checker.check import DTYPES, check, default_length, default_size
from symconv.cli.options import add_layer_options, layer_from_args, positive, spatial_axes


def _seed(text: str) -> int:
    """A seed for NumPy's generator: an int from 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int from 0 to 2**32-1 (got {text!r})") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be an int from 0 to 2**32-1 (got {value})")
    return value


def add_check_command(sub: Any) -> None:
    """Add the ``check`` subcommand to the subparsers ``sub`` of ``symconv``'s parser."""
    parser = sub.add_parser(
        "check",
        allow_abbrev=False,  # '--b 1' would silently mean '--batch 1'; explain's '--b' is the bias
        help="check a NumPy/PyTorch implementation against the exact layer and diagnose it",
        description=(
            "Call PATH:FUNCTION on integer, then float probes and compare with the layer computed "
            "exactly from its taps. On a mismatch, say which known variant the code computes "
            "(kernel flipped, padding shifted, stride ignored, ...). Exit status 1 on a mismatch."
        ),
    )
    parser.add_argument("target", metavar="PATH:FUNCTION", help="a Python file and a callable in it, e.g. mine.py:conv")
    add_layer_options(parser, numbers=False)
    opts = parser.add_argument_group("check")
    opts.add_argument("--convention", choices=CONVENTIONS, default="auto", help="how FUNCTION is called")
    opts.add_argument("--batch", type=positive, default=2, help="samples per probe (default 2)")
    opts.add_argument("--seed", type=_seed, default=0, help="seed of the random probes, 0 to 2**32-1 (default 0)")
    opts.add_argument("--dtype", choices=DTYPES, default="float64", help="dtype of the probes")


def load_target(target: str) -> Any:
    """The object named by ``'path/to/module.py:name'`` (``name`` may be dotted).

    Raises:
        ValueError: Naming ``target`` and what is wrong with it.
    """
    path_text, sep, name = target.rpartition(":")
    if not sep or not path_text or not name:
        raise ValueError(f"'target' must look like path/to/module.py:function (got {target!r}).")
    path = Path(path_text)
    if not path.is_file():
        raise ValueError(f"'target' names a file that does not exist: {path_text!r}.")
    spec = importlib.util.spec_from_file_location(f"symconv_check_target_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"'target' must name a Python file (got {path_text!r}).")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # the user's module: any error (even SystemExit) is a usage error
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise ValueError(f"'target': importing {path_text!r} failed: {_one_line(exc)}") from None
    obj: Any = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"'target': {path_text!r} has no attribute {name!r}.")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"'target': {name!r} in {path_text!r} is not callable (got {type(obj).__name__}).")
    return obj


def _one_line(exc: BaseException) -> str:
    """``SyntaxError: invalid syntax (mine.py, line 3)``: the exception's type and message on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_check_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``symconv check`` on parsed ``args``; print the report; 0 if it passed, 1 if not."""
    try:
        if args.torch is not None and args.input_length is None and args.input_shape is None:
            from symconv.frameworks.expressions import parse_layer

            size = default_size(parse_layer(args.torch))
            args.input_length, args.input_shape = (size, None) if isinstance(size, int) else (None, size)
        if args.input_length is None and args.input_shape is None:
            ndim = spatial_axes(args)
            per_axis = [
                (args.kernel_size or (3,)) * (ndim if len(args.kernel_size or (3,)) == 1 else 1),
                args.stride * (ndim if len(args.stride) == 1 else 1),
                args.dilation * (ndim if len(args.dilation) == 1 else 1),
            ]
            shape = tuple(
                default_length(SimpleNamespace(kernel_size=k, stride=s, dilation=d)) for k, s, d in zip(*per_axis)
            )
            if ndim == 1:
                args.input_length = shape[0]
            else:
                args.input_shape = shape
        layer, e = layer_from_args(args)
        fn = load_target(args.target)
        size = e.input_length if e.ndim == 1 else e.input_shape
        result = check(fn, layer, size, batch=args.batch, seed=args.seed, dtype=args.dtype, convention=args.convention)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    except SystemExit as exc:  # raised by the checked code itself (argparse's own exits happen before)
        parser.error(f"'target': {args.target} called sys.exit({exc.code!r}) while being checked.")
    print(result.report())
    return 0 if result.passed else 1
