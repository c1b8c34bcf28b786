"""The options that describe a layer on the command line, shared by every ``symconv`` command."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy

from symconv.base.symbols import DEFAULT_NAMES, check_names
from symconv.geometry.padding import PADDING_MODES, PADDING_NAMES
from symconv.layers.conv import Conv1d
from symconv.layers.convnd import Conv2d, Conv3d
from symconv.layers.modes import CONVENTIONS, MODES, convolve, correlate
from symconv.layers.protocol import Kind, TapsLayer
from symconv.layers.transposed import ConvTranspose1d
from symconv.layers.transposednd import ConvTranspose2d, ConvTranspose3d
from symconv.views.expansion import Expansion

MOTIVATING_X, MOTIVATING_W = "1,2,3,4", "5,6,7"


def _padding_entry(text: str) -> Any:
    """One axis's padding: an int, ``l:r`` (a pair) or a name."""
    if text in PADDING_NAMES:
        return text
    try:
        values = [int(p) for p in text.split(":")]
    except ValueError:
        names = ", ".join(PADDING_NAMES)
        raise ValueError(f"expected an int, 'left,right' (1D), 'left:right' or one of {names}; got {text!r}") from None
    if len(values) > 2:
        raise ValueError(f"a pair is 'left:right', two ints; got {text!r}")
    return values[0] if len(values) == 1 else tuple(values)


def _padding(text: str) -> str:
    """``--padding`` is read once the number of axes is known (:func:`padding_for`): checked here for its form."""
    try:
        for part in text.split(","):
            _padding_entry(part)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def padding_for(text: Any, ndim: int) -> Any:
    """``--padding`` for a layer with ``ndim`` spatial axes.

    ``,`` separates axes and ``l:r`` is a pair (``1,0`` or ``0:1,1:1`` in 2D); one value is
    broadcast to every axis. In 1D, ``l,r`` keeps its meaning, a ``(left, right)`` pair.

    Examples:
        >>> padding_for("1", 2), padding_for("1,0", 2), padding_for("0:1,same", 2), padding_for("0,2", 1)
        (1, (1, 0), ((0, 1), 'same'), (0, 2))
    """
    if not isinstance(text, str):
        return text  # a value given in Python (the default 0)
    parts = [_padding_entry(part) for part in text.split(",")]
    if ndim == 1:
        if len(parts) == 2 and all(isinstance(p, int) for p in parts):
            return tuple(parts)
        if len(parts) != 1:
            raise ValueError(
                f"'--padding' of a 1D layer is an int, 'left,right', 'left:right' or a name (got {text!r})."
            )
        return parts[0]
    if len(parts) == 1:
        return parts[0]
    if len(parts) != ndim:
        raise ValueError(
            f"'--padding' must give one value for every axis or one per axis ({ndim} here, separated by ','; "
            f"'l:r' is a pair), got {len(parts)} in {text!r}."
        )
    return tuple(parts)


def sizes(text: str) -> tuple[int, ...]:
    """Positive ints separated by ``,``: one per axis, or one for every axis."""
    parts = text.split(",")
    if len(parts) == 1:
        return (positive(text),)
    values = []
    for a, part in enumerate(parts):
        try:
            values.append(positive(part))
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(f"axis {a} {exc} in {text!r}") from None
    return tuple(values)


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


def non_negative_sizes(text: str) -> tuple[int, ...]:
    """Ints >= 0 separated by ``,`` (``--output-padding``): one per axis, or one for every axis."""
    values = []
    for part in text.split(","):
        try:
            value = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be ints >= 0, one per axis (got {text!r})") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"must be ints >= 0, one per axis (got {value} in {text!r})")
        values.append(value)
    return tuple(values)


