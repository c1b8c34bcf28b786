"""The explorer's notebook fragments and widget view in a real browser: Debian's chromium driven by Playwright.

Two ``_repr_html_`` fragments in one document (as two outputs of a notebook): each draws PyTorch's
number of outputs, and hovering a cell in one marks exactly what
:class:`~symconv.explore.model.Highlights` says, inside its own container, and nothing in the other.
The widget's module (the ESM anywidget loads) is run on a stand-in model in two views: a control
changed in a view sends its trait to the model; the html Python recomputes redraws both views. No
request leaves the page and the console stays free of errors.

Needs chromium and Playwright, as ``tests/test_explore_browser.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from playwright.sync_api import Page
from test_explore_notebook import torch_output_shape

from symconv import Conv1d, Conv2d, ConvTranspose1d
from symconv.explore import Highlights
from symconv.explore.notebook import read_fragments
from symconv.explore.widget import widget_esm

KINDS = ("output", "input", "weight", "entry", "pad")


class Loaded:
    """A page loaded from a file, every request outside ``file:``/``data:``/``blob:`` refused and recorded."""

    def __init__(self, browser, path: Path, ready: str) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        self.page.wait_for_selector(ready)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def marked(self, container: str) -> dict[str, set[str]]:
        pairs = self.page.eval_on_selector_all(
            f'[id="{container}"] .hl', "es => es.map(e => [e.dataset.kind, e.dataset.index])"
        )
        out: dict[str, set[str]] = {kind: set() for kind in KINDS}
        for kind, index in pairs:
            out[kind].add(index)
        return out

    def count(self, container: str, selector: str) -> int:
        return int(self.page.eval_on_selector_all(f'[id="{container}"] {selector}', "es => es.length"))

    def present(self, container: str, kind: str) -> set[str]:
        found = self.page.eval_on_selector_all(
            f'[id="{container}"] [data-kind="{kind}"]', "es => es.map(e => e.dataset.index)"
        )
        return set(found)

    def hover(self, container: str, h: Highlights, kind: str, index: str, others: list[str]) -> None:
        """Hover one cell: its container marks the model's set (entries: those its matrix window draws), others none."""
        self.page.hover(f'[id="{container}"] [data-kind="{kind}"][data-index="{index}"]')
        want = h.focus(kind, index)
        want["entry"] &= self.present(container, "entry")
        assert self.marked(container) == want, (container, kind, index)
        assert self.count(container, "[data-focus]") == 1
        for other in others:
            assert self.count(other, ".hl") == 0 and self.count(other, "[data-focus]") == 0, (other, kind, index)

    def close(self) -> None:
        assert not self.outside, f"requests left the page: {self.outside}"
        assert not self.errors, f"console errors: {self.errors}"
        self.page.close()


#: Dispatch mouseover on every cell of a kind in one container; the marks each leaves in that container.
SWEEP = """([cid, kind]) => {
  const root = document.getElementById(cid);
  const found = Array.from(root.querySelectorAll(`[data-kind="${kind}"]`)).map(el => {
    el.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
    const marks = Array.from(root.querySelectorAll(".hl")).map(e => [e.dataset.kind, e.dataset.index]);
    const entries = Array.from(root.querySelectorAll('[data-kind="entry"]')).map(e => e.dataset.index);
    return [el.dataset.index, marks, entries];
  });
  root.querySelector("[data-focus]").dispatchEvent(new MouseEvent("mouseout", {bubbles: true}));  /* leave */
  return found;
}"""


