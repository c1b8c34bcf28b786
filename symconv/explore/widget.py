"""``Expansion.explore()``: the explorer as a live Jupyter widget (anywidget), recomputed in Python on each change.

The widget's traits are the page's controls (``kernel-size`` is :attr:`ExploreWidget.kernel_size`, ...).
When one changes, from the view's controls or from Python (``w.stride = 2``), the layer is built
again from the traits and :attr:`ExploreWidget.html` becomes its explorer fragment
(:func:`~symconv.explore.notebook.fragment_html`, drawn from symconv's own taps); a layer the traits
do not describe leaves the view as it was and says why in :attr:`ExploreWidget.error`.

The view's module (:func:`widget_esm`) is written from package files: the page's script
``assets/explore.js``, run on the view's container as in a notebook fragment, and
``assets/widget.js``. Nothing is fetched (no CDN). Needs ``pip install symconv[widget]`` (anywidget).
"""

from __future__ import annotations

import re
from typing import Any

import anywidget
import traitlets

from symconv.base.validate import is_int
from symconv.explore.notebook import DOCUMENT_SHIM, WIDGET_NOTE, drawable, fragment_html, read_fragments
from symconv.explore.page import asset
from symconv.layers.conv import Conv1d
from symconv.layers.convnd import Conv2d
from symconv.layers.transposed import ConvTranspose1d
from symconv.layers.transposednd import ConvTranspose2d

#: The container id in :attr:`ExploreWidget.html`: each view replaces it with an id of its own.
VIEW_TOKEN = "SYMCONV-VIEW-ID"

#: The traits that describe the layer, by the page control that edits them (``no-bias`` is ``not bias``).
TRAITS = {
    "in-channels": "in_channels",
    "out-channels": "out_channels",
    "kernel-size": "kernel_size",
    "stride": "stride",
    "padding": "padding",
    "dilation": "dilation",
    "groups": "groups",
    "padding-mode": "padding_mode",
    "input-length": "input_size",
    "input-shape": "input_size",
    "output-padding": "output_padding",
    "transposed": "transposed",
    "flip": "flip",
    "no-bias": "bias",
}
LAYER_TRAITS = tuple(dict.fromkeys(TRAITS.values()))

_INT = re.compile(r"^-?\d+$")


def widget_esm() -> str:
    """The widget's JavaScript module: the document shim, the page's script as a function, ``widget.js``."""
    return (
        f"{DOCUMENT_SHIM}\n"
        f"function symconvExplore(document) {{\n{asset('explore.js')}\n}}\n"
        f"const VIEW_TOKEN = {VIEW_TOKEN!r};\n"
        f"{asset('widget.js')}"
    )