def names_option(text: str) -> dict[str, str]:
    """``--names x=u,w=k``: the symbol name of each role (``x``, ``w``, ``b``, ``z``), checked as
    :func:`~symconv.base.symbols.check_names` checks them.

    Examples:
        >>> names_option("x=u,w=k")
        {'x': 'u', 'w': 'k'}
    """
    names = {}
    for part in text.split(","):
        role, sep, name = (p.strip() for p in part.partition("="))
        if not sep or not role or not name:
            raise argparse.ArgumentTypeError(f"expected role=name pairs separated by ',', e.g. x=u,w=k (got {text!r})")
        if role in names:
            raise argparse.ArgumentTypeError(f"role {role!r} is named twice in {text!r}")
        names[role] = name
    try:
        check_names(names)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("'names'", "the names")) from None
    return names


def at_least_three(text: str) -> int:
    """``--max-size``: an int >= 3 (a window shows a first row, a gap and a last row)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int >= 3 (got {text!r})") from None
    if value < 3:
        raise argparse.ArgumentTypeError(f"must be an int >= 3: a first row, the gap and the last (got {value})")
    return value


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
    g = parser.add_argument_group(
        "layer (the parameters of torch.nn.Conv1d/Conv2d/Conv3d; per-axis values separated by ',')"
    )
    g.add_argument(
        "--torch",
        default=None,
        metavar="EXPR",
        help=(
            'the layer as a PyTorch constructor call, e.g. "nn.Conv2d(3, 8, 3, stride=2, padding=1)" or '
            '"nn.Sequential(...)" (read with ast, never evaluated); replaces the options below'
        ),
    )
    g.add_argument("--in-channels", type=positive, default=1, metavar="C", help="input channels (default 1)")
    g.add_argument("--out-channels", type=positive, default=1, metavar="C", help="output channels (default 1)")
    kernel_default = "default 3, or len(--w)" if numbers else "default 3"
    g.add_argument(
        "--kernel-size", type=sizes, default=None, metavar="K", help=f"kernel size, e.g. 3 or 3,3 ({kernel_default})"
    )
    g.add_argument("--stride", type=sizes, default=(1,), metavar="S", help="step between outputs (default 1)")
    g.add_argument(
        "--padding",
        type=_padding,
        default=0,
        metavar="P",
        help=(
            f"per axis an int, 'left:right', or one of: {', '.join(PADDING_NAMES)}; axes separated by ',' "
            "(2D: 1,0 or 0:1,1:1); in 1D 'left,right' is a pair (default 0)"
        ),
    )
    g.add_argument("--dilation", type=sizes, default=(1,), metavar="D", help="spacing between kernel taps (default 1)")
    g.add_argument("--groups", type=positive, default=1, metavar="G", help="channel groups (default 1)")
    g.add_argument("--padding-mode", choices=PADDING_MODES, default="zeros", help="how the padding is filled")
    g.add_argument("--no-bias", action="store_true", help="leave out the bias b")
    g.add_argument("--flip", action="store_true", help="true convolution (kernel flipped) instead of cross-correlation")
    length_default = "default 4, or len(--x)" if numbers else "default: long enough for every edge case"
    g.add_argument("--input-length", type=positive, default=None, metavar="L", help=f"input length ({length_default})")
    g.add_argument(
        "--input-shape",
        type=sizes,
        default=None,
        metavar="H,W",
        help="spatial input sizes of a 2D or 3D layer, e.g. 5,5 (their number is the layer's number of axes)",
    )
    if not numbers:
        return
    g.add_argument(
        "--transposed",
        action="store_true",
        help=(
            "the transposed convolution with these parameters (torch.nn.ConvTranspose1d/2d/3d): weight shape "
            "(C_in, C_out/groups, *K), --padding an int per axis cropped from both ends, or 'same' (TensorFlow's)"
        ),
    )
    g.add_argument(
        "--output-padding",
        type=non_negative_sizes,
        default=None,
        metavar="OP",
        help="with --transposed: extra outputs at the end of each axis, below --stride or --dilation (default 0)",
    )
    g.add_argument(
        "--layers",
        default=None,
        metavar="LAYERS",
        help=(
            'a stack: PyTorch constructor calls separated by commas, e.g. "Conv1d(1, 2, 3, padding=1), ReLU(), '
            'MaxPool1d(2)" (nn. optional; read with ast, never evaluated); needs --input-length or --input-shape'
        ),
    )
    g.add_argument("--index-base", type=int, choices=(0, 1), default=0, help="subscripts from 0 (default) or 1")
    g.add_argument(
        "--names",
        type=names_option,
        default=None,
        metavar="ROLE=NAME",
        help=f"symbol names, e.g. x=u,w=k (the roles: {', '.join(DEFAULT_NAMES)})",
    )
    m = parser.add_argument_group(
        "NumPy/SciPy modes (1D, one channel, no bias): np.convolve(x, w, mode) and the like instead of a PyTorch layer"
    )
    m.add_argument(
        "--mode",
        choices=MODES,
        default=None,
        help="the mode of np.convolve/np.correlate; the kernel size is --kernel-size or len(--w)",
    )
    m.add_argument(
        "--operation",
        choices=("convolve", "correlate"),
        default=None,
        help="with --mode: convolve (the kernel flipped; the default) or correlate",
    )
    m.add_argument(
        "--convention",
        choices=CONVENTIONS,
        default=None,
        help="with --mode: numpy (np.convolve; the default) or scipy (scipy.signal.convolve: 'same' keeps len(x))",
    )
    n = parser.add_argument_group("numbers (optional, comma-separated, exact: 1,2,3/2; a negative first: --x=-1,2)")
    n.add_argument("--x", type=_numbers, metavar="X", help="input, channel after channel, in C order")
    n.add_argument(
        "--w",
        type=_numbers,
        metavar="W",
        help="weights in the C order of shape (C_out, C_in/groups, *K); with --transposed (C_in, C_out/groups, *K)",
    )
    n.add_argument("--b", type=_numbers, metavar="B", help="one bias per output channel")


def spatial_axes(args: argparse.Namespace) -> int:
    """The layer's number of spatial axes: ``--input-shape``'s length, else the longest per-axis option, else 1.

    Raises:
        ValueError: Options that disagree on the number of axes, or more than 3 axes.
    """
    counts = {
        name: len(value)
        for name in ("kernel_size", "stride", "dilation", "output_padding")
        if isinstance(value := getattr(args, name, None), tuple) and len(value) > 1
    }
    shape = getattr(args, "input_shape", None)
    if shape is not None and getattr(args, "input_length", None) is not None:
        raise ValueError("'--input-length' and '--input-shape' both give the input size: use one.")
    ndim = len(shape) if shape is not None else max(counts.values(), default=1)
    for name, count in counts.items():
        if count != ndim:
            raise ValueError(
                f"'--{name.replace('_', '-')}' gives {count} values but the layer has {ndim} spatial axes "
                f"(from {'--input-shape' if shape is not None else 'the other options'}): give one value or {ndim}."
            )
    if ndim > 3:
        raise ValueError(f"'--input-shape' must have 1, 2 or 3 sizes (got {ndim}: {shape}).")
    return ndim


def per_axis_value(value: tuple[int, ...], ndim: int) -> int | tuple[int, ...]:
    """An option's per-axis tuple as a layer takes it: an int when it is one value."""
    return value[0] if len(value) == 1 else value


