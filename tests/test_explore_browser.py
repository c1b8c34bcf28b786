"""``symconv explore`` pages in a real browser: Debian's chromium driven by Playwright.

The ``hl`` sets the page shows on hover and keyboard focus are compared with
:class:`~symconv.explore.model.Highlights` (which ``tests/test_explore.py`` holds against
independently computed taps); every request the page makes is routed and anything that is not
``file:``, ``data:`` or ``about:`` fails the test; the console must stay free of errors; axe-core
(the npm package, inlined into the page) must find no WCAG 2.1 A/AA violation.

Needs: ``apt-get install chromium`` (or ``SYMCONV_CHROMIUM=/path/to/chrome``), ``pip install
playwright`` (its own browser download is not used); axe-core is downloaded once from the npm registry (or
``SYMCONV_AXE_JS=/path/to/axe.min.js``). ``SYMCONV_WRITE_FIGURES=1`` writes the screenshots to
``docs/figures/explore-*.png`` instead of a temporary folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page

from symconv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from symconv.explore import Highlights, page_html, read_page
from symconv.explore.model import label

AXE_VERSION = "4.14.1"
ROOT = Path(__file__).resolve().parent.parent
KINDS = ("output", "input", "weight", "entry", "pad")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_path() -> str:
    path = os.environ.get("SYMCONV_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("no chromium: apt-get install chromium, or set SYMCONV_CHROMIUM to a Chrome/Chromium binary")
    return path


# the npm registry's tarball of axe-core, and its SHA-256 (checked: a changed download fails the test)
AXE_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
AXE_SHA256 = "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745"


def axe_source() -> str:
    """axe-core's ``axe.min.js``: ``SYMCONV_AXE_JS``, else downloaded once from the npm registry (no npm
    needed), its SHA-256 checked, and cached."""
    given = os.environ.get("SYMCONV_AXE_JS")
    if given:
        return Path(given).read_text(encoding="utf-8")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "symconv" / f"axe-core-{AXE_VERSION}"
    target = cache / "axe.min.js"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(AXE_URL, timeout=120) as response:
            data = response.read()
        digest = hashlib.sha256(data).hexdigest()
        assert digest == AXE_SHA256, f"{AXE_URL} has SHA-256 {digest}, not {AXE_SHA256}"
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            member = tar.extractfile("package/axe.min.js")
            assert member is not None
            part = target.with_suffix(f".{os.getpid()}.part")  # written whole, then renamed: test processes
            part.write_bytes(member.read())  # running side by side never read half a file
            os.replace(part, target)
    return target.read_text(encoding="utf-8")


class Loaded:
    """A page loaded from a file, with every request and console error recorded."""

    def __init__(self, browser, path: Path) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("html[data-ready]")

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def marked(self) -> dict[str, set[str]]:
        pairs = self.page.eval_on_selector_all(".hl", "es => es.map(e => [e.dataset.kind, e.dataset.index])")
        out: dict[str, set[str]] = {kind: set() for kind in KINDS}
        for kind, index in pairs:
            out[kind].add(index)
        return out

    def present(self, kind: str) -> list[str]:
        return self.page.eval_on_selector_all(f"[data-kind={kind}]", "es => es.map(e => e.dataset.index)")

    def close(self) -> None:
        assert not self.outside, f"requests left the page: {self.outside}"
        assert not self.errors, f"console errors: {self.errors}"
        self.page.close()


def write(tmp_path: Path, layer, size) -> tuple[Path, Highlights]:
    html = page_html(layer, size)
    path = tmp_path / f"{type(layer).__name__}-{abs(hash(repr(layer))) % 10**8}.html"
    path.write_text(html, encoding="utf-8")
    return path, Highlights(read_page(html))


def selector(kind: str, index: str) -> str:
    return f'[data-kind="{kind}"][data-index="{index}"]'


def check_hover(loaded: Loaded, h: Highlights, kind: str, index: str) -> None:
    """Hover one element: its hl sets are the model's (entries: those the matrix window draws)."""
    loaded.page.hover(selector(kind, index))
    got = loaded.marked()
    want = h.focus(kind, index)
    shown = set(loaded.present("entry"))
    want["entry"] &= shown
    assert got == want, (kind, index)
    focus = loaded.page.eval_on_selector("[data-focus]", "e => [e.dataset.kind, e.dataset.index, e.className]")
    assert focus[:2] == [kind, index] and "hl" not in focus[2].split()


