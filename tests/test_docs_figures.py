"""The figures and example outputs committed under docs/figures/ are what docs/make_figures.py makes now.

When this fails, the code changed what it draws or prints: look at the new files and, if
they are right, regenerate with ``.venv/bin/python docs/make_figures.py`` and commit them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _make_figures():
    spec = importlib.util.spec_from_file_location("make_figures", DOCS / "make_figures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_figures_are_not_stale(tmp_path):
    written = _make_figures().build(tmp_path)
    names = sorted(p.name for p in written)
    # the explorer's screenshots are written by the browser tests (SYMCONV_WRITE_FIGURES=1), not by make_figures
    committed = sorted(p.name for p in (DOCS / "figures").iterdir() if not p.name.startswith("explore-"))
    assert names == committed, "docs/figures/ has missing or extra files"
    stale = [name for name in names if (tmp_path / name).read_bytes() != (DOCS / "figures" / name).read_bytes()]
    assert not stale, f"stale figures (regenerate with docs/make_figures.py): {stale}"


def test_the_docs_show_the_committed_figures():
    pages = "".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    for name in ("motivating-connectivity.png", "motivating-matrix.png", "motivating-derivation-1.png"):
        assert f"figures/{name}" in pages
