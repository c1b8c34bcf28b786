"""Which positions and channels a long figure draws, and where its gaps go.

A figure past a few dozen positions is unreadable at page width. It keeps the first and the
last positions (and whatever it highlights), puts a marked gap in place of each run it leaves
out, and says in a sentence what it left out: a figure is never dropped.

Examples:
    >>> keep(128, limit=12, head=4, tail=2, must={60})
    [0, 1, 2, 3, 60, 126, 127]
    >>> track([0, 1, 2, 3, 60, 126, 127]).gaps
    ((4, 59), (61, 125))
    >>> runs(range(4, 60)), count_text((4, 59), "positions", 128)
    ([(4, 59)], 'positions 4..59 of 128')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

GAP_WIDTH = 1.6  # units a gap marker takes in place of the positions it stands for


def keep(total: int, limit: int, head: int, tail: int, must: Iterable[int] = (), fill: int = 1) -> list[int]:
    """All of ``range(total)`` up to ``limit``; past it the first ``head``, last ``tail`` and ``must``.

    Holes of at most ``fill`` positions between kept ones are kept too (a gap marker is wider).
    """
    if total <= limit:
        return list(range(total))
    chosen = set(range(min(head, total))) | set(range(max(0, total - tail), total))
    chosen |= {m for m in must if 0 <= m < total}
    return filled(chosen, fill)


def filled(chosen: Iterable[int], fill: int) -> list[int]:
    """``chosen`` sorted, with holes of at most ``fill`` positions filled."""
    ordered = sorted(set(chosen))
    out: list[int] = []
    for v in ordered:
        if out and 1 < v - out[-1] <= fill + 1:
            out.extend(range(out[-1] + 1, v))
        out.append(v)
    return out


@dataclass(frozen=True)
class Track:
    """Kept positions along one row and their drawn coordinates (gaps compressed to :data:`GAP_WIDTH`)."""

    kept: tuple[int, ...]
    x: dict[int, float]
    gaps: tuple[tuple[int, int], ...]  # (first, last) of each run left out between kept positions
    gap_x: tuple[float, ...]  # where each gap's marker sits
    width: float


def track(kept: Iterable[int], step: float = 1.0, total: int | None = None) -> Track:
    """Coordinates for ``kept`` positions: ``step`` apart, a gap marker where a run is left out
    (with ``total``, also before the first and after the last kept position)."""
    ordered = sorted(set(kept))
    x: dict[int, float] = {}
    gaps: list[tuple[int, int]] = []
    gap_x: list[float] = []
    at = 0.0
    if total is not None and ordered and ordered[0] > 0:
        gaps.append((0, ordered[0] - 1))
        gap_x.append(GAP_WIDTH / 2 - step / 2)
        at = GAP_WIDTH
    for j, v in enumerate(ordered):
        if j and v > ordered[j - 1] + 1:
            gaps.append((ordered[j - 1] + 1, v - 1))
            gap_x.append(at - step + (GAP_WIDTH + step) / 2)
            at += GAP_WIDTH
        x[v] = at
        at += step
    width = max(at - step, 0.0)
    if total is not None and ordered and ordered[-1] < total - 1:
        gaps.append((ordered[-1] + 1, total - 1))
        gap_x.append(width + step / 2 + GAP_WIDTH / 2)
        width += GAP_WIDTH
    return Track(tuple(ordered), x, tuple(gaps), tuple(gap_x), width)


def runs(values: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive runs ``(first, last)`` of the sorted ``values``."""
    out: list[tuple[int, int]] = []
    for v in sorted(set(values)):
        if out and v == out[-1][1] + 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out


def count_text(run: tuple[int, int], what: str, total: int) -> str:
    """``'positions 4..59 of 128'`` (one position: ``'position 4 of 128'``)."""
    first, last = run
    if first == last:
        return f"{what.rstrip('s')} {first} of {total}"
    return f"{what} {first}..{last} of {total}"


def sentence(parts: list[str]) -> str:
    """The figure's elision sentence: ``''`` when nothing is left out."""
    if not parts:
        return ""
    return "Left out (with their edges): " + "; ".join(parts) + "; 0-based."


__all__ = ["GAP_WIDTH", "Track", "count_text", "filled", "keep", "runs", "sentence", "track"]