LAYERS = [
    (Conv1d(1, 1, 3, padding=1), 5),
    (Conv1d(2, 2, 3, stride=2, dilation=2, padding=(3, 1), padding_mode="reflect", groups=2, flip=True), 7),
    (Conv1d(1, 2, 4, padding="full", padding_mode="symmetric"), 3),
    (Conv2d(2, 2, 3, stride=(2, 1), padding=1, padding_mode="circular"), (4, 5)),
    (Conv2d(1, 1, (2, 3), dilation=(2, 1), padding=((2, 0), "same"), padding_mode="replicate"), (5, 4)),
    (ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=1), 4),
    (ConvTranspose2d(2, 2, 3, stride=2, padding=1, groups=2), (3, 3)),
]


SWEEP = """kind => Array.from(document.querySelectorAll(`[data-kind="${kind}"]`)).map(el => {
  el.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
  return [el.dataset.index, Array.from(document.querySelectorAll(".hl")).map(e => [e.dataset.kind, e.dataset.index])];
})"""


@pytest.mark.parametrize(("layer", "size"), LAYERS, ids=lambda v: repr(v)[:40])
def test_hover_marks_the_taps(browser, tmp_path, layer, size) -> None:
    """Every output, input, weight and matrix entry hovered (a mouseover on each, and the real mouse on a
    few of each kind): hl is exactly the taps' answer."""
    path, h = write(tmp_path, layer, size)
    loaded = Loaded(browser, path)
    assert loaded.page.text_content("#matrix-note").startswith("The whole")  # every entry is drawn
    for kind in ("output", "input", "weight", "entry"):
        swept = loaded.page.evaluate(SWEEP, kind)
        assert len(swept) == len(loaded.present(kind)) > 0
        for index, pairs in swept:
            got: dict[str, set[str]] = {k: set() for k in KINDS}
            for k, i in pairs:
                got[k].add(i)
            assert got == h.focus(kind, index), (kind, index)
        for index in (swept[0][0], swept[-1][0]):  # the real mouse on the first and the last
            check_hover(loaded, h, kind, index)
    loaded.page.hover("h1")
    assert loaded.marked() == {kind: set() for kind in KINDS}  # leaving the cells clears the marks
    loaded.close()


RECORD_FOCUS = """() => {
  window.focusedByTab = [];
  document.addEventListener("focusin", ev => {
    const el = ev.target;
    const marks = Array.from(document.querySelectorAll(".hl")).map(e => [e.dataset.kind, e.dataset.index]);
    window.focusedByTab.push([el.dataset.kind || null, el.dataset.index || null, marks]);
  });
}"""


def test_keyboard_reaches_every_output_and_focus_marks_like_hover(browser, tmp_path) -> None:
    """Tab from the top reaches every output, and each focused output marks what hovering it marks."""
    for layer, size in (LAYERS[0], (Conv2d(1, 2, 2, padding=(1, 0)), (2, 3)), LAYERS[5]):
        path, h = write(tmp_path, layer, size)
        loaded = Loaded(browser, path)
        outputs = set(loaded.present("output"))
        loaded.page.evaluate(RECORD_FOCUS)
        stops = loaded.page.evaluate("() => document.querySelectorAll('[tabindex=\"0\"], a[href]').length")
        for _ in range(stops + 2):
            loaded.page.keyboard.press("Tab")
        focused = loaded.page.evaluate("() => window.focusedByTab")
        reached = {index for kind, index, _ in focused if kind == "output"}
        assert reached == outputs
        for kind, index, marks in focused:  # focus marks as hover does
            if kind == "output":
                got: dict[str, set[str]] = {k: set() for k in KINDS}
                for k, i in marks:
                    got[k].add(i)
                assert got == h.focus(kind, index), index
        first = sorted(outputs, key=lambda i: [int(v) for v in i.split(",")])[0]
        loaded.page.focus(selector("output", first))
        loaded.page.keyboard.press("ArrowRight")  # the arrow keys walk a grid
        index = loaded.page.evaluate("() => document.activeElement.dataset.index")
        want = first[: first.rindex(",")] + "," + str(int(first.split(",")[-1]) + 1)
        assert index == want and loaded.page.get_attribute(selector("output", want), "data-focus") == ""
        loaded.close()


