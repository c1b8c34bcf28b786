"""Smoke test of an installed symconv: ``make package-test`` runs it with a fresh venv's Python.

``python -I tests/smoke_installed.py`` (``-I``: neither this folder nor the working directory
on ``sys.path``) checks, from a temporary directory outside the source tree, that the wheel
installed there works without the test extra (no PyTorch, no matplotlib):

- ``import symconv`` comes from that environment's ``site-packages``, with its version;
- ``symconv --version`` and ``python -m symconv --version`` print ``symconv X.Y.Z``;
- ``symconv explain`` answers the motivating question;
- ``symconv latex --pdf`` writes a derivation and compiles it (needs ``pdflatex``);
- ``symconv check`` passes a NumPy function and fails a wrong one with a diagnosis;
- ``symconv diagram -o conn.png`` without matplotlib names the extra to install.

It prints one line per step and exits 1 on the first failure. Not collected by pytest (its
name does not start with ``test_``); ``tests/test_packaging.py`` covers the source tree.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

NUMPY_CODE = '''import numpy as np


def conv(x, w):
    """PyTorch's Conv1d without bias: cross-correlation, 'valid'."""
    return np.correlate(x, w, mode="valid")


def flipped(x, w):
    """The classic mistake: np.convolve flips the kernel."""
    return np.convolve(x, w, mode="valid")
'''


class SmokeError(AssertionError):
    """A step of the smoke test failed."""


def run(*args: str, status: int = 0) -> str:
    """Run a command, require its exit status, and return its stdout and stderr together.

    Bytecode is written, as in a user's environment: the install skips compiling (it would
    compile all of SymPy and SciPy), so each module is compiled once, when first imported.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)
    output = done.stdout + done.stderr
    if done.returncode != status:
        raise SmokeError(f"{' '.join(args)} exited with {done.returncode}, expected {status}:\n{output}")
    return output


def expect(condition: bool, what: str, output: str = "") -> None:
    if not condition:
        raise SmokeError(f"{what}\n{output}")


def import_from_site_packages() -> None:
    import importlib.metadata
    import importlib.util

    import symconv

    location = Path(symconv.__file__).resolve()
    expect(location.is_relative_to(Path(sys.prefix).resolve()), f"symconv imported from {location}, not {sys.prefix}")
    expect(importlib.metadata.version("symconv") == symconv.__version__, "metadata and __version__ differ")
    expect((location.parent / "py.typed").is_file(), "py.typed is missing from the installed package")
    for absent in ("torch", "matplotlib"):
        expect(importlib.util.find_spec(absent) is None, f"{absent} is installed: the base install must not need it")


def version(symconv: str) -> None:
    from symconv import __version__

    wanted = f"symconv {__version__}\n"
    expect(run(symconv, "--version") == wanted, f"symconv --version did not print {wanted!r}")
    expect(run(sys.executable, "-m", "symconv", "--version") == wanted, "python -m symconv --version differs")


def explain(symconv: str) -> None:
    out = run(symconv, "explain")
    expect("z₀ = b + w₀⋅x₀ + w₁⋅x₁ + w₂⋅x₂" in out and "[38, 56]" in out, "explain lacks the equations", out)


def latex_pdf(symconv: str) -> None:
    out = run(symconv, "latex", "--pdf", "-o", "motivating.tex")
    pdf = Path("motivating.pdf")
    expect(pdf.is_file() and pdf.read_bytes().startswith(b"%PDF"), "latex --pdf wrote no PDF", out)


def check_numpy(symconv: str) -> None:
    Path("mine.py").write_text(NUMPY_CODE, encoding="utf-8")
    options = ("--kernel-size", "3", "--no-bias")
    out = run(symconv, "check", "mine.py:conv", *options)
    expect(out.startswith("symconv check: PASSED"), "check did not pass np.correlate", out)
    out = run(symconv, "check", "mine.py:flipped", *options, status=1)
    expect("Diagnosis: your code computes true convolution (kernel flipped" in out, "no diagnosis of the flip", out)


def missing_extra(symconv: str) -> None:
    out = run(symconv, "diagram", "-o", "conn.png", status=2)
    expect("pip install 'symconv[figures]'" in out and "Traceback" not in out, "no clear missing-extra error", out)


STEPS: list[tuple[str, Callable[[str], None]]] = [
    ("symconv --version, python -m symconv --version", version),
    ("symconv explain", explain),
    ("symconv latex --pdf", latex_pdf),
    ("symconv check of NumPy functions", check_numpy),
    ("symconv diagram -o conn.png without matplotlib", missing_extra),
]


def main() -> int:
    symconv = str(Path(sys.executable).parent / "symconv")
    with tempfile.TemporaryDirectory(prefix="symconv-smoke-") as tmp:
        os.chdir(tmp)
        steps = [("import symconv from site-packages", lambda _: import_from_site_packages()), *STEPS]
        for name, step in steps:
            start = time.perf_counter()
            try:
                step(symconv)
            except SmokeError as exc:
                print(f"smoke test FAILED at {name}: {exc}", file=sys.stderr)
                return 1
            print(f"ok  {time.perf_counter() - start:5.1f} s  {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
