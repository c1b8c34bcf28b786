"""The explorer in Jupyter: ``Expansion._repr_html_`` (a scoped fragment), ``Expansion.explore()`` (an
anywidget), and ``docs/explore.ipynb`` executed with nbclient.

The fragment's embedded taps are held against the independent reference taps of
``tests/test_explore.py`` (PyTorch's ``F.pad`` index maps, PyTorch's transposed definition) and
against the page :func:`~symconv.explore.page.page_html` writes for the same layer; output counts
against PyTorch's own output shapes. The browser side is ``tests/test_explore_notebook_browser.py``.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from nbclient import NotebookClient
from test_explore import page_pad_taps, page_taps, reference_conv, reference_transposed

import symconv.explore.notebook as notebook
from symconv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, convolve
from symconv.explore import Highlights, page_html, read_page
from symconv.explore.notebook import MAX_NOTEBOOK_TAPS, SHIM_MEMBERS, fragment_html, read_fragments
from symconv.explore.page import asset
from symconv.explore.widget import ExploreWidget, widget_esm

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "explore.ipynb"

LAYERS = [
    (Conv1d(1, 1, 3, padding=1), 5),
    (Conv1d(2, 2, 3, stride=2, dilation=2, padding=(3, 1), padding_mode="reflect", groups=2, flip=True), 7),
    (Conv2d(2, 2, 3, stride=(2, 1), padding=1, padding_mode="circular"), (4, 5)),
    (Conv2d(1, 1, (2, 3), dilation=(2, 1), padding=((2, 0), "same"), padding_mode="replicate"), (5, 4)),
    (ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=1), 4),
    (ConvTranspose2d(2, 2, 3, stride=2, padding=1, groups=2), (3, 3)),
]


def torch_output_shape(layer, size) -> tuple[int, ...]:
    """PyTorch's output shape ``(C_out, *spatial)`` of a layer (zero padding: the shape does not depend on the mode)."""
    shape = (size,) if isinstance(size, int) else tuple(size)
    ndim = len(shape)
    x = torch.zeros(1, layer.in_channels, *shape)
    if "Transpose" in type(layer).__name__:
        w = torch.zeros(layer.in_channels, layer.out_channels // layer.groups, *np.atleast_1d(layer.kernel_size))
        fn = F.conv_transpose1d if ndim == 1 else F.conv_transpose2d
        options = {"output_padding": layer.output_padding}
        padding = layer.padding
    else:
        w = torch.zeros(layer.out_channels, layer.in_channels // layer.groups, *np.atleast_1d(layer.kernel_size))
        fn = F.conv1d if ndim == 1 else F.conv2d
        pads = [tuple(layer.resolve_padding(shape[0]))] if ndim == 1 else list(layer.resolve_padding(shape))
        x = F.pad(x, [v for left, right in reversed(pads) for v in (left, right)])
        options, padding = {}, 0
    out = fn(x, w, stride=layer.stride, padding=padding, dilation=layer.dilation, groups=layer.groups, **options)
    return tuple(out.shape[1:])


def only(html: str) -> dict:
    [(_, data)] = read_fragments(html)
    return data


# -- _repr_html_ ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("layer", "size"), LAYERS, ids=lambda v: repr(v)[:40])
def test_repr_html_embeds_the_reference_taps(layer, size) -> None:
    """The fragment of ``layer.expand(size)`` embeds the reference taps and pad taps, the page's data for the same
    layer, and PyTorch's output shape; its highlights are the page's."""
    html = layer.expand(size)._repr_html_()
    assert html is not None
    data = only(html)
    shape = (size,) if isinstance(size, int) else size
    transposed = "Transpose" in type(layer).__name__
    out, taps, pads = (reference_transposed if transposed else reference_conv)(layer, shape)
    assert tuple(data["output_shape"]) == out
    assert (data["out_channels"], *out) == torch_output_shape(layer, size)
    assert page_taps(data) == taps
    assert page_pad_taps(data) == pads
    page = read_page(page_html(layer, size))
    assert page_taps(page) == taps and page_pad_taps(page) == pads
    assert {k: v for k, v in data.items() if k not in ("taps", "pads")} == {
        k: v for k, v in page.items() if k not in ("taps", "pads")
    }
    h, ref = Highlights(data), Highlights(page)
    for kind, shape_of in (("output", data["output_shape"]), ("input", data["input_shape"])):
        channels = data["out_channels" if kind == "output" else "in_channels"]
        for flat in range(math.prod([channels, *shape_of])):
            index = ",".join(str(int(v)) for v in np.unravel_index(flat, [channels, *shape_of]))
            assert h.focus(kind, index) == ref.focus(kind, index)


def test_repr_html_of_a_numpy_mode_draws_its_convolution() -> None:
    e = convolve(3, "same").expand(6)  # np.convolve(x, w, 'same'): a flipped Conv1d with padding (1, 1)
    data = only(e._repr_html_())
    assert data["flip"] is True and data["output_shape"] == [6] and data["padding"] == [[1, 1]]


def test_the_size_threshold(monkeypatch) -> None:
    """At MAX_NOTEBOOK_TAPS taps the explorer; one more and None (Jupyter shows the LaTeX); a 3D layer: None."""
    assert MAX_NOTEBOOK_TAPS == 20_000
    at = Conv1d(1, 1, 1).expand(MAX_NOTEBOOK_TAPS)
    above = Conv1d(1, 1, 1).expand(MAX_NOTEBOOK_TAPS + 1)
    assert len(at.taps) == MAX_NOTEBOOK_TAPS
    assert len(only(at._repr_html_())["taps"]["rows"]) == MAX_NOTEBOOK_TAPS
    assert above._repr_html_() is None
    assert above._repr_latex_().startswith("$\\displaystyle")
    monkeypatch.setattr(notebook, "MAX_NOTEBOOK_TAPS", 9)  # the constant is read at each display
    assert Conv1d(1, 1, 3).expand(5)._repr_html_() is not None  # 9 taps
    assert Conv1d(1, 1, 3).expand(6)._repr_html_() is None  # 12 taps
    assert Conv3d(1, 1, 2).expand((2, 2, 2))._repr_html_() is None
    wide = Conv1d(1, 1, 1, padding=70_000).expand(1)  # 140,001 taps' worth of cells: the page refuses to draw it
    assert len(wide.taps) < MAX_NOTEBOOK_TAPS and wide._repr_html_() is None


def test_two_renders_do_not_collide() -> None:
    """Two displays of layers (even of the same expansion) in one document: distinct containers, every id unique and
    inside its own prefix, every reference to an id resolved in its own fragment, every style rule scoped."""
    e = Conv1d(1, 2, 3, padding=1).expand(5)
    first, second, third = e._repr_html_(), e._repr_html_(), Conv2d(1, 1, 2).expand((3, 3))._repr_html_()
    fragments = [first, second, third]
    cids = [re.match(r'<div id="([^"]+)" class="symconv-explore"', f).group(1) for f in fragments]
    assert len(set(cids)) == 3
    document = "".join(fragments)
    markup = re.sub(r"<script>.*?</script>", "", document, flags=re.S)  # the shim's JS writes id="' + ..."
    ids = re.findall(r'(?<![\w-])id="([^"]+)"', markup)
    assert len(ids) == len(set(ids)) > 3 * 20
    for cid, fragment in zip(cids, fragments):
        own = set(re.findall(r'(?<![\w-])id="([^"]+)"', re.sub(r"<script>.*?</script>", "", fragment, flags=re.S)))
        assert all(i == cid or i.startswith(cid + "-") for i in own)
        refs = re.findall(r'(?:for|aria-labelledby|aria-describedby)="([^"]+)"', fragment)
        refs += re.findall(r'href="#([^"]+)"', fragment)
        assert refs and all(r in own for ref in refs for r in ref.split())
        style = re.search(r"<style>(.*?)</style>", fragment, re.S).group(1)
        selectors = [s.strip() for rule in style.split("}") if rule.strip() for s in rule.split("{")[0].split(",")]
        assert selectors and all(s == f"#{cid}" or s.startswith(f"#{cid} ") for s in selectors)
        assert not re.search(r"(?<![\w-])(body|html|:root)\b", style)
        script = re.findall(r"<script>(.*?)</script>", fragment, re.S)
        assert len(script) == 1 and f"document.getElementById('{cid}')" in script[0]
        assert asset("explore.js") in script[0]
        assert "<main" not in fragment and "<h1" not in fragment and "<body" not in fragment
    assert [c for c, _ in read_fragments(document)] == cids


def test_the_document_shim_covers_the_page_script() -> None:
    """The page's script reaches the document only through members the fragment's shim provides."""
    used = set(re.findall(r"\bdocument\.(\w+)", asset("explore.js")))
    assert used and used <= set(SHIM_MEMBERS)
    assert not re.search(r"\bwindow\.|\blocation\b|\bquerySelector(All)?\(", asset("explore.js"))


def test_fragment_is_self_contained() -> None:
    html = Conv2d(1, 2, 3, stride=2, padding=1).expand((5, 5))._repr_html_()
    html += fragment_html(ConvTranspose2d(1, 1, 3, stride=2), (3, 3))
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<link\b|@import|url\(\s*['\"]?(https?:)?//|<script\s[^>]*src=|<iframe|<img", html, re.I)
    assert "symconv explore --serve</code>" not in html and "e.explore()" in html


def test_fragment_refuses_a_bad_container() -> None:
    with pytest.raises(ValueError, match="'container' must be a letter"):
        fragment_html(Conv1d(1, 1, 3), 5, container='x" onmouseover="alert(1)')


def test_import_symconv_does_not_load_the_explorer() -> None:
    code = "import sys, symconv; print([m for m in sys.modules if m.startswith(('symconv.explore', 'anywidget'))])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- the widget ---------------------------------------------------------------------------------


def fresh(layer, size) -> dict:
    """The page data of a fresh expansion of ``layer`` (what the widget must show)."""
    return read_page(page_html(layer.expand(size).spec, size))


def same_view(widget: ExploreWidget, layer, size) -> None:
    data, want = only(widget.html), fresh(layer, size)
    assert page_taps(data) == page_taps(want) and page_pad_taps(data) == page_pad_taps(want)
    assert data["layer"] == want["layer"] == repr(layer) == widget.layer_repr
    assert tuple(widget.output_shape) == torch_output_shape(layer, size)
    assert widget.taps == len(layer.expand(size).taps) and widget.error == ""


def test_widget_starts_with_the_expansion() -> None:
    layer = Conv1d(1, 2, 3, stride=2, padding=1, padding_mode="reflect")
    w = layer.expand(9).explore()
    assert isinstance(w, ExploreWidget)
    assert (w.kernel_size, w.stride, w.padding, w.padding_mode, w.input_size) == (3, 2, 1, "reflect", 9)
    same_view(w, layer, 9)


def test_widget_recomputes_when_a_trait_changes() -> None:
    """A change from Python (a trait) or from the view (``set_state``, what a comm message does) recomputes."""
    w = Conv1d(1, 2, 3, stride=2, padding=1).expand(9).explore()
    w.kernel_size = 5
    same_view(w, Conv1d(1, 2, 5, stride=2, padding=1), 9)
    w.set_state({"stride": 1, "dilation": 2, "padding_mode": "circular"})
    same_view(w, Conv1d(1, 2, 5, padding=1, dilation=2, padding_mode="circular"), 9)
    w.set_state({"input_size": [6, 7], "padding": "0:1,same", "kernel_size": [3, 2]})
    same_view(w, Conv2d(1, 2, (3, 2), padding=((0, 1), "same"), dilation=2, padding_mode="circular"), (6, 7))
    w.set_state({"transposed": True, "padding": [1, 0], "padding_mode": "zeros", "stride": [2, 1]})
    same_view(w, ConvTranspose2d(1, 2, (3, 2), stride=(2, 1), padding=(1, 0), dilation=2), (6, 7))
    w.set_state({"in_channels": 2, "groups": 2, "bias": False, "output_padding": [1, 0]})
    layer = ConvTranspose2d(
        2, 2, (3, 2), stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=2, bias=False, dilation=2
    )
    same_view(w, layer, (6, 7))


def test_widget_keeps_its_view_and_says_why_on_bad_traits() -> None:
    w = Conv1d(1, 1, 3).expand(6).explore()
    html = w.html
    w.stride = 0
    assert w.error == "'stride' must be a positive int (got 0)." and w.html == html
    w.stride = 2
    assert w.error == "" and only(w.html)["output_shape"] == [2]
    w.output_padding = 1
    assert "'output_padding' belongs to a transposed layer" in w.error
    w.output_padding = 0
    w.input_size = [2, 3, 4]
    assert w.error.startswith("'input_size' must be an int (1D) or two ints (2D)")
    w.input_size = 6
    w.set_state({"transposed": True, "flip": True})
    assert "'flip' belongs to a convolution" in w.error
    w.flip = False
    assert w.error == "" and w.layer_repr.startswith("ConvTranspose1d(")


def test_explore_refuses_a_layer_it_does_not_draw() -> None:
    with pytest.raises(ValueError, match="explore\\(\\): the explorer draws 1D and 2D"):
        Conv3d(1, 1, 2).expand((2, 2, 2)).explore()


def test_widget_module_is_inlined() -> None:
    """The ESM holds the page's script and the view's, imports nothing and fetches nothing."""
    esm = widget_esm()
    assert asset("explore.js") in esm and asset("widget.js") in esm and "export default { render }" in esm
    assert not re.search(r"^\s*import\b|\bimport\s*\(|https?://(?!www\.w3\.org/1998/Math/MathML)", esm, re.M)
    assert ExploreWidget._esm == esm


# -- the notebook -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=60, kernel_name="python3", store_widget_state=True)
    client.execute(cwd=str(tmp_path_factory.mktemp("nb")))
    return nb, time.perf_counter() - start


def outputs(nb, mime: str) -> list:
    return [o["data"][mime] for c in nb.cells if c.cell_type == "code" for o in c.outputs if mime in o.get("data", {})]


def test_notebook_executes_and_displays_the_explorer(executed) -> None:
    nb, seconds = executed
    print(f"docs/explore.ipynb executed in {seconds:.1f} s")  # timing is for the log, never asserted
    html = outputs(nb, "text/html")
    assert len(html) == 2 and len(outputs(nb, "text/latex")) == 2  # the LaTeX display stays in the bundle
    layers = [
        (Conv1d(1, 2, 3, stride=2, padding=1, padding_mode="reflect"), 9),
        (Conv2d(1, 1, 3, stride=2, padding=1), (5, 5)),
    ]
    (cid_a, a), (cid_b, b) = read_fragments("".join(html))
    assert cid_a != cid_b
    for data, (layer, size) in zip((a, b), layers):
        want = fresh(layer, size)
        assert page_taps(data) == page_taps(want) and page_pad_taps(data) == page_pad_taps(want)
        outputs_drawn = data["out_channels"] * math.prod(data["output_shape"])  # the data-kind="output" cells
        assert outputs_drawn == math.prod(torch_output_shape(layer, size))


def test_notebook_widget_state_follows_the_control_change(executed) -> None:
    nb, _ = executed
    [view] = outputs(nb, "application/vnd.jupyter.widget-view+json")
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"][view["model_id"]]["state"]
    layer = Conv1d(1, 2, 5, padding=1, padding_mode="reflect")  # kernel 5, stride 1: set from Python in the notebook
    assert (state["kernel_size"], state["stride"], state["error"]) == (5, 1, "")
    assert tuple(state["output_shape"]) == torch_output_shape(layer, 9) == (2, 7)
    data = only(state["html"])
    assert page_taps(data) == page_taps(fresh(layer, 9))
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "output: [2, 5] taps: 30" in printed and "output: [2, 7] taps: 70" in printed
    assert "'in_channels' must be divisible by 'groups' (got in_channels=1, groups=3)." in printed