def layer_from_args(args: argparse.Namespace) -> tuple[Any, Expansion]:
    """Build the layer and its expansion from parsed options (errors become usage errors).

    A layer with one spatial axis is a ``Conv1d``; ``--input-shape`` (or per-axis values) with 2
    or 3 axes gives a ``Conv2d`` or ``Conv3d``. Commands without the numbers options (``check``)
    get ``x = w = b = None`` and index base 0.
    """
    x, w, b = (getattr(args, name, None) for name in ("x", "w", "b"))
    if getattr(args, "torch", None) is not None:
        return _from_expression(args, x, w, b)
    if getattr(args, "layers", None) is not None:
        return _from_layers(args)
    if getattr(args, "mode", None) is not None:
        return _from_mode(args, x, w, b)
    for name in ("operation", "convention") if hasattr(args, "mode") else ():
        if getattr(args, name, None) is not None:
            raise ValueError(
                f"'--{name}' chooses the NumPy/SciPy function of '--mode': add --mode full, same or valid "
                f"(got --{name} {getattr(args, name)} without it)."
            )
    transposed = bool(getattr(args, "transposed", False))
    if getattr(args, "output_padding", None) is not None and not transposed:
        raise ValueError(
            "'--output-padding' adds outputs to a transposed convolution: add --transposed "
            f"(got --output-padding {_show(args.output_padding)} without it)."
        )
    if _is_default(args):
        x, w = args.x, args.w = _numbers(MOTIVATING_X), _numbers(MOTIVATING_W)
    ndim = spatial_axes(args)
    c_in = args.in_channels
    if args.no_bias and b is not None:
        raise ValueError("'--b' gives a bias, but '--no-bias' leaves it out: use one or the other.")
    options = {
        "stride": per_axis_value(args.stride, ndim),
        "padding": padding_for(args.padding, ndim),
        "dilation": per_axis_value(args.dilation, ndim),
        "groups": args.groups,
        "bias": not args.no_bias,
        "padding_mode": args.padding_mode,
        "flip": args.flip,
    }
    if transposed:
        options = _transposed_options(args, options, ndim)
    size: int | tuple[int, ...]
    if ndim == 1:
        if x and args.input_length is None and getattr(args, "input_shape", None) is None and len(x) % c_in:
            raise ValueError(f"'--x' must hold a multiple of in_channels = {c_in} numbers (got {len(x)}).")
        shape = getattr(args, "input_shape", None)
        if args.input_length is not None:
            size = int(args.input_length)
        elif shape:
            size = int(shape[0])
        else:
            size = len(x) // c_in if x else 4
        layer: Any = (ConvTranspose1d if transposed else Conv1d)(
            c_in, args.out_channels, _kernel_size(args, w), **options
        )
    else:
        kernel: Any = per_axis_value(args.kernel_size, ndim) if args.kernel_size is not None else 3
        classes = (ConvTranspose2d, ConvTranspose3d) if transposed else (Conv2d, Conv3d)
        layer = classes[ndim - 2](c_in, args.out_channels, kernel, **options)
        size = args.input_shape if args.input_shape is not None else (4,) * ndim
    e = layer.expand(size, index_base=getattr(args, "index_base", 0), names=getattr(args, "names", None))
    where = "input_length" if ndim == 1 else "prod(input_shape)"
    _check_count("--x", x, c_in * e.input_length, f"in_channels*{where} = {c_in}*{e.input_length}")
    _check_count("--w", w, int(np.prod(layer.weight_shape)), f"one per weight of shape {layer.weight_shape}")
    _check_count("--b", b, args.out_channels, "one per output channel")
    return layer, e