NOTEBOOK_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>two outputs</title></head>
<body><main><h1>Two notebook outputs</h1>
<div class="jp-OutputArea-output">{0}</div>
<p>Some text between the outputs.</p>
<div class="jp-OutputArea-output">{1}</div>
</main></body></html>
"""


def test_two_fragments_in_one_document_keep_to_their_containers(browser, tmp_path) -> None:
    layers = [
        (Conv1d(1, 2, 3, stride=2, padding=1, padding_mode="reflect"), 9),
        (Conv2d(1, 1, 3, stride=2, padding=1), (5, 5)),
        (ConvTranspose1d(1, 1, 3, stride=2, padding=1), 4),
    ]
    fragments = [layer.expand(size)._repr_html_() for layer, size in layers]
    path = tmp_path / "outputs.html"
    path.write_text(NOTEBOOK_PAGE.format(fragments[0], fragments[1] + fragments[2]), encoding="utf-8")
    found = read_fragments("".join(fragments))
    cids = [cid for cid, _ in found]
    loaded = Loaded(browser, path, ", ".join(f'[id="{cid}"][data-ready]' for cid in cids))
    try:
        for (cid, data), (layer, size) in zip(found, layers):
            assert loaded.count(cid, '[data-kind="output"]') == math.prod(torch_output_shape(layer, size))
            assert loaded.count(cid, '[data-kind="input"]') == data["in_channels"] * math.prod(data["input_shape"])
        highlights = [Highlights(data) for _, data in found]
        for i, (cid, _) in enumerate(found):  # every cell, by dispatched events: the container's own marks
            for kind in ("output", "input", "weight"):
                for index, marks, entries in loaded.page.evaluate(SWEEP, [cid, kind]):
                    want = highlights[i].focus(kind, index)
                    want["entry"] &= set(entries)  # those the matrix window draws
                    got: dict[str, set[str]] = {k: set() for k in KINDS}
                    for k, e in marks:
                        got[k].add(e)
                    assert got == want, (cid, kind, index)
        for rounds in range(2):  # the real mouse, back and forth: leaving a container for another clears its marks
            for i, (cid, _) in enumerate(found):
                others = [c for c in cids if c != cid]
                for kind in ("output", "input", "weight"):
                    loaded.hover(cid, highlights[i], kind, sorted(loaded.present(cid, kind))[-1 - rounds], others)
        # the keyboard: focus moves into the second container and marks there only
        loaded.page.mouse.move(0, 0)
        loaded.page.focus(f'[id="{cids[1]}"] [data-kind="output"][data-index="0,1,1"]')
        assert loaded.marked(cids[1]) == {
            **highlights[1].focus("output", "0,1,1"),
            "entry": highlights[1].focus("output", "0,1,1")["entry"] & loaded.present(cids[1], "entry"),
        }
        assert loaded.count(cids[0], ".hl") == loaded.count(cids[2], ".hl") == 0
        # the equation is written in the hovered output's own container; the others' stay as they were
        before = [loaded.page.inner_text(f'[id="{cid}-equation"]') for cid in cids[1:]]
        loaded.page.hover(f'[id="{cids[0]}"] [data-kind="output"][data-index="1,2"]')
        assert "3 taps read the input" in loaded.page.inner_text(f'[id="{cids[0]}-equation"]')
        assert [loaded.page.inner_text(f'[id="{cid}-equation"]') for cid in cids[1:]] == before
    finally:
        loaded.close()


WIDGET_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>widget views</title></head>
<body><main><h1>Two views of one widget</h1><div id="a"></div><div id="b"></div></main>
<script type="text/plain" id="esm">{esm}</script>
<script type="application/json" id="state">{state}</script>
<script type="module">
const src = document.getElementById("esm").textContent;
const mod = await import(URL.createObjectURL(new Blob([src], {{ type: "text/javascript" }})));
const state = JSON.parse(document.getElementById("state").textContent), handlers = {{}};
window.sent = [];
window.saves = 0;
const model = {{
  get: (k) => state[k],
  set: (k, v) => {{ state[k] = v; window.sent.push([k, v]); }},
  save_changes: () => {{ window.saves += 1; }},
  on: (ev, fn) => {{ (handlers[ev] = handlers[ev] || []).push(fn); }},
  off: (ev, fn) => {{ handlers[ev] = (handlers[ev] || []).filter((f) => f !== fn); }},
}};
window.update = (changes) => {{
  Object.assign(state, changes);
  Object.keys(changes).forEach((k) => (handlers["change:" + k] || []).forEach((f) => f()));
}};
mod.default.render({{ model, el: document.getElementById("a") }});
mod.default.render({{ model, el: document.getElementById("b") }});
document.documentElement.setAttribute("data-ready", "");
</script></body></html>
"""


def test_widget_views_send_controls_and_redraw(browser, tmp_path) -> None:
    layer = Conv1d(1, 2, 3, stride=2, padding=1)
    w = layer.expand(9).explore()
    state = {"html": w.html, "error": ""}
    path = tmp_path / "widget.html"
    esm = widget_esm()
    assert "</script" not in esm.lower()  # a script element's text is raw: it would end there
    text = WIDGET_PAGE.format(esm=esm, state=json.dumps(state).replace("<", "\\u003c"))
    path.write_text(text, encoding="utf-8")
    loaded = Loaded(browser, path, "html[data-ready]")
    try:
        views = loaded.page.eval_on_selector_all(".symconv-explore", "es => es.map(e => e.id)")
        assert len(views) == len(set(views)) == 2 and all(v.startswith("symconv-widget-") for v in views)
        h = Highlights(read_fragments(w.html)[0][1])
        for cid in views:
            assert loaded.count(cid, '[data-kind="output"]') == math.prod(torch_output_shape(layer, 9)) == 10
            assert loaded.count(cid, "input:disabled, select:disabled") == 0  # the view's controls are live
            loaded.hover(cid, h, "output", "1,2", [v for v in views if v != cid])
        stride = f'[id="{views[0]}-c-stride"]'
        loaded.page.fill(stride, "1")
        loaded.page.press(stride, "Enter")
        loaded.page.fill(f'[id="{views[1]}-c-padding"]', "0,2")
        loaded.page.locator(f'[id="{views[1]}-c-padding"]').blur()
        loaded.page.check(f'[id="{views[1]}-c-no-bias"]')
        sent = loaded.page.evaluate("window.sent")
        assert sent == [["stride", 1], ["padding", [0, 2]], ["bias", False]]
        assert loaded.page.evaluate("window.saves") == 3
        w.set_state(dict(sent))  # what the comm delivers to Python
        want = Conv1d(1, 2, 3, padding=(0, 2), bias=False)
        assert w.layer_repr == repr(want) and w.error == ""
        loaded.page.evaluate("changes => window.update(changes)", {"html": w.html})
        for cid in views:
            assert loaded.count(cid, '[data-kind="output"]') == math.prod(torch_output_shape(want, 9)) == 18
        loaded.page.evaluate("changes => window.update(changes)", {"error": "'stride' must be a positive int (got 0)."})
        alerts = loaded.page.eval_on_selector_all("[role=alert]", "es => es.map(e => e.textContent)")
        assert alerts == ["'stride' must be a positive int (got 0)."] * 2
        loaded.page.evaluate("changes => window.update(changes)", {"error": ""})
        assert loaded.page.eval_on_selector_all("[role=alert]", "es => es.length") == 0
    finally:
        loaded.close()
