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

from symconv.adapters import CONVENTIONS
from symconv.check import DTYPES, check, default_length
from symconv.cli import add_layer_options, layer_from_args


def add_check_command(sub: Any) -> None:
    """Add the ``check`` subcommand to the subparsers ``sub`` of ``symconv``'s parser."""
    parser = sub.add_parser(
        "check",
        help="check a NumPy/PyTorch implementation against the exact layer and diagnose it",
        description=(
            "Call PATH:FUNCTION on integer, then float probes and compare with the layer computed "
            "exactly from its taps. On a mismatch, say which known variant the code computes "
            "(kernel flipped, padding shifted, stride ignored, ...). Exit status 1 on a mismatch."
        ),
    )
    parser.add_argument("target", metavar="PATH:FUNCTION", help="a Python file and a callable in it, e.g. mine.py:conv")
    add_layer_options(parser)
    opts = parser.add_argument_group("check")
    opts.add_argument("--convention", choices=CONVENTIONS, default="auto", help="how FUNCTION is called")
    opts.add_argument("--batch", type=int, default=2, help="samples per probe (default 2)")
    opts.add_argument("--seed", type=int, default=0, help="seed of the random probes (default 0)")
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
    spec.loader.exec_module(module)
    obj: Any = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"'target': {path_text!r} has no attribute {name!r}.")
        obj = getattr(obj, part)
    return obj


def run_check_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``symconv check`` on parsed ``args``; print the report; 0 if it passed, 1 if not."""
    try:
        fn = load_target(args.target)
        if args.input_length is None:
            size = args.kernel_size or (len(args.w) if args.w else 3)
            args.input_length = default_length(
                SimpleNamespace(kernel_size=size, stride=args.stride, dilation=args.dilation)
            )
        layer, e = layer_from_args(args)
        result = check(
            fn, layer, e.input_length, batch=args.batch, seed=args.seed, dtype=args.dtype, convention=args.convention
        )
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    print(result.report())
    return 0 if result.passed else 1
