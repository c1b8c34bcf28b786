"""One self-contained HTML page per layer: the embedded data, the controls, the script and the style inlined.

The page needs no network: its script (``assets/explore.js``) and style (``assets/explore.css``) are
package files copied into it, and it draws every cell, highlight and equation from the data of
:func:`~symconv.explore.data.page_data`.

Examples:
    >>> from symconv import Conv1d
    >>> html = page_html(Conv1d(1, 1, 3), 5)
    >>> html.startswith("<!DOCTYPE html>"), 'name="kernel-size"' in html, "https://" in html
    (True, True, False)
"""

from __future__ import annotations

import functools
import html as html_text
import json
from importlib import resources
from typing import Any

from symconv._version import __version__
from symconv.explore.data import page_data
from symconv.explore.model import DATA_ID

SERVE_NOTE = (
    "This file holds the layer it was written for: the controls show its values. "
    "To change them and see the layer recomputed, run <code>symconv explore --serve</code>."
)


@functools.cache
def asset(name: str) -> str:
    """The text of a package file in ``symconv/explore/assets``."""
    return resources.files("symconv.explore").joinpath("assets", name).read_text(encoding="utf-8")


def _axis_text(values: Any) -> str:
    """A per-axis option as the command line writes it: ``3`` or ``3,2``."""
    values = values if isinstance(values, (tuple, list)) else (values,)
    return str(values[0]) if len(set(values)) == 1 else ",".join(str(v) for v in values)


def _padding_text(layer: Any) -> str:
    """``--padding`` as given to the layer: ``1``, ``same``, ``0,2`` (1D pair) or ``0:1,same`` (2D)."""
    padding = layer.padding
    if isinstance(padding, (str, int)):
        return str(padding)
    if layer.ndim == 1:
        left, right = padding
        return str(left) if left == right else f"{left},{right}"
    parts = [p if isinstance(p, (str, int)) else (str(p[0]) if p[0] == p[1] else f"{p[0]}:{p[1]}") for p in padding]
    return str(parts[0]) if len(set(parts)) == 1 else ",".join(str(p) for p in parts)


def control_values(layer: Any, data: dict[str, Any]) -> dict[str, str]:
    """The value each control shows, keyed by its ``name`` (the command-line option without ``--``)."""
    shape = data["input_shape"]
    return {
        "in-channels": str(layer.in_channels),
        "out-channels": str(layer.out_channels),
        "kernel-size": _axis_text(layer.kernel_size),
        "stride": _axis_text(layer.stride),
        "padding": _padding_text(layer),
        "dilation": _axis_text(layer.dilation),
        "groups": str(layer.groups),
        "padding-mode": layer.padding_mode,
        "input-length" if layer.ndim == 1 else "input-shape": ",".join(str(n) for n in shape),
        "output-padding": _axis_text(getattr(layer, "output_padding", 0)),
        "transposed": "on" if data["transposed"] else "off",
        "flip": "on" if data["flip"] else "off",
        "no-bias": "off" if data["bias"] else "on",
    }


MODES = ("zeros", "reflect", "replicate", "circular", "symmetric", "wrap")


CHECKBOXES = ("transposed", "flip", "no-bias")

SERVED_NOTE = (
    "Served by <code>symconv explore --serve</code> on this computer: change a control (Enter, or leave the field) "
    "and the page is recomputed from symconv's taps."
)


def _control(name: str, value: str, served: bool) -> str:
    label = f'<label for="c-{name}">--{name}</label>'
    off = "" if served else " disabled"
    if name == "padding-mode":
        options = "".join(f"<option{' selected' if m == value else ''}>{m}</option>" for m in MODES)
        return f'<div class="control">{label}<select id="c-{name}" name="{name}"{off}>{options}</select></div>'
    if name in CHECKBOXES:
        checked = " checked" if value == "on" else ""
        box = f'<input type="checkbox" id="c-{name}" name="{name}"{checked}{off}>'
        return f'<div class="control check">{box}{label}</div>'
    safe = html_text.escape(value, quote=True)
    return f'<div class="control">{label}<input type="text" id="c-{name}" name="{name}" value="{safe}"{off}></div>'


