"""The ``symconv latex`` and ``symconv diagram`` subcommands (the layer options come from :mod:`symconv.cli.app`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from symconv.layers.activations import ACTIVATIONS
from symconv.layers.protocol import Kind

SECTION_CHOICES = ("setting", "index", "equations", "matrix", "activation", "backprop", "theorems")


def _section(text: str) -> str | int:
    if text.isdigit():
        return int(text)
    return text


def writable(text: str, suffixes: tuple[str, ...]) -> Path:
    """``--output`` as a path, checked before any work: a known suffix, in an existing directory.

    Raises:
        ValueError: Naming ``'--output'``, the rule and the value.

    Examples:
        >>> writable("no/dir/out.tex", (".tex",))
        Traceback (most recent call last):
        ...
        ValueError: '--output' must be in an existing directory: 'no/dir' does not exist (got 'no/dir/out.tex').
    """
    path = Path(text)
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"'--output' must end in {' or '.join(suffixes)} (got {text!r}).")
    if path.name == "" or path.is_dir():
        raise ValueError(f"'--output' must name a file, not a directory (got {text!r}).")
    if not path.parent.is_dir():
        raise ValueError(
            f"'--output' must be in an existing directory: {str(path.parent)!r} does not exist (got {text!r})."
        )
    return path


def add_latex_commands(sub: Any) -> None:
    """Register ``latex`` and ``diagram`` on the subparsers of ``symconv``."""
    from symconv.cli.options import add_layer_options, at_least_three

    latex = sub.add_parser(
        "latex",
        help="write a LaTeX derivation of a layer, every step checked by SymPy",
        description="Write a complete LaTeX document (or a fragment) deriving the layer step by step; "
        "with --pdf also compile it with pdflatex.",
    )
    add_layer_options(latex)
    out = latex.add_argument_group("output")
    out.add_argument("-o", "--output", default="derivation.tex", metavar="FILE", help="the .tex file to write")
    out.add_argument("--pdf", action="store_true", help="also compile it with pdflatex (needs TeX Live)")
    out.add_argument(
        "--sections",
        nargs="+",
        type=_section,
        metavar="NAME",
        help=f"sections to include, by name or number 1-7: {', '.join(SECTION_CHOICES)} (default: all)",
    )
    out.add_argument(
        "--max-size",
        type=at_least_three,
        default=8,
        metavar="N",
        help="elide matrices and lists longer than N, at least 3 (default 8)",
    )
    out.add_argument("--activation", choices=sorted(ACTIVATIONS), default=None, help="the nonlinearity f")
    out.add_argument("--fragment", action="store_true", help="write the sections only, to paste into a document")
    out.add_argument(
        "--section-level",
        choices=("section", "subsection"),
        default="section",
        help="the sectioning command of the parts (subsection: to paste a fragment under a section of yours)",
    )
    out.add_argument(
        "--no-why", action="store_true", help="leave out the 'Why.' line under each step (every step is still verified)"
    )
    out.add_argument(
        "--proofs",
        action="store_true",
        help="add the theorems that prove the checked identities for every size (needs symconv[proofs])",
    )
    out.add_argument("--no-listing", action="store_true", help="leave out the latexify-py listing")
    out.add_argument("--no-figures", action="store_true", help="leave out the TikZ figures")

    diagram = sub.add_parser(
        "diagram",
        help="draw the connectivity diagram, the matrix picture, the sliding window or a stack's receptive field",
        description="Draw which weight touches which input: SVG or PNG (matplotlib) or standalone TikZ (.tex). "
        "Positions are 0-based; a long or many-channel layer is drawn elided, the figure saying what it leaves out.",
    )
    add_layer_options(diagram)
    fig = diagram.add_argument_group("output")
    fig.add_argument("-o", "--output", default="conn.svg", metavar="FILE", help="conn.svg, conn.png or conn.tex")
    fig.add_argument(
        "--kind",
        choices=DIAGRAM_KINDS,
        default="connectivity",
        help="which figure: connectivity (default), matrix (the weight-tied W; of a 2D layer with its blocks), "
        "window (the kernel over the padded input at --outputs), transposed (a transposed layer as a "
        "convolution over its zero-inserted input, with the overlap counts), receptive (a stack's receptive "
        "field through every stage)",
    )
    view = diagram.add_argument_group(
        "isolated views (connectivity, matrix; --from-output also for receptive); indices count from --index-base"
    )
    view.add_argument(
        "--from-input", metavar="C,T", help="highlight the outputs input (c, t) feeds (t alone: one channel)"
    )
    view.add_argument(
        "--from-output", metavar="O,I", help="highlight the inputs output (o, i) reads (receptive: the output drawn)"
    )
    view.add_argument("--weight", metavar="O,C,K", help="highlight every tap of weight w[o, c, k] (or its flat index)")
    view.add_argument(
        "--outputs", metavar="I,J,...", help="--kind window: the outputs drawn, one panel each (2D: i,j;k,l)"
    )


def run_latex_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``symconv latex``: build, verify and write the derivation (and compile it with ``--pdf``)."""
    from symconv.cli.options import layer_from_args
    from symconv.latex import LatexError, derivation

    try:
        output = writable(args.output, (".tex",))
        layer, e = layer_from_args(args)
        if getattr(layer, "kind", None) is Kind.STACK:
            d = _stack_derivation(layer, e, args)
            path = d.write(output, standalone=not args.fragment, pdf=args.pdf)
            print(f"wrote {path} ({d.claims} checks in {len(d.steps)} steps, all verified by SymPy)")
            return 0
        d = derivation(
            e,
            sections=args.sections,
            max_size=args.max_size,
            activation=args.activation,
            x=args.x,
            w=args.w,
            b=args.b,
            listing=not args.no_listing,
            figures=not args.no_figures,
            why=not args.no_why,
            section_level=args.section_level,
            proofs=args.proofs,
        )
        path = d.write(output, standalone=not args.fragment, pdf=args.pdf)
    except OSError as exc:
        parser.error(f"'--output': cannot write {args.output!r}: {exc.strerror or exc}.")
    except (ValueError, TypeError, ImportError, LatexError) as exc:
        parser.error(str(exc))
    print(f"wrote {path} ({d.claims} checks in {len(d.steps)} steps, all verified by SymPy)")
    return 0


