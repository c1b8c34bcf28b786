"""Import time (issue 17): ``import symconv`` in a fresh interpreter, target under 0.8 s.

Each repeat starts a new ``python -X importtime -c 'import symconv'`` and reads its report
(one line per module: its own time and its cumulative time, in microseconds, nested by
indentation). The figure is the ``symconv`` line's cumulative time: everything the import
pulls in, SymPy and NumPy included (about 0.5 s of it), and not the interpreter's start-up.
The median over the repeats (5 by default) is reported.

Below it, the median run broken down: the shares of SymPy and NumPy and the time spent in
symconv's own modules (the sum of their self times), so that a regression points at its cause.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from run import Context, Row

TITLE = "import symconv in a fresh interpreter (python -X importtime), median of the repeats"
ORDER = 5

TARGET = 0.8
FRAMEWORKS = ("torch", "jax", "tensorflow", "keras", "scipy", "matplotlib", "latexify")
ROOT = Path(__file__).resolve().parent.parent


def parse_importtime(report: str) -> dict[str, tuple[float, float]]:
    """``module -> (self seconds, cumulative seconds)`` from a ``-X importtime`` report.

    A module appears once (where it is first imported); the header line is skipped.
    """
    times: dict[str, tuple[float, float]] = {}
    for line in report.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue
        own, cumulative, name = int(fields[0]), int(fields[1]), fields[2].strip()
        times[name] = (own / 1e6, cumulative / 1e6)
    return times


def import_once(module: str = "symconv") -> dict[str, tuple[float, float]]:
    """The parsed ``-X importtime`` report of ``import module`` in a new interpreter."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    return parse_importtime(done.stderr)


def run(ctx: Context) -> list[Row]:
    reports = [import_once() for _ in range(max(1, ctx.repeats))]
    total = statistics.median(r["symconv"][1] for r in reports)
    rows = [
        Row(
            "import symconv (cumulative)",
            total,
            note=f"median of {len(reports)} fresh interpreters",
            target=f"< {TARGET} s",
            ok=total < TARGET,
        )
    ]
    # the breakdown of one run, the median one, so that its parts add up
    middle = min(reports, key=lambda r: abs(r["symconv"][1] - total))
    whole = middle["symconv"][1]
    parts = [(f"{p} (cumulative)", middle.get(p, (0.0, 0.0))[1]) for p in ("sympy", "numpy")]
    parts.append(("symconv's own modules (self)", sum(t[0] for m, t in middle.items() if m.split(".")[0] == "symconv")))
    rows += [Row(f"of which {label}", s, note=f"{s / whole:.0%} of the median run") for label, s in parts]
    # the frameworks the checker and converters use are imported only when the user hands over their objects
    heavy = [m for m in FRAMEWORKS if m in middle]
    rows.append(
        Row(
            "frameworks imported by it",
            note=", ".join(heavy) if heavy else "none of " + ", ".join(FRAMEWORKS),
            target="none",
            ok=not heavy,
        )
    )
    return rows