def test_large_page_is_interactive_and_answers_from_the_taps(browser, tmp_path) -> None:
    """Conv2d(3, 8, 3) on 32x32 (194,400 taps): the page becomes ready (within 1 s of navigation, as
    ``make bench`` measures); hovers answer from the taps, and the matrix window always holds the focused
    output's row."""
    path, h = write(tmp_path, Conv2d(3, 8, 3), (32, 32))
    loaded = Loaded(browser, path)
    ready = int(loaded.page.get_attribute("html", "data-ready") or 0)
    script = loaded.page.get_attribute("html", "data-script-ms")
    print(
        f"Conv2d(3, 8, 3) on 32x32: {path.stat().st_size / 1e6:.2f} MB, interactive {ready} ms after navigation "
        f"(script {script} ms)"
    )
    assert ready > 0  # it became interactive; how fast is measured by make bench (bench_explore), not asserted
    out_shape = [8, 30, 30]
    for row in (0, 1234, 3599, 7199):
        index = label(row, out_shape)
        check_hover(loaded, h, "output", index)
        assert set(loaded.present("entry")) >= h.focus("output", index)["entry"]  # the window follows
    check_hover(loaded, h, "input", "1,10,10")
    check_hover(loaded, h, "weight", "7,2,1,1")
    loaded.close()


@pytest.mark.parametrize(
    ("layer", "size", "hover"),
    [
        (Conv1d(1, 1, 3, padding=1, padding_mode="reflect"), 5, ("output", "0,0")),
        (Conv2d(2, 2, 3, stride=2, padding=1), (5, 5), ("output", "1,1,1")),
        (ConvTranspose2d(1, 1, 3, stride=2), (3, 3), ("weight", "0,0,1,1")),
    ],
)
def test_axe_finds_no_wcag_aa_violation(browser, tmp_path, layer, size, hover) -> None:
    """axe-core, inlined, on the page at rest and with a focused element and its highlights."""
    path, _ = write(tmp_path, layer, size)
    loaded = Loaded(browser, path)
    loaded.page.add_script_tag(content=axe_source())
    options = json.dumps({"runOnly": {"type": "tag", "values": WCAG}})
    for step in ("rest", "hover"):
        if step == "hover":
            loaded.page.hover(selector(*hover))
        result = loaded.page.evaluate(f"async () => (await axe.run(document, {options})).violations")
        summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result]
        assert not result, f"{step}: {summary}"
    loaded.close()


FIGURES = [
    ("explore-conv1d-seed.png", Conv1d(1, 1, 3), 5, ("output", "0,1")),
    ("explore-conv2d.png", Conv2d(1, 2, 3, stride=2, padding=1, padding_mode="reflect"), (7, 7), ("output", "1,0,3")),
    (
        "explore-transposed.png",
        ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1),
        (4, 4),
        ("output", "0,3,4"),
    ),
]


def test_screenshots(browser, tmp_path) -> None:
    """The figures of the docs: a 1D seed layer, a 2D layer and a transposed layer with its heat map, hovered."""
    folder = ROOT / "docs" / "figures" if os.environ.get("SYMCONV_WRITE_FIGURES") == "1" else tmp_path
    for name, layer, size, hover in FIGURES:
        path, h = write(tmp_path, layer, size)
        loaded = Loaded(browser, path)
        check_hover(loaded, h, *hover)
        loaded.page.screenshot(path=str(folder / name), full_page=True)
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if "transposed" in name:
            counts = loaded.page.eval_on_selector_all(".heat", "es => es.map(e => Number(e.dataset.count))")
            want = [int(v) for v in h.rows.tolist()]
            per_row = [want.count(r) for r in range(len(counts))]
            assert counts == per_row and len(set(counts)) > 1  # the checkerboard: uneven overlap
        loaded.close()