LAYER_OPTIONS = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups")
#: The options that describe one layer, each of which '--torch' and '--layers' replace.
SINGLE_LAYER_OPTIONS = (
    *LAYER_OPTIONS,
    "padding_mode",
    "no_bias",
    "flip",
    "transposed",
    "output_padding",
    "mode",
    "operation",
    "convention",
)

#: The layer options only the commands that print a layer have (``add_layer_options(numbers=True)``).
NUMBERS_ONLY = ("transposed", "output_padding", "mode", "operation", "convention")


def _show(value: Any) -> str:
    """An option's value as it is typed: ``(2, 1)`` as ``2,1``."""
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _defaults() -> argparse.Namespace:
    """Every layer and numbers option at its default (what ``symconv explain`` parses from no options)."""
    parser = argparse.ArgumentParser()
    add_layer_options(parser)
    return parser.parse_args([])


def _changed(args: argparse.Namespace, names: Sequence[str]) -> list[str]:
    """The options among ``names`` given a value other than their default, as ``--name``."""
    base = _defaults()
    if not hasattr(args, "mode"):  # `symconv check`: its layer options are the basic ones (its --convention is its own)
        names = [name for name in names if name not in NUMBERS_ONLY]
    return ["--" + name.replace("_", "-") for name in names if getattr(args, name, None) != getattr(base, name)]


