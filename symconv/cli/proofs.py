"""``symconv proofs [-o FILE.tex] [--pdf] [--theorem NAME ...]``: write the booklet of proofs for every size.

Every theorem is proven anew (each rule re-applied, each side condition proven again) before the
booklet is written; the time per theorem and the steps z3 proved are printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

DEFAULT_FILE = "symconv-proofs.tex"


def register(sub: Any) -> None:
    """Add the ``proofs`` subcommand to the subparsers ``sub`` of ``symconv``'s parser."""
    parser = sub.add_parser(
        "proofs",
        allow_abbrev=False,
        help="prove the theorems of convolution for every size and write them as a LaTeX booklet",
        description=(
            "Prove output lengths, bounds, the matrix entry formula, the adjoint and the gradients for symbolic "
            "sizes (side conditions by SymPy or z3), then write a LaTeX booklet of the theorems and their proofs. "
            "Needs z3-solver: pip install 'symconv[proofs]'."
        ),
    )
    parser.add_argument(
        "-o", "--output", default=DEFAULT_FILE, metavar="FILE.tex", help=f"the booklet (default {DEFAULT_FILE})"
    )
    parser.add_argument("--pdf", action="store_true", help="also compile it with pdflatex -halt-on-error")
    parser.add_argument("--theorem", nargs="+", metavar="NAME", help="only these theorems (default: all)")
    parser.set_defaults(run=run_proofs_command)


def run_proofs_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Prove, report the times, write (and compile) the booklet; usage errors go to ``parser.error``."""
    try:
        import z3  # noqa: F401
    except ImportError:
        parser.error("symconv proofs needs z3-solver: install the 'proofs' extra (pip install 'symconv[proofs]').")
    from symconv.proofs.booklet import write
    from symconv.proofs.theorems import theorems

    names = args.theorem or list(theorems)
    unknown = [n for n in names if n not in theorems]
    if unknown:
        parser.error(f"argument --theorem: unknown theorem {', '.join(unknown)} (choose from {', '.join(theorems)})")
    if not args.output.endswith(".tex"):
        parser.error(f"argument -o/--output: must end in .tex (got {args.output!r})")
    total = time.perf_counter()
    for name in names:
        seconds, z3_steps = theorems[name].timing()
        print(f"{name}: proven in {seconds:.2f} s; z3: {'; '.join(z3_steps) or 'none'}")
    print(f"all proven in {time.perf_counter() - total:.2f} s")
    try:
        written = write(args.output, names, pdf=args.pdf)
    except (OSError, RuntimeError) as exc:
        print(f"symconv proofs: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {written}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``proofs`` alone (``python -m symconv.cli.proofs``), with the parser ``symconv`` uses."""
    top = argparse.ArgumentParser(prog="symconv")
    sub = top.add_subparsers(dest="command", required=True)
    register(sub)
    args = top.parse_args(["proofs", *(argv if argv is not None else sys.argv[1:])])
    return int(args.run(args, sub.choices["proofs"]))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