SUBMITTED = """() => document.getElementById("controls").addEventListener("submit", () => {
  sessionStorage.submitted = String(performance.timeOrigin + performance.now());
}, true)"""
SINCE_SUBMITTED = """() => performance.timeOrigin + Number(document.documentElement.dataset.ready)
  - Number(sessionStorage.submitted)"""


def test_served_controls_recompute_the_layer(browser) -> None:
    """``--serve``: changing a control reloads the page of the new layer; its output count is PyTorch's, and a
    1D layer on 256 inputs redraws within 300 ms of the change."""
    import torch

    from symconv.cli.app import build_parser
    from symconv.cli.explore import render_query
    from symconv.explore.serve import Server

    first = build_parser().parse_args(["explore", "--serve", "--no-open", "--input-length", "256"])
    with Server(lambda query: render_query(query, first)) as server:
        page = browser.new_page()
        outside: list[str] = []
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        def route(r) -> None:
            if r.request.url.startswith(server.url):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(server.url)
        page.wait_for_selector("html[data-ready]")

        def change(name: str, value: str | None, ready: bool = True) -> float:
            """Change a control; the milliseconds from the form's submission to the new page being ready."""
            page.evaluate(SUBMITTED)
            with page.expect_navigation():
                if value is None:
                    page.click(f'[name="{name}"]')  # a checkbox
                else:
                    page.fill(f'[name="{name}"]', value)
                    page.press(f'[name="{name}"]', "Enter")
            if not ready:
                return 0.0
            page.wait_for_selector("html[data-ready]")
            return float(page.evaluate(SINCE_SUBMITTED))

        def outputs() -> int:
            return page.locator("[data-kind=output]").count()

        assert outputs() == torch.nn.Conv1d(1, 1, 3)(torch.zeros(1, 1, 256)).numel()
        page.add_script_tag(content=axe_source())  # the live controls and their button, too
        options = json.dumps({"runOnly": {"type": "tag", "values": WCAG}})
        assert page.evaluate(f"async () => (await axe.run(document, {options})).violations") == []
        times = [change("kernel-size", "5")]
        assert outputs() == torch.nn.Conv1d(1, 1, 5)(torch.zeros(1, 1, 256)).numel()
        times += [change("stride", "3"), change("padding", "2")]
        print(f"--serve: a Conv1d on 256 inputs redrawn {', '.join(f'{t:.0f}' for t in times)} ms after each change")
        assert len(times) == 3 and min(times) > 0  # the redraw time is measured by make bench (bench_explore)
        assert outputs() == torch.nn.Conv1d(1, 1, 5, stride=3, padding=2)(torch.zeros(1, 1, 256)).numel()
        change("transposed", None)
        want = torch.nn.ConvTranspose1d(1, 1, 5, stride=3, padding=2)(torch.zeros(1, 1, 256)).numel()
        assert outputs() == want
        assert page.get_attribute('[name="transposed"]', "checked") is not None
        change("input-length", "6,5")  # a 2D layer
        want = torch.nn.ConvTranspose2d(1, 1, 5, stride=3, padding=2)(torch.zeros(1, 1, 6, 5)).numel()
        assert outputs() == want
        change("kernel-size", "9")  # the transposed layer takes it: (6-1)*3 - 4 + 8 + 1
        assert page.locator("[data-kind=output]").count() == 20 * 17
        change("transposed", None)  # Conv2d(1, 1, 9, stride=3, padding=2) on 6x5: one output
        assert outputs() == torch.nn.Conv2d(1, 1, 9, stride=3, padding=2)(torch.zeros(1, 1, 6, 5)).numel() == 1
        change("padding", "0", ready=False)  # 6x5 is smaller than the kernel: the error, and the controls
        assert page.text_content("#error").startswith("axis 0: input size 6 with padding (0, 0)")
        assert page.locator("[data-kind=output]").count() == 0
        assert page.input_value('[name="kernel-size"]') == "9"
        change("kernel-size", "3")  # the error page's form submits too
        assert outputs() == torch.nn.Conv2d(1, 1, 3, stride=3)(torch.zeros(1, 1, 6, 5)).numel()
        page.close()
        assert not outside, outside
        assert errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]  # one
