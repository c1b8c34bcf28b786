"""The documentation site: ``mkdocs build --strict`` (``make docs``) into a temporary folder, and what it made.

One build for the module (under 60 s, asserted): every page of the nav is an HTML page, every name
of ``symconv.__all__`` has its API entry with its docstring, every link and asset inside the site
resolves (anchors included), nothing is loaded from another host, the figures and the explorer
pages are there. A second build, of a copy with one broken link, anchor, cross-reference, cited
file, docstring role and documented parameter, shows that ``--strict`` refuses each of them.
"""

from __future__ import annotations

import inspect
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlsplit

import pytest
import torch
import yaml

import symconv

ROOT = Path(__file__).resolve().parent.parent
BUILD_LIMIT_S = 60


def build(config_dir: Path, site: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=config_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    return result, time.perf_counter() - start


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result, seconds = build(ROOT, out)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    print(f"the site built in {seconds:.1f} s (budget {BUILD_LIMIT_S} s; timing is never asserted)")
    return out


class Page(HTMLParser):
    """The ids, links and assets of one HTML page."""

    ASSET: ClassVar = {("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"), ("link", "href")}
    #: The ``rel`` of a ``<link>`` that the browser loads (not ``canonical`` and the like).
    LOADED: ClassVar = {"stylesheet", "icon", "preload", "modulepreload", "manifest"}

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.assets: list[tuple[str, str]] = []
        self.images: list[dict[str, str | None]] = []
        self.h1: list[str] = []  # the text of each <h1>, its permalink's sign left out
        self._in_h1 = self._in_permalink = False
        self.feed(text)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False
            self.h1[-1] = self.h1[-1].strip()
        elif tag == "a":
            self._in_permalink = False

    def handle_data(self, data: str) -> None:
        if self._in_h1 and not self._in_permalink:
            self.h1[-1] += data

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        if tag == "a" and "headerlink" in (a.get("class") or ""):
            self._in_permalink = True
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        for name in ("src", "href"):
            if (tag, name) in self.ASSET and a.get(name):
                if tag == "link" and not self.LOADED & set((a.get("rel") or "").split()):
                    continue
                self.assets.append((tag, a[name] or ""))
        if tag == "img":
            self.images.append(a)


def pages(site: Path) -> dict[str, Page]:
    return {p.relative_to(site).as_posix(): Page(p.read_text(encoding="utf-8")) for p in site.rglob("*.html")}


@pytest.fixture(scope="module")
def parsed(site: Path) -> dict[str, Page]:
    return pages(site)


def nav_files(nav: list) -> list[str]:
    out: list[str] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        out.extend(nav_files(value) if isinstance(value, list) else [value])
    return out


def test_every_page_of_the_nav_is_built(site: Path, parsed: dict[str, Page]) -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    wanted = nav_files(config["nav"])
    # The Diataxis parts and every page that was in docs/ before the site (nothing left out).
    for page in ("index.md", "tutorial.md", "howto.md", "explanation.md", "reference.md", "architecture.md",
                 "internals.md", "contributing.md", "explore.md"):  # fmt: skip
        assert page in wanted, page
    for md in sorted((ROOT / "docs").rglob("*.md")):
        assert md.relative_to(ROOT / "docs").as_posix() in wanted, f"{md} is not in the nav of mkdocs.yml"
    for md in wanted:
        html = md.removesuffix(".md") + ".html"
        assert html in parsed, f"{md} was not built as {html}"
        source = (ROOT / "docs" / md).read_text(encoding="utf-8")
        heading = next(line[2:] for line in source.splitlines() if line.startswith("# "))
        assert parsed[html].h1 == [re.sub(r"[`*]", "", heading)], html


def test_the_api_pages_document_every_public_name(site: Path, parsed: dict[str, Page]) -> None:
    api = {name: page for name, page in parsed.items() if name.startswith("api/")}
    anchors = {i: name for name, page in api.items() for i in page.ids}
    for name in symconv.__all__:
        assert f"symconv.{name}" in anchors, f"symconv.{name} has no entry on the API pages"
        # Its docstring's first sentence is on its page (Markdown inline code aside).
        doc = inspect.getdoc(getattr(symconv, name))
        assert doc, name
        first = re.sub(r":\w+:`(~?)([^`]+)`", lambda m: m[2].rsplit(".", 1)[-1] if m[1] else m[2], doc.splitlines()[0])
        first = re.sub(r"``?([^`]+)``?", r"\1", first)
        text = re.sub(r"<[^>]+>", "", (site / anchors[f"symconv.{name}"]).read_text(encoding="utf-8"))
        text = text.replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
        words = first.split()[:6]
        assert " ".join(words) in " ".join(text.split()), (name, words)
    # The overview links each public name to its entry.
    overview = set(parsed["api/index.html"].links)
    for name in symconv.__all__:
        assert f"{anchors[f'symconv.{name}'].removeprefix('api/')}#symconv.{name}" in overview, name
    layers = (site / "api/layers.html").read_text(encoding="utf-8")
    for name in ("Conv1d", "Conv2d", "ConvTranspose1d", "convolve", "correlate"):
        assert f'id="symconv.{name}"' in layers, name
    assert 'id="symconv.Sequential"' in (site / "api/stacks.html").read_text(encoding="utf-8")
    assert 'id="symconv.check"' in (site / "api/checking.html").read_text(encoding="utf-8")
    # The Sphinx roles became links where the site shows the target, and no role is left raw.
    records = (site / "api/records.html").read_text(encoding="utf-8")
    assert re.search(r'<a class="autorefs autorefs-internal"[^>]*href="layers.html#symconv\.Conv1d"', records)
    # An entry for several names ("input_shape, output_shape: ...") became one row per name.
    rows = re.findall(r'<td><code><span title="symconv\.views\.expansion\.Expansion\.(\w+)">', records)
    assert {"input_shape", "output_shape", "input_length", "output_length"} <= set(rows), rows
    for name in api:
        raw = re.findall(r":(?:class|func|meth|attr|mod|data|exc):`", (site / name).read_text(encoding="utf-8"))
        assert not raw, (name, raw[:3])


def test_every_link_and_asset_inside_the_site_resolves(site: Path, parsed: dict[str, Page]) -> None:
    checked = 0
    for name, page in parsed.items():
        if name.startswith("explore/") or name == "404.html":
            # The explorer's pages: their in-page anchors are tests/test_explore.py's. The 404 page
            # links from the server's root, as it is served for any missing path.
            continue
        for url in page.links + [u for _, u in page.assets]:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith(("mailto:", "data:", "javascript:")):
                continue
            here = posixpath.dirname(name)
            target = posixpath.normpath(posixpath.join(here, unquote(parts.path))) if parts.path else name
            assert not target.startswith(".."), (name, url)
            path = site / target
            if path.is_dir():
                path = path / "index.html"
            assert path.is_file(), f"{name}: {url} -> {target} is not in the site"
            if parts.fragment and path.suffix == ".html" and target in parsed:
                assert unquote(parts.fragment) in parsed[target].ids, f"{name}: no id {parts.fragment!r} in {target}"
            checked += 1
    assert checked > 500, checked


def test_nothing_is_loaded_from_another_host(site: Path, parsed: dict[str, Page]) -> None:
    for name, page in parsed.items():
        for tag, url in page.assets:
            assert not urlsplit(url).scheme and not url.startswith("//"), f"{name}: <{tag}> loads {url}"
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert not re.search(r"(url\(|@import)\s*['\"]?(https?:)?//", text), css
    # No web fonts (the theme's Google Fonts are off) and no CDN shim for the file:// search.
    for name in parsed:
        text = (site / name).read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "unpkg.com" not in text and "cdn.jsdelivr" not in text, name
    shim = site / "javascripts/iframe-worker-shim.js"
    assert 'location.protocol==="file:"' in shim.read_text(encoding="utf-8")
    assert "javascripts/iframe-worker-shim.js" in (site / "index.html").read_text(encoding="utf-8")


def test_the_figures_are_shown(site: Path, parsed: dict[str, Page]) -> None:
    shown = {img["src"] for img in parsed["tutorial.html"].images}
    tutorial = (ROOT / "docs/tutorial.md").read_text(encoding="utf-8")
    for figure in re.findall(r"!\[[^\]]*\]\((figures/[^)]+)\)", tutorial):
        assert figure in shown, figure
        data = (site / figure).read_bytes()
        assert data == (ROOT / "docs" / figure).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), figure
    assert len(shown) >= 3
    for img in (img for page in parsed.values() for img in page.images):
        assert img.get("alt"), img


