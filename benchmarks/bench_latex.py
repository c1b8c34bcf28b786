"""Derivations at size (issue 12): a big 1D layer end to end, and a 2D derivation against its 1D counterpart.

* ``symconv latex --in-channels 8 --out-channels 8 --input-length 64 --pdf``, run as a user runs it (a new
  process: import, build and verify every step, write, pdflatex): target within 60 s (it took 8 min 53 s
  before the derivation's checks were made linear in the taps). The baseline is the same command on the
  seed layer (``symconv latex --pdf``), measured in the same run.
* A complete derivation (built, verified, ``.document()``) of ``Conv2d(1, 1, 3, stride=2, padding=1)`` on
  8x8 against ``Conv1d(1, 1, 3, stride=2, padding=1)`` on 64 inputs (the same number of inputs): target
  within 3x, timed together (interleaved) so that both see the same load.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from run import Context, Row

TITLE = "LaTeX derivations at size (symconv latex end to end; 2D against 1D)"
ORDER = 70
END_TO_END = 60.0
RATIO_2D = 3.0


def _latex(options: list[str]) -> float:
    """Seconds of ``symconv latex OPTIONS --pdf`` in a new process, in a temporary directory."""
    import time

    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "symconv", "latex", *options, "--pdf", "-o", str(Path(tmp) / "d.tex")]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"symconv latex {' '.join(options)} failed: {done.stderr[-500:]}")
    return seconds


def run(ctx: Context) -> list[Row]:
    import symconv

    channels, length = (2, 16) if ctx.quick else (8, 64)
    big = ["--in-channels", str(channels), "--out-channels", str(channels), "--input-length", str(length)]
    times = ctx.time_together({"seed": lambda: _latex([]), "big": lambda: _latex(big)}, repeats=1 if ctx.quick else 2)
    label = f"symconv latex --in-channels {channels} --out-channels {channels} --input-length {length} --pdf"
    rows = [
        Row("symconv latex --pdf (the seed, baseline)", times["seed"]),
        Row(
            label,
            times["big"],
            f"{times['big'] / times['seed']:.1f}x the seed",
            target=f"< {END_TO_END:g} s",
            ok=times["big"] < END_TO_END,
        ),
    ]
    n = 4 if ctx.quick else 8
    one = symconv.Conv1d(1, 1, 3, stride=2, padding=1)
    two = symconv.Conv2d(1, 1, 3, stride=2, padding=1)
    pair = ctx.time_together(
        {
            "1d": lambda: symconv.derivation(one, n * n).document(),
            "2d": lambda: symconv.derivation(two, (n, n)).document(),
        },
        repeats=1 if ctx.quick else 3,
    )
    ratio = pair["2d"] / pair["1d"]
    rows += [
        Row(f"derivation Conv1d(1, 1, 3, stride=2, padding=1) on {n * n} (baseline)", pair["1d"]),
        Row(
            f"derivation Conv2d(1, 1, 3, stride=2, padding=1) on {n}x{n}",
            pair["2d"],
            f"{ratio:.1f}x the 1D derivation",
            target=f"<= {RATIO_2D:g}x",
            ok=ratio <= RATIO_2D,
        ),
    ]
    return rows