def controls_section(values: dict[str, str], served: bool, error: str | None = None) -> str:
    """The controls, named after the command line's options; a served page's form submits them to ``/``."""
    controls = "".join(_control(name, value, served) for name, value in values.items())
    form = (
        f'<form id="controls" method="get" action="/" data-served="1" aria-describedby="serve-note">{controls}'
        '<div class="control"><button type="submit">Recompute</button></div></form>'
        if served
        else f'<form id="controls" aria-describedby="serve-note">{controls}</form>'
    )
    alert = f'<p id="error" role="alert">{html_text.escape(error)}</p>' if error else ""
    note = SERVED_NOTE if served else SERVE_NOTE
    return (
        f'<section aria-labelledby="h-controls" id="controls-panel">\n<h2 id="h-controls">Layer</h2>\n{form}\n'
        f'{alert}<p id="serve-note" class="note">{note}</p>\n</section>'
    )


def error_page(values: dict[str, str], message: str) -> str:
    """A served page for controls that give no layer: the controls as submitted and what is wrong."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>symconv explore: no layer</title>
<style>{asset("explore.css")}</style>
</head>
<body>
<header><h1>symconv explore</h1></header>
<main>
{controls_section(values, True, message)}
</main>
</body>
</html>
"""


#: The index formula of each gradient, by the layer's kind (one channel, one axis, zero padding): what the taps give.
GRADIENT_FORMULAS = {
    False: "with zero padding and no flip, \u2202L/\u2202w<sub>k</sub> = \u03a3<sub>i</sub> \u03b4<sub>i</sub> "
    "x<sub>si+dk\u2212p</sub>, the cross-correlation of the padded input with \u03b4",
    True: "for this transposed layer, \u2202L/\u2202w<sub>k</sub> = \u03a3<sub>t</sub> x<sub>t</sub> "
    "\u03b4<sub>st+dk\u2212p</sub> and \u2202L/\u2202x<sub>t</sub> = \u03a3<sub>k</sub> w<sub>k</sub> "
    "\u03b4<sub>st+dk\u2212p</sub>, a convolution of \u03b4",
}


def gradient_panel(transposed: bool) -> str:
    """The gradient view: a loss to choose, and two lists that the page's script fills from the taps."""
    return f"""<section aria-labelledby="h-grad" id="grad-panel">
<h2 id="h-grad">Gradients</h2>
<div class="control grad-loss"><label for="grad-loss">Loss L</label>
<select id="grad-loss"><option value="output" selected>L = z of the chosen output (click an output)</option>
<option value="sum">L = \u03a3 z, the sum of every output</option></select></div>
<p id="grad-note"></p>
<p class="note">Each entry is read off the taps: tap (i, t, k), output z<sub>i</sub> reading input x<sub>t</sub>
through weight w<sub>k</sub>, adds \u03b4<sub>i</sub> x<sub>t</sub> to \u2202L/\u2202w<sub>k</sub> (a sum over the
tying group of w<sub>k</sub>) and \u03b4<sub>i</sub> w<sub>k</sub> to \u2202L/\u2202x<sub>t</sub> (a sum over the
taps reading x<sub>t</sub>: W<sup>T</sup>\u03b4). Written by index ({GRADIENT_FORMULAS[transposed]}). \u03b4 =
\u2202L/\u2202z is symconv's <code>delta</code>. Hover or focus an entry to mark the taps that make it.</p>
<div class="grad-lists">
<div><h3 id="h-grad-w">\u2202L/\u2202w: <span id="grad-w-count"></span> entries</h3>
<ul id="grad-w" aria-labelledby="h-grad-w"></ul><div id="grad-w-more"></div></div>
<div><h3 id="h-grad-x">\u2202L/\u2202x: <span id="grad-x-count"></span> entries</h3>
<ul id="grad-x" aria-labelledby="h-grad-x"></ul><div id="grad-x-more"></div></div>
</div>
</section>"""


