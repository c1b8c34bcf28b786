"""PyTorch constructor calls written as text, read safely: ``ast`` parses them, nothing is evaluated.

A user copies ``nn.Conv2d(3, 8, 3, stride=2, padding=1)`` from their model, or a list of layers
``"Conv1d(1, 2, 3, padding=1), ReLU(), MaxPool1d(2)"``; :func:`parse_layers` gives the symconv
layers with PyTorch's meaning. Every argument must be a literal (numbers, strings, booleans,
``None``, tuples and lists of them); a name may be written bare, with ``nn.`` or with
``torch.nn.``; ``nn.Sequential(...)`` nests. Anything else, a function call in an argument, an
attribute access, an unknown layer, is refused with a ``ValueError`` that says what and where.

Examples:
    >>> layer = parse_layer("nn.Conv2d(3, 8, 3, stride=2, padding=1)")
    >>> type(layer).__name__, layer.kernel_size, layer.stride, layer.padding
    ('Conv2d', (3, 3), (2, 2), ((1, 1), (1, 1)))
    >>> [type(layer).__name__ for layer in parse_layers("Conv1d(1, 2, 3, padding=1), ReLU(), MaxPool1d(2)")]
    ['Conv1d', 'Activation', 'MaxPool1d']
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from symconv.layers.conv import Conv1d
from symconv.layers.convnd import Conv2d, Conv3d
from symconv.layers.poolnd import AvgPool2d, AvgPool3d, MaxPool2d, MaxPool3d
from symconv.layers.stages import Activation, AvgPool1d, Flatten, Linear, MaxPool1d
from symconv.layers.transposed import ConvTranspose1d
from symconv.layers.transposednd import ConvTranspose2d, ConvTranspose3d
from symconv.stack.sequential import Sequential


def _flatten(start_dim: int = 1, end_dim: int = -1) -> Flatten:
    if (start_dim, end_dim) != (1, -1):
        raise ValueError(
            f"Flatten(start_dim={start_dim}, end_dim={end_dim}): symconv flattens a whole sample "
            "(start_dim=1, end_dim=-1) only."
        )
    return Flatten()


def _activation(name: str) -> Callable[..., Activation]:
    """``ReLU(inplace=False)``, ``Tanh()``, ``Sigmoid()``, ``Identity(...)`` (which ignores its arguments).

    ``inplace`` changes where PyTorch stores the result, not what it is.
    """

    def make(*args: Any, **kwargs: Any) -> Activation:
        if name == "relu":
            extra = [*args[1:], *(k for k in kwargs if k != "inplace")]
        elif name == "identity":
            extra = []
        else:
            extra = [*args, *kwargs]
        if extra:
            raise ValueError(f"{name}: unexpected arguments {extra}.")
        return Activation(name)

    return make


def _conv1d(*args: Any, **kwargs: Any) -> Conv1d:
    """``nn.Conv1d``: a 1-tuple is PyTorch's one-axis tuple (``padding=(2,)`` pads 2 on each side)."""
    fields = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias")
    values = dict(zip(fields, args)) | kwargs
    for name in ("kernel_size", "stride", "padding", "dilation"):
        value = values.get(name)
        if isinstance(value, (tuple, list)) and len(value) == 1:
            values[name] = value[0]
    return Conv1d(**values)


def _transposed1d(*args: Any, **kwargs: Any) -> ConvTranspose1d:
    fields = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias")
    values = dict(zip(fields, args)) | kwargs
    for name in ("kernel_size", "stride", "padding", "output_padding", "dilation"):
        value = values.get(name)
        if isinstance(value, (tuple, list)) and len(value) == 1:
            values[name] = value[0]
    if values.pop("padding_mode", "zeros") != "zeros":
        raise ValueError("ConvTranspose1d: only padding_mode='zeros' exists, as in PyTorch.")
    return ConvTranspose1d(**values)