def _stack_derivation(layer: Any, e: Any, args: argparse.Namespace) -> Any:
    """``symconv latex --layers ...`` (or ``--torch "nn.Sequential(...)"``): the stack's derivation.

    A stack's derivation has its own sections and symbols: the options that choose them for one
    layer are refused, named.
    """
    from symconv.latex import derivation

    chosen = {
        "--sections": args.sections is not None,
        "--activation": args.activation is not None,
        "--proofs": args.proofs,
    }
    given = [name for name, on in chosen.items() if on]
    if given:
        raise ValueError(
            f"{', '.join(repr(g) for g in given)}: a stack's derivation has its own sections (each layer, the "
            "composition, backprop) and its activations are layers of the stack; leave "
            f"{'it' if len(given) == 1 else 'them'} out with a stack."
        )
    size = e.input_shape[1:]
    length: Any = size[0] if len(size) == 1 else tuple(size)  # 1D: L; 2D/3D: the input shape
    return derivation(layer, length, max_size=args.max_size, why=not args.no_why, section_level=args.section_level)


DIAGRAM_KINDS = ("connectivity", "matrix", "window", "transposed", "receptive")
VIEW_OPTIONS = (("from_input", "--from-input"), ("from_output", "--from-output"), ("weight", "--weight"))


def indices(option: str, text: str | None) -> int | tuple[int, ...] | None:
    """``'0,3'`` as ``(0, 3)`` and ``'5'`` as ``5``: the indices an option names, comma-separated.

    Examples:
        >>> indices("--weight", "1, 0,2"), indices("--from-input", "4")
        ((1, 0, 2), 4)
        >>> indices("--from-input", "a,1")
        Traceback (most recent call last):
        ...
        ValueError: '--from-input' must be comma-separated integers such as 0,3 (got 'a,1').
    """
    if text is None:
        return None
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"'{option}' must be comma-separated integers such as 0,3 (got {text!r}).") from None
    return values[0] if len(values) == 1 else values


def from_base(option: str, value: Any, base: int) -> Any:
    """An index (or a tuple of them) given in the figure's subscripts (``--index-base``) as the 0-based position
    the figure functions take.

    Examples:
        >>> from_base("--from-output", 4, 1), from_base("--weight", (1, 1, 3), 1)
        (3, (0, 0, 2))
        >>> from_base("--from-output", 0, 1)
        Traceback (most recent call last):
        ...
        ValueError: '--from-output' counts from 1, as the figure's subscripts do with --index-base 1 (got 0).
    """
    if not base or value is None:
        return value
    values = value if isinstance(value, tuple) else (value,)
    if any(v < base for v in values):
        raise ValueError(
            f"'{option}' counts from {base}, as the figure's subscripts do with --index-base {base} (got "
            f"{','.join(map(str, values))})."
        )
    moved = tuple(v - base for v in values)
    return moved if isinstance(value, tuple) else moved[0]


