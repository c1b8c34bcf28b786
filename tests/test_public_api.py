"""The public surface: every name in ``symconv.__all__`` imports, is documented, and the package is typed."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re
from pathlib import Path

import pytest
import tomllib

import symconv

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")


def test_all_is_a_list_of_unique_existing_names() -> None:
    assert len(symconv.__all__) == len(set(symconv.__all__))
    missing = [name for name in symconv.__all__ if not hasattr(symconv, name)]
    assert missing == []


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from symconv import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(symconv.__all__)


@pytest.mark.parametrize("name", symconv.__all__)
def test_every_public_name_imports_by_name(name: str) -> None:
    module = importlib.import_module("symconv")
    assert getattr(module, name) is getattr(symconv, name)


@pytest.mark.parametrize("name", [n for n in symconv.__all__ if callable(getattr(symconv, n))])
def test_every_public_class_and_function_has_its_own_docstring(name: str) -> None:
    obj = getattr(symconv, name)
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    assert doc and len(doc.strip()) >= 20, f"{name} has no docstring of its own"
    assert obj.__module__.startswith("symconv"), obj.__module__


@pytest.mark.parametrize("name", symconv.__all__)
def test_every_public_name_is_in_the_reference(name: str) -> None:
    assert re.search(rf"`{re.escape(name)}[`(\[]", REFERENCE), f"{name} is not listed in docs/reference.md"


def test_core_names_are_public() -> None:
    core = {
        "Conv1d",
        "Expansion",
        "Substitution",
        "Taps",
        "Tap",
        "KernelMap",
        "Counts",
        "NumpyMode",
        "convolve",
        "correlate",
        "PADDING_NAMES",
        "PADDING_MODES",
        "ACTIVATIONS",
        "__version__",
    }
    assert core <= set(symconv.__all__)


def test_constants() -> None:
    assert symconv.PADDING_MODES == ("zeros", "reflect", "replicate", "circular")
    assert list(symconv.PADDING_NAMES) == ["valid", "same", "causal", "full", "tf_same", "jax_same_lower"]
    assert all(isinstance(rule, str) and rule for rule in symconv.PADDING_NAMES.values())
    assert {"relu", "tanh", "sigmoid", "identity"} <= set(symconv.ACTIVATIONS)


def test_version_matches_the_installed_metadata() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", symconv.__version__)
    assert symconv.__version__ == importlib.metadata.version("symconv")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "symconv._version.__version__"}
    assert (ROOT / "symconv" / "_version.py").read_text(encoding="utf-8").count(f'"{symconv.__version__}"') == 1


def test_py_typed_marker_is_shipped() -> None:
    package = Path(symconv.__file__).parent
    assert (package / "py.typed").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'symconv\s*=\s*\[\s*"py\.typed"', pyproject)


def test_package_docstring_shows_the_pipeline() -> None:
    doc = symconv.__doc__ or ""
    assert ">>> " in doc and "expand" in doc
