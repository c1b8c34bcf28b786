"""MkDocs hooks for the documentation site (``hooks:`` in ``mkdocs.yml``).

Two jobs, both at build time, so the site has nothing to fetch and nothing checked in goes stale:

- **Source files the pages cite.** The pages link code and tests the way they read in the
  repository (``[tests/test_vectors.py](../tests/test_vectors.py)``). Such a target is outside
  ``docs/``, so MkDocs could not check it and the site could not serve it. Each cited file that
  exists becomes a generated page ``source/<path>.md`` (its text as a code block, out of the
  search index) and the link points there; a cited file that does not exist keeps its link, and
  ``--strict`` fails on it.
- **Explorer pages.** ``explore/<name>.html``, written by :func:`symconv.explore.page_html` for
  the layers of :data:`EXPLORERS` (the seed layer, and the layers the tutorial's figures draw),
  which ``docs/explore.md`` embeds and links.

The module imports MkDocs only inside the hooks: pytest collects ``docs/`` for doctests.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

import symconv

#: A Markdown link (inline form) whose target leaves ``docs/``: ``](../tests/test_x.py#frag)``.
LINK_OUT = re.compile(r"\]\((?P<target>\.\./[^)\s#]+)(?P<frag>#[^)\s]*)?\)")

#: Generated pages of cited source files live under this folder of the site.
SOURCE_DIR = "source"

#: Explorer pages: file name in ``explore/`` -> (layer, input size). The seed layer, the layers of
#: the tutorial's figures (``docs/make_figures.py``) and one 2D layer.
EXPLORERS = {
    "conv1d-seed": (symconv.Conv1d(1, 1, 3), 5),
    "motivating": (symconv.Conv1d(1, 1, 3), 4),
    "reflect-stride2": (symconv.Conv1d(1, 1, 3, stride=2, padding=2, padding_mode="reflect"), 6),
    "dilation2-stride2": (symconv.Conv1d(1, 1, 3, stride=2, dilation=2), 10),
    "transposed-stride2": (symconv.ConvTranspose1d(1, 1, 3, stride=2, padding=1), 3),
    "conv2d": (symconv.Conv2d(1, 2, 3, stride=2, padding=1), (5, 5)),
}

_cited: dict[str, str] = {}  # repository path -> generated page's src_uri


def _repo_path(page_uri: str, target: str, docs_dir: Path) -> str | None:
    """The repository path a ``../`` link of the page ``page_uri`` names, if it leaves ``docs/`` but not
    the repository (a link within ``docs/`` is MkDocs's to check)."""
    joined = posixpath.normpath(posixpath.join(docs_dir.name, posixpath.dirname(page_uri), target))
    return None if joined.startswith(("..", f"{docs_dir.name}/")) else joined


def _source_page(path: str, text: str) -> str:
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
    language = {".py": "python", ".toml": "toml", ".md": "markdown", ".cfg": "ini"}.get(Path(path).suffix, "text")
    return (
        f"---\nsearch:\n  exclude: true\n---\n\n# `{path}`\n\n"
        f"The file as it was when this site was built.\n\n{fence}{language}\n{text}\n{fence}\n"
    )


def on_files(files: Any, config: Any) -> Any:
    """Add the cited source files and the explorer pages to the site."""
    from mkdocs.structure.files import File

    docs_dir = Path(config["docs_dir"])
    root = docs_dir.parent
    _cited.clear()
    for file in list(files.documentation_pages()):
        for match in LINK_OUT.finditer(Path(file.abs_src_path).read_text(encoding="utf-8")):
            path = _repo_path(file.src_uri, match["target"], docs_dir)
            if path is None or path in _cited or not (root / path).is_file():
                continue
            _cited[path] = f"{SOURCE_DIR}/{path}.md"
            text = (root / path).read_text(encoding="utf-8")
            files.append(File.generated(config, _cited[path], content=_source_page(path, text)))

    from symconv.explore import page_html

    for name, (layer, size) in EXPLORERS.items():
        files.append(File.generated(config, f"explore/{name}.html", content=page_html(layer, size)))
    # The explorer pages name no icon, so a browser asks for /favicon.ico: the theme's icon.
    icon = files.get_file_from_path("assets/images/favicon.png")
    if icon is not None and files.get_file_from_path("favicon.ico") is None:
        files.append(File.generated(config, "favicon.ico", abs_src_path=icon.abs_src_path))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Point each link to a cited source file at its generated page."""
    docs_dir = Path(config["docs_dir"])
    here = posixpath.dirname(page.file.src_uri)

    def replace(match: re.Match[str]) -> str:
        path = _repo_path(page.file.src_uri, match["target"], docs_dir)
        if path not in _cited:
            return match[0]  # left for MkDocs to check (and --strict to refuse)
        return f"]({posixpath.relpath(_cited[path], here or '.')}{match['frag'] or ''})"

    return LINK_OUT.sub(replace, markdown)
