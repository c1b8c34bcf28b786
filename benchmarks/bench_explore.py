"""The explorer (issue 14): page size, time to interactive in headless chromium, and ``--serve`` redraw time.

* the page of ``Conv2d(3, 8, 3)`` on 32x32 (194,400 taps), target under 4 MB; the time to write it;
* its time to interactive: the page's own ``data-ready`` (milliseconds from the start of navigation until
  its script has drawn everything and listens), as ``tests/test_explore_browser.py`` reads it, median over
  fresh loads; the baseline is a blank page that only sets ``data-ready``, loaded in the same browser, interleaved;
* ``--serve``: a control of a ``Conv1d`` on 256 inputs changed in the browser, the milliseconds from the form's
  submission to the new page being ready (the server recomputes the page, the browser loads and draws it),
  median over several changes; the baseline is the server's Python alone (``render_query``, timed here).

Debian's ``chromium`` is driven by Playwright (``executable_path``; ``SYMCONV_CHROMIUM`` overrides). Without
chromium or Playwright the section fails with an exception naming what is missing: it never skips. Under
``--quick`` the layers are tiny (``Conv2d(1, 1, 3)`` on 8x8, a ``Conv1d`` on 16 inputs) and one or two loads
are made, so the section runs in a few seconds.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from run import Context, Row

from symconv import Conv2d
from symconv.cli.app import build_parser
from symconv.cli.explore import render_query
from symconv.explore.page import page_html
from symconv.explore.serve import Server

TITLE = "page size, time to interactive in headless chromium, --serve redraw"
ORDER = 90

MAX_BYTES, MAX_READY_MS, MAX_REDRAW_MS = 4_000_000, 1000.0, 300.0

BLANK = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body>
<script>document.documentElement.setAttribute("data-ready", String(Math.round(performance.now())));</script>
</body></html>"""

SUBMITTED = """() => document.getElementById("controls").addEventListener("submit", () => {
  sessionStorage.submitted = String(performance.timeOrigin + performance.now());
}, true)"""
SINCE_SUBMITTED = """() => performance.timeOrigin + Number(document.documentElement.dataset.ready)
  - Number(sessionStorage.submitted)"""


def chromium_path() -> str:
    """Debian's chromium (or ``SYMCONV_CHROMIUM``); a clear error when there is none: this section never skips."""
    path = os.environ.get("SYMCONV_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError(
            "bench explore needs chromium: apt-get install chromium, or set SYMCONV_CHROMIUM to a Chrome binary"
        )
    return path


def load_ready_ms(browser, url: str) -> float:
    """One fresh load of ``url``: the page's ``data-ready`` (ms from the start of navigation)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto(url)
        page.wait_for_selector("html[data-ready]", state="attached")
        return float(page.get_attribute("html", "data-ready") or "nan")
    finally:
        page.close()


def serve_redraws(browser, length: int, changes: int) -> list[float]:
    """Milliseconds from each control change to the recomputed page being ready, ``Conv1d`` on ``length``."""
    first = build_parser().parse_args(["explore", "--serve", "--no-open", "--input-length", str(length)])
    with Server(lambda query: render_query(query, first)) as server:
        page = browser.new_page()
        try:
            page.goto(server.url)
            page.wait_for_selector("html[data-ready]", state="attached")
            times = []
            for n in range(changes):
                page.evaluate(SUBMITTED)
                with page.expect_navigation():
                    page.fill('[name="kernel-size"]', str(3 + 2 * (n % 2)))  # 5, 3, 5, ...: each one a change
                    page.press('[name="kernel-size"]', "Enter")
                page.wait_for_selector("html[data-ready]", state="attached")
                times.append(float(page.evaluate(SINCE_SUBMITTED)))
            return times
        finally:
            page.close()


def render_seconds(length: int, repeats: int) -> float:
    """The server's Python alone: ``render_query`` of a changed control (median seconds)."""
    first = build_parser().parse_args(["explore", "--serve", "--no-open", "--input-length", str(length)])
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        status, _ = render_query({"kernel-size": ["5"], "input-length": [str(length)]}, first)
        times.append(time.perf_counter() - start)
        assert status == 200
    return statistics.median(times)


def run(ctx: Context) -> list[Row]:
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise RuntimeError("bench explore needs Playwright (pip install playwright; its browser is not used)") from exc
    side, channels, out = (8, 1, 1) if ctx.quick else (32, 3, 8)
    length = 16 if ctx.quick else 256
    loads = 1 if ctx.quick else max(3, ctx.repeats)
    changes = 2 if ctx.quick else max(5, ctx.repeats)
    name = f"Conv2d({channels}, {out}, 3) on {side}x{side}"
    layer = Conv2d(channels, out, 3)
    html = page_html(layer, (side, side))
    write = ctx.time(lambda: page_html(layer, (side, side)), repeats=1 if ctx.quick else None)
    size = len(html.encode("utf-8"))
    rows = [
        Row(
            f"page size, {name}",
            write,
            note=f"{size / 1e6:.2f} MB, {size / len(layer.make_taps((side, side))):.1f} B/tap; time: page_html",
            target="< 4 MB",
            ok=size < MAX_BYTES,
        )
    ]
    with tempfile.TemporaryDirectory() as folder:
        page_file, blank_file = Path(folder) / "page.html", Path(folder) / "blank.html"
        page_file.write_text(html, encoding="utf-8")
        blank_file.write_text(BLANK, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
            try:
                ready, blank = [], []
                for _ in range(loads):  # interleaved: both see the same load on the machine
                    ready.append(load_ready_ms(browser, page_file.as_uri()))
                    blank.append(load_ready_ms(browser, blank_file.as_uri()))
                redraws = serve_redraws(browser, length, changes)
            finally:
                browser.close()
    ready_ms, blank_ms = statistics.median(ready), statistics.median(blank)
    rows.append(
        Row(
            f"time to interactive, {name}",
            ready_ms / 1e3,
            note=f"a blank page {blank_ms:.0f} ms in the same browser (difference {ready_ms - blank_ms:+.0f} ms); "
            f"median of {len(ready)} loads",
            target="< 1 s",
            ok=ready_ms < MAX_READY_MS,
        )
    )
    redraw_ms = statistics.median(redraws)
    python_ms = 1e3 * render_seconds(length, 1 if ctx.quick else ctx.repeats)
    rows.append(
        Row(
            f"--serve redraw after a control change, Conv1d on {length}",
            redraw_ms / 1e3,
            note=f"of which the server's Python {python_ms:.0f} ms; median of {len(redraws)} changes",
            target="< 300 ms",
            ok=redraw_ms < MAX_REDRAW_MS,
        )
    )
    return rows
