"""The explorer inside a Jupyter output cell: the page's view as one HTML fragment, scoped to its container.

:func:`fragment_html` takes the body of :func:`~symconv.explore.page.page_html` (the same markup,
data and script) and makes it embeddable next to other outputs: every ``id`` (and every
``for``, ``href="#..."``, ``aria-labelledby``, ``aria-describedby`` naming one) is prefixed with
a container id unique to the render; the style is rewritten so that each rule applies inside that
container only (``body`` and ``:root`` become the container); ``header``/``main``/``footer``
become ``div`` (a notebook has one main landmark, its own); and the page's script runs with
``document`` standing for the container (:data:`DOCUMENT_SHIM`): it finds its elements there and
listens there, so two explorers in one notebook do not see each other. Nothing is fetched.

:func:`expansion_html` is ``Expansion._repr_html_``: the fragment of a 1D or 2D convolution (or
transposed convolution) of at most :data:`MAX_NOTEBOOK_TAPS` taps, else ``None`` (Jupyter then
shows the LaTeX display). :func:`read_fragments` reads the embedded data of every fragment in a
document back, as :func:`~symconv.explore.model.read_page` reads a page.

Examples:
    >>> from symconv import Conv1d
    >>> html = fragment_html(Conv1d(1, 1, 3), 5, container="demo")
    >>> html.startswith('<div id="demo" class="symconv-explore"'), 'id="controls"' in html, "https://" in html
    (True, False, False)
    >>> [(cid, data["output_shape"]) for cid, data in read_fragments(html)]
    [('demo', [3])]
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from symconv.explore.model import DATA_ID, read_page
from symconv.explore.page import SERVE_NOTE, asset, page_html
from symconv.layers.conv import Conv1d
from symconv.layers.convnd import Conv2d
from symconv.layers.transposed import ConvTranspose1d
from symconv.layers.transposednd import ConvTranspose2d

#: The largest layer (in taps) that ``Expansion._repr_html_`` draws; above it, Jupyter shows the LaTeX display.
#: At this size the fragment is at most about 0.2 MB and interactive within 0.7 s in headless Chromium (40,000 cells).
MAX_NOTEBOOK_TAPS = 20_000

#: The layers the explorer draws (1D and 2D; a 3D one is refused by :func:`~symconv.explore.data.page_data`).
DRAWN = (Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d)

NOTEBOOK_NOTE = (
    "This output holds the layer it was displayed for: the controls show its values. For live controls, "
    "<code>e.explore()</code> returns a widget that recomputes the layer from symconv's taps."
)
WIDGET_NOTE = (
    "Change a control (Enter, or leave the field): the layer is recomputed in Python from symconv's taps. "
    "The widget's traits (<code>w.stride = 2</code>) change it too."
)

#: What the page's script calls ``document`` inside a fragment: the container ``root`` whose ids carry ``prefix``.
#: Elements are created by the real document; look-ups, listeners and ``data-ready`` stay in the container. A
#: ``mouseout`` toward another container is seen as leaving for nowhere (``relatedTarget`` null), so that the
#: page's script clears its marks instead of waiting for a hover in its own container.
DOCUMENT_SHIM = """function symconvDocument(root, prefix) {
  function scoped(ev) {
    if (!ev.relatedTarget || root.contains(ev.relatedTarget)) return ev;
    return new Proxy(ev, { get: function (e, key) {
      if (key === "relatedTarget") return null;
      var v = e[key];
      return typeof v === "function" ? v.bind(e) : v;
    } });
  }
  return {
    getElementById: function (id) { return root.querySelector('[id="' + prefix + id + '"]'); },
    createElement: function (tag) { return document.createElement(tag); },
    createElementNS: function (ns, tag) { return document.createElementNS(ns, tag); },
    addEventListener: function (type, fn, options) {
      root.addEventListener(type, type === "mouseout" ? function (ev) { fn(scoped(ev)); } : fn, options);
    },
    documentElement: root
  };
}"""

#: The members of ``document`` that the shim provides (a test holds ``explore.js`` to them).
SHIM_MEMBERS = ("getElementById", "createElement", "createElementNS", "addEventListener", "documentElement")

_BODY = re.compile(r"<body>\n?(.*)</body>", re.S)
_DATA = re.compile(rf'<script type="application/json" id="{DATA_ID}">.*?</script>', re.S)
_SCRIPT = re.compile(r"<script>.*?</script>", re.S)
_ID_ATTRS = re.compile(r'(?<![\w-])(id|for|aria-labelledby|aria-describedby)="([^"]*)"')
_HREF = re.compile(r'href="#([^"]+)"')
_FRAGMENT_DATA = re.compile(r'<script type="application/json" id="([^"]*)-' + DATA_ID + r'">(.*?)</script>', re.S)
_CID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_LANDMARKS = {"header": "sc-header", "main": "sc-main", "footer": "sc-footer"}


def new_container_id() -> str:
    """A container id unique to one render: ``symconv-explore-`` and 12 random hex digits."""
    return f"symconv-explore-{uuid.uuid4().hex[:12]}"


def _prefix_ids(markup: str, prefix: str) -> str:
    def attr(match: re.Match[str]) -> str:
        names = " ".join(prefix + name for name in match.group(2).split())
        return f'{match.group(1)}="{names}"'

    markup = _ID_ATTRS.sub(attr, markup)
    return _HREF.sub(lambda m: f'href="#{prefix}{m.group(1)}"', markup)


def _scoped_selector(selector: str, cid: str) -> str:
    selector = selector.strip()
    if selector in (":root", "body", "html"):
        return f"#{cid}"
    if selector == "*":
        return f"#{cid}, #{cid} *"
    selector = re.sub(r"#([A-Za-z][\w-]*)", lambda m: f"#{cid}-{m.group(1)}", selector)
    for tag, cls in _LANDMARKS.items():
        selector = re.sub(rf"(?<![\w.#-]){tag}(?![\w-])", f".{cls}", selector)
    selector = re.sub(r"(?<![\w.#-])h1(?![\w-])", ".sc-title", selector)
    return f"#{cid} {selector}"


def scoped_css(css: str, cid: str) -> str:
    """The page's style with every rule applying inside ``#cid`` only; ``#name`` becomes ``#cid-name``.

    The page's style is flat (rules, no ``@media``); an at-rule would be refused rather than leak.

    Examples:
        >>> scoped_css(":root { --ink: #111; } body, h2 { margin: 0; } #matrix .cell { color: red; }", "c")
        '#c { --ink: #111; }\\n#c, #c h2 { margin: 0; }\\n#c #c-matrix .cell { color: red; }'
    """
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    if "@" in css:
        raise ValueError("the explorer's style has an at-rule: scoped_css cannot scope it.")
    rules = []
    for chunk in css.split("}"):
        if not chunk.strip():
            continue
        selectors, _, body = chunk.partition("{")
        scoped = ", ".join(_scoped_selector(s, cid) for s in selectors.split(","))
        rules.append(f"{scoped} {{ {' '.join(body.split())} }}")
    return "\n".join(rules)


def fragment_html(
    layer: Any, size: int | tuple[int, ...], *, container: str | None = None, script: bool = True, note: str = ""
) -> str:
    """The explorer of ``layer`` on an input of ``size`` as one ``<div>`` to embed in a notebook output.

    ``container``: the container's id (default: :func:`new_container_id`, unique per call); every
    id inside starts with it and ``-``. ``script``: include the page's script, run on the container
    (a widget leaves it out and runs the script itself). ``note``: the sentence under the controls
    (default :data:`NOTEBOOK_NOTE`).

    Raises:
        ValueError: A layer :func:`~symconv.explore.data.page_data` refuses, or a malformed ``container``.
    """
    cid = new_container_id() if container is None else container
    if not _CID.match(cid):
        raise ValueError(f"'container' must be a letter then letters, digits, '_' or '-' (got {cid!r}).")
    page = page_html(layer, size)
    found = _BODY.search(page)
    data = _DATA.search(page)
    if found is None or data is None:  # pragma: no cover - page.py writes both
        raise ValueError("the explorer page has no <body> or no embedded data: page.py changed its layout.")
    body = _SCRIPT.sub("", _DATA.sub("", found.group(1)))
    body = body.replace(SERVE_NOTE, note or NOTEBOOK_NOTE)
    body = body.replace("<h1>", '<p class="sc-title">').replace("</h1>", "</p>")
    for tag, cls in _LANDMARKS.items():
        body = body.replace(f"<{tag}>", f'<div class="{cls}">').replace(f"</{tag}>", "</div>")
    prefix = f"{cid}-"
    body = _prefix_ids(body, prefix)
    data_script = data.group(0).replace(f'id="{DATA_ID}"', f'id="{prefix}{DATA_ID}"', 1)
    run = ""
    if script:
        run = (
            f"<script>(function () {{\n{DOCUMENT_SHIM}\nvar root = document.getElementById({cid!r});\n"
            f"if (!root || root.hasAttribute('data-ready')) return;\n"
            f"(function (document) {{\n{asset('explore.js')}\n}})(symconvDocument(root, {prefix!r}));\n}})();</script>"
        )
    style = f"<style>\n{scoped_css(asset('explore.css'), cid)}\n</style>"
    return f'<div id="{cid}" class="symconv-explore" lang="en">\n{style}\n{body}{data_script}\n{run}</div>\n'


def read_fragments(html: str) -> list[tuple[str, dict[str, Any]]]:
    """``(container id, embedded data)`` of every fragment in ``html``, the data decoded as by ``read_page``.

    Raises:
        ValueError: ``html`` holds no fragment.
    """
    found = [
        (m.group(1), read_page(f'<script type="application/json" id="{DATA_ID}">{m.group(2)}</script>'))
        for m in _FRAGMENT_DATA.finditer(html)
    ]
    if not found:
        raise ValueError(f"'html' holds no <script id='...-{DATA_ID}'>: no symconv explorer fragment.")
    return found


def drawable(expansion: Any) -> tuple[Any, int | tuple[int, ...]] | None:
    """The layer and input size the explorer draws for ``expansion``, or None (not a 1D/2D convolution)."""
    spec = expansion.spec
    if not isinstance(spec, DRAWN) or spec.ndim not in (1, 2):
        return None
    shape = tuple(int(n) for n in expansion.input_shape)
    return spec, (shape[0] if spec.ndim == 1 else shape)


def expansion_html(expansion: Any) -> str | None:
    """``Expansion._repr_html_``: the explorer fragment, or None above :data:`MAX_NOTEBOOK_TAPS` taps, for a
    layer the explorer does not draw (3D, a pooling stage), or one too wide to draw (the page's limits)."""
    found = drawable(expansion)
    if found is None or len(expansion.taps) > MAX_NOTEBOOK_TAPS:
        return None
    try:
        return fragment_html(*found)
    except ValueError:  # the page's own limits (cells drawn, padding too wide)
        return None