def parse_value(value: Any) -> Any:
    """A control's value as the layer takes it: ``"3"`` -> 3, ``"3,2"`` or ``[3, 2]`` -> ``(3, 2)``,
    ``"0:1"`` -> ``(0, 1)`` (a left:right pair), a name (``"same"``) as it is.

    Examples:
        >>> parse_value("3"), parse_value(" 3, 2 "), parse_value([1, [0, 2]]), parse_value("0:1,same")
        (3, (3, 2), (1, (0, 2)), ((0, 1), 'same'))
    """
    if isinstance(value, (list, tuple)):
        return tuple(parse_value(v) for v in value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if "," in text:
        return tuple(parse_value(part) for part in text.split(","))
    if ":" in text:
        return tuple(parse_value(part) for part in text.split(":"))
    return int(text) if _INT.match(text) else text


def _axes(name: str, value: Any, ndim: int) -> Any:
    """A per-axis option for a layer with ``ndim`` axes: a 1-tuple in 1D is its value."""
    value = parse_value(value)
    if isinstance(value, tuple) and ndim == 1 and (name != "padding" or len(value) == 1):
        if len(value) != 1:
            raise ValueError(f"'{name}' of a 1D layer is one value (got {value!r}).")
        return value[0]
    return value


def layer_from_traits(values: dict[str, Any]) -> tuple[Any, int | tuple[int, ...]]:
    """The layer and input size that the widget's traits describe (``values``: trait name -> value).

    Raises:
        ValueError: An input size that is not 1 or 2 axes, options of the other kind of layer, or
            anything the layer refuses (its message names the parameter).
    """
    size = parse_value(values["input_size"])
    if isinstance(size, tuple) and len(size) == 1:
        size = size[0]
    ndim = 1 if isinstance(size, int) else len(size) if isinstance(size, tuple) else 0
    if ndim not in (1, 2) or not all(isinstance(n, int) for n in (size if isinstance(size, tuple) else (size,))):
        raise ValueError(f"'input_size' must be an int (1D) or two ints (2D) (got {values['input_size']!r}).")
    common = {
        "stride": _axes("stride", values["stride"], ndim),
        "padding": _axes("padding", values["padding"], ndim),
        "dilation": _axes("dilation", values["dilation"], ndim),
        "groups": parse_value(values["groups"]),
        "bias": bool(values["bias"]),
        "padding_mode": values["padding_mode"],
    }
    channels = (parse_value(values["in_channels"]), parse_value(values["out_channels"]))
    kernel = _axes("kernel_size", values["kernel_size"], ndim)
    output_padding = _axes("output_padding", values["output_padding"], ndim)
    if values["transposed"]:
        if values["flip"]:
            raise ValueError("'flip' belongs to a convolution: a transposed layer takes PyTorch's parameters.")
        cls: Any = ConvTranspose1d if ndim == 1 else ConvTranspose2d
        layer = cls(*channels, kernel, output_padding=output_padding, **common)
    else:
        if set(output_padding if isinstance(output_padding, tuple) else (output_padding,)) != {0}:
            raise ValueError(
                f"'output_padding' belongs to a transposed layer (got {output_padding!r}): tick transposed."
            )
        cls = Conv1d if ndim == 1 else Conv2d
        layer = cls(*channels, kernel, flip=bool(values["flip"]), **common)
    return layer, size


def _json(value: Any) -> Any:
    return [_json(v) for v in value] if isinstance(value, (tuple, list)) else value


def _padding(padding: Any, ndim: int) -> Any:
    """A layer's padding as compact as the page writes it: ``(1, 1)`` -> 1, ``((1, 1), (0, 2))`` -> ``[1, [0, 2]]``."""
    if isinstance(padding, str) or is_int(padding):
        return padding
    if ndim == 1:
        left, right = padding
        return left if left == right else [left, right]
    axes = [_padding(p, 1) if isinstance(p, (tuple, list)) else p for p in padding]
    return axes[0] if all(a == axes[0] for a in axes) and not isinstance(axes[0], list) else axes


def traits_of(layer: Any, size: int | tuple[int, ...]) -> dict[str, Any]:
    """The widget's traits for ``layer`` on ``size`` (tuples as lists, as they come back from the view)."""
    transposed = isinstance(layer, (ConvTranspose1d, ConvTranspose2d))
    return {
        "in_channels": int(layer.in_channels),
        "out_channels": int(layer.out_channels),
        "kernel_size": _json(layer.kernel_size),
        "stride": _json(layer.stride),
        "padding": _json(_padding(layer.padding, int(layer.ndim))),
        "dilation": _json(layer.dilation),
        "groups": int(layer.groups),
        "padding_mode": str(layer.padding_mode),
        "input_size": _json(size),
        "output_padding": _json(getattr(layer, "output_padding", 0)),
        "transposed": transposed,
        "flip": bool(getattr(layer, "flip", False)),
        "bias": bool(layer.bias),
    }


class ExploreWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """The explorer of a layer, live: change a trait (or a control in the view) and the view is recomputed.

    Layer traits (synced with the view's controls): ``in_channels``, ``out_channels``, ``kernel_size``,
    ``stride``, ``padding``, ``dilation``, ``groups``, ``padding_mode``, ``input_size`` (an int in 1D,
    ``[H, W]`` in 2D), ``output_padding``, ``transposed``, ``flip``, ``bias``. Per-axis values are an
    int, a list, or the page's text (``"3,2"``, ``"0:1,same"``). Results (read them, do not set
    them): ``html`` (the view's fragment), ``layer_repr``, ``output_shape`` (channels first),
    ``taps``, ``error`` (why the traits describe no layer, or ``""``).
    """

    _esm = widget_esm()

    in_channels = traitlets.Any(1).tag(sync=True)
    out_channels = traitlets.Any(1).tag(sync=True)
    kernel_size = traitlets.Any(3).tag(sync=True)
    stride = traitlets.Any(1).tag(sync=True)
    padding = traitlets.Any(0).tag(sync=True)
    dilation = traitlets.Any(1).tag(sync=True)
    groups = traitlets.Any(1).tag(sync=True)
    padding_mode = traitlets.Unicode("zeros").tag(sync=True)
    input_size = traitlets.Any(8).tag(sync=True)
    output_padding = traitlets.Any(0).tag(sync=True)
    transposed = traitlets.Bool(False).tag(sync=True)
    flip = traitlets.Bool(False).tag(sync=True)
    bias = traitlets.Bool(True).tag(sync=True)

    html = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    layer_repr = traitlets.Unicode("").tag(sync=True)
    output_shape = traitlets.List(traitlets.Int()).tag(sync=True)
    taps = traitlets.Int(0).tag(sync=True)

    def __init__(self, layer: Any = None, size: int | tuple[int, ...] = 8, **traits: Any) -> None:
        start = traits_of(layer, size) if layer is not None else {}
        super().__init__(**{**start, **traits})
        self.layer: Any = None
        self.size: int | tuple[int, ...] | None = None
        self._recompute()

    @traitlets.observe(*LAYER_TRAITS)
    def _changed(self, change: dict[str, Any]) -> None:
        self._recompute()

    def _recompute(self) -> None:
        try:
            layer, size = layer_from_traits({name: getattr(self, name) for name in LAYER_TRAITS})
            html = fragment_html(layer, size, container=VIEW_TOKEN, script=False, note=WIDGET_NOTE)
        except (ValueError, TypeError) as exc:
            self.error = str(exc)
            return
        self.layer, self.size = layer, size
        data = read_fragments(html)[0][1]
        with self.hold_trait_notifications():
            self.html = html
            self.layer_repr = repr(layer)
            self.output_shape = [data["out_channels"], *data["output_shape"]]
            self.taps = int(data["counts"]["taps"])
            self.error = ""


def expansion_widget(expansion: Any) -> ExploreWidget:
    """``Expansion.explore()``: the widget of the expansion's layer and input size.

    Raises:
        ValueError: A layer the explorer does not draw (a 3D layer, a pooling stage).
    """
    found = drawable(expansion)
    if found is None:
        raise ValueError(
            f"explore(): the explorer draws 1D and 2D convolutions and transposed convolutions (got {expansion.spec!r} "
            f"on {expansion.where})."
        )
    widget = ExploreWidget(*found)
    if widget.error:
        raise ValueError(f"explore(): {widget.error}")
    return widget