def _data_script(data: dict[str, Any]) -> str:
    text = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")  # no </script> nor <!-- inside
    return f'<script type="application/json" id="{DATA_ID}">{text}</script>'


def _code_block(data: dict[str, Any]) -> str:
    code = data["code"]
    out = [
        f'<h3>PyTorch</h3><pre tabindex="0"><code id="code-pytorch">{html_text.escape(code["pytorch"])}</code></pre>'
    ]
    if code["numpy"]:
        what = "SciPy" if "scipy" in code["numpy"] else "NumPy"
        out.append(
            f'<h3>{what}</h3><pre tabindex="0"><code id="code-numpy">{html_text.escape(code["numpy"])}</code></pre>'
        )
    else:
        out.append("<p>No single NumPy or SciPy call computes this layer (channels, dilation or transposition).</p>")
    return "".join(out)


def page_html(layer: Any, size: int | tuple[int, ...], *, served: bool = False) -> str:
    """The explorer page of ``layer`` on an input of ``size``, as one HTML document with nothing to fetch.

    ``served``: the page of ``symconv explore --serve``, whose controls are live.
    """
    data = page_data(layer, size)
    controls = controls_section(control_values(layer, data), served)
    title = html_text.escape(data["layer"])
    heat = (
        '<section aria-labelledby="h-heat" id="heat-panel"><h2 id="h-heat">Overlap: taps per output</h2>'
        "<p>How many taps add up in each output of channel 0 (every output channel has the same pattern). "
        "Uneven counts are the checkerboard of a transposed convolution whose stride does not divide its "
        'kernel extent.</p><div id="heat"></div></section>'
        if data["transposed"]
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>symconv explore: {title}</title>
<style>{asset("explore.css")}</style>
</head>
<body>
<header>
<h1>symconv explore</h1>
<p class="layer"><code>{title}</code></p>
<p id="summary"></p>
<nav aria-label="Sections"><p>Go to: <a href="#input-panel">input</a> · <a href="#weight-panel">kernel</a> ·
<a href="#output-panel">output</a> · <a href="#grad-panel">gradients</a> · <a href="#matrix-panel">matrix</a> ·
<a href="#code-panel">code</a>.
Tab or the arrow keys move between cells.</p></nav>
</header>
<main>
{controls}
<section aria-labelledby="h-focus" id="focus-panel">
<h2 id="h-focus">Equation</h2>
<div id="equation" aria-live="polite" role="region" aria-label="equation of the focused cell"
tabindex="0"><p>Hover or focus (Tab) an output to see its equation, an input to see what
it feeds, a weight to see its tying group, a matrix entry to see the weights it holds.</p></div>
<p class="legend"><span class="swatch focus"></span> focused <span class="swatch mark"></span> highlighted
<span class="swatch pad"></span> padding</p>
</section>
<div class="panels">
<section aria-labelledby="h-input" id="input-panel"><h2 id="h-input">Input x</h2><div id="input"></div></section>
<section aria-labelledby="h-weight" id="weight-panel"><h2 id="h-weight">Kernel w</h2><div id="weights"></div></section>
<section aria-labelledby="h-output" id="output-panel"><h2 id="h-output">Output z</h2><div id="output"></div></section>
</div>
{gradient_panel(data["transposed"])}
{heat}
<section aria-labelledby="h-matrix" id="matrix-panel">
<h2 id="h-matrix">The weight-tied matrix</h2>
<p id="matrix-note"></p>
<div id="matrix" role="region" aria-label="the matrix window" tabindex="0"></div>
</section>
<section aria-labelledby="h-code" id="code-panel">
<h2 id="h-code">The same layer in framework code</h2>
{_code_block(data)}
</section>
</main>
<footer><p>Written by symconv {__version__}. Every highlight and equation is read from the layer's taps embedded in
this file; nothing is fetched.</p></footer>
{_data_script(data)}
<script>{asset("explore.js")}</script>
</body>
</html>
"""