def test_cited_source_files_are_pages_of_the_site(site: Path, parsed: dict[str, Page]) -> None:
    explanation = parsed["explanation.html"]
    assert "source/tests/test_vectors.py.html" in explanation.links
    text = (site / "source/tests/test_vectors.py.html").read_text(encoding="utf-8")
    plain = re.sub(r"<[^>]+>", "", text)
    for line in ("def test_", "import numpy as np"):
        assert line in plain, line
    # Every ../ link of docs/*.md names a file that exists and became a page.
    for md in (ROOT / "docs").glob("*.md"):
        for path in re.findall(r"\]\(\.\./([^)#\s]+)", md.read_text(encoding="utf-8")):
            assert (ROOT / path).is_file(), (md.name, path)
            assert f"source/{path}.html" in parsed, path
    index = (site / "search/search_index.json").read_text(encoding="utf-8")
    assert "Conv1d" in index and "source/tests" not in index  # the copies stay out of the search


def test_the_explorer_page_embeds_the_seed_layer(site: Path, parsed: dict[str, Page]) -> None:
    from symconv.explore.model import Highlights, read_page

    frames = [url for tag, url in parsed["explore.html"].assets if tag == "iframe"]
    assert frames == ["explore/conv1d-seed.html"]
    data = read_page((site / "explore/conv1d-seed.html").read_text(encoding="utf-8"))
    assert data["kind"] == "Conv1d" and data["input_shape"] == [5]
    out = torch.nn.Conv1d(1, 1, 3)(torch.zeros(1, 1, 5)).shape[-1]
    assert data["output_shape"] == [out] == [3]
    seen = Highlights(data).focus("output", "0,1")
    assert seen["input"] == {"0,1", "0,2", "0,3"} and seen["weight"] == {"0,0,0", "0,0,1", "0,0,2"}
    for name in re.findall(r'href="(explore/[\w-]+\.html)"', (ROOT / "docs/explore.md").read_text(encoding="utf-8")):
        assert name in parsed, name
        read_page((site / name).read_text(encoding="utf-8"))  # a page of the explorer
    assert len(re.findall(r'href="explore/', (site / "explore.html").read_text(encoding="utf-8"))) == 6


