"""``symconv explore [layer options] [-o page.html]``: write a layer's explorer page and open it.

The page is one self-contained HTML file (:mod:`symconv.explore`): nothing is fetched. It is
opened in a browser when one is available, unless ``--no-open`` is given.
"""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path
from typing import Any, NoReturn

from symconv.cli.options import add_layer_options, layer_from_args, padding_for, per_axis_value, spatial_axes
from symconv.explore.page import error_page, page_html
from symconv.explore.serve import Server
from symconv.layers.protocol import Kind
from symconv.layers.transposed import ConvTranspose1d
from symconv.layers.transposednd import ConvTranspose2d

DEFAULT_PAGE = "symconv-explore.html"
DEFAULT_LENGTH, DEFAULT_SIDE = 8, 6


def _output_padding(text: str) -> tuple[int, ...]:
    """``--output-padding``: ints >= 0 separated by ``,`` (one per axis, or one for every axis)."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be ints >= 0 separated by ',' (got {text!r})") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"must be ints >= 0 separated by ',' (got {text!r})")
    return values


def add_explore_options(parser: argparse.ArgumentParser) -> None:
    """The options that describe the layer a page shows: the layer options and the transposed ones."""
    add_layer_options(parser, numbers=False)
    opts = parser.add_argument_group("transposed layer")
    opts.add_argument("--transposed", action="store_true", help="the transposed layer (ConvTranspose1d/2d)")
    opts.add_argument(
        "--output-padding",
        type=_output_padding,
        default=None,
        metavar="P",
        help="extra outputs on the right of a transposed layer, per axis (default 0)",
    )


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int from 0 to 65535 (got {text!r})") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be an int from 0 to 65535 (got {value})")
    return value


def register(sub: Any) -> None:
    """Add the ``explore`` subcommand to the subparsers ``sub`` of ``symconv``'s parser."""
    parser = sub.add_parser(
        "explore",
        allow_abbrev=False,
        help="write an interactive HTML page of a 1D or 2D layer (hover to see what feeds what)",
        description=(
            "Write one self-contained HTML page (no network) showing the input with its padding, the kernel, "
            "the output and the weight-tied matrix of a 1D or 2D layer; hovering or focusing a cell highlights "
            "what it feeds or reads, read from the layer's taps. Opens it in a browser when one is available. "
            "With --serve, a local server (127.0.0.1 only) recomputes the page whenever a control changes."
        ),
    )
    add_explore_options(parser)
    opts = parser.add_argument_group("explore")
    opts.add_argument("-o", "--output", default=DEFAULT_PAGE, metavar="PAGE", help=f"the page (default {DEFAULT_PAGE})")
    opts.add_argument("--no-open", action="store_true", help="write the page (or serve it) without opening it")
    opts.add_argument(
        "--serve", action="store_true", help="serve the page on 127.0.0.1 with live controls (no file is written)"
    )
    opts.add_argument("--port", type=_port, default=0, help="the port of --serve (default 0: a free port)")
    parser.set_defaults(run=run_explore_command)


def _transposed_layer(args: argparse.Namespace, ndim: int) -> Any:
    """The ``ConvTranspose1d``/``ConvTranspose2d`` the options describe (PyTorch's parameters only)."""
    for option, given in (("--flip", args.flip), ("--torch", args.torch is not None)):
        if given:
            raise ValueError(f"'--transposed' takes PyTorch's ConvTranspose parameters: leave out {option}.")
    padding = padding_for(args.padding, ndim)
    values = padding if isinstance(padding, tuple) else (padding,)
    if not all(isinstance(p, int) for p in values) or (ndim == 1 and isinstance(padding, tuple)):
        raise ValueError(
            "'--padding' of a transposed layer is one int per axis, as in PyTorch's ConvTranspose "
            f"(got {args.padding!r})."
        )
    kernel: Any = per_axis_value(args.kernel_size or (3,), ndim)
    output_padding = per_axis_value(args.output_padding or (0,), ndim)
    options = {
        "stride": per_axis_value(args.stride, ndim),
        "padding": padding,
        "output_padding": output_padding,
        "dilation": per_axis_value(args.dilation, ndim),
        "groups": args.groups,
        "bias": not args.no_bias,
        "padding_mode": args.padding_mode,
    }
    cls = ConvTranspose1d if ndim == 1 else ConvTranspose2d
    return cls(args.in_channels, args.out_channels, kernel, **options)


