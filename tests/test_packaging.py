"""Packaging (issue 17): a warning-free build whose wheel and sdist carry every file, the metadata
and extras a scientific library needs, ``--version``, ``python -m symconv``, one clear error per
missing extra, a valid CITATION.cff and an ``import symconv`` that loads no optional package.

The installed wheel itself is exercised by ``make package-test`` (``tests/smoke_installed.py``
in a fresh venv); here the artifacts are built once per module and inspected.
"""

from __future__ import annotations

import email
import email.message
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

import symconv
from symconv.base.extras import EXTRAS, require
from symconv.cli.app import main

ROOT = Path(__file__).resolve().parent.parent
VERSION = symconv.__version__
FRAMEWORKS = ("torch", "jax", "jaxlib", "tensorflow", "tensorflow-cpu", "keras")
LEFTOVERS = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis")


def _run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sdist and the wheel, built with ``python -m build`` as a user would, and its output."""
    out = tmp_path_factory.mktemp("dist")
    # A copy without what builds and tools leave behind: an old symconv.egg-info/SOURCES.txt
    # would add the files it lists to the sdist, and the checkout stays untouched.
    source = tmp_path_factory.mktemp("source") / "symconv"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LEFTOVERS))
    # With PYTHONDONTWRITEBYTECODE set (as on the CI machine) setuptools warns that it cannot
    # byte-compile; that is the environment's doing, not the project's, so the build runs without it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = _run(sys.executable, "-m", "build", "--outdir", str(out), str(source), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        metadata = email.message_from_bytes(z.read(f"symconv-{VERSION}.dist-info/METADATA"))
    with tarfile.open(sdist) as t:
        members = [m.name for m in t.getmembers() if m.isfile()]
    log = done.stdout + done.stderr
    return {"source": source, "log": log, "wheel": wheel, "names": names, "meta": metadata, "sdist": members}


def _requires(meta: email.message.Message, extra: str | None) -> list[str]:
    """The ``Requires-Dist`` lines of ``extra`` (``None``: the runtime ones), markers dropped."""
    out = []
    for line in meta.get_all("Requires-Dist") or []:
        spec, _, marker = line.partition(";")
        found = re.search(r'extra == "([^"]+)"', marker)
        if (found.group(1) if found else None) == extra:
            out.append(spec.strip())
    return out


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower()


# -- the build -------------------------------------------------------------------------------


def test_build_prints_no_warning(built: dict[str, Any]) -> None:
    noisy = [line for line in built["log"].splitlines() if re.search("warning|deprecat", line, re.IGNORECASE)]
    assert noisy == []
    assert f"Successfully built symconv-{VERSION}.tar.gz and symconv-{VERSION}-py3-none-any.whl" in built["log"]


def test_wheel_ships_every_package_file(built: dict[str, Any]) -> None:
    source = built["source"]  # the copy that was built: the checkout may have changed since
    on_disk = {p.relative_to(source).as_posix() for p in (source / "symconv").rglob("*") if p.is_file()}
    shipped = {n for n in built["names"] if n.startswith("symconv/")}
    assert on_disk - shipped == set()
    assert "symconv/py.typed" in shipped and "symconv/__main__.py" in shipped
    assert not any(n.endswith(".pyc") for n in built["names"])
    assert f"symconv-{VERSION}.dist-info/licenses/LICENSE" in built["names"]


def test_sdist_carries_every_tracked_file(built: dict[str, Any]) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to compare the sdist with")
    tracked = _run("git", "ls-files").stdout.split()
    wanted = {f for f in tracked if (built["source"] / f).is_file() and not f.startswith((".ci/", ".gitignore"))}
    prefix = f"symconv-{VERSION}/"
    assert wanted - {m.removeprefix(prefix) for m in built["sdist"]} == set()
    assert {"LICENSE", "CITATION.cff", "PKG-INFO"} <= {m.removeprefix(prefix) for m in built["sdist"]}


# -- the metadata ----------------------------------------------------------------------------


def test_metadata_license_version_and_no_placeholder_urls(built: dict[str, Any]) -> None:
    meta = built["meta"]
    assert meta["Metadata-Version"] == "2.4"
    assert meta["Name"] == "symconv" and meta["Version"] == VERSION
    assert meta["License-Expression"] == "MIT" and meta.get_all("License-File") == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in meta.get_all("Classifier"))
    assert "Topic :: Scientific/Engineering :: Mathematics" in meta.get_all("Classifier")
    assert "convolution" in meta["Keywords"].split(",")
    # there is no public repository yet: no URL at all rather than a placeholder
    assert meta.get_all("Project-URL") is None and meta.get("Home-page") is None


def test_runtime_dependencies_include_scipy_and_no_framework(built: dict[str, Any]) -> None:
    runtime = {_name(r) for r in _requires(built["meta"], None)}
    assert {"sympy", "numpy", "scipy", "latexify-py"} == runtime


def test_extras_are_named_by_use_and_pin_no_framework(built: dict[str, Any]) -> None:
    meta = built["meta"]
    assert set(meta.get_all("Provides-Extra")) == {*EXTRAS, "all", "docs", "test"}
    for extra, (_, distribution) in EXTRAS.items():
        assert [_name(r) for r in _requires(meta, extra)] == [distribution]
    assert _requires(meta, "all") == [f"symconv[{','.join(sorted(EXTRAS))}]"]
    # the site's tools, pinned (a strict build's warnings change between versions); not in 'all': not a feature
    docs = _requires(meta, "docs")
    assert {_name(r) for r in docs} == {"mkdocs", "mkdocs-material", "mkdocstrings", "mkdocstrings-python"}
    assert all("==" in r for r in docs)
    for extra in (*EXTRAS, "all", "docs"):
        assert not {_name(r) for r in _requires(meta, extra)} & set(FRAMEWORKS)


def test_test_extra_pins_torch_exactly_and_builds(built: dict[str, Any]) -> None:
    test = _requires(built["meta"], "test")
    assert "torch==2.13.0" in test
    assert [r for r in test if _name(r) == "torch"] == ["torch==2.13.0"]
    assert {"symconv[all,docs]", "build", "twine", "playwright"} <= {
        r if r.startswith("symconv") else _name(r) for r in test
    }


# -- version and entry points ----------------------------------------------------------------


def test_version_is_one_plain_x_y_z() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    source = (ROOT / "symconv" / "_version.py").read_text(encoding="utf-8")
    assert f'__version__ = "{VERSION}"' in source  # a literal: the build reads it without importing


def test_version_option_prints_name_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"symconv {VERSION}\n"


def test_python_dash_m_symconv_runs_the_cli() -> None:
    done = _run(sys.executable, "-m", "symconv", "--version")
    assert (done.returncode, done.stdout) == (0, f"symconv {VERSION}\n")


# -- missing extras --------------------------------------------------------------------------


def test_png_figure_without_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    figure = symconv.connectivity_diagram(symconv.Conv1d(1, 1, 3).expand(4))
    message = (
        "matplotlib is needed for SVG and PNG figures but is not installed: "
        "pip install 'symconv[figures]' (or use the TikZ output)."
    )
    with pytest.raises(ImportError) as info:
        figure.save(tmp_path / "conn.png")
    assert str(info.value) == message and info.value.name == "matplotlib"
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
    assert figure.save(tmp_path / "conn.tex").read_text(encoding="utf-8").startswith("\\documentclass")


def test_diagram_command_without_matplotlib_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit) as info:
        main(["diagram", "-o", str(tmp_path / "conn.svg")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("symconv") and last.endswith(
        " error: matplotlib is needed for SVG and PNG figures but is not installed: "
        "pip install 'symconv[figures]' (or use the TikZ output)."
    )


@pytest.mark.parametrize(("extra", "module"), [("proofs", "z3"), ("widget", "anywidget")])
def test_require_names_the_extra_of_a_missing_module(monkeypatch: pytest.MonkeyPatch, extra: str, module: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    distribution = EXTRAS[extra][1]
    wanted = f"{distribution} is needed for this feature but is not installed: pip install 'symconv[{extra}]'."
    with pytest.raises(ImportError) as info:
        require(extra, "this feature")
    assert str(info.value) == wanted


def test_require_rejects_an_unknown_extra() -> None:
    with pytest.raises(ValueError) as info:
        require("plots", "figures")
    assert str(info.value) == "'extra' must be one of figures, proofs, widget (got 'plots')."


# -- import time -----------------------------------------------------------------------------


def test_import_symconv_loads_no_optional_or_heavy_package() -> None:
    heavy = ("matplotlib", "scipy", "torch", "z3", "anywidget", "latexify", "jax", "tensorflow", "IPython")
    code = f"import sys, symconv; print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    done = _run(sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"  # each is imported where it is used: import symconv stays < 0.8 s


def test_parse_importtime_reads_self_and_cumulative_times(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from bench_import import parse_importtime

    report = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       120 |        120 |     numpy._core\n"
        "import time:      2500 |       2620 |   numpy\n"
        "import time:      3000 |     605620 | symconv\n"
    )
    assert parse_importtime(report) == {
        "numpy._core": (0.00012, 0.00012),
        "numpy": (0.0025, 0.00262),
        "symconv": (0.003, 0.60562),
    }


def test_import_benchmark_section_reports_the_median_and_its_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import bench_import
    from run import Context

    rows = bench_import.run(Context(quick=True, repeats=1))
    assert [r.label for r in rows] == [
        "import symconv (cumulative)",
        "of which sympy (cumulative)",
        "of which numpy (cumulative)",
        "of which symconv's own modules (self)",
        "frameworks imported by it",
    ]
    total = rows[0].seconds
    assert total is not None and rows[0].ok is (total < bench_import.TARGET)
    assert all(r.seconds is not None and 0 < r.seconds <= total for r in rows[1:-1])
    assert rows[-1].ok is True and rows[-1].note.startswith("none of torch, jax, tensorflow, keras"), rows[-1]


# -- license and citation --------------------------------------------------------------------

CFF_KEYS = {
    "abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi", "identifiers",
    "keywords", "license", "license-url", "message", "preferred-citation", "references", "repository",
    "repository-artifact", "repository-code", "title", "type", "url", "version",
}  # fmt: skip


def test_license_file_is_mit() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the symconv developers\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_citation_cff_is_valid_cff_1_2_0() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert set(cff) <= CFF_KEYS
    assert {"cff-version", "message", "title", "authors"} <= set(cff)
    assert cff["cff-version"] == "1.2.0" and cff["type"] in ("software", "dataset")
    assert all(isinstance(cff[k], str) and cff[k].strip() for k in ("message", "title", "abstract"))
    assert cff["authors"] and all(
        isinstance(a, dict) and (a.get("name") or a.get("family-names") or a.get("given-names")) for a in cff["authors"]
    )
    assert cff["version"] == VERSION and cff["license"] == "MIT"
    assert all(isinstance(k, str) for k in cff["keywords"])
    assert not {"url", "repository-code", "repository"} & set(cff)  # no public URL exists yet
    if "date-released" in cff:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))


def test_readme_citing_section_agrees_with_citation_cff() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    citing = readme[readme.index("## Citing") :]
    assert "CITATION.cff" in citing
    assert f"title   = {{{cff['title']}}}" in citing and f"version = {{{VERSION}}}" in citing
