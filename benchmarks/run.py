"""symconv benchmarks: ``python benchmarks/run.py [--quick] [--repeats N] [--strict] [SECTION ...]``.

Prints one table, every figure measured in this run: each time is the median of several
repeats (``time.perf_counter``), and every comparison is a ratio against a baseline measured
in the same run (the machine is shared and noisy, so absolute seconds say little; ratios
measured side by side say more).

Adding a section
----------------
Put a module ``benchmarks/bench_<name>.py`` next to this file. It must define::

    def run(ctx: Context) -> list[Row]: ...

and may define ``TITLE = "one line"`` (shown in the section header) and ``ORDER = <int>``
(sections run in increasing ``ORDER``, then by name; default 100). ``run.py`` discovers the
module by its file name; ``<name>`` is the section name used on the command line
(``python benchmarks/run.py core`` runs only ``bench_core.py``). Import ``Context`` and
``Row`` from ``run`` (the benchmarks folder is on ``sys.path`` when ``run.py`` runs).

- ``ctx.quick`` is True under ``--quick``: use the tiniest sizes (a smoke test, run by the
  test suite), keeping the same row labels where a label does not name a size.
- ``ctx.time(fn, setup=None, repeats=None, budget=None)`` returns the median seconds of
  ``fn()`` over ``repeats`` runs (default ``ctx.repeats``); ``setup()`` runs untimed before
  each repeat (clear caches there), then ``gc.collect()`` (objects from the imports are frozen
  out of the collector first, so this is cheap); after a run longer than ``budget`` seconds (default
  ``ctx.budget``) no further repeats are made. ``ctx.last_count`` is the number of runs the
  last median was taken over.
- ``ctx.time_together({"ours": f, "baseline": g})`` returns the median of each, the repeats
  interleaved so that both see the same load: use it for the ratios a target is about.
- A :class:`Row` is one line of the table: ``label`` (unique within the section), optional
  ``seconds`` (a measured median), ``note`` (a derived figure, such as ``"2.1 us/term"`` or
  ``"180x faster than naive"``), ``target`` (the goal, in words) and ``ok`` (True/False when
  the row checks a target, None otherwise).

``--strict`` makes the exit status 1 when a target row has ``ok=False``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass
class Row:
    """One line of the benchmark table."""

    label: str
    seconds: float | None = None
    note: str = ""
    target: str = ""
    ok: bool | None = None


class Context:
    """What a section gets: the mode (``quick``) and a median timer."""

    def __init__(self, quick: bool = False, repeats: int = 5, budget: float = 5.0) -> None:
        self.quick = quick
        self.repeats = repeats
        self.budget = budget
        self.last_count = 0

    def time(
        self,
        fn: Callable[[], Any],
        setup: Callable[[], Any] | None = None,
        repeats: int | None = None,
        budget: float | None = None,
    ) -> float:
        """Median wall time of ``fn()`` in seconds (see the module docstring)."""
        n = self.repeats if repeats is None else repeats
        limit = self.budget if budget is None else budget
        times: list[float] = []
        for _ in range(max(1, n)):
            if setup is not None:
                setup()
            gc.collect()
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
            if times[-1] > limit:
                break
        self.last_count = len(times)
        return statistics.median(times)

    def time_together(self, fns: dict[str, Callable[[], Any]], repeats: int | None = None) -> dict[str, float]:
        """Median seconds of each of ``fns``, their repeats interleaved (a, b, a, b, ...), so
        that a baseline and its rival see the same load on a shared machine."""
        n = self.repeats if repeats is None else repeats
        times: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(max(1, n)):
            for name, fn in fns.items():
                gc.collect()
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        self.last_count = max(1, n)
        return {name: statistics.median(ts) for name, ts in times.items()}


def discover() -> dict[str, ModuleType]:
    """The sections: ``name -> module`` for every ``bench_<name>.py`` here, in run order."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    modules = {}
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem[len("bench_") :]
        modules[name] = importlib.import_module(path.stem)
    return dict(sorted(modules.items(), key=lambda item: (getattr(item[1], "ORDER", 100), item[0])))


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def format_table(sections: Sequence[tuple[str, str, list[Row]]]) -> str:
    """The table as text: one block per section, columns aligned across the sections given."""
    header = ("benchmark", "median", "figure", "target", "holds")
    holds = {True: "yes", False: "NO", None: ""}
    cells = {
        name: [(r.label, format_seconds(r.seconds), r.note, r.target, holds[r.ok]) for r in rows]
        for name, _, rows in sections
    }
    body = [c for block in cells.values() for c in block]
    widths = [max([len(h)] + [len(c[i]) for c in body]) for i, h in enumerate(header)]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()

    lines: list[str] = []
    for name, title, _ in sections:
        if lines:
            lines.append("")
        lines += [f"== {name}: {title}" if title else f"== {name}", line(header), line(["-" * w for w in widths])]
        lines += [line(c) for c in cells[name]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "sections", nargs="*", metavar="SECTION", help=f"sections to run (default all): {', '.join(available)}"
    )
    parser.add_argument("--quick", action="store_true", help="tiniest sizes, a smoke test (figures meaningless)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats per figure, the median is reported (default 5)")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target does not hold")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sections if s not in available]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; available: {', '.join(available)}")
    chosen = args.sections or list(available)
    ctx = Context(quick=args.quick, repeats=args.repeats)
    # Library objects created by the imports are moved out of the collector's sight: every
    # repeat starts with a gc.collect() (cheap after this), and no timing pays for scanning them.
    gc.collect()
    gc.freeze()
    results: list[tuple[str, str, list[Row]]] = []
    failed = False
    for name in chosen:
        module = available[name]
        start = time.perf_counter()
        try:
            rows = list(module.run(ctx))
        except Exception:
            traceback.print_exc()
            rows = [Row("section failed with an exception (traceback above)", ok=False)]
            failed = True
        print(f"[{name}: {time.perf_counter() - start:.1f} s]", file=sys.stderr, flush=True)
        results.append((name, getattr(module, "TITLE", ""), rows))
        # each section as soon as it is done (a full run takes minutes)
        print(("\n" if len(results) > 1 else "") + format_table(results[-1:]), flush=True)
    missed = [r for _, _, rows in results for r in rows if r.ok is False]
    if failed:
        return 2
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
