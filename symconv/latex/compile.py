"""Running pdflatex on a generated document, with a clear error when no engine is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

INSTALL_HINT = (
    "install TeX Live (Debian/Ubuntu: apt-get install texlive-latex-base texlive-latex-recommended "
    "texlive-pictures), or run `make system-deps`"
)


RERUN = re.compile(r"Rerun to get|There were undefined references|Label\(s\) may have changed")
UNDEFINED = re.compile(r"(?:Reference|Citation) `[^']*' on page \d+ undefined|There were undefined references")


OVERFULL = re.compile(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)(?:[^\n]*?lines? (\d+))?")


def overfull_boxes(log: str, tolerance: float = 10.0) -> list[tuple[float, int | None]]:
    """The lines too wide by more than ``tolerance`` points in a pdflatex log: ``(points, source line)``.

    Examples:
        >>> log = "Overfull \\\\hbox (27.5pt too wide) in paragraph at lines 12--13\\n"
        >>> overfull_boxes(log + "Overfull \\\\hbox (3.1pt too wide) detected at line 40")
        [(27.5, 12)]
    """
    found = [(float(points), int(line) if line else None) for points, line in OVERFULL.findall(log)]
    return [(points, line) for points, line in found if points > tolerance]


class LatexError(RuntimeError):
    """pdflatex is missing, or reported an error or an undefined reference."""


def pdflatex() -> str:
    """The path of ``pdflatex``.

    Raises:
        LatexError: If it is not on ``PATH``.
    """
    found = shutil.which("pdflatex")
    if found is None:
        raise LatexError(f"pdflatex was not found on PATH; {INSTALL_HINT}.")
    return found


def compile_pdf(tex_path: str | Path, *, max_runs: int = 3, timeout: float = 120) -> Path:
    """Compile ``tex_path`` with ``pdflatex -halt-on-error -interaction=nonstopmode`` in its directory.

    Reruns (up to ``max_runs`` times) while LaTeX asks for it, so that references resolve, then
    checks the log for undefined references.

    Returns:
        The path of the PDF.

    Raises:
        LatexError: If pdflatex is missing, fails, or leaves an undefined reference (quoting the log).
    """
    tex_path = Path(tex_path).resolve()
    command = [pdflatex(), "-halt-on-error", "-interaction=nonstopmode", tex_path.name]
    log_path = tex_path.with_suffix(".log")
    for _ in range(max_runs):
        done = subprocess.run(command, cwd=tex_path.parent, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise LatexError(f"pdflatex failed on {tex_path}:\n{_errors(done.stdout)}")
        log = log_path.read_text(encoding="utf-8", errors="replace")
        if not RERUN.search(log):
            break
    undefined = UNDEFINED.findall(log)
    if undefined:
        raise LatexError(f"undefined references in {tex_path}: {undefined}")
    return tex_path.with_suffix(".pdf")


def _errors(output: str) -> str:
    lines = output.splitlines()
    hits = [i for i, line in enumerate(lines) if line.startswith("!")]
    if not hits:
        return "\n".join(lines[-30:])
    return "\n".join(lines[hits[0] : hits[0] + 12])
