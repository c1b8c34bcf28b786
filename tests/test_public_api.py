"""The public surface: every name in ``symconv.__all__`` imports, is documented, and the package is typed."""

from __future__ import annotations

import ast
import doctest
import importlib
import importlib.metadata
import inspect
import re
import subprocess
import sys
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


@pytest.mark.parametrize("name", [n for n in symconv.__all__ if callable(getattr(symconv, n))])
def test_every_public_class_and_function_has_its_own_docstring(name: str) -> None:
    obj = getattr(symconv, name)
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    assert doc and len(doc.strip()) >= 20, f"{name} has no docstring of its own"
    assert obj.__module__.startswith("symconv"), obj.__module__


@pytest.mark.parametrize("name", symconv.__all__)
def test_every_public_name_is_in_the_reference(name: str) -> None:
    assert re.search(rf"`{re.escape(name)}[`(\[]", REFERENCE), f"{name} is not listed in docs/reference.md"


PUBLIC = [
    "Activation",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Flatten",
    "LatexError",
    "Linear",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MismatchError",
    "ProofError",
    "Sequential",
    "VerificationError",
    "assert_matches",
    "block_matrix_picture",
    "check",
    "check_gradients",
    "connectivity_diagram",
    "conv_input_lengths",
    "conv_output_length",
    "convolve",
    "correlate",
    "derivation",
    "from_keras",
    "from_torch",
    "gradients",
    "matrix_picture",
    "parameters_of",
    "prove",
    "receptive_field_diagram",
    "theorems",
    "transposed_output_length",
    "window_diagram",
    "zero_inserted_diagram",
]

MOVED = {
    "ACTIVATIONS": "symconv.layers.activations",
    "LOSSES": "symconv.grad.gradients",
    "PADDING_MODES": "symconv.geometry.padding",
    "PADDING_NAMES": "symconv.geometry.padding",
    "Check": "symconv.base.verification",
    "Verification": "symconv.base.verification",
    "CheckResult": "symconv.checker.result",
    "GradientCheckResult": "symconv.checker.gradcheck",
    "ConnectivityDiagram": "symconv.figures",
    "MatrixPicture": "symconv.figures",
    "Counts": "symconv.geometry.taps",
    "KernelMap": "symconv.geometry.kernel",
    "Tap": "symconv.geometry.taps",
    "Taps": "symconv.geometry.taps",
    "TransposedTaps": "symconv.geometry.transposed_taps",
    "Derivation": "symconv.latex.document",
    "Expansion": "symconv.views.expansion",
    "Substitution": "symconv.views.expansion",
    "Gradients": "symconv.grad.gradients",
    "Identity": "symconv.grad.forms",
    "NumpyMode": "symconv.layers.modes",
    "StackExpansion": "symconv.stack.sequential",
    "StackGradients": "symconv.stack.sequential",
}


def test_the_public_surface_is_the_layers_the_verbs_and_the_errors() -> None:
    assert symconv.__all__ == PUBLIC
    # the layers (PyTorch's names, 1D to 3D), the verbs and the errors; nothing else at the top level
    # + from_torch, from_keras, parameters_of: pointing symconv at a real model; + theorems, prove, ProofError:
    # the identities proven for every size (issue 13 names them at the top level); + window_diagram,
    # zero_inserted_diagram, block_matrix_picture, receptive_field_diagram: the figures of issue 12, beside
    # connectivity_diagram and matrix_picture
    assert len(PUBLIC) <= 41
    assert set(PUBLIC) <= set(dir(symconv)) and not set(MOVED) & set(dir(symconv))
    for error in ("LatexError", "MismatchError", "ProofError", "VerificationError"):
        assert issubclass(getattr(symconv, error), Exception)


@pytest.mark.parametrize(("name", "module"), sorted(MOVED.items()))
def test_a_moved_name_still_resolves_with_a_warning_naming_its_module(name: str, module: str) -> None:
    with pytest.warns(DeprecationWarning, match=rf"symconv\.{name} is deprecated: import it from {re.escape(module)}"):
        value = getattr(symconv, name)
    assert value is getattr(importlib.import_module(module), name)


