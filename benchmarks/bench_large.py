"""Large layers (issue 9, item 15): single entries, arithmetic counts and refusals at sizes no
view can be built whole.

Every repeat starts from a fresh expansion (symconv's ``lru_cache`` and SymPy's cache cleared
untimed), so the figures include making the taps and the symbols. The target of each row is
the issue's: well under a second, whatever the layer's size.

Before this work (measured at commit 772e5bc on the same machine, under a 4 GB memory limit):
``Conv1d(512, 512, 9).expand(10**6).equations[0]`` ran out of memory after 15 s;
``taps.counts()`` of that layer took 16 s; ``symconv explain --input-length 100000000`` ran
out of memory after 15 s (over 60 s without a limit) and ``symconv diagram --input-length
3000`` ran for over 90 s.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

from run import Context, Row
from sympy.core.cache import clear_cache

import symconv
from symconv.cli.app import main
from symconv.views.expansion import Expansion, _expand

TITLE = "single entries, counts and refusals of Conv1d(512, 512, 9) on 10**6 inputs"
ORDER = 50
TARGET = 1.0  # seconds


def _fresh() -> None:
    _expand.cache_clear()
    clear_cache()


def _refused(build: Callable[[], Any]) -> Callable[[], None]:
    def attempt() -> None:
        try:
            build()
        except ValueError:
            return
        raise AssertionError("expected a refusal")

    return attempt


def _quiet(argv: list[str]) -> Callable[[], None]:
    def command() -> None:
        quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
        with quiet[0], quiet[1], contextlib.suppress(SystemExit):  # refused commands exit 2
            main(argv)

    return command


def run(ctx: Context) -> list[Row]:
    channels, length = (8, 10**4) if ctx.quick else (512, 10**6)
    limit = 10**3 if ctx.quick else None  # a quick run refuses its small layer as the full run its big one
    layer = symconv.Conv1d(channels, channels, 9)

    def e() -> Expansion:
        return layer.expand(length, max_terms=limit)

    terms = f"{channels * 9} products"
    cases: list[tuple[str, Callable[[], Any], str]] = [
        ("taps.counts()", lambda: e().taps.counts(), f"{len(e().taps)} taps"),
        ("equations[0]", lambda: e().equations[0], terms + " and a bias"),
        ("z[o, i] in the middle", lambda: e().z[channels // 2, length // 2], terms + " and a bias"),
        ("matrix_row(r)", lambda: e().matrix_row(length // 3), f"{channels * 9} entries"),
        ("matrix_column(c)", lambda: e().matrix_column(length // 3), f"{channels * 9} entries"),
        ("gradients(e).dx[c, t]", lambda: symconv.gradients(e()).dx[1, length // 2], terms),
        ("refusal of z.tolist()", _refused(lambda: e().z.tolist()), "ValueError"),
        ("refusal of the matrix", _refused(lambda: e().matrix), "ValueError"),
        ("symconv explain --input-length 100000000", _quiet(["explain", "--input-length", "100000000"]), "a window"),
        ("symconv diagram --input-length 3000", _quiet(["diagram", "--input-length", "3000"]), "refused"),
        ("symconv latex --input-length 100000000", _quiet(["latex", "--input-length", "100000000"]), "refused"),
    ]
    rows = []
    for label, fn, note in cases:
        seconds = ctx.time(fn, setup=_fresh)
        rows.append(Row(label, seconds, note, f"under {TARGET:g} s", seconds < TARGET))
    return rows