def _views(args: argparse.Namespace) -> dict[str, Any]:
    base = getattr(args, "index_base", 0)
    return {
        name: from_base(flag, indices(flag, getattr(args, name)), base)
        for name, flag in VIEW_OPTIONS
        if getattr(args, name) is not None
    }


def _diagram(args: argparse.Namespace, layer: Any, e: Any) -> Any:
    """The figure ``--kind`` names, with the views and outputs the options give (errors name the option)."""
    from symconv.figures import connectivity_diagram, matrix_picture, receptive_field_diagram

    views = _views(args)
    if args.outputs is not None and args.kind != "window":
        raise ValueError(f"'--outputs' chooses the panels of --kind window (got --kind {args.kind}).")
    ndim = getattr(getattr(e, "spec", None), "ndim", 1)
    if args.kind in ("connectivity", "matrix") and ndim == 2 and getattr(layer, "kind", None) is not Kind.STACK:
        if args.kind == "connectivity" or views:
            raise ValueError(
                f"'--kind {args.kind}'{' with an isolated view' if views else ''} draws layers with one spatial "
                "axis; for a 2D layer use --kind matrix (W with its blocks), --kind window (the kernel over the "
                "padded grid) or, for a transposed one, --kind transposed."
            )
        from symconv.figures.blocks2d import block_matrix_picture

        return block_matrix_picture(e)
    if args.kind in ("connectivity", "matrix"):
        draw = connectivity_diagram if args.kind == "connectivity" else matrix_picture
        try:
            return draw(e, **views)
        except (ValueError, TypeError) as exc:
            text = str(exc)
            for name, flag in VIEW_OPTIONS:
                text = text.replace(f"'{name}'", f"'{flag}'")
            raise type(exc)(text) from None
    allowed = {"from_output"} if args.kind == "receptive" else set()
    extra = [flag for name, flag in VIEW_OPTIONS if name in views and name not in allowed]
    if extra:
        raise ValueError(
            f"'{extra[0]}' chooses an isolated view of --kind connectivity or matrix (got --kind {args.kind})."
        )
    if args.kind == "window":
        from symconv.figures.window import window_diagram

        if getattr(layer, "kind", None) is Kind.TRANSPOSED:
            raise ValueError(
                "'--kind window' draws a convolution's window; a transposed layer is drawn as the convolution "
                "over its zero-inserted input: --kind transposed."
            )

        outputs: Any = None
        base = getattr(args, "index_base", 0)
        if args.outputs is not None and e.spec.ndim == 1:  # 1D: i,j,... one output per panel
            outputs = [from_base("--outputs", indices("--outputs", part), base) for part in args.outputs.split(",")]
        elif args.outputs is not None:  # 2D: i,j;k,l
            outputs = [from_base("--outputs", indices("--outputs", part), base) for part in args.outputs.split(";")]
        try:
            return window_diagram(e, outputs=outputs)
        except (ValueError, TypeError) as exc:
            raise type(exc)(str(exc).replace("'outputs'", "'--outputs'")) from None
    if args.kind == "transposed":
        if getattr(layer, "kind", None) is not Kind.TRANSPOSED:
            raise ValueError(
                "'--kind transposed' draws a transposed layer as a convolution over its zero-inserted input: "
                f"add --transposed (got {type(layer).__name__})."
            )
        if ndim == 2:
            from symconv.figures.zero_inserted2d import zero_inserted_grid

            return zero_inserted_grid(layer, e.input_shape)
        from symconv.figures.zero_inserted import zero_inserted_diagram

        return zero_inserted_diagram(e)
    if getattr(layer, "kind", None) is not Kind.STACK:
        raise ValueError(
            f"'--kind receptive' draws a stack: give it with --layers or --torch \"nn.Sequential(...)\" "
            f"(got one {type(layer).__name__})."
        )
    try:
        return receptive_field_diagram(e, output=views.get("from_output"))
    except (ValueError, TypeError) as exc:
        raise type(exc)(str(exc).replace("'output'", "'--from-output'")) from None


def run_diagram_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``symconv diagram``: write the figure ``--kind`` names (see :data:`DIAGRAM_KINDS`)."""
    from symconv.cli.options import layer_from_args
    from symconv.figures import FORMATS

    try:
        output = writable(args.output, FORMATS)
        layer, e = layer_from_args(args)
        figure = _diagram(args, layer, e)
        path = figure.save(output)
    except OSError as exc:
        parser.error(f"'--output': cannot write {args.output!r}: {exc.strerror or exc}.")
    except (ValueError, TypeError, ImportError) as exc:
        parser.error(str(exc))
    print(f"wrote {path}")
    if figure.elided:
        print(figure.elided)
    return 0