def _transposed_options(args: argparse.Namespace, options: dict[str, Any], ndim: int) -> dict[str, Any]:
    """The options of a ``ConvTranspose1d/2d/3d`` from the parsed ones, refusing what PyTorch refuses (named)."""
    if args.padding_mode != "zeros":
        raise ValueError(
            "'--padding-mode' must be zeros with --transposed: a transposed convolution crops its output, "
            'and PyTorch supports only "zeros" padding mode for ConvTranspose '
            f"(got --padding-mode {args.padding_mode})."
        )
    if args.flip:
        raise ValueError(
            "'--flip' is not an option of a transposed convolution (PyTorch's ConvTranspose has no flip): "
            "leave it out with --transposed."
        )
    padding = options["padding"]
    per = padding if isinstance(padding, tuple) and ndim > 1 else (padding,)
    if (ndim == 1 and isinstance(padding, tuple)) or any(isinstance(p, tuple) for p in per):
        raise ValueError(
            "'--padding' of a transposed convolution is one int per axis, cropped from both ends as PyTorch does, "
            f"or 'same'; not a (left, right) pair (got --padding {args.padding})."
        )
    if any(isinstance(p, str) for p in per) and padding != "same":
        raise ValueError(
            f"'--padding' of a transposed convolution is an int per axis or 'same' (got --padding {args.padding})."
        )
    out_padding = args.output_padding if args.output_padding is not None else (0,)
    strides = args.stride * (ndim if len(args.stride) == 1 else 1)
    dilations = args.dilation * (ndim if len(args.dilation) == 1 else 1)
    for a, op in enumerate(out_padding * (ndim if len(out_padding) == 1 else 1)):
        s, d = strides[a], dilations[a]
        if op >= max(s, d):
            where = f" on axis {a}" if ndim > 1 else ""
            raise ValueError(
                f"'--output-padding' must be smaller than either --stride or --dilation (PyTorch's rule){where}: "
                f"got output padding {op} with stride {s} and dilation {d}."
            )
        if padding == "same" and op:
            raise ValueError(
                "'--output-padding' must be 0 with --padding same: TensorFlow's rule fixes each output size "
                f"at input size * stride (got --output-padding {_show(args.output_padding)})."
            )
    return {
        "stride": options["stride"],
        "padding": padding,
        "output_padding": per_axis_value(out_padding, ndim),
        "groups": options["groups"],
        "bias": options["bias"],
        "dilation": options["dilation"],
    }


def _size(args: argparse.Namespace, what: str) -> Any:
    """``--input-length`` or ``--input-shape`` (one of them is needed when the layer comes from ``what``)."""
    shape: Any = getattr(args, "input_shape", None)
    if args.input_length is not None and shape is not None:
        raise ValueError("'--input-length' and '--input-shape' both give the input size: use one.")
    if args.input_length is None and shape is None:
        raise ValueError(f"'{what}' needs the input size: --input-length L (1D) or --input-shape H,W.")
    return args.input_length if args.input_length is not None else (shape[0] if len(shape) == 1 else shape)


#: The most terms (:meth:`symconv.Sequential.terms`) the commands build a stack with: a stack is built whole,
#: every stage's expressions, at about 1500 terms a second (a 2D stack on 16x16 inputs has 62304 terms, 44 s).
STACK_TERMS = 50_000