def moved_name_uses(source: str, where: str) -> list[str]:
    """``where:line: symconv.X`` for each moved name ``X`` that ``source`` (Python) reads from the top level."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import)]
    aliases = {"symconv"} | {alias.asname or "" for node in imports for alias in node.names if alias.name == "symconv"}
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "symconv":
            uses += [f"{where}:{node.lineno}: from symconv import {a.name}" for a in node.names if a.name in MOVED]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in MOVED
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            uses.append(f"{where}:{node.lineno}: symconv.{node.attr}")
    return uses


def python_in_markdown(text: str) -> list[str]:
    """The Python of a Markdown page: each doctest example, and each ``python`` block without prompts."""
    sources = []
    for block in re.findall(r"^```python\n(.*?)^```", text, flags=re.M | re.S):
        if ">>>" in block:
            sources += [example.source for example in doctest.DocTestParser().get_examples(block)]
        else:
            sources.append(block)
    return sources


def moved_name_uses_under(root: Path) -> list[str]:
    """Every read of a moved name from ``symconv``'s top level in the tests, benchmarks, docs and README."""
    uses = []
    for path in sorted([*root.glob("tests/*.py"), *root.glob("benchmarks/*.py")]):
        if path.name != Path(__file__).name:
            uses += moved_name_uses(path.read_text(encoding="utf-8"), path.relative_to(root).as_posix())
    for path in sorted([*root.glob("docs/*.md"), root / "README.md"]):
        for source in python_in_markdown(path.read_text(encoding="utf-8")):
            uses += moved_name_uses(source, f"{path.relative_to(root).as_posix()}, in an example")
    return uses


def test_no_test_doc_or_benchmark_reads_a_moved_name_from_the_top_level() -> None:
    # pyproject's filter errors on DeprecationWarnings attributed to symconv.* modules only; a read of
    # symconv.Taps in a test or a doctest is attributed to the reader and would merely warn.
    assert moved_name_uses_under(ROOT) == []
    assert moved_name_uses("import symconv as s\nfrom symconv import Conv1d, Taps\ns.Expansion", "x") == [
        "x:2: from symconv import Taps",
        "x:3: symconv.Expansion",
    ]


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'symconv' has no attribute 'Conv4d'"):
        symconv.Conv4d  # noqa: B018


LAZY_ROOMS = ("symconv.checker", "symconv.latex", "symconv.figures", "symconv.grad", "symconv.stack", "symconv.cli")


def modules_after(code: str) -> list[str]:
    """The ``symconv`` modules loaded in a fresh interpreter after ``code``."""
    code += "; import sys; print(*sorted(m for m in sys.modules if m.startswith('symconv')))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def test_import_symconv_loads_the_layers_and_the_views_but_no_heavy_room() -> None:
    loaded = modules_after("import symconv")
    assert {"symconv.views.expansion", "symconv.layers.conv", "symconv.geometry.arithmetic"} <= set(loaded)
    assert [m for m in loaded if m.startswith(LAZY_ROOMS)] == []


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("check", "symconv.checker.check"),
        ("MismatchError", "symconv.checker.check"),
        ("check_gradients", "symconv.checker.gradcheck"),
        ("derivation", "symconv.latex"),
        ("LatexError", "symconv.latex.compile"),
        ("VerificationError", "symconv.latex.steps"),
        ("matrix_picture", "symconv.figures"),
        ("gradients", "symconv.grad.gradients"),
        ("Sequential", "symconv.stack.sequential"),
    ],
)
def test_a_heavy_public_name_loads_its_module_on_first_use(name: str, module: str) -> None:
    assert module in modules_after(f"import symconv; symconv.{name}")
    value = getattr(symconv, name)
    assert value is getattr(importlib.import_module(module), name)
    assert not isinstance(value, type(symconv)), f"symconv.{name} is a module"


def test_constants() -> None:
    from symconv.geometry.padding import PADDING_MODES, PADDING_NAMES
    from symconv.layers.activations import ACTIVATIONS

    assert PADDING_MODES == ("zeros", "reflect", "replicate", "circular", "symmetric", "wrap")
    assert list(PADDING_NAMES) == ["valid", "same", "causal", "full", "tf_same", "jax_same_lower"]
    assert all(isinstance(rule, str) and rule for rule in PADDING_NAMES.values())
    assert {"relu", "tanh", "sigmoid", "identity"} <= set(ACTIVATIONS)


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
