"""Smoke test of the benchmarks: ``benchmarks/run.py --quick`` runs and prints the expected rows.

No timing is asserted: the figures of a quick run on tiny sizes mean nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_core_section_prints_the_expected_rows() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--repeats", "1", "core"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("== core:")
    labels = [line.split("  ")[0] for line in lines[3:]]
    sizes = (8, 12, 16, 24)
    expected = [f"{what}, L={n}" for n in sizes for what in ("taps (triples)", "equations", "matrix")]
    expected += [f"equations+matrix, L={n}" for n in sizes]
    expected += [f"scipy.signal.correlate object, L={n}" for n in sizes]
    expected += [f"naive sum + jacobian, L={n}" for n in sizes[:2]]
    expected += [
        "speed-up of equations+matrix vs naive, L=12",
        "time/term of equations+matrix, L=24 vs L=12",
        "torch F.conv1d float64 (1, 16, 256)",
        "evaluate float64 (1, 16, 256)",
        "evaluate int64 (1, 16, 64)",
        "evaluate object (1, 16, 16)",
    ]
    assert sorted(labels) == sorted(expected)
    # target rows say whether they hold
    for line in lines[3:]:
        if "x scipy's time" in line or line.startswith(("speed-up", "time/term", "evaluate float64")):
            assert line.rstrip().endswith((" yes", " NO")), line


def test_unknown_section_is_an_error() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "no_such_section"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "unknown section" in done.stderr


def test_quick_nd_section_prints_the_expected_rows_and_equal_numbers() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--repeats", "1", "nd"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("== nd:")
    labels = [line.split("  ")[0] for line in lines[3:]]
    assert labels == [
        "equations+matrix, 6x6",
        "equations+matrix, 8x8",
        "equations: symconv vs sliding_window_view by hand, 6x6",
        "time/term, 8x8 vs 6x6",
        "torch F.conv2d float64 (1, 2, 16, 16)",
        "evaluate float64 (1, 2, 16, 16)",
        "same 2D gradients from both routes, 8x8",
        "sympy.diff route, Conv2d(1, 1, 3) at 8x8",
        "symconv gradients (dw, dx, db), 8x8",
    ]
    assert "equal: True" in lines[-4] and lines[-4].rstrip().endswith(" yes")
    assert lines[-3].rstrip().endswith(" yes")  # both gradient routes agree