def expand_stack(stack: Any, size: Any, args: argparse.Namespace) -> Any:
    """``stack.expand(size)``, refused with a usage error naming the size option above :data:`STACK_TERMS` terms.

    Examples:
        >>> from symconv import Conv1d, Sequential
        >>> args = argparse.Namespace(input_length=10**6, input_shape=None)
        >>> expand_stack(Sequential(Conv1d(1, 1, 3)), 10**6, args)
        Traceback (most recent call last):
        ...
        ValueError: '--input-length' 1000000: the stack has 5999990 terms, above the 50000 the command line builds ...
    """
    terms = stack.terms(size)
    if terms > STACK_TERMS:
        option = "--input-length" if args.input_length is not None else "--input-shape"
        value = args.input_length if args.input_length is not None else _show(tuple(args.input_shape))
        raise ValueError(
            f"'{option}' {value}: the stack has {terms} terms, above the {STACK_TERMS} the command line builds "
            "(a stack is built whole, every stage's expressions, at about 1500 terms a second): give a smaller "
            'input; one layer alone (--torch "nn.Conv2d(...)" or the layer options) is shown at any size.'
        )
    return stack.expand(size)


def _from_layers(args: argparse.Namespace) -> tuple[Any, Any]:
    """``--layers "Conv1d(1, 2, 3), ReLU(), MaxPool1d(2)"``: the :class:`~symconv.Sequential` of those layers.

    Read by :func:`symconv.frameworks.expressions.parse_layers`, the parser of ``--torch``.
    """
    from symconv.frameworks.expressions import parse_layers
    from symconv.stack.sequential import Sequential

    if getattr(args, "torch", None) is not None:
        raise ValueError("'--layers' and '--torch' both give the layers: use one.")
    changed = _changed(args, SINGLE_LAYER_OPTIONS)
    if changed:
        raise ValueError(
            f"'--layers' gives the whole stack, each layer with its own parameters: leave out {', '.join(changed)}."
        )
    given = [f"--{name}" for name in ("x", "w", "b") if getattr(args, name, None) is not None]
    if given:
        raise ValueError(
            f"'--x', '--w' and '--b' take one layer's numbers; with --layers leave out {', '.join(given)}."
        )
    if getattr(args, "index_base", 0) != 0:
        raise ValueError(f"'--index-base' must be 0 for a stack (got {args.index_base}): its symbols count from 0.")
    if getattr(args, "names", None) is not None:
        raise ValueError("'--names' renames one layer's symbols; a stack names its own (x, h1, h2, ...): leave it out.")
    size = _size(args, "--layers")
    try:
        layers = parse_layers(args.layers)
    except ValueError as exc:
        raise ValueError(f"'--layers': {exc}") from None
    nested = [type(layer).__name__ for layer in layers if getattr(layer, "kind", None) is Kind.STACK]
    if nested:
        raise ValueError(
            f"'--layers' lists the layers of one stack; write them without Sequential(...) (got {args.layers!r})."
        )
    try:
        stack = Sequential(*layers)
        stack.terms(size)  # the layers' shapes, checked in order
    except (ValueError, TypeError) as exc:
        raise ValueError(f"'--layers' {args.layers!r}: {exc}") from None
    return stack, expand_stack(stack, size, args)