#: PyTorch's layer names and the symconv constructor taking PyTorch's arguments.
CONSTRUCTORS: dict[str, Callable[..., Any]] = {
    "Conv1d": _conv1d,
    "Conv2d": Conv2d,
    "Conv3d": Conv3d,
    "ConvTranspose1d": _transposed1d,
    "ConvTranspose2d": ConvTranspose2d,
    "ConvTranspose3d": ConvTranspose3d,
    "MaxPool1d": MaxPool1d,
    "MaxPool2d": MaxPool2d,
    "MaxPool3d": MaxPool3d,
    "AvgPool1d": AvgPool1d,
    "AvgPool2d": AvgPool2d,
    "AvgPool3d": AvgPool3d,
    "Flatten": _flatten,
    "Linear": Linear,
    "ReLU": _activation("relu"),
    "Tanh": _activation("tanh"),
    "Sigmoid": _activation("sigmoid"),
    "Identity": _activation("identity"),
}
#: Keyword arguments of PyTorch's constructors that do not change what a layer computes.
IGNORED = ("device", "dtype")


def _name(func: ast.expr, text: str) -> str:
    """``Conv2d``, ``nn.Conv2d`` or ``torch.nn.Conv2d`` as ``Conv2d``; anything else refused."""
    parts: list[str] = []
    node = func
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.insert(0, node.id)
    else:
        raise ValueError(f"expected a layer name such as nn.Conv2d (got {ast.unparse(func)!r} in {text!r}).")
    if parts[:-1] not in ([], ["nn"], ["torch", "nn"]):
        raise ValueError(f"expected Name, nn.Name or torch.nn.Name (got {'.'.join(parts)!r} in {text!r}).")
    return parts[-1]


def _literal(node: ast.expr, text: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError(
            f"every argument must be a literal (a number, string, bool, None, or a tuple of them); "
            f"got {ast.unparse(node)!r} in {text!r}."
        ) from None


def _build(node: ast.expr, text: str) -> Any:
    if not isinstance(node, ast.Call):
        raise ValueError(f"expected a layer constructor call such as Conv1d(1, 1, 3) (got {ast.unparse(node)!r}).")
    name = _name(node.func, text)
    if name == "Sequential":
        if node.keywords:
            raise ValueError(f"Sequential takes layers only (got keywords in {text!r}).")
        return Sequential(*[_build(arg, text) for arg in node.args])
    if name not in CONSTRUCTORS:
        known = ", ".join(sorted([*CONSTRUCTORS, "Sequential"]))
        raise ValueError(f"unknown layer {name!r} in {text!r}; symconv knows: {known}.")
    args = [_literal(arg, text) for arg in node.args]
    if any(kw.arg is None for kw in node.keywords):
        raise ValueError(f"'**' arguments are not read (got {text!r}).")
    kwargs = {str(kw.arg): _literal(kw.value, text) for kw in node.keywords if kw.arg not in IGNORED}
    try:
        return CONSTRUCTORS[name](*args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"{name}: {exc} (in {text!r}).") from None


def parse_layers(text: str) -> list[Any]:
    """The layers written in ``text``: constructor calls separated by commas, PyTorch's names and arguments.

    Raises:
        TypeError: ``text`` is not a string.
        ValueError: Not Python, not calls, an unknown layer, an argument that is not a literal, or a
            layer's own refusal of its arguments (named).
    """
    if not isinstance(text, str):
        raise TypeError(f"'text' must be a string of constructor calls (got {type(text).__name__}).")
    try:
        tree = ast.parse(f"[{text}]", mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a list of constructor calls: {exc.msg} in {text!r}.") from None
    body = tree.body
    assert isinstance(body, ast.List)
    if not body.elts:
        raise ValueError("no layer given (got an empty text).")
    return [_build(node, text) for node in body.elts]


def parse_layer(text: str) -> Any:
    """One layer (or one ``Sequential``) written as a PyTorch constructor call."""
    layers = parse_layers(text)
    if len(layers) != 1:
        raise ValueError(
            f"expected one constructor call (got {len(layers)} in {text!r}); wrap them in Sequential(...)."
        )
    return layers[0]