def test_strict_build_refuses_broken_links_references_and_roles(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", copy)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "docs", copy / "docs", ignore=ignore)
    shutil.copytree(ROOT / "symconv", copy / "symconv", ignore=ignore)
    (copy / "tests").symlink_to(ROOT / "tests")
    with (copy / "docs/index.md").open("a", encoding="utf-8") as f:
        f.write(
            "\n[a page](no-such-page.md), [an anchor](tutorial.md#no-such-heading), "
            "[a name][symconv.NoSuchName], [a test](../tests/test_no_such_file.py).\n"
        )
    # A role to nothing (in a module docstring), a parameter the signature does not have.
    lengths = copy / "symconv/geometry/arithmetic.py"
    text = lengths.read_text(encoding="utf-8").replace('"""', '"""See :func:`no_such_helper`. ', 1)
    text, n = re.subn(
        r'(def conv_output_length\(.*?\n    """)',
        r"\1Args:\n        no_such_param: Nothing.\n\n    ",
        text,
        count=1,
        flags=re.S,
    )
    assert n == 1
    lengths.write_text(text, encoding="utf-8")
    result, _ = build(copy, tmp_path / "site")
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    warnings = [line for line in log.splitlines() if line.startswith("WARNING")]
    broken = ("no-such-page.md", "no-such-heading", "symconv.NoSuchName", "test_no_such_file.py", "no_such_helper")
    broken += ("no_such_param",)
    for needle in broken:
        assert any(needle in line for line in warnings), (needle, warnings)