def _from_mode(args: argparse.Namespace, x: Any, w: Any, b: Any) -> tuple[Any, Any]:
    """``--mode``: ``np.convolve``/``np.correlate`` (or SciPy's) as a layer (:mod:`symconv.layers.modes`)."""
    changed = _changed(
        args, ("in_channels", "out_channels", "stride", "padding", "dilation", "groups", "padding_mode", "flip")
    )
    changed += _changed(args, ("transposed", "output_padding"))
    if changed:
        raise ValueError(
            f"'--mode' is np.convolve/np.correlate: one channel in and out, stride 1, dilation 1 and the mode's "
            f"own zero padding; leave out {', '.join(changed)}"
            + (" (--operation chooses convolve, the kernel flipped, or correlate)." if "--flip" in changed else ".")
        )
    if b is not None:
        raise ValueError("'--b': np.convolve and np.correlate have no bias; leave it out with --mode.")
    shape = getattr(args, "input_shape", None)
    if shape is not None and len(shape) != 1:
        raise ValueError(
            f"'--mode' is 1D (np.convolve of two 1D arrays); --input-shape gives {len(shape)} axes: "
            "use --input-length L."
        )
    if args.kernel_size is not None and len(args.kernel_size) != 1:
        raise ValueError(f"'--kernel-size' of a --mode is one int (1D; got {_show(args.kernel_size)}).")
    size = args.kernel_size[0] if args.kernel_size is not None else (len(w) if w else 3)
    if args.input_length is not None:
        length = int(args.input_length)
    elif shape is not None:
        length = int(shape[0])
    else:
        length = len(x) if x else 4
    operation = convolve if (args.operation or "convolve") == "convolve" else correlate
    layer = operation(int(size), args.mode, args.convention or "numpy")
    e = layer.expand(length, index_base=getattr(args, "index_base", 0), names=getattr(args, "names", None))
    _check_count("--x", x, length, f"one per input position, input_length = {length}")
    _check_count("--w", w, int(size), f"one per kernel tap, kernel_size = {size}")
    return layer, e


def _from_expression(args: argparse.Namespace, x: Any, w: Any, b: Any) -> tuple[Any, Any]:
    """``--torch EXPR``: the layer or stack the constructor call describes, expanded at the input size given."""
    from symconv.frameworks.expressions import parse_layer

    if getattr(args, "layers", None) is not None:
        raise ValueError("'--layers' and '--torch' both give the layers: use one.")
    changed = _changed(args, SINGLE_LAYER_OPTIONS)
    if changed:
        raise ValueError(f"'--torch' gives the whole layer: leave out {', '.join(changed)}.")
    layer: Any = parse_layer(args.torch)
    size: Any = _size(args, "--torch")
    if layer.kind is Kind.STACK:
        if x is not None or w is not None or b is not None:
            raise ValueError("'--x', '--w' and '--b' take one layer's numbers; with a Sequential leave them out.")
        if getattr(args, "index_base", 0) != 0:
            raise ValueError(f"'--index-base' must be 0 for a stack (got {args.index_base}): its symbols count from 0.")
        if getattr(args, "names", None) is not None:
            raise ValueError(
                "'--names' renames one layer's symbols; a stack names its own (x, h1, h2, ...): leave it out."
            )
        return layer, expand_stack(layer, size, args)
    if not isinstance(layer, TapsLayer):
        raise ValueError(
            f"'--torch': explain shows convolution layers and stacks; a lone {type(layer).__name__} has no "
            "weights to show: put it in nn.Sequential(...) after a convolution."
        )
    e = layer.expand(size, index_base=getattr(args, "index_base", 0), names=getattr(args, "names", None))
    where = "input_length" if e.ndim == 1 else "prod(input_shape)"
    c_in = layer.in_channels
    _check_count("--x", x, c_in * e.input_length, f"in_channels*{where} = {c_in}*{e.input_length}")
    weights = tuple(e.taps.weight_shape)
    _check_count("--w", w, int(np.prod(weights)), f"one per weight of shape {weights}")
    _check_count("--b", b, layer.out_channels, "one per output channel")
    return layer, e


def _kernel_size(args: argparse.Namespace, w: Sequence[Any] | None) -> int:
    """``--kernel-size``, else the length of ``--w`` per (output, input) channel pair, else 3."""
    if args.kernel_size is not None:
        return int(args.kernel_size[0])
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
    defaults = _defaults()  # the options of `symconv explain`, at their defaults
    keys = list(vars(defaults))
    return all(getattr(args, k) == getattr(defaults, k) for k in keys)