def explore_layer(args: argparse.Namespace) -> tuple[Any, int | tuple[int, ...]]:
    """The layer and the input size the options describe.

    Raises:
        ValueError: A 3D layer or a stack (named), options that do not fit together, or a bad value.
    """
    ndim = spatial_axes(args)
    if ndim == 3:
        raise ValueError(
            "'--input-shape': symconv explore draws 1D and 2D layers, not a "
            f"{'ConvTranspose3d' if args.transposed else 'Conv3d'} (3 spatial axes); `symconv explain` shows its taps."
        )
    if args.torch is None and args.input_length is None and args.input_shape is None:
        if ndim == 1:
            args.input_length = DEFAULT_LENGTH
        else:
            args.input_shape = (DEFAULT_SIDE,) * ndim
    if args.transposed:
        layer = _transposed_layer(args, ndim)
        size: Any = args.input_length if ndim == 1 else tuple(args.input_shape)
        if ndim == 1 and size is None:
            size = args.input_shape[0]
        layer.make_taps(size)  # validates the input size
        return layer, size
    if args.output_padding is not None:
        raise ValueError("'--output-padding' belongs to a transposed layer: add --transposed.")
    layer, e = layer_from_args(args)
    if layer.kind is Kind.STACK or not hasattr(layer, "make_taps"):
        raise ValueError(f"'--torch': symconv explore draws one convolution layer (got {type(layer).__name__}).")
    if layer.ndim == 3:
        raise ValueError(f"'--torch': symconv explore draws 1D and 2D layers, not a {type(layer).__name__}.")
    return layer, (e.input_length if layer.ndim == 1 else tuple(e.input_shape))


def open_page(url: str) -> bool:
    """Open ``url`` in the default browser when Python finds one; whether it did."""
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    return bool(browser.open(url))


class _Raising(argparse.ArgumentParser):
    """A parser whose usage errors raise ``ValueError`` (the server answers them on the page)."""

    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


#: The controls of a served page: text fields and checkboxes, named after the options.
CHECKBOXES = ("transposed", "flip", "no-bias")
FIELDS = (
    "in-channels",
    "out-channels",
    "kernel-size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "padding-mode",
    "input-length",
    "input-shape",
    "output-padding",
)


def query_argv(query: dict[str, list[str]]) -> list[str]:
    """The command-line options a served page's controls stand for.

    An empty field is left out, a checked box is its flag; ``input-length`` with a ``,`` is an input
    shape (a 1D page's field asked for a 2D layer); an all-zero ``output-padding`` is the default.

    Raises:
        ValueError: A control the page does not have.
    """
    unknown = sorted(set(query) - set(FIELDS) - set(CHECKBOXES))
    if unknown:
        raise ValueError(f"unknown controls {unknown}: the page's controls are {[*FIELDS, *CHECKBOXES]}.")
    argv: list[str] = []
    for name in FIELDS:
        value = (query.get(name) or [""])[-1].strip()
        if not value or (name == "output-padding" and set(value) <= {"0", ","}):
            continue
        option = "input-shape" if name == "input-length" and "," in value else name
        argv += [f"--{option}", value]
    return argv + [f"--{name}" for name in CHECKBOXES if query.get(name)]


def render_query(query: dict[str, list[str]], first: argparse.Namespace) -> tuple[int, str]:
    """The served page for ``query``: the layer its controls describe, or (400) the controls and the error."""
    if not query:
        layer, size = explore_layer(first)
        return 200, page_html(layer, size, served=True)
    values = {name: (query.get(name) or [""])[-1] for name in FIELDS if name in query}
    values.update({name: "on" if query.get(name) else "off" for name in CHECKBOXES})
    try:
        parser = _Raising(prog="symconv explore")
        add_explore_options(parser)
        args = parser.parse_args(query_argv(query))
        layer, size = explore_layer(args)
        return 200, page_html(layer, size, served=True)
    except (ValueError, TypeError) as exc:
        return 400, error_page(values, str(exc))


def run_explore_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``symconv explore`` on parsed ``args``: write the page, say where and how large, open it; or serve it."""
    try:
        layer, size = explore_layer(args)
        text = page_html(layer, size)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    if args.serve:
        return serve(args, parser)
    path = Path(args.output)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        parser.error(f"'--output': cannot write {str(path)!r}: {exc.strerror or exc}.")
    print(f"Wrote {path} ({len(text.encode('utf-8')) / 1e6:.2f} MB): {layer!r} on input size {size}.")
    if not args.no_open and not open_page(path.resolve().as_uri()):
        print("No browser found: open the file yourself.")
    return 0


def serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``--serve``: answer on 127.0.0.1 until interrupted."""
    try:
        server = Server(lambda query: render_query(query, args), port=args.port)
    except OSError as exc:
        parser.error(f"'--port': cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}.")
    print(f"Serving the explorer on {server.url} (127.0.0.1 only); Ctrl-C stops it.", flush=True)
    if not args.no_open and not open_page(server.url):
        print("No browser found: open the address yourself.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Stopped.")
    return 0
